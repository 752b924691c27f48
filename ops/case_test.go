package ops

import (
	"testing"
	"time"

	"github.com/liaison-intel/liaison/stix"
)

// The case of DESIGN.md as the three services would write it: the Russian
// service opens the operation and leads it, the dealer is followed from St
// Petersburg and Moscow to London, onto a flight and to New York, and the
// crate labelled "medical supplies" is followed to its collection. The
// people are fictional, the places real. The examples of
// docs/EXTENSIONS.md and docs/OPERATIONS.md are these objects.

const (
	ru     = "identity--9e4d2b13-6a7c-4f1e-8b3d-5c2a7e9f0d31" // the Russian service, lead
	gb     = "identity--f2b0c3c4-8f63-4d35-9d6a-2f0a6a1c9a01" // the British service
	us     = "identity--7c3e9a51-2f4b-4d8e-9a6c-1b5d3e7f9a20" // the American bureau
	dealer = "identity--0b6d7a3e-4c1f-4e8a-9d2b-6f3e1a5c7d90" // Semyon Arkadyevich Lorin, individual
	van    = "vehicle--9c0a8451-778a-51db-a796-16456022f5f0"  // the white Ford Transit, LR03 KXT
	// scope is the handling marking with the operation's operation_ref:
	// only members read what carries it.
	scope = "marking-definition--d3a8c1f0-87d1-4716-9330-12020f764c4a"

	operationID = "operation--a48b617e-6df4-4dd9-8a7b-a6ab595f933a"
	crateID     = "consignment--3a9b4f7f-7068-42b2-b167-8c953fc91876"
	raidTaskID  = "task--22552701-32c2-4c09-b024-b40917c1e70c"

	toStPetersburg = "handoff--7f2a988d-0fce-4fb1-a959-c0375f93f848"
	toLondon       = "handoff--37a1a2af-6e3f-4f99-83ba-13a87defe71f"
	toFlight       = "handoff--ddc4f142-2564-4c94-a309-5da4bb6d8012"
	toNewYork      = "handoff--30aae478-fd07-4948-b1a3-2d3a2b861a04"
	crateToPort    = "handoff--8acbf060-a315-4d1b-b395-1636ec20eaf0"

	acceptStPetersburg = "handoff-decision--17e195a8-88d2-4db1-b33e-0789f1d11882"
	acceptLondon       = "handoff-decision--816dc5af-c070-4b34-bd11-912dbd8584c0"
	acceptFlight       = "handoff-decision--e5ff0f72-4c27-4667-8cf0-0ca6173232a9"
	acceptNewYork      = "handoff-decision--99b91333-f13b-42a4-afb7-4655877cba61"
	acceptCrate        = "handoff-decision--95c9f00f-cd80-44e6-87b5-30a3957b955c"

	stPetersburg = "location--be46aa98-43c8-446f-9f4b-e25f45673824"
	moscow       = "location--4dada2b7-c8c6-462f-a9e9-07e75be87788"
	heathrow     = "location--832e101d-65e5-4318-8fcd-f8a2b04e3c32"
	jfk          = "location--f58f5b9e-27d2-468e-a16f-563bf9a77ed2"
	paddington   = "location--16b96a3b-64e3-4b23-9ebb-660e8225423b" // a hotel: no coordinates

	seenStPetersburg = "sighting--4a51672f-dc29-46f9-84a7-881a81585974"
	seenMoscow       = "sighting--16ad491c-d8f7-45f0-af44-a8366e2fc951"
	seenPaddington   = "sighting--a87b07e5-94ed-45bb-b4aa-92988539c72f"
	seenHeathrow     = "sighting--e2c80467-1801-471a-89e0-bd2ee8ab1796"
	seenJFK          = "sighting--58c94446-513a-4f15-91d0-60ac5f82061e"
)

// ts reads a STIX timestamp.
func ts(s string) time.Time {
	t, err := stix.ParseTimestamp(s)
	if err != nil {
		panic(err)
	}
	return t.Time
}

func common(id, by, created string) Common {
	return Common{ID: id, CreatedByRef: by, Created: ts(created), Markings: []string{scope}}
}

