package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestTheScriptPlaysTheCaseToTheEnd runs `liaison demo --script`: three
// nodes on loopback, the whole story, and the checks after every step that
// each object is held by exactly the agencies its markings allow and that
// every member node derives the operation's custody, handoffs, gaps, tasks
// and routes as the story says.
func TestTheScriptPlaysTheCaseToTheEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	start := time.Now()
	res, err := Run(ctx, Options{Script: true, Out: &out, Dir: t.TempDir()})
	t.Logf("demo took %s\n%s", time.Since(start), out.String())
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 25 || res.Objects != 52 || res.Alerts != 2 || res.Custody != 75 {
		t.Errorf("played %d steps with %d objects, %d alerts and %d custody checks; want 25, 52, 2 and 75 (25 steps at 3 nodes)",
			res.Steps, res.Objects, res.Alerts, res.Custody)
	}
	for _, want := range []string{
		"REL TO US", "held by Russian Security Service, American Federal Bureau", "exactly the agencies",
		"ALERT at the British Security Service: phone +447700900123",
		"pending: the dealer: to the American Federal Bureau, Undercover officer, flight BA175 (GB)",
		"GAP:     the crate:  the handoff to the American Federal Bureau, Port of New York and New Jersey, was rejected",
		"custody: the dealer: the American Federal Bureau, New York field office surveillance (US), since 12 Aug 17:10",
		"closed:  the operation closed on 12 Aug 22:00",
		"The route of the dealer (7 sightings, 6 on the map)",
		"and no gap is left open",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the story lacks %q", want)
		}
	}
}
