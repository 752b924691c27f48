package storetest

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// The reference store's correlation: selectors are read from the items
// themselves whenever an alert is shown (the pairs are never stored).

// alertBugs are the ways the reference store's correlation can be broken
// on demand (STORETEST_BUG); the suite must catch each.
var alertBugs = []string{
	"alert-own-duplicate",      // an organisation holding a value twice, alone, is alerted
	"alert-exact-ip-only",      // an address inside another's network matches nothing
	"alert-no-noise",           // a value held by very many objects is never flagged as noise
	"alert-names-no-hidden",    // a holder whose records are all hidden is left out of the alert
	"alert-links-hidden",       // a holder's hidden records are linked like visible ones
	"alert-warned-ignored",     // warning lists suppress nothing
	"alert-revision-per-write", // the alerts one write changes share one revision

	// Standing patterns.
	"standing-ignored",           // patterns the index cannot serve never match
	"standing-forward-only",      // a new standing indicator is not evaluated against what was stored before it
	"standing-no-holder",         // a matching indicator is not shown as holding the value
	"standing-matches-type",      // any observable of a type the pattern names matches
	"standing-deleted",           // a deleted indicator goes on matching
	"standing-revoked",           // a revoked indicator matches
	"standing-old-versions",      // every version of an indicator stands, not only the last
	"standing-expired",           // valid_until is ignored
	"standing-lone-objects",      // observed-data is not an observation: only SCOs are, each alone
	"standing-self-alert",        // an organisation matching only its own indicator is alerted
	"standing-warned-ignored",    // warning lists do not suppress standing matches
	"standing-unsupported-fails", // a pattern the evaluator cannot run refuses the indicator
	"superseded-looks",           // what a superseded version of an indicator looks for still matches
}

type refAlert struct {
	store.Alert
	org string
}

// correlate raises the alerts a newly stored item causes.
func (r *reference) correlate(it *refItem, o *stix.Object) {
	if r.warned == nil {
		r.warned = map[store.SelectorValue]bool{}
	}
	for c, items := range r.items {
		for _, x := range items {
			if x == it {
				it.coll = c
			}
		}
	}
	it.selectors = correlate.Index(o, correlate.Options{DefaultRegion: r.region(it.owner)})
	now := time.Now().UTC()
	for _, x := range it.selectors {
		sv := store.SelectorValue{Kind: string(x.Selector.Kind), Value: x.Selector.Value}
		if (r.warned[sv] || r.inWarnedNetwork(x.Selector)) && r.bug != "alert-warned-ignored" {
			continue
		}
		orgs := map[string]bool{}
		total := 0
		for _, other := range r.holdersOf(sv) {
			if other != it {
				orgs[other.owner] = true
				total++
			}
		}
		if r.bug != "alert-own-duplicate" {
			delete(orgs, it.owner)
		}
		if len(orgs) == 0 {
			continue
		}
		orgs[it.owner] = true
		noise := total > store.NoiseThreshold && r.bug != "alert-no-noise"
		for org := range orgs {
			r.raise(org, sv, now, noise)
		}
	}
}

// region is the country a national phone number of owner's is read in: the
// owner's own, else the node's.
func (r *reference) region(owner string) string {
	for _, id := range []string{owner, r.settings[store.SettingNodeOrg]} {
		for _, o := range r.orgs {
			if o.ID == id && o.Country != "ZZ" {
				return o.Country
			}
		}
	}
	return ""
}

// holdersOf returns every live item holding what matches a selector: the
// same value, or for IP selectors a network holding it or an address or
// network inside it.
func (r *reference) holdersOf(sv store.SelectorValue) []*refItem {
	var out []*refItem
	for _, items := range r.items {
		for _, it := range items {
			if it.deleted {
				continue
			}
			if _, ok := r.matching(it, sv); ok {
				out = append(out, it)
			}
		}
	}
	return out
}