var (
	caseOperation = Operation{
		Common:      common(operationID, ru, "2003-06-02T08:00:00.000Z"),
		Name:        "NORTHERN CRATE",
		Objective:   "Identify the buyers of the portable air-defence missile Lorin is offering, and arrest him at the hand-over.",
		Status:      OperationOpen,
		LeadRef:     ru,
		MemberRefs:  []string{ru, gb, us},
		SubjectRefs: []string{dealer}, // the crate is followed as a consignment of the operation
		Opened:      ts("2003-06-02T08:00:00.000Z"),
	}
	// caseClosed is the operation's last version: the arrest closes it.
	caseClosed = func() Operation {
		op := caseOperation
		op.Modified = ts("2003-08-12T22:00:00.000Z")
		op.Status, op.Closed = OperationClosed, ts("2003-08-12T22:00:00.000Z")
		return op
	}()

	caseTask = Task{
		Common:       common(raidTaskID, ru, "2003-08-06T09:00:00.000Z"),
		OperationRef: operationID,
		AssigneeRef:  gb,
		Description:  "Search the two London addresses Lorin used, at the same hour, after he has left for the airport.",
		Status:       TaskOpen,
		Due:          ts("2003-08-12T12:00:00.000Z"),
	}

	caseCrate = Consignment{
		Common:            common(crateID, us, "2003-07-15T12:00:00.000Z"),
		OperationRef:      operationID,
		Name:              "the crate labelled \"medical supplies\"",
		DeclaredContents:  "medical supplies",
		SuspectedContents: "a shoulder-fired surface-to-air missile (9K38 Igla) and its launcher",
		Identifiers: []Identifier{
			{Kind: IdentifierContainer, Value: "CSQU 305438 3"},
			{Kind: IdentifierAirWaybill, Value: "176-1234567 5"},
			{Kind: IdentifierSeal, Value: "RU 0048213"},
		},
		ObjectRefs: []string{"shipping-container--2edcc8eb-8099-5c15-af76-d483d90b8dd5"},
		Legs: []Leg{
			{Origin: "St Petersburg", Destination: "Baltimore", Carrier: "sea freight",
				Departure: ts("2003-07-18T06:00:00.000Z"), Arrival: ts("2003-08-04T15:00:00.000Z")},
			{Origin: "Baltimore", Destination: "New York", Carrier: "road haulage"},
		},
	}

	caseHandoffs = []Handoff{
		{Common: common(toStPetersburg, ru, "2003-06-02T08:05:00.000Z"), OperationRef: operationID, SubjectRef: dealer,
			ToRef: ru, ToTeam: "Surveillance, St Petersburg", ToCountry: "RU",
			Proposed: ts("2003-06-02T08:05:00.000Z"), Deadline: ts("2003-06-02T12:00:00.000Z"),
			Reason: "Lorin lives in St Petersburg."},
		{Common: common(crateToPort, ru, "2003-07-15T13:00:00.000Z"), OperationRef: operationID, SubjectRef: crateID,
			ToRef: us, ToTeam: "Port of Baltimore", ToCountry: "US",
			Proposed: ts("2003-07-15T13:00:00.000Z"), Deadline: ts("2003-07-17T13:00:00.000Z"),
			Reason: "The crate is to be shipped to Baltimore."},
		{Common: common(toLondon, ru, "2003-07-28T09:00:00.000Z"), OperationRef: operationID, SubjectRef: dealer,
			FromRef: ru, FromTeam: "Surveillance, St Petersburg", ToRef: gb, ToTeam: "A4 surveillance, London", ToCountry: "GB",
			Proposed: ts("2003-07-28T09:00:00.000Z"), Deadline: ts("2003-07-29T09:00:00.000Z"),
			Reason: "Lorin flies to London on 30 July."},
		{Common: common(toFlight, gb, "2003-08-12T06:00:00.000Z"), OperationRef: operationID, SubjectRef: dealer,
			FromRef: gb, FromTeam: "A4 surveillance, London", ToRef: us, ToTeam: "Undercover officer, flight BA175", ToCountry: "GB",
			Proposed: ts("2003-08-12T06:00:00.000Z"), Deadline: ts("2003-08-12T09:00:00.000Z"),
			Reason: "Lorin boards BA175 to New York with the officer he believes to be his buyer."},
		{Common: common(toNewYork, us, "2003-08-12T14:00:00.000Z"), OperationRef: operationID, SubjectRef: dealer,
			FromRef: us, FromTeam: "Undercover officer, flight BA175", ToRef: us, ToTeam: "New York field office surveillance", ToCountry: "US",
			Proposed: ts("2003-08-12T14:00:00.000Z"), Deadline: ts("2003-08-12T18:00:00.000Z"),
			Reason: "A fresh team takes over on arrival at JFK."},
	}

	caseDecisions = []Decision{
		{Common: common(acceptStPetersburg, ru, "2003-06-02T08:20:00.000Z"), HandoffRef: toStPetersburg,
			Decision: Accepted, Decided: ts("2003-06-02T08:20:00.000Z")},
		{Common: common(acceptCrate, us, "2003-07-16T09:00:00.000Z"), HandoffRef: crateToPort,
			Decision: Accepted, Decided: ts("2003-07-16T09:00:00.000Z")},
		{Common: common(acceptLondon, gb, "2003-07-28T16:00:00.000Z"), HandoffRef: toLondon,
			Decision: Accepted, Decided: ts("2003-07-28T16:00:00.000Z"), Reason: "A4 meets him at Heathrow."},
		{Common: common(acceptFlight, us, "2003-08-12T07:30:00.000Z"), HandoffRef: toFlight,
			Decision: Accepted, Decided: ts("2003-08-12T07:30:00.000Z")},
		{Common: common(acceptNewYork, us, "2003-08-12T17:10:00.000Z"), HandoffRef: toNewYork,
			Decision: Accepted, Decided: ts("2003-08-12T17:10:00.000Z")},
	}

	caseLocations = []Location{
		{Common: common(stPetersburg, ru, "2003-06-03T10:30:00.000Z"), Name: "St Petersburg, Moscow Station",
			Point: &Point{Latitude: 59.9297, Longitude: 30.362}, Country: "RU", City: "St Petersburg"},
		{Common: common(moscow, ru, "2003-06-20T15:00:00.000Z"), Name: "Moscow, Red Square",
			Point: &Point{Latitude: 55.7539, Longitude: 37.6208}, Country: "RU", City: "Moscow"},
		{Common: common(paddington, gb, "2003-08-05T19:00:00.000Z"), Name: "a hotel in Paddington",
			Country: "GB", City: "London"},
		{Common: common(heathrow, us, "2003-08-12T09:00:00.000Z"), Name: "London Heathrow Airport, Terminal 4",
			Point: &Point{Latitude: 51.4584, Longitude: -0.4459}, Country: "GB", City: "London"},
		{Common: common(jfk, us, "2003-08-12T17:30:00.000Z"), Name: "John F. Kennedy International Airport, New York",
			Point: &Point{Latitude: 40.6413, Longitude: -73.7781}, Country: "US", City: "New York"},
	}

	caseSightings = []Sighting{
		{Common: common(seenStPetersburg, ru, "2003-06-03T10:30:00.000Z"), SightingOfRef: dealer,
			WhereSightedRefs: []string{stPetersburg, ru}, FirstSeen: ts("2003-06-03T10:00:00.000Z"),
			Report: &Report{Route: "From the Moscow Station along Nevsky Prospekt on foot", Carried: []string{"black briefcase"}}},
		{Common: common(seenMoscow, ru, "2003-06-20T15:00:00.000Z"), SightingOfRef: dealer,
			WhereSightedRefs: []string{moscow, ru}, FirstSeen: ts("2003-06-20T14:30:00.000Z"), LastSeen: ts("2003-06-20T14:55:00.000Z"),
			Report: &Report{Companions: []string{"the American undercover officer posing as a buyer"},
				Notes: "Talked for twenty minutes; showed photographs of the launcher."}},
		{Common: common(seenPaddington, gb, "2003-08-05T19:00:00.000Z"), SightingOfRef: dealer,
			WhereSightedRefs: []string{paddington, gb}, FirstSeen: ts("2003-08-05T18:00:00.000Z"),
			Report: &Report{VehicleRef: van, Carried: []string{"a holdall"}, Route: "Arrived by the white van from Edgware Road"}},
		{Common: common(seenHeathrow, us, "2003-08-12T09:00:00.000Z"), SightingOfRef: dealer,
			WhereSightedRefs: []string{heathrow, us}, FirstSeen: ts("2003-08-12T08:45:00.000Z"),
			Report: &Report{Route: "Check-in to the gate of BA175 to New York", Carried: []string{"a holdall"}}},
		{Common: common(seenJFK, us, "2003-08-12T17:30:00.000Z"), SightingOfRef: dealer,
			WhereSightedRefs: []string{jfk, us}, FirstSeen: ts("2003-08-12T17:20:00.000Z"),
			Report: &Report{Route: "Arrivals hall, Terminal 7, to a taxi"}},
	}
)

type builder interface{ Object() ([]byte, error) }

// roundTrip writes an object with its builder, parses it with stix.Parse,
// checks it with Validate and reads it with its parser.
func roundTrip[T any](t testing.TB, b builder, parse func(*stix.Object) (*T, error)) *T {
	t.Helper()
	raw, err := b.Object()
	if err != nil {
		t.Fatalf("%T: %v", b, err)
	}
	o := mustParse(t, raw)
	if err := Validate(o); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	v, err := parse(o)
	if err != nil {
		t.Fatalf("%s: %v", o.ID, err)
	}
	return v
}

func mustParse(t testing.TB, raw []byte) *stix.Object {
	t.Helper()
	o, err := stix.Parse(raw)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	return o
}
