package benchmarks

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/liaison-intel/liaison/joint"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/store"
)

// BenchmarkOperationBoard measures what the operation board of the console
// and GET /api/v1/operations/{id} read: an operation with a subject, a
// handoff accepted and ten sightings, among n stored objects (the Add
// fixtures: a generated mix, a third of it indicators, a fifth
// observables, with identities, sightings and the rest), read through the
// JSON API by the node's administrator. One operation is one request, from
// the request to the last byte of the answer (server time plus loopback).
func BenchmarkOperationBoard(b *testing.B) {
	for _, n := range sizes() {
		b.Run(fmt.Sprintf("stored=%d", n), func(b *testing.B) {
			nd := startNode(b, copyDir(b, fixture(b, n)))
			ctx := context.Background()
			p, err := node.NodeAdmin(ctx, nd.st)
			if err != nil {
				b.Fatal(err)
			}
			subject := "identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90"
			op, _, err := joint.CreateOperation(ctx, nd.st, p, nd.root, nd.coll, joint.NewOperation{
				Name: "IGLA", Objective: "the missile and its buyers", Members: []string{"Partner"}, Subjects: []string{subject}})
			if err != nil {
				b.Fatal(err)
			}
			h, err := joint.ProposeHandoff(ctx, nd.st, p, nd.root, nd.coll, op.ID, joint.NewHandoff{Subject: subject, To: "Bench", ToTeam: "A4"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := joint.DecideHandoff(ctx, nd.st, p, nd.root, nd.coll, h.ID, ops.Accepted, ""); err != nil {
				b.Fatal(err)
			}
			for i := range 10 {
				lat, lon := 51.5+float64(i)/100, -0.1
				if _, _, err := joint.AddSighting(ctx, nd.st, p, nd.root, nd.coll, op.ID, joint.NewSighting{Subject: subject,
					Place: fmt.Sprintf("London, place %d", i), Lat: &lat, Lon: &lon, Country: "GB", At: time.Now().UTC()}); err != nil {
					b.Fatal(err)
				}
			}
			url := nd.url + "/api/v1/operations/" + op.ID
			var lat []time.Duration
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				nd.do(b, "GET", url, nil)
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
		})
	}
}

// BenchmarkConsolePages measures the console's pages as a signed-in
// administrator's browser asks for them, through node.Handler: the
// operation board (with its link graph, route and timeline), a search by
// name among the indicators, and the home page, among n stored objects.
func BenchmarkConsolePages(b *testing.B) {
	for _, n := range sizes() {
		b.Run(fmt.Sprintf("stored=%d", n), func(b *testing.B) {
			nd := startNode(b, copyDir(b, fixture(b, n)))
			ctx := context.Background()
			p, err := node.NodeAdmin(ctx, nd.st)
			if err != nil {
				b.Fatal(err)
			}
			subject := "identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90"
			op, _, err := joint.CreateOperation(ctx, nd.st, p, nd.root, nd.coll, joint.NewOperation{
				Name: "IGLA", Members: []string{"Partner"}, Subjects: []string{subject}})
			if err != nil {
				b.Fatal(err)
			}
			for i := range 10 {
				lat, lon := 51.5+float64(i)/100, -0.1
				if _, _, err := joint.AddSighting(ctx, nd.st, p, nd.root, nd.coll, op.ID, joint.NewSighting{Subject: subject,
					Place: fmt.Sprintf("London, place %d", i), Lat: &lat, Lon: &lon, Country: "GB", At: time.Now().UTC()}); err != nil {
					b.Fatal(err)
				}
			}
			// A console session for the administrator, as sign-in makes one.
			secret := make([]byte, 32)
			rand.Read(secret)
			hash := sha256.Sum256(secret)
			u, err := nd.st.UserByName(ctx, node.AdminUser)
			if err != nil {
				b.Fatal(err)
			}
			if err := nd.st.CreateSession(ctx, &store.Session{Hash: hash[:], UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
			cookie := &http.Cookie{Name: "liaison_session", Value: base64.RawURLEncoding.EncodeToString(secret)}
			get := func(path string) {
				req, _ := http.NewRequest("GET", nd.url+path, nil)
				req.AddCookie(cookie)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: %d %.200s", path, resp.StatusCode, body)
				}
			}
			for _, page := range []struct{ name, path string }{
				{"board", "/ui/operations/" + op.ID},
				{"graph", "/ui/api/v1/operations/" + op.ID + "/graph"},
				{"search", "/ui/objects?q=dealer&type=indicator"},
				{"search-selector", "/ui/objects?selector=%2B447700900123&type=indicator"},
				{"home", "/ui/"},
			} {
				b.Run(page.name, func(b *testing.B) {
					var lat []time.Duration
					for b.Loop() {
						start := time.Now()
						get(page.path)
						lat = append(lat, time.Since(start))
					}
					slices.Sort(lat)
					ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
					b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
					b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
				})
			}
		})
	}
}
