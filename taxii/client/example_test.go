package client_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/liaison-intel/liaison/taxii/client"
)

// A federation pull: mutual TLS through the caller's http.Client, a token,
// and a poll that resumes where the previous one ended.
func Example() {
	var cert tls.Certificate // this node's client certificate
	hc := &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS13,
		}},
	}
	c := client.New(client.WithHTTPClient(hc), client.WithBearerToken("lsn_…"))
	ctx := context.Background()

	root := "https://partner.example:8443/taxii2/liaison/"
	cols, err := c.Collections(ctx, root)
	if err != nil {
		log.Fatal(err)
	}
	since := map[string]time.Time{} // per collection: X-TAXII-Date-Added-Last of the previous poll
	for _, col := range cols {
		if !col.CanRead {
			continue
		}
		f := client.Filter{AddedAfter: since[col.ID], Limit: 1000}
		for next := ""; ; {
			page, err := c.ObjectsPage(ctx, root, col.ID, f, next)
			if err != nil {
				log.Fatal(err)
			}
			for _, obj := range page.Objects {
				fmt.Printf("%s\n", obj)
			}
			if !page.DateAddedLast.IsZero() {
				since[col.ID] = page.DateAddedLast
			}
			if !page.More {
				break
			}
			next = page.Next
		}
	}
}