// matching returns the item's selector matching sv, preferring the same
// value. What a superseded version of an indicator looks for matches
// nothing: the last version decides.
func (r *reference) matching(it *refItem, sv store.SelectorValue) (correlate.Indexed, bool) {
	s := correlate.Selector{Kind: correlate.Kind(sv.Kind), Value: sv.Value}
	// Whether a newer version replaced the item matters only to what an
	// indicator looks for; worked out once, when first needed.
	known, sup := false, false
	superseded := func() bool {
		if !known {
			known, sup = true, r.bug != "superseded-looks" && r.newerIn(it.coll, it)
		}
		return sup
	}
	for _, x := range it.selectors {
		if x.Selector == s && !(x.Source == correlate.SourcePattern && superseded()) {
			return x, true
		}
	}
	if r.bug == "alert-exact-ip-only" {
		return correlate.Indexed{}, false
	}
	for _, x := range it.selectors {
		if (correlate.Contains(x.Selector, s) || correlate.Contains(s, x.Selector)) &&
			!(x.Source == correlate.SourcePattern && superseded()) {
			return x, true
		}
	}
	return correlate.Indexed{}, false
}

func (r *reference) raise(org string, sv store.SelectorValue, now time.Time, noise bool) {
	if r.bug != "alert-revision-per-write" {
		r.revision++
	} else if !r.raisedThisWrite {
		r.revision++
		r.raisedThisWrite = true
	}
	for _, a := range r.alertList {
		if a.org == org && a.Selector == sv {
			a.LastSeen, a.Matches, a.Revision = now, a.Matches+1, r.revision
			a.Noise = a.Noise || noise
			return
		}
	}
	r.alertList = append(r.alertList, &refAlert{org: org, Alert: store.Alert{ID: int64(len(r.alertList) + 1), Selector: sv,
		FirstSeen: now, LastSeen: now, Matches: 1, Revision: r.revision, Noise: noise}})
}

func (r *reference) Alerts(_ context.Context, p *liaison.Principal, q store.AlertQuery) ([]store.Alert, error) {
	if p == nil {
		return nil, liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var mine []*refAlert
	for _, a := range r.alertList {
		if a.org == p.OrgID && a.Revision > q.AfterRevision {
			mine = append(mine, a)
		}
	}
	slices.SortFunc(mine, func(a, b *refAlert) int { return int(a.Revision - b.Revision) })
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 1000
	}
	var out []store.Alert
	for _, a := range mine[:min(len(mine), q.Limit)] {
		out = append(out, r.render(p, a))
	}
	return out, nil
}

func (r *reference) Alert(_ context.Context, p *liaison.Principal, id int64) (*store.Alert, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.alertList {
		if a.ID == id && p != nil && a.org == p.OrgID {
			out := r.render(p, a)
			return &out, nil
		}
	}
	return nil, liaison.Errorf(liaison.ENOTFOUND, "alert %d not found", id)
}

// render shows an alert to p: what p may see is linked, the rest named.
func (r *reference) render(p *liaison.Principal, a *refAlert) store.Alert {
	out := a.Alert
	out.Mine, out.Others = []store.Holding{}, []store.Holder{}
	names := map[string]string{}
	for _, o := range r.orgs {
		names[o.ID] = o.Name
	}
	byOrg := map[string]*store.Holder{}
	for _, it := range r.holdersOf(a.Selector) {
		var c *liaison.Collection
		for _, x := range r.colls {
			if x.ID == it.coll {
				c = x
			}
		}
		seen := c != nil && r.access(p, c).Read && r.mayRead(p, it)
		x, _ := r.matching(it, a.Selector)
		source := string(x.Source)
		h := store.Holding{ObjectID: it.ID, Type: it.Type, Version: it.VersionText(), Collection: it.coll, Source: source}
		if it.owner == p.OrgID {
			if seen {
				out.Mine = append(out.Mine, h)
			}
			continue
		}
		holder := byOrg[it.owner]
		if holder == nil {
			name := names[it.owner]
			if name == "" {
				name = it.owner
			}
			holder = &store.Holder{OrgID: it.owner, OrgName: name}
			byOrg[it.owner] = holder
		}
		if seen || r.bug == "alert-links-hidden" {
			holder.Objects = append(holder.Objects, h)
		} else {
			holder.Hidden = true
		}
	}
	for _, h := range byOrg {
		if r.bug == "alert-names-no-hidden" && len(h.Objects) == 0 {
			continue
		}
		out.Others = append(out.Others, *h)
	}
	slices.SortFunc(out.Others, func(a, b store.Holder) int { return strings.Compare(a.OrgName, b.OrgName) })
	return out
}

