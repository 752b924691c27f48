package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// play tells the case, step by step. Who holds what after each step follows
// from the markings alone: TLP:GREEN and AMBER go to every partner reading
// the joint collections; a handling marking releasable to some countries
// goes to those only, and what a node received from one partner under it is
// never relayed to another.
func (d *demo) play(ctx context.Context) error {
	ru, gb, us := d.agency("ru"), d.agency("gb"), d.agency("us")
	now := time.Now().UTC().Truncate(time.Millisecond)
	all := []string{"ru", "gb", "us"}

	// 1. The Russian service spots the dealer in St Petersburg and Moscow.
	dealer := sdo("identity", now, map[string]any{
		"name": "Semyon Arkadyevich Lorin", "identity_class": "individual",
		"description":         "Arms dealer offering a shoulder-fired surface-to-air missile (9K38 Igla) to buyers he believes are terrorists. A fictional person.",
		"object_marking_refs": []string{stix.TLP2Green},
	})
	spb := sdo("location", now, map[string]any{"name": "St Petersburg, Moscow Station", "latitude": 59.9297, "longitude": 30.3620,
		"country": "RU", "city": "St Petersburg", "object_marking_refs": []string{stix.TLP2Green}})
	msk := sdo("location", now, map[string]any{"name": "Moscow, Leningradsky Station", "latitude": 55.7766, "longitude": 37.6553,
		"country": "RU", "city": "Moscow", "object_marking_refs": []string{stix.TLP2Green}})
	seenSPb := sdo("sighting", now, map[string]any{"sighting_of_ref": dealer["id"], "where_sighted_refs": []string{spb["id"].(string)},
		"first_seen": ts(now.Add(-72 * time.Hour)), "last_seen": ts(now.Add(-71 * time.Hour)), "count": 1,
		"description": "Surveillance team: the subject meets a courier on the platform.", "object_marking_refs": []string{stix.TLP2Green}})
	seenMsk := sdo("sighting", now, map[string]any{"sighting_of_ref": dealer["id"], "where_sighted_refs": []string{msk["id"].(string)},
		"first_seen": ts(now.Add(-48 * time.Hour)), "last_seen": ts(now.Add(-47 * time.Hour)), "count": 1,
		"description": "The subject arrives on the overnight train and takes a taxi to the city centre.", "object_marking_refs": []string{stix.TLP2Green}})
	if err := d.step(ctx, "The Russian service spots the dealer in St Petersburg and Moscow, and shares it with both partners (TLP:GREEN).",
		ru, []map[string]any{dealer, spb, msk, seenSPb, seenMsk}, []expectation{
			{id: dealer["id"].(string), what: "the dealer (identity)", at: all},
			{id: seenSPb["id"].(string), what: "sighting in St Petersburg", at: all},
			{id: seenMsk["id"].(string), what: "sighting in Moscow", at: all},
		}); err != nil {
		return err
	}

	// 2. His London handset, shared TLP:AMBER with the partners of the operation.
	phone := sdo("indicator", now, map[string]any{
		"name": "The dealer's e-mail to the buyers", "indicator_types": []string{"attribution"},
		"pattern": "[email-addr:value = 'lorin.trade@example.com']", "pattern_type": "stix", "valid_from": ts(now),
		"object_marking_refs": []string{stix.TLP2Amber},
	})
	if err := d.step(ctx, "The Russian service shares the address the dealer writes to his buyers from (TLP:AMBER: the operation's partners only).",
		ru, []map[string]any{phone}, []expectation{{id: phone["id"].(string), what: "the dealer's e-mail (indicator)", at: all}}); err != nil {
		return err
	}

	// The dealer's London handset: the Russian service shares it, the British
	// service holds it too, written its own way: both are alerted.
	if err := d.handset(ctx, ru, gb, now); err != nil {
		return err
	}

	// 3. British holdings, for the Americans only.
	relUS := handling(now, map[string]any{"classification": "SECRET", "releasable_to": []string{"GB", "US"},
		"handling_code": "H2", "source_reliability": "B", "information_credibility": "2"})
	relUS["name"] = "SECRET // REL TO GB, US // H2 // B2"
	london := sdo("location", now, map[string]any{"name": "Hatton Garden, London", "latitude": 51.5201, "longitude": -0.1087,
		"country": "GB", "city": "London", "object_marking_refs": []string{relUS["id"].(string)}})
	raid := sdo("report", now, map[string]any{
		"name": "Addresses in London to be raided", "report_types": []string{"threat-actor"}, "published": ts(now),
		"description": "The dealer's associate keeps a workshop in Hatton Garden; a raid is planned for the day the dealer flies out.",
		"object_refs": []string{dealer["id"].(string), london["id"].(string)}, "object_marking_refs": []string{relUS["id"].(string)},
	})
	if err := d.step(ctx, "The British service shares its London holdings with the Americans only (SECRET // REL TO GB, US // H2).",
		gb, []map[string]any{relUS, london, raid}, []expectation{
			{id: london["id"].(string), what: "Hatton Garden workshop (location)", at: []string{"gb", "us"}},
			{id: raid["id"].(string), what: "report: London addresses to raid", at: []string{"gb", "us"}},
		}); err != nil {
		return err
	}

	// 4. One object released to the Americans alone.
	usOnly := handling(now, map[string]any{"releasable_to": []string{"US"}, "handling_code": "H2",
		"source_reliability": "A", "information_credibility": "1"})
	usOnly["name"] = "REL TO US // H2 // A1"
	cover := sdo("note", now, map[string]any{
		"abstract":    "Meeting arranged for the American undercover officer",
		"content":     "The dealer will meet the officer posing as a buyer in London; he believes the buyer is a terrorist cell.",
		"object_refs": []string{dealer["id"].(string)}, "object_marking_refs": []string{usOnly["id"].(string)},
	})
	if err := d.step(ctx, "The Russian service releases the undercover officer's meeting arrangements to the Americans alone (REL TO US).",
		ru, []map[string]any{usOnly, cover}, []expectation{{id: cover["id"].(string), what: "note: the undercover meeting", at: []string{"ru", "us"}}}); err != nil {
		return err
	}

	// 5. The Americans take over in New York.
	jfk := sdo("location", now, map[string]any{"name": "John F. Kennedy International Airport, New York", "latitude": 40.6413,
		"longitude": -73.7781, "country": "US", "city": "New York", "object_marking_refs": []string{stix.TLP2Green}})
	flight := sdo("sighting", now, map[string]any{"sighting_of_ref": dealer["id"], "where_sighted_refs": []string{jfk["id"].(string)},
		"first_seen": ts(now), "last_seen": ts(now), "count": 1,
		"description":         "An agent follows the dealer onto the flight from London Heathrow; a fresh team takes over surveillance on arrival.",
		"object_marking_refs": []string{stix.TLP2Green}})
	if err := d.step(ctx, "The American bureau follows the dealer from London to New York, where a fresh team takes over (TLP:GREEN).",
		us, []map[string]any{jfk, flight}, []expectation{{id: flight["id"].(string), what: "sighting at JFK, New York", at: all}}); err != nil {
		return err
	}
	return nil
}

