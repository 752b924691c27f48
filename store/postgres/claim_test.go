package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-intel/liaison/store/postgres"
)

// Two servers on one database claim a partner's push in turn: the second
// is refused while the first holds it, granted once it is released, and
// granted when the holder's process ends without releasing it.
func TestASyncClaimHeldByOneServerIsRefusedToTheOtherUntilReleasedOrItsHolderEnds(t *testing.T) {
	ctx := context.Background()
	servers := serversOfOneDatabase(t, 3)
	one, two, three := servers[0], servers[1], servers[2]
	const key = "push:identity--6d5ba3a2-a07b-4a6c-9bb1-3b2c1a0e3f10"
	claim := func(s *postgres.Store, who string, want bool) func() {
		t.Helper()
		release, ok, err := s.ClaimSync(ctx, key)
		if err != nil {
			t.Fatalf("%s: ClaimSync: %v", who, err)
		}
		if ok != want {
			t.Fatalf("%s: ClaimSync granted %v, want %v", who, ok, want)
		}
		return release
	}
	release := claim(one, "server 1", true)
	claim(two, "server 2 while server 1 holds it", false)
	claim(one, "server 1 again while it holds it", false)
	release()
	release2 := claim(two, "server 2 after server 1 released it", true)
	claim(one, "server 1 while server 2 holds it", false)
	release2()

	// A server that ends without releasing gives its claims up.
	claim(three, "server 3", true)
	three.Close()
	// The database ends the session a moment after the connection closes.
	deadline := time.Now().Add(10 * time.Second)
	for {
		release, ok, err := one.ClaimSync(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			release()
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("server 3 ended 10 s ago and its claim is still held")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
