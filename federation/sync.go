package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/taxii/client"
)

// Syncer keeps a node in step with its partners. For each partner it runs a
// push loop, which sends the partner's outbox (filled by the store in the
// same transaction as each object) as TAXII add-objects requests, and a pull
// loop per pulled collection, which reads the partner's new objects with
// added_after and next and persists its cursor after every page. Both back
// off with jitter when the partner fails. Redelivery is harmless: a partner
// holding a version already counts it as unchanged.
type Syncer struct {
	st   store.Store
	id   *Identity
	prov *Provenance
	log  *slog.Logger

	// PollInterval is how often a pull loop asks a partner for new objects,
	// and how often a push loop looks at its outbox when nothing woke it.
	PollInterval time.Duration
	// BatchSize is the most objects one request carries.
	BatchSize int

	mu      sync.Mutex
	running map[string]running       // partner org id -> its loops
	wake    map[string]chan struct{} // partner org id -> push loop's alarm
}

// running are the loops of one partner, and the configuration they run.
type running struct {
	config string
	cancel context.CancelFunc
}

// configOf is what, when it changes, restarts a partner's loops.
func configOf(p *liaison.Peer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%s|%s|%s", p.URL, p.APIRoot, p.Fingerprint, p.Clearance, p.Push)
	for _, pull := range p.Pulls {
		fmt.Fprintf(&b, "|%s>%s", pull.Remote, pull.Local)
	}
	return b.String()
}

// NewSyncer returns a syncer for a node.
func NewSyncer(st store.Store, id *Identity, prov *Provenance, log *slog.Logger) *Syncer {
	if log == nil {
		log = slog.Default()
	}
	return &Syncer{st: st, id: id, prov: prov, log: log, PollInterval: time.Second, BatchSize: 1000,
		running: map[string]running{}, wake: map[string]chan struct{}{}}
}

// Notify tells every push loop that new objects may be waiting, so they go
// at once rather than at the next poll.
func (s *Syncer) Notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.wake {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// Run starts the loops of every partner, and of partners paired later, until
// ctx ends.
func (s *Syncer) Run(ctx context.Context) error {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		if err := s.startNew(ctx); err != nil {
			s.log.Warn("federation: reading partners", "err", err)
		}
		select {
		case <-ctx.Done():
			s.mu.Lock()
			for _, r := range s.running {
				r.cancel()
			}
			s.mu.Unlock()
			return nil
		case <-t.C:
		}
	}
}

