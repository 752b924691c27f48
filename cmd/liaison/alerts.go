package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/liaison-intel/liaison/store"
)

// AlertsCmd shows alerts: selectors this organisation holds that another
// holds too.
type AlertsCmd struct {
	Server string `help:"A node's URL (e.g. http://127.0.0.1:8080): read its alerts over HTTP with --token; default: this data directory, as the node's organisation." env:"LIAISON_SERVER"`
	Token  string `help:"API token for --server." env:"LIAISON_TOKEN"`
	JSON   bool   `help:"Print JSON (one alert per line)."`
	Follow bool   `help:"Keep watching and print alerts as they arrive."`
}

func (c *AlertsCmd) Run(ctx context.Context, g *Globals) error {
	if c.Server != "" {
		return c.remote(ctx)
	}
	st, err := openNode(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	p := actor(ctx, st)
	var after int64
	for {
		as, err := st.Alerts(ctx, p, store.AlertQuery{AfterRevision: after})
		if err != nil {
			return err
		}
		for _, a := range as {
			c.print(a)
			after = max(after, a.Revision)
		}
		if !c.Follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

func (c *AlertsCmd) print(a store.Alert) {
	if c.JSON {
		_ = jsonLine(a)
		return
	}
	var others []string
	for _, h := range a.Others {
		switch {
		case len(h.Objects) > 0:
			var ids []string
			for _, o := range h.Objects {
				ids = append(ids, o.ObjectID)
			}
			s := h.OrgName + " (" + strings.Join(ids, ", ") + ")"
			if h.Hidden {
				s += " and records you may not see"
			}
			others = append(others, s)
		default:
			others = append(others, h.OrgName+" holds a matching record (request disclosure: alert "+fmt.Sprint(a.ID)+")")
		}
	}
	noise := ""
	if a.Noise {
		noise = " [noise: held by very many objects]"
	}
	fmt.Printf("alert %d  %s %s%s\n  yours: %d object(s); also held by: %s\n  first %s, last %s, %d match(es)\n",
		a.ID, a.Selector.Kind, a.Selector.Value, noise, len(a.Mine), strings.Join(others, "; "),
		a.FirstSeen.Format(time.RFC3339), a.LastSeen.Format(time.RFC3339), a.Matches)
}

// remote reads alerts from a node's API, following its event stream.
func (c *AlertsCmd) remote(ctx context.Context) error {
	base := strings.TrimSuffix(c.Server, "/")
	get := func(path string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			defer resp.Body.Close()
			var e struct{ Error string }
			_ = json.NewDecoder(resp.Body).Decode(&e)
			return nil, fmt.Errorf("%s: %s %s", base+path, resp.Status, e.Error)
		}
		return resp, nil
	}
	if !c.Follow {
		resp, err := get("/api/v1/alerts")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var body struct{ Alerts []store.Alert }
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return err
		}
		for _, a := range body.Alerts {
			c.print(a)
		}
		return nil
	}
	resp, err := get("/api/v1/alerts/stream")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var a store.Alert
			if err := json.Unmarshal([]byte(data), &a); err != nil {
				return fmt.Errorf("alert stream: %w", err)
			}
			c.print(a)
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}