// handset plays the moment the case turns on: two services already held the
// same number, and the system notices.
func (d *demo) handset(ctx context.Context, ru, gb *Agency, now time.Time) error {
	const intercepted = "+44 7700 900123" // as the Russian intercept logged it
	const british = "07700 900123"        // as the British record has it: a UK national number
	phone := func(value string, marking string) map[string]any {
		id, err := correlate.SCOID(correlate.TypePhoneNumber, map[string]any{"value": value})
		if err != nil {
			panic(err)
		}
		return map[string]any{"type": correlate.TypePhoneNumber, "spec_version": "2.1", "id": id, "value": value,
			"object_marking_refs": []string{marking},
			"extensions":          map[string]any{correlate.PhoneNumberExtension: map[string]any{"extension_type": "new-sco"}}}
	}
	theirs := phone(intercepted, stix.TLP2Green)
	note := sdo("note", now, map[string]any{"abstract": "The dealer calls his London contact",
		"content":     "Intercepted calls from St Petersburg to a London mobile, " + intercepted + ".",
		"object_refs": []string{theirs["id"].(string)}, "object_marking_refs": []string{stix.TLP2Green}})
	if err := d.step(ctx, "The Russian service shares the London mobile the dealer calls, "+intercepted+" (TLP:GREEN).",
		ru, []map[string]any{theirs, note}, []expectation{{id: theirs["id"].(string), what: "the London mobile (phone number)", at: []string{"ru", "gb", "us"}}}); err != nil {
		return err
	}
	ours := phone(british, stix.TLP2Amber)
	if err := d.step(ctx, "The British service records the same handset from its own London inquiry, written "+british+" (TLP:AMBER).",
		gb, []map[string]any{ours}, []expectation{{id: ours["id"].(string), what: "the British record of the handset", at: []string{"ru", "gb", "us"}}}); err != nil {
		return err
	}
	// Both services see the alert: the value is the same number, +447700900123.
	want, _ := correlate.Normalise(correlate.KindPhone, british, correlate.Options{DefaultRegion: "GB"})
	for _, a := range []*Agency{gb, ru} {
		alert, err := d.waitAlert(ctx, a, string(want.Kind), want.Value)
		if err != nil {
			return err
		}
		var others []string
		for _, h := range alert.Others {
			others = append(others, h.OrgName)
		}
		d.say("   ALERT at the %s: %s %s is also held by %s", a.Name, want.Kind, want.Value, strings.Join(others, ", "))
	}
	d.alerts = 2
	return nil
}

// waitAlert waits until an agency's organisation has an alert for a selector.
func (d *demo) waitAlert(ctx context.Context, a *Agency, kind, value string) (*store.Alert, error) {
	p, err := node.PrincipalFor(ctx, a.Store, a.Analyst)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(d.opt.Wait)
	for {
		as, err := a.Store.Alerts(ctx, p, store.AlertQuery{})
		if err != nil {
			return nil, err
		}
		for i := range as {
			if as[i].Selector.Kind == kind && as[i].Selector.Value == value && len(as[i].Others) > 0 {
				return &as[i], nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no alert for %s %s at the %s after %s", kind, value, a.Name, d.opt.Wait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
