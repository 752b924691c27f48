package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestTheScriptPlaysTheCaseToTheEnd runs `liaison demo --script`: three
// nodes on loopback, the whole story, and the check after every step that
// each object is held by exactly the agencies its markings allow.
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
	if res.Steps != 7 || res.Objects != 10 || res.Alerts != 2 {
		t.Errorf("played %d steps with %d objects and %d alerts, want 7, 10 and 2", res.Steps, res.Objects, res.Alerts)
	}
	for _, want := range []string{"REL TO US", "held by Russian Security Service, American Federal Bureau", "exactly the agencies"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the story lacks %q", want)
		}
	}
}