func (s *Syncer) startNew(ctx context.Context) error {
	peers, err := s.st.Peers(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range peers {
		config := configOf(p)
		if r, ok := s.running[p.OrgID]; ok {
			if r.config == config {
				continue
			}
			r.cancel() // what is exchanged changed: start again
		}
		pctx, cancel := context.WithCancel(ctx)
		s.running[p.OrgID] = running{config: config, cancel: cancel}
		wake := make(chan struct{}, 1)
		s.wake[p.OrgID] = wake
		c := s.client(p)
		if p.Push != "" {
			go s.pushLoop(pctx, p, c, wake)
		}
		for _, pull := range p.Pulls {
			go s.pullLoop(pctx, p, c, pull)
		}
		s.log.Info("federation: partner", "org", p.Name, "url", p.URL, "push", p.Push != "", "pulls", len(p.Pulls))
	}
	return nil
}

// client is a TAXII client speaking mutual TLS to a partner pinned by its
// certificate fingerprint.
func (s *Syncer) client(p *liaison.Peer) *client.Client {
	hc := &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     ClientTLSConfig(s.id, p.Fingerprint),
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	return client.New(client.WithHTTPClient(hc), client.WithUserAgent("liaison-federation"))
}

// apiRootURL is the partner's TAXII API root.
func apiRootURL(p *liaison.Peer) string {
	return strings.TrimSuffix(p.URL, "/") + "/taxii2/" + p.APIRoot + "/"
}

// backoff waits before the n-th retry: exponential from one second to a
// minute, with ±50 % jitter so that partners do not retry in lockstep.
func backoff(ctx context.Context, n int) {
	d := time.Second << min(n, 6)
	d = min(d, time.Minute)
	d = d/2 + time.Duration(rand.Int64N(int64(d)))
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func (s *Syncer) pushLoop(ctx context.Context, p *liaison.Peer, c *client.Client, wake <-chan struct{}) {
	failures := 0
	for ctx.Err() == nil {
		n, err := s.pushOnce(ctx, p, c)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			s.log.Warn("federation: push failed", "org", p.Name, "err", err, "attempt", failures)
			_ = s.st.RecordSync(context.WithoutCancel(ctx), p.OrgID, 0, 0, 0, err.Error())
			backoff(ctx, failures)
			continue
		}
		failures = 0
		if n > 0 {
			continue // there may be more
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-time.After(s.PollInterval):
		}
	}
}

// pushOnce sends one batch of the outbox and reports how many it sent.
// It holds the partner's push claim from reading the outbox to acking it,
// so that of several servers sharing the store one pushes at a time, and
// none sends what another has already acked; without the claim it sends
// nothing and the loop tries again at its next wake-up.
func (s *Syncer) pushOnce(ctx context.Context, p *liaison.Peer, c *client.Client) (int, error) {
	release, ok, err := s.st.ClaimSync(ctx, "push:"+p.OrgID)
	if err != nil || !ok {
		return 0, err
	}
	defer release()
	items, err := s.st.Outbox(ctx, p.OrgID, s.BatchSize)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	var objs []json.RawMessage
	var seqs []int64
	for _, it := range items {
		seqs = append(seqs, it.Seq)
		if it.Raw == nil {
			continue // deleted since it was queued
		}
		raw, err := s.prov.Outbound(ctx, p.Principal(), it.Raw)
		if err != nil {
			return 0, err
		}
		objs = append(objs, raw)
	}
	refused := 0
	var firstRefusal string
	if len(objs) > 0 {
		// A refusal is the partner's verdict on that object: sending it
		// again would not change it. It is counted and shown, not retried.
		var first string
		var err error
		if refused, first, err = s.send(ctx, p, c, objs); err != nil {
			return 0, err
		}
		if refused > 0 {
			firstRefusal = fmt.Sprintf("%d refused, e.g. %s", refused, first)
			s.log.Warn("federation: partner refused objects", "org", p.Name, "refused", refused, "first", first)
		}
	}
	if err := s.st.AckOutbox(ctx, p.OrgID, seqs); err != nil {
		return 0, err
	}
	// The exchange itself succeeded; refusals are reported beside it.
	if err := s.st.RecordSync(ctx, p.OrgID, len(objs)-refused, 0, 0, ""); err != nil {
		return 0, err
	}
	if refused > 0 {
		if err := s.st.RecordSync(ctx, p.OrgID, 0, 0, refused, firstRefusal); err != nil {
			return 0, err
		}
	}
	return len(items), nil
}

// send adds objects to the partner's push collection and reports how many
// it refused, and why the first was. A partner answers 413 to an envelope
// larger than its API root's max_content_length: the objects then go in
// halves, and one too large to go alone is refused here, so that it cannot
// hold up everything queued after it.
func (s *Syncer) send(ctx context.Context, p *liaison.Peer, c *client.Client, objs []json.RawMessage) (int, string, error) {
	st, err := c.AddObjects(ctx, apiRootURL(p), p.Push, objs)
	if client.StatusCode(err) == http.StatusRequestEntityTooLarge {
		if len(objs) == 1 {
			var head struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(objs[0], &head)
			return 1, fmt.Sprintf("%s: %d bytes, too large for the partner to accept (%v)", head.ID, len(objs[0]), err), nil
		}
		half := len(objs) / 2
		n1, first, err := s.send(ctx, p, c, objs[:half])
		if err != nil {
			return 0, "", err
		}
		n2, second, err := s.send(ctx, p, c, objs[half:])
		if err != nil {
			return 0, "", err
		}
		if first == "" {
			first = second
		}
		return n1 + n2, first, nil
	}
	if err != nil {
		return 0, "", err
	}
	first := ""
	if len(st.Failures) > 0 {
		first = st.Failures[0].Message
	}
	return st.FailureCount, first, nil
}

func (s *Syncer) pullLoop(ctx context.Context, p *liaison.Peer, c *client.Client, pull liaison.Pull) {
	failures := 0
	for ctx.Err() == nil {
		cursor, err := s.pullOnce(ctx, p, c, pull)
		if err == nil {
			pull.AddedAfter = cursor
			failures = 0
			select {
			case <-ctx.Done():
			case <-time.After(s.PollInterval):
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		failures++
		s.log.Warn("federation: pull failed", "org", p.Name, "collection", pull.Remote, "err", err, "attempt", failures)
		_ = s.st.RecordSync(context.WithoutCancel(ctx), p.OrgID, 0, 0, 0, err.Error())
		if latest, err := s.st.Peer(ctx, p.OrgID); err == nil {
			for _, q := range latest.Pulls {
				if q.Remote == pull.Remote {
					pull.AddedAfter = q.AddedAfter // resume from what was committed
				}
			}
		}
		backoff(ctx, failures)
	}
}

// pullOnce reads everything the partner added to a collection since the
// cursor, page by page; each page is stored, then the cursor moves past it.
// It returns the new cursor. It holds the pull's claim throughout and
// starts from the cursor the store holds, which another server sharing the
// store may have moved; without the claim it reads nothing.
func (s *Syncer) pullOnce(ctx context.Context, p *liaison.Peer, c *client.Client, pull liaison.Pull) (string, error) {
	release, ok, err := s.st.ClaimSync(ctx, "pull:"+p.OrgID+":"+pull.Remote)
	if err != nil || !ok {
		return pull.AddedAfter, err
	}
	defer release()
	latest, err := s.st.Peer(ctx, p.OrgID)
	if err != nil {
		return pull.AddedAfter, err
	}
	for _, q := range latest.Pulls {
		if q.Remote == pull.Remote {
			pull.AddedAfter = q.AddedAfter
		}
	}
	cursor := pull.AddedAfter
	f := client.Filter{Versions: []string{"all"}, Limit: s.BatchSize}
	if cursor != "" {
		t, err := stix.ParseTimestamp(cursor)
		if err != nil {
			return cursor, fmt.Errorf("stored cursor %q: %w", cursor, err)
		}
		f.AddedAfter = t.Time
	}
	next := ""
	for {
		page, err := c.ObjectsPage(ctx, apiRootURL(p), pull.Remote, f, next)
		if err != nil {
			return cursor, err
		}
		if len(page.Objects) == 0 {
			return cursor, nil
		}
		received, refused, err := s.store(ctx, p, pull.Local, page.Objects)
		if err != nil {
			return cursor, err
		}
		if !page.DateAddedLast.IsZero() {
			cursor = stix.FormatTimestamp(page.DateAddedLast)
			if err := s.st.SetPullCursor(ctx, p.OrgID, pull.Remote, cursor); err != nil {
				return cursor, err
			}
		}
		if err := s.st.RecordSync(ctx, p.OrgID, 0, received, 0, ""); err != nil {
			return cursor, err
		}
		if refused > 0 {
			msg := fmt.Sprintf("%d objects from %s refused (see the audit log)", refused, p.Name)
			if err := s.st.RecordSync(ctx, p.OrgID, 0, 0, refused, msg); err != nil {
				return cursor, err
			}
		}
		if !page.More || page.Next == "" {
			return cursor, nil
		}
		next = page.Next
	}
}

// store adds pulled objects to the local collection as the partner, each
// verified first; objects this node originated are skipped.
func (s *Syncer) store(ctx context.Context, p *liaison.Peer, local string, raws []json.RawMessage) (int, int, error) {
	principal := p.Principal()
	root, err := s.st.Setting(ctx, store.SettingDefaultAPIRoot)
	if err != nil {
		return 0, 0, err
	}
	objs := func(yield func(*stix.Object, error) bool) {
		for _, raw := range raws {
			o, err := stix.Parse(raw)
			if err == nil {
				if sig, ok, _ := SignatureOf(o); ok && sig.SignerRef == s.prov.nodeOrg {
					continue // ours, on its way back
				}
				err = s.prov.Inbound(ctx, principal, o)
			}
			if err != nil {
				var ve *stix.ValidationError
				if !errors.As(err, &ve) {
					yield(nil, err)
					return
				}
				if !yield(nil, &store.Refusal{Detail: store.Detail{ID: ve.ObjectID, Message: err.Error()}}) {
					return
				}
				continue
			}
			if !yield(o, nil) {
				return
			}
		}
	}
	res, err := s.st.AddObjects(ctx, principal, store.AddRequest{APIRoot: root, Collection: local, Path: "federation pull from " + p.Name}, objs)
	if err != nil {
		return 0, 0, err
	}
	return res.Added, len(res.Refused), nil
}