func (r *reference) RequestDisclosure(ctx context.Context, p *liaison.Principal, alertID int64, holderOrg, reason string) (*store.DisclosureRequest, error) {
	a, err := r.Alert(ctx, p, alertID)
	if err != nil {
		return nil, err
	}
	var hidden bool
	for _, h := range a.Others {
		if h.OrgID == holderOrg && h.Hidden {
			hidden = true
		}
	}
	if !hidden {
		return nil, liaison.Errorf(liaison.EINVALID, "no hidden record of %s matches alert %d", holderOrg, alertID)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, liaison.Errorf(liaison.EINVALID, "say why the record is needed")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var object string
	for _, it := range r.holdersOf(a.Selector) {
		if it.owner == holderOrg && !r.mayRead(p, it) && object == "" {
			object = it.ID
		}
	}
	d := &store.DisclosureRequest{ID: int64(len(r.disclosures) + 1), FromOrg: p.OrgID, FromUser: p.UserName, ToOrg: holderOrg,
		AlertID: alertID, Selector: a.Selector, Reason: reason, Created: time.Now().UTC(), State: "open", ObjectID: object}
	r.disclosures = append(r.disclosures, d)
	out := *d
	out.ObjectID = ""
	return &out, nil
}

func (r *reference) DisclosureRequests(_ context.Context, p *liaison.Principal) ([]store.DisclosureRequest, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []store.DisclosureRequest
	for _, d := range r.disclosures {
		if d.FromOrg == p.OrgID || d.ToOrg == p.OrgID {
			c := *d
			if c.ToOrg != p.OrgID {
				c.ObjectID = ""
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func (r *reference) AnswerDisclosure(_ context.Context, p *liaison.Principal, id int64, grant bool, answer string) (*store.DisclosureRequest, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range r.disclosures {
		if d.ID != id || d.ToOrg != p.OrgID {
			continue
		}
		if d.State != "open" {
			return nil, liaison.Errorf(liaison.ECONFLICT, "request %d was already %s", id, d.State)
		}
		d.State = "refused"
		if grant {
			d.State = "granted"
		}
		d.Answer, d.AnsweredBy, d.AnsweredAt = answer, p.UserName, time.Now().UTC()
		c := *d
		return &c, nil
	}
	return nil, liaison.Errorf(liaison.ENOTFOUND, "disclosure request %d not found", id)
}

func (r *reference) AddWarningValues(_ context.Context, p *liaison.Principal, list string, values []store.SelectorValue) (int, error) {
	if p == nil || !p.NodeAdmin {
		return 0, liaison.Errorf(liaison.EFORBIDDEN, "only node administrators may load warning lists")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.warned == nil {
		r.warned = map[store.SelectorValue]bool{}
	}
	n := 0
	for _, v := range values {
		if !r.warned[v] {
			r.warned[v] = true
			n++
		}
	}
	return n, nil
}

// inWarnedNetwork reports whether an address lies in a warning-listed network.
func (r *reference) inWarnedNetwork(s correlate.Selector) bool {
	for w := range r.warned {
		if strings.Contains(w.Value, "/") && w.Kind == string(s.Kind) &&
			correlate.Contains(correlate.Selector{Kind: correlate.Kind(w.Kind), Value: w.Value}, s) {
			return true
		}
	}
	return false
}

// stand evaluates the standing patterns for a batch just stored: every
// observation written against every indicator standing, and every
// indicator that stands against every observable stored. The reference
// has no cap and no order: it is what the store approximates.
func (r *reference) stand(stage []*staged) {
	if r.bug == "standing-ignored" {
		return
	}
	now := time.Now().UTC()
	fired := map[[2]string]bool{} // indicator item id|version, selector
	written := map[*refItem]bool{}
	for _, s := range stage {
		written[s.it] = true
		if s.it.Type == "indicator" {
			r.indicators = append(r.indicators, s.it)
		}
	}
	standing := r.standing(now)
	match := func(ind *refItem, st *correlate.Standing, obs *refItem, ob *correlate.Observed) {
		if r.bug == "standing-matches-type" {
			if !ob.Meets(st) {
				return
			}
		} else if ok, err := ob.Match(st); err != nil || !ok {
			return
		}
		sel, _, ok := ob.Key(st, correlate.Options{DefaultRegion: r.region(obs.owner)})
		if !ok {
			return
		}
		k := [2]string{ind.ID + "|" + ind.Version, sel.String()}
		if fired[k] {
			return
		}
		fired[k] = true
		x := correlate.Indexed{Selector: sel, Source: correlate.SourcePattern}
		if r.bug != "standing-no-holder" && !slices.Contains(ind.selectors, x) {
			ind.selectors = append(ind.selectors, x)
		}
		sv := store.SelectorValue{Kind: string(sel.Kind), Value: sel.Value}
		if obs.owner == ind.owner && r.bug != "standing-self-alert" {
			return
		}
		if (r.warned[sv] || r.inWarnedNetwork(sel)) && r.bug != "standing-warned-ignored" {
			return
		}
		total := 0
		for _, h := range r.holdersOf(sv) {
			if h != obs {
				total++
			}
		}
		for _, org := range []string{obs.owner, ind.owner} {
			r.raise(org, sv, now, total > store.NoiseThreshold)
		}
	}
	// Every observation written, against every indicator standing.
	for _, s := range stage {
		ob := r.observe(s.it)
		if ob == nil {
			continue
		}
		for ind, st := range standing {
			if ob.Meets(st) {
				match(ind, st, s.it, ob)
			}
		}
	}
	// Every indicator that began to stand, against every observable stored.
	if r.bug == "standing-forward-only" {
		return
	}
	for ind, st := range standing {
		if !written[ind] {
			continue
		}
		for _, items := range r.items {
			for _, it := range items {
				if it.deleted || it.Type == "observed-data" {
					continue
				}
				if ob := r.observe(it); ob != nil && ob.Meets(st) {
					match(ind, st, it, ob)
				}
			}
		}
	}
}

// standing returns the indicators whose patterns stand at now: the last
// version of each indicator in its collection, when correlate.StandingPattern
// lets it stand.
func (r *reference) standing(now time.Time) map[*refItem]*correlate.Standing {
	out := map[*refItem]*correlate.Standing{}
	for _, it := range r.indicators {
		if it.deleted && r.bug != "standing-deleted" {
			continue
		}
		if r.bug != "standing-old-versions" && r.newerIn(it.coll, it) {
			continue
		}
		o := parseRaw(it.Raw)
		if r.bug == "standing-revoked" {
			o.Revoked = false
		}
		at := now
		if r.bug == "standing-expired" {
			at = time.Time{}
		}
		st, err := correlate.StandingPattern(o, at, correlate.Options{DefaultRegion: r.region(it.owner)})
		if err == nil && st != nil {
			if r.bug == "standing-expired" {
				st.ValidUntil = time.Time{}
			}
			out[it] = st
		}
	}
	return out
}

// newerIn reports whether a collection holds a newer version of the item's object.
func (r *reference) newerIn(coll string, it *refItem) bool {
	for _, o := range r.items[coll] {
		if o.ID == it.ID && !o.deleted && o.Version > it.Version {
			return true
		}
	}
	return false
}

// observe makes the observation an item is: an SCO alone, when added, with
// the objects it references; observed-data as it reports.
func (r *reference) observe(it *refItem) *correlate.Observed {
	lookup := func(id string) []byte {
		for _, o := range r.items[it.coll] {
			if o.ID == id && !o.deleted {
				return o.Raw
			}
		}
		return nil
	}
	switch {
	case it.Type == "observed-data" && r.bug != "standing-lone-objects":
		return correlate.ObserveData(it.Raw, lookup)
	case parseRaw(it.Raw).Kind == stix.KindSCO:
		return correlate.ObserveSCO(it.Raw, it.DateAdded, lookup)
	}
	return nil
}
