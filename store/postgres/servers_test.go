package postgres_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/liaison-intel/liaison/api"
	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/postgres"
)

// serversOfOneDatabase opens n stores on one fresh schema, as n servers of
// one node would.
func serversOfOneDatabase(t *testing.T, n int) []*postgres.Store {
	t.Helper()
	d := freshSchema(t, dsn(t))
	out := make([]*postgres.Store, n)
	for i := range out {
		s, err := postgres.Open(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out[i] = s
	}
	return out
}

// Two servers on one database, each with its own API and hub (as two
// `liaison serve` processes): Agency B's analyst follows the alert stream
// of server 2 while the matching writes go through server 1; the alert
// reaches the subscriber on server 2.
func TestAnAlertRaisedThroughOneServerReachesASubscriberOnTheOther(t *testing.T) {
	ctx := context.Background()
	servers := serversOfOneDatabase(t, 2)
	var urls [2]string
	for i, s := range servers {
		hub := api.NewHub()
		s.OnAdd(hub.Wake)
		a := api.NewServer(s, hub, nil)
		a.Poll, a.Heartbeat = time.Hour, time.Hour // only a wake-up through the database may deliver it
		srv := httptest.NewServer(a)
		t.Cleanup(srv.Close)
		urls[i] = srv.URL
	}
	n := newNode(t, servers[0])
	secret, hash := auth.NewToken()
	if err := servers[0].CreateToken(ctx, nil, &store.Token{Hash: hash, UserID: n.bob.UserID, Label: "test"}); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(sctx, "GET", urls[1]+"/api/v1/alerts/stream", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream on server 2: %s", resp.Status)
	}
	got := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") && strings.Contains(sc.Text(), "courier@example.org") {
				got <- sc.Text()
				return
			}
		}
	}()
	// Through server 1: B's record, then A's of the same address. The
	// listener of server 2 connects in the background, so write until the
	// alert arrives (each write is a new match, merged into one alert).
	n.add(t, servers[0], n.bob, emailSCO(t, "courier@example.org"))
	for {
		n.add(t, servers[0], n.alice, emailSCO(t, "courier@example.org"))
		select {
		case <-got:
			return
		case <-time.After(500 * time.Millisecond):
		case <-sctx.Done():
			t.Fatal("the alert raised through server 1 never reached the subscriber on server 2")
		}
	}
}
