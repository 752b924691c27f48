package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
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
	get := func(path, lastEventID string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.Token)
		if lastEventID != "" {
			req.Header.Set("Last-Event-ID", lastEventID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			defer resp.Body.Close()
			var e struct{ Error string }
			_ = json.NewDecoder(resp.Body).Decode(&e)
			return nil, &httpError{fmt.Sprintf("%s: %s %s", base+path, resp.Status, e.Error), resp.StatusCode}
		}
		return resp, nil
	}
	if !c.Follow {
		resp, err := get("/api/v1/alerts", "")
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
	// Follow the stream; when the connection drops or the server restarts,
	// reconnect after a pause (1 s doubling to 30 s) with the last event id
	// seen, so that nothing is missed or shown twice. Refusals (a bad token)
	// end the command.
	lastID := ""
	pause := time.Second
	for {
		resp, err := get("/api/v1/alerts/stream", lastID)
		if err != nil {
			var he *httpError
			if errors.As(err, &he) && he.status < 500 {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(os.Stderr, "liaison alerts: %v; retrying in %s\n", err, pause)
		} else {
			got, err := c.readStream(resp, &lastID)
			resp.Body.Close()
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return err
			}
			if got {
				pause = time.Second
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
}

// httpError is an answer other than 200 from the API.
type httpError struct {
	msg    string
	status int
}

func (e *httpError) Error() string { return e.msg }

// readStream prints the alerts of an event stream until it ends, keeping
// the id of the last event; got says whether anything arrived.
func (c *AlertsCmd) readStream(resp *http.Response, lastID *string) (got bool, err error) {
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	// An event counts, and its id becomes the last seen, only when the
	// blank line that ends it has arrived (as EventSource does).
	var id, data string
	for sc.Scan() {
		line := sc.Text()
		got = true
		switch {
		case line == "":
			if data != "" {
				var a store.Alert
				if err := json.Unmarshal([]byte(data), &a); err != nil {
					return got, fmt.Errorf("alert stream: %w", err)
				}
				c.print(a)
			}
			if id != "" {
				*lastID = id
			}
			id, data = "", ""
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			data += strings.TrimPrefix(line, "data: ")
		}
	}
	return got, nil // a dropped connection is retried, not an error
}
