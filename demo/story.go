package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/node"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// play tells the case, step by step, in the order it happened in the
// summer of 2003. Who holds what after each step follows from the markings
// alone: the operation's objects go to its members; TLP:GREEN and AMBER go
// to every partner reading the joint collections; a handling marking
// releasable to some countries goes to those only, and what a node received
// from one partner under it is never relayed to another. Who has custody
// of the dealer and of the crate follows from the handoffs and the
// decisions, each written at the node of the organisation that made it.
func (d *demo) play(ctx context.Context) error {
	ru, gb, us := d.agency("ru"), d.agency("gb"), d.agency("us")
	all := []string{"ru", "gb", "us"}

	// The Russian service opens the operation; its scope marking makes
	// everything of it visible to the members only.
	d.clock("2003-07-01 09:00")
	operation := ops.Operation{
		Common:     d.common(ru, "operation", d.when),
		Name:       "IGLA",
		Objective:  "Identify the buyers of the portable air-defence missile the dealer is offering, and arrest him at the hand-over.",
		Status:     ops.OperationOpen,
		LeadRef:    ru.Org.ID,
		MemberRefs: []string{ru.Org.ID, gb.Org.ID, us.Org.ID},
		Opened:     d.when,
	}
	scope := handling(d.when, map[string]any{"operation_ref": operation.ID})
	scope["name"] = "IGLA // members of the operation only"
	d.scope = scope["id"].(string)
	operation.Markings = []string{d.scope}
	dealer := sdo("identity", d.when, map[string]any{
		"name": "Semyon Arkadyevich Lorin", "identity_class": "individual",
		"description":         "Arms dealer offering a shoulder-fired surface-to-air missile (9K38 Igla) to buyers he believes are terrorists. A fictional person.",
		"object_marking_refs": []string{d.scope},
	})
	dealerID := dealer["id"].(string)
	operation.SubjectRefs = []string{dealerID}
	d.watch = newWatch(operation)
	d.names[dealerID], d.names[operation.ID] = "the dealer", "operation IGLA"
	b := d.batch()
	b.also("IGLA's scope marking", jsonObject(scope))
	b.add("the dealer (identity)", jsonObject(dealer))
	b.add("operation IGLA", operation)
	if err := d.playBatch(ctx, "The Russian service opens operation IGLA against the arms dealer. It leads; the British and American services are members. All of it carries the operation's marking: members only.",
		ru, b); err != nil {
		return err
	}

	// What the Russian service saw in June.
	d.clock("2003-07-01 10:00")
	spb := d.location(ru, "St Petersburg, Moscow Station", 59.9297, 30.362, "RU", "St Petersburg")
	redSquare := d.location(ru, "Moscow, Red Square", 55.7539, 37.6208, "RU", "Moscow")
	b = d.batch()
	b.sighting("sighting: St Petersburg, 3 June", ops.Sighting{Common: d.common(ru, "sighting", d.when), SightingOfRef: dealerID,
		WhereSightedRefs: []string{spb.ID, ru.Org.ID}, FirstSeen: at("2003-06-03 10:00"),
		Report: &ops.Report{Route: "From the Moscow Station along Nevsky Prospekt on foot", Carried: []string{"a black briefcase"}}}, &spb)
	b.sighting("sighting: Red Square, Moscow, 20 June", ops.Sighting{Common: d.common(ru, "sighting", d.when), SightingOfRef: dealerID,
		WhereSightedRefs: []string{redSquare.ID, ru.Org.ID}, FirstSeen: at("2003-06-20 14:30"), LastSeen: at("2003-06-20 14:55"),
		Report: &ops.Report{Companions: []string{"a man he takes for a buyer: the American undercover officer"},
			Notes: "Talked for twenty minutes; showed photographs of the launcher."}}, &redSquare)
	if err := d.playBatch(ctx, "The Russian service brings in what its surveillance saw in June: the dealer in St Petersburg, and in Red Square with a \"buyer\".",
		ru, b); err != nil {
		return err
	}

	// The American undercover officer's reports.
	d.clock("2003-07-01 12:00")
	national := d.location(us, "Moscow, Hotel National", 55.7567, 37.6146, "RU", "Moscow")
	b = d.batch()
	b.sighting("sighting: Hotel National, Moscow, 21 June", ops.Sighting{Common: d.common(us, "sighting", d.when), SightingOfRef: dealerID,
		WhereSightedRefs: []string{national.ID, us.Org.ID}, FirstSeen: at("2003-06-21 19:00"), LastSeen: at("2003-06-21 21:30"),
		Report: &ops.Report{Companions: []string{"the undercover officer, posing as a buyer for a terrorist group"},
			Notes: "Agreed the price and the delivery: the missile to be shipped to the United States in a crate declared as medical supplies."}}, &national)
	b.add("note: the undercover officer's report of the deal", jsonObject(sdo("note", d.when, map[string]any{
		"abstract":    "Undercover report: the deal",
		"content":     "The dealer takes the officer for a buyer. One launcher and missile, paid half in advance, half on delivery in New York; he will fly to London first to meet the officer again.",
		"object_refs": []string{dealerID, operation.ID}, "object_marking_refs": []string{d.scope},
	})))
	if err := d.playBatch(ctx, "The American undercover officer, whom the dealer takes for a buyer, reports their meeting at the Hotel National and the deal.",
		us, b); err != nil {
		return err
	}

	// His e-mail, shared TLP:AMBER with the partners.
	d.clock("2003-07-02 10:00")
	email := sdo("indicator", d.when, map[string]any{
		"name": "The dealer's e-mail to the buyers", "indicator_types": []string{"attribution"},
		"pattern": "[email-addr:value = 'lorin.trade@example.com']", "pattern_type": "stix", "valid_from": ts(d.when),
		"object_marking_refs": []string{stix.TLP2Amber},
	})
	if err := d.step(ctx, "The Russian service shares the address the dealer writes to his buyers from (TLP:AMBER: the operation's partners only).",
		ru, []map[string]any{email}, []expectation{{id: email["id"].(string), what: "the dealer's e-mail (indicator)", at: all}}); err != nil {
		return err
	}

	// The dealer's London handset: the Russian service shares it, the British
	// service holds it too, written its own way: both are alerted.
	if err := d.handset(ctx, ru, gb, dealerID); err != nil {
		return err
	}

	// The crate, and its custody chain: a handoff rejected, then replaced.
	d.clock("2003-07-15 12:00")
	b = d.batch()
	container := b.also("container CSQU 305438 3 (shipping-container)",
		d.scoped(correlate.ShippingContainer{ContainerNumber: "CSQU 305438 3", SizeType: "22G1"}.Object(correlate.Options{})))
	crate := ops.Consignment{
		Common:            d.common(us, "consignment", d.when),
		OperationRef:      operation.ID,
		Name:              "the crate labelled \"medical supplies\"",
		DeclaredContents:  "medical supplies",
		SuspectedContents: "a shoulder-fired surface-to-air missile (9K38 Igla) and its launcher",
		Identifiers: []ops.Identifier{
			{Kind: ops.IdentifierContainer, Value: "CSQU 305438 3"},  // ISO 6346, check digit 3
			{Kind: ops.IdentifierAirWaybill, Value: "176-1234567 5"}, // IATA: 1234567 mod 7 = 5
			{Kind: ops.IdentifierSeal, Value: "RU 0048213"},
		},
		ObjectRefs: []string{container},
		Legs: []ops.Leg{
			{Origin: "St Petersburg", Destination: "Baltimore", Carrier: "sea freight",
				Departure: at("2003-07-18 06:00"), Arrival: at("2003-08-04 15:00")},
			{Origin: "Baltimore", Destination: "New York (JFK)", Carrier: "air cargo", Departure: at("2003-08-11 09:00")},
		},
	}
	d.names[crate.ID] = "the crate"
	b.consignment("the crate (consignment)", crate)
	if err := d.playBatch(ctx, "The American bureau learns of the crate and records it in IGLA: declared \"medical supplies\", container CSQU 305438 3, air waybill 176-1234567 5.",
		us, b); err != nil {
		return err
	}

	d.clock("2003-07-17 08:00")
	toCustoms := ops.Handoff{Common: d.common(ru, "handoff", at("2003-07-15 13:00")), OperationRef: operation.ID, SubjectRef: crate.ID,
		ToRef: ru.Org.ID, ToTeam: "Customs surveillance, Port of St Petersburg", ToCountry: "RU",
		Proposed: at("2003-07-15 13:00"), Deadline: at("2003-07-16 13:00"), Reason: "The crate waits at the port for a ship."}
	port := d.location(ru, "Port of St Petersburg, Petrolesport terminal", 59.886, 30.215, "RU", "St Petersburg")
	b = d.batch()
	b.propose("handoff of the crate to the Russian customs team", toCustoms)
	b.decide("the customs team's acceptance", toCustoms, d.decision(ru, toCustoms, ops.Accepted, at("2003-07-15 14:00"), ""))
	b.sighting("sighting of the crate: Port of St Petersburg", ops.Sighting{Common: d.common(ru, "sighting", d.when), SightingOfRef: crate.ID,
		WhereSightedRefs: []string{port.ID, ru.Org.ID}, FirstSeen: at("2003-07-17 07:30"),
		Report: &ops.Report{Route: "By lorry from a warehouse in Avtovo to the container terminal",
			Notes: "Packed into container CSQU 305438 3 and sealed (RU 0048213), for Baltimore."}}, &port)
	if err := d.playBatch(ctx, "The Russian service, as lead, gives the crate to its own customs team at the port (proposed and accepted at its node); the team sees it packed into the container.",
		ru, b); err != nil {
		return err
	}

	d.clock("2003-07-18 06:00")
	toNewYorkPort := ops.Handoff{Common: d.common(ru, "handoff", d.when), OperationRef: operation.ID, SubjectRef: crate.ID,
		FromRef: ru.Org.ID, FromTeam: toCustoms.ToTeam, ToRef: us.Org.ID, ToTeam: "Port of New York and New Jersey", ToCountry: "US",
		Proposed: d.when, Deadline: at("2003-07-20 06:00"), Reason: "The ship has sailed; the bill of lading names New York."}
	b = d.batch()
	b.propose("handoff of the crate to the New York port team", toNewYorkPort)
	if err := d.playBatch(ctx, "The ship sails. The Russian service proposes that the American bureau's New York port team take the crate.",
		ru, b); err != nil {
		return err
	}

	d.clock("2003-07-18 10:00")
	b = d.batch()
	b.decide("the American bureau's rejection", toNewYorkPort, d.decision(us, toNewYorkPort, ops.Rejected, d.when,
		"The ship discharges at Baltimore, not New York: our Baltimore team must take it."))
	if err := d.playBatch(ctx, "The American bureau rejects it: the ship discharges at Baltimore. Until a handoff is accepted, the nodes show a gap.",
		us, b); err != nil {
		return err
	}

	d.clock("2003-07-18 12:00")
	toBaltimore := ops.Handoff{Common: d.common(ru, "handoff", d.when), OperationRef: operation.ID, SubjectRef: crate.ID,
		FromRef: ru.Org.ID, FromTeam: toCustoms.ToTeam, ToRef: us.Org.ID, ToTeam: "Port of Baltimore", ToCountry: "US",
		Proposed: d.when, Deadline: at("2003-07-20 12:00"), Reason: "Replaces the handoff to New York: the ship discharges at Baltimore."}
	b = d.batch()
	b.propose("handoff of the crate to the Baltimore port team", toBaltimore)
	if err := d.playBatch(ctx, "The Russian service proposes the Baltimore port team instead.", ru, b); err != nil {
		return err
	}

	d.clock("2003-07-19 09:00")
	b = d.batch()
	b.decide("the Baltimore team's acceptance", toBaltimore, d.decision(us, toBaltimore, ops.Accepted, d.when, ""))
	if err := d.playBatch(ctx, "The American bureau accepts: its Baltimore team holds the crate, and the gap is closed.", us, b); err != nil {
		return err
	}

	// The dealer goes to London: the lead assigns him to the British service.
	d.clock("2003-07-28 09:00")
	toLondon := ops.Handoff{Common: d.common(ru, "handoff", d.when), OperationRef: operation.ID, SubjectRef: dealerID,
		ToRef: gb.Org.ID, ToTeam: "A4 surveillance, London", ToCountry: "GB",
		Proposed: d.when, Deadline: at("2003-07-29 09:00"), Reason: "He flies to London on 30 July."}
	b = d.batch()
	b.propose("handoff of the dealer to the British service", toLondon)
	if err := d.playBatch(ctx, "The dealer is to fly to London. The Russian service, as lead, assigns him to the British service's surveillance there.",
		ru, b); err != nil {
		return err
	}

	d.clock("2003-07-28 16:00")
	b = d.batch()
	b.decide("the British service's acceptance", toLondon, d.decision(gb, toLondon, ops.Accepted, d.when, "A4 meets him at Heathrow."))
	if err := d.playBatch(ctx, "The British service accepts at its node; every node now derives that it holds the dealer.", gb, b); err != nil {
		return err
	}

	// British holdings, for the Americans only.
	d.clock("2003-08-01 10:00")
	relUS := handling(d.when, map[string]any{"classification": "SECRET", "releasable_to": []string{"GB", "US"},
		"handling_code": "H2", "source_reliability": "B", "information_credibility": "2"})
	relUS["name"] = "SECRET // REL TO GB, US // H2 // B2"
	london := sdo("location", d.when, map[string]any{"name": "Hatton Garden, London", "latitude": 51.5201, "longitude": -0.1087,
		"country": "GB", "city": "London", "object_marking_refs": []string{relUS["id"].(string)}})
	raid := sdo("report", d.when, map[string]any{
		"name": "Addresses in London to be raided", "report_types": []string{"threat-actor"}, "published": ts(d.when),
		"description": "The dealer's associate keeps a workshop in Hatton Garden; a raid is planned for the day the dealer flies out.",
		"object_refs": []string{dealerID, london["id"].(string)}, "object_marking_refs": []string{relUS["id"].(string)},
	})
	if err := d.step(ctx, "The British service shares its London holdings with the Americans only (SECRET // REL TO GB, US // H2).",
		gb, []map[string]any{relUS, london, raid}, []expectation{
			{id: london["id"].(string), what: "Hatton Garden workshop (location)", at: []string{"gb", "us"}},
			{id: raid["id"].(string), what: "report: London addresses to raid", at: []string{"gb", "us"}},
		}); err != nil {
		return err
	}

	// One object released to the Americans alone.
	d.clock("2003-08-04 10:00")
	usOnly := handling(d.when, map[string]any{"releasable_to": []string{"US"}, "handling_code": "H2",
		"source_reliability": "A", "information_credibility": "1"})
	usOnly["name"] = "REL TO US // H2 // A1"
	cover := sdo("note", d.when, map[string]any{
		"abstract":    "Meeting arranged for the American undercover officer",
		"content":     "The dealer will meet the officer posing as a buyer in London; he believes the buyer is a terrorist cell.",
		"object_refs": []string{dealerID}, "object_marking_refs": []string{usOnly["id"].(string)},
	})
	if err := d.step(ctx, "The Russian service releases the undercover officer's meeting arrangements to the Americans alone (REL TO US).",
		ru, []map[string]any{usOnly, cover}, []expectation{{id: cover["id"].(string), what: "note: the undercover meeting", at: []string{"ru", "us"}}}); err != nil {
		return err
	}

	d.clock("2003-08-05 19:00")
	paddington := ops.Location{Common: d.common(us, "location", d.when), Name: "a hotel in Paddington", Country: "GB", City: "London"}
	b = d.batch()
	van := b.also("the white van LR03 KXT (vehicle)", d.scoped(correlate.Vehicle{RegistrationCountry: "GB", Registration: "LR03 KXT",
		Make: "Ford", Model: "Transit", Colour: "white"}.Object(correlate.Options{})))
	b.sighting("sighting: a hotel in Paddington, 5 August", ops.Sighting{Common: d.common(us, "sighting", d.when), SightingOfRef: dealerID,
		WhereSightedRefs: []string{paddington.ID, us.Org.ID}, FirstSeen: at("2003-08-05 18:00"),
		Report: &ops.Report{Route: "Arrived by the white van from Edgware Road", VehicleRef: van, Carried: []string{"a holdall"},
			Notes: "Met the officer in the bar: the crate is on its way; the balance is to be paid in New York."}}, &paddington)
	if err := d.playBatch(ctx, "The undercover officer meets the dealer again, at his hotel in Paddington (a place without coordinates: on the timeline, not on the map).",
		us, b); err != nil {
		return err
	}

	// The raids, tasked by the lead.
	d.clock("2003-08-06 09:00")
	raidTask := func(what string) ops.Task {
		return ops.Task{Common: d.common(ru, "task", d.when), OperationRef: operation.ID, AssigneeRef: gb.Org.ID,
			Description: what, Status: ops.TaskOpen, Due: at("2003-08-12 12:00")}
	}
	workshop := raidTask("Search the associate's workshop in Hatton Garden once the dealer has left for the airport.")
	lockUp := raidTask("Search the lock-up on Edgware Road where the white van is kept, at the same hour.")
	b = d.batch()
	b.task("task: raid the Hatton Garden workshop", workshop)
	b.task("task: raid the Edgware Road lock-up", lockUp)
	if err := d.playBatch(ctx, "The Russian service tasks the British service with raids on two London addresses, for the day the dealer flies out.",
		ru, b); err != nil {
		return err
	}

	d.clock("2003-08-10 11:00")
	seagirt := d.location(us, "Port of Baltimore, Seagirt Marine Terminal", 39.2547, -76.55, "US", "Baltimore")
	toNewYorkTeam := ops.Handoff{Common: d.common(us, "handoff", at("2003-08-10 09:00")), OperationRef: operation.ID, SubjectRef: crate.ID,
		FromRef: us.Org.ID, FromTeam: toBaltimore.ToTeam, ToRef: us.Org.ID, ToTeam: "New York field office surveillance", ToCountry: "US",
		Proposed: at("2003-08-10 09:00"), Deadline: at("2003-08-11 09:00"), Reason: "The crate is flown to JFK on 11 August, under air waybill 176-1234567 5."}
	b = d.batch()
	b.sighting("sighting of the crate: Port of Baltimore", ops.Sighting{Common: d.common(us, "sighting", d.when), SightingOfRef: crate.ID,
		WhereSightedRefs: []string{seagirt.ID, us.Org.ID}, FirstSeen: at("2003-08-04 15:00"),
		Report: &ops.Report{Notes: "Discharged from the ship; seal RU 0048213 intact; booked on to New York by air."}}, &seagirt)
	b.propose("handoff of the crate to the New York team", toNewYorkTeam)
	b.decide("the New York team's acceptance of the crate", toNewYorkTeam, d.decision(us, toNewYorkTeam, ops.Accepted, d.when, ""))
	if err := d.playBatch(ctx, "The crate was landed at Baltimore; it is flown on to New York, and the bureau's Baltimore team hands it to its New York team.",
		us, b); err != nil {
		return err
	}

	// The flight: the British service hands the dealer to the officer.
	d.clock("2003-08-12 06:00")
	toFlight := ops.Handoff{Common: d.common(gb, "handoff", d.when), OperationRef: operation.ID, SubjectRef: dealerID,
		FromRef: gb.Org.ID, FromTeam: toLondon.ToTeam, ToRef: us.Org.ID, ToTeam: "Undercover officer, flight BA175", ToCountry: "GB",
		Proposed: d.when, Deadline: at("2003-08-12 09:00"), Reason: "He boards BA175 to New York with the officer he believes to be his buyer."}
	b = d.batch()
	b.propose("handoff of the dealer to the undercover officer", toFlight)
	if err := d.playBatch(ctx, "The dealer leaves for Heathrow. The British service proposes that the American officer flying with him take over.",
		gb, b); err != nil {
		return err
	}

	d.clock("2003-08-12 08:45")
	heathrow := d.location(us, "London Heathrow Airport, Terminal 4", 51.4584, -0.4459, "GB", "London")
	b = d.batch()
	b.decide("the American bureau's acceptance", toFlight, d.decision(us, toFlight, ops.Accepted, at("2003-08-12 07:30"), ""))
	b.sighting("sighting: Heathrow, 12 August", ops.Sighting{Common: d.common(us, "sighting", d.when), SightingOfRef: dealerID,
		WhereSightedRefs: []string{heathrow.ID, us.Org.ID}, FirstSeen: d.when,
		Report: &ops.Report{Route: "Check-in to the gate of BA175 to New York", Carried: []string{"a holdall"}}}, &heathrow)
	if err := d.playBatch(ctx, "The American bureau accepts; its officer checks in with the dealer at Heathrow.", us, b); err != nil {
		return err
	}

	d.clock("2003-08-12 11:30")
	b = d.batch()
	b.add("note: the British raids", jsonObject(sdo("note", d.when, map[string]any{
		"abstract":    "Raids in London",
		"content":     "Both addresses searched at 11:00 while the dealer was over the Atlantic. The workshop held the launcher's manuals; the van held packing for a crate of the same size.",
		"object_refs": []string{workshop.ID, lockUp.ID, dealerID}, "object_marking_refs": []string{d.scope},
	})))
	if err := d.playBatch(ctx, "While the dealer is in the air, the British service raids both London addresses and reports.", gb, b); err != nil {
		return err
	}

	d.clock("2003-08-12 17:20")
	toNewYork := ops.Handoff{Common: d.common(us, "handoff", at("2003-08-12 14:00")), OperationRef: operation.ID, SubjectRef: dealerID,
		FromRef: us.Org.ID, FromTeam: toFlight.ToTeam, ToRef: us.Org.ID, ToTeam: "New York field office surveillance", ToCountry: "US",
		Proposed: at("2003-08-12 14:00"), Deadline: at("2003-08-12 18:00"), Reason: "A fresh team takes over on arrival at JFK."}
	jfk := d.location(us, "John F. Kennedy International Airport, New York", 40.6413, -73.7781, "US", "New York")
	b = d.batch()
	b.propose("handoff of the dealer to the New York team", toNewYork)
	b.decide("the New York team's acceptance of the dealer", toNewYork, d.decision(us, toNewYork, ops.Accepted, at("2003-08-12 17:10"), ""))
	b.sighting("sighting: JFK, New York, 12 August", ops.Sighting{Common: d.common(us, "sighting", d.when), SightingOfRef: dealerID,
		WhereSightedRefs: []string{jfk.ID, us.Org.ID}, FirstSeen: d.when,
		Report: &ops.Report{Route: "Arrivals hall, Terminal 7, by taxi to the air-cargo area"}}, &jfk)
	if err := d.playBatch(ctx, "Before BA175 lands, the bureau hands the dealer from its officer to a fresh New York team, which sees him arrive at JFK.",
		us, b); err != nil {
		return err
	}

	// The arrest.
	d.clock("2003-08-12 19:45")
	cargo := d.location(us, "JFK Airport, air cargo area, New York", 40.66, -73.79, "US", "New York")
	b = d.batch()
	b.sighting("sighting of the crate: collected at JFK", ops.Sighting{Common: d.common(us, "sighting", d.when), SightingOfRef: crate.ID,
		WhereSightedRefs: []string{cargo.ID, us.Org.ID}, FirstSeen: at("2003-08-12 19:30"),
		Report: &ops.Report{CompanionRefs: []string{dealerID}, Notes: "Signed for by the dealer at the bonded warehouse."}}, &cargo)
	b.sighting("sighting: the dealer collects the crate", ops.Sighting{Common: d.common(us, "sighting", d.when), SightingOfRef: dealerID,
		WhereSightedRefs: []string{cargo.ID, us.Org.ID}, FirstSeen: at("2003-08-12 19:30"),
		Report: &ops.Report{Carried: []string{"the crate labelled \"medical supplies\""}, Notes: "Arrested at 19:40 as he signed for the crate."}}, &cargo)
	if err := d.playBatch(ctx, "The dealer collects the crate at JFK's air-cargo area, and the New York team arrests him.", us, b); err != nil {
		return err
	}

	// The lead closes the tasks and the operation: new versions, by their creator.
	d.clock("2003-08-12 22:00")
	b = d.batch()
	for _, t := range []*ops.Task{&workshop, &lockUp} {
		t.Modified, t.Status = at("2003-08-12 21:00"), ops.TaskDone
	}
	b.task("task: raid the Hatton Garden workshop, done", workshop)
	b.task("task: raid the Edgware Road lock-up, done", lockUp)
	closed := operation
	closed.Modified, closed.Status, closed.Closed = d.when, ops.OperationClosed, d.when
	b.add("operation IGLA, closed", closed)
	d.watch.close(d.when)
	if err := d.playBatch(ctx, "The Russian service closes the raid tasks and the operation (new versions, which only their creator may publish).",
		ru, b); err != nil {
		return err
	}
	return nil
}

