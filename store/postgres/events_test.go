package postgres_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/postgres"
)

// An event broadcast through one server of a database reaches the
// subscribers of its topic on every server, that one included, and no
// subscriber of another topic.
func TestAnEventBroadcastThroughOneServerReachesTheSubscribersOfEveryServer(t *testing.T) {
	ctx := context.Background()
	servers := serversOfOneDatabase(t, 2)
	one, two := servers[0], servers[1]
	// Subscribers must not block: they count, and tell when server 2 has
	// heard.
	var mu sync.Mutex
	heard := map[string]int{}
	twoHeard := make(chan struct{}, 1)
	subscribe := func(s *postgres.Store, who, topic string) {
		cancel := s.Subscribe(topic, func(b []byte) {
			mu.Lock()
			heard[who+": "+string(b)]++
			mu.Unlock()
			if who == "server 2" {
				select {
				case twoHeard <- struct{}{}:
				default:
				}
			}
		})
		t.Cleanup(cancel)
	}
	subscribe(one, "server 1", "import-progress/a")
	subscribe(two, "server 2", "import-progress/a")
	subscribe(two, "server 2, other topic", "import-progress/b")

	// The listener of server 2 connects in the background: send until it
	// hears, then check what each heard.
	data := []byte(`{"bytes":1024,"objects":3}` + "\n\x00binary")
	deadline := time.After(20 * time.Second)
	for waiting := true; waiting; {
		if err := one.Broadcast(ctx, "import-progress/a", data); err != nil {
			t.Fatal(err)
		}
		select {
		case <-twoHeard:
			waiting = false
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("server 2 never heard the event")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if heard["server 1: "+string(data)] == 0 {
		t.Errorf("server 1's own subscriber did not hear its event: %v", heard)
	}
	for m := range heard {
		if m != "server 1: "+string(data) && m != "server 2: "+string(data) {
			t.Errorf("heard %q", m)
		}
	}

	big := bytes.Repeat([]byte("x"), store.MaxEventSize+1)
	if err := one.Broadcast(ctx, "import-progress/a", big); liaison.ErrorCode(err) != liaison.EINVALID {
		t.Errorf("an event of %d bytes: %v, want refused as invalid", len(big), err)
	}
	if err := one.Broadcast(ctx, "two\nlines", data); liaison.ErrorCode(err) != liaison.EINVALID {
		t.Errorf("a topic with a line break: %v, want refused as invalid", err)
	}
}