// clock sets the story's present, in UTC.
func (d *demo) clock(s string) { d.when = at(s) }

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// location is a place of the operation, with its real coordinates.
func (d *demo) location(by *Agency, name string, lat, lon float64, country, city string) ops.Location {
	return ops.Location{Common: d.common(by, "location", d.when), Name: name, Point: &ops.Point{Latitude: lat, Longitude: lon},
		Country: country, City: city}
}

// decision is an agency's answer to a handoff, written when it decides.
func (d *demo) decision(by *Agency, h ops.Handoff, decision string, decided time.Time, reason string) ops.Decision {
	return ops.Decision{Common: d.common(by, "handoff-decision", decided), HandoffRef: h.ID, Decision: decision, Decided: decided, Reason: reason}
}

// scoped puts an observable built by correlate under the operation's
// marking.
func (d *demo) scoped(raw []byte, err error) builder {
	return scopedSCO{raw: raw, err: err, scope: d.scope}
}

// handset plays the moment the case turns on: two services already held the
// same number, and the system notices. The Russian note ties the number to
// the dealer, which is how the board's link graph knows it for his.
func (d *demo) handset(ctx context.Context, ru, gb *Agency, dealerID string) error {
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
	d.clock("2003-07-03 10:00")
	theirs := phone(intercepted, stix.TLP2Green)
	note := sdo("note", d.when, map[string]any{"abstract": "The dealer calls his London contact",
		"content":     "Intercepted calls from St Petersburg to a London mobile, " + intercepted + ".",
		"object_refs": []string{theirs["id"].(string), dealerID}, "object_marking_refs": []string{stix.TLP2Green}})
	if err := d.step(ctx, "The Russian service shares the London mobile the dealer calls, "+intercepted+" (TLP:GREEN).",
		ru, []map[string]any{theirs, note}, []expectation{{id: theirs["id"].(string), what: "the London mobile (phone number)", at: []string{"ru", "gb", "us"}}}); err != nil {
		return err
	}
	d.clock("2003-07-04 10:00")
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
