package ops

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTheDealersRouteRunsFromStPetersburgToNewYork(t *testing.T) {
	c := theCase(t, true)
	cov := Custody(c, ts("2003-08-13T00:00:00.000Z"))
	// Given in no particular order, with a sighting of someone else.
	sightings := append(slices.Clone(c.Sightings), sightingAt("sighting--other", other, inGB, 10))
	slices.Reverse(sightings)
	tl := Route(dealer, sightings, c.Locations, cov)

	type stop struct {
		sighting, seen, place, country, custodian, team string
		located                                         bool
	}
	var got []stop
	for _, s := range tl.Stops {
		st := stop{sighting: s.Sighting, seen: formatTime(s.Seen), place: s.Place, country: s.Country, located: s.Point != nil}
		if s.Custodian != nil {
			st.custodian, st.team = s.Custodian.Org, s.Custodian.Team
		}
		got = append(got, st)
	}
	want := []stop{
		{seenStPetersburg, "2003-06-03T10:00:00.000Z", "St Petersburg, Moscow Station", "RU", ru, "Surveillance, St Petersburg", true},
		{seenMoscow, "2003-06-20T14:30:00.000Z", "Moscow, Red Square", "RU", ru, "Surveillance, St Petersburg", true},
		{seenPaddington, "2003-08-05T18:00:00.000Z", "a hotel in Paddington", "GB", gb, "A4 surveillance, London", false},
		{seenHeathrow, "2003-08-12T08:45:00.000Z", "London Heathrow Airport, Terminal 4", "GB", us, "Undercover officer, flight BA175", true},
		{seenJFK, "2003-08-12T17:20:00.000Z", "John F. Kennedy International Airport, New York", "US", us, "New York field office surveillance", true},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(stop{})); d != "" {
		t.Errorf("stops (-want +got):\n%s", d)
	}
	wantLegs := []RouteLeg{
		{From: 0, To: 1, Custodians: []string{ru}},
		{From: 1, To: 3, Custodians: []string{ru, gb, us}}, // Paddington has no coordinates: on the timeline, not on the map
		{From: 3, To: 4, Custodians: []string{us}},
	}
	if d := cmp.Diff(wantLegs, tl.Legs); d != "" {
		t.Errorf("legs (-want +got):\n%s", d)
	}
	if r := tl.Stops[2].Report; r == nil || r.VehicleRef != van || tl.Stops[2].ReportedBy != gb || !slices.Equal(tl.Stops[2].SightedBy, []string{gb}) {
		t.Errorf("the Paddington report: %+v", tl.Stops[2])
	}
	if !tl.Stops[1].LastSeen.Equal(ts("2003-06-20T14:55:00.000Z")) {
		t.Errorf("last seen in Moscow: %v", tl.Stops[1].LastSeen)
	}
}

// geoJSON is what a map reads of a FeatureCollection.
type geoJSON struct {
	Type     string `json:"type"`
	Features []struct {
		Type     string `json:"type"`
		ID       string `json:"id"`
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

func TestTheRouteAsGeoJSONPutsLongitudeFirst(t *testing.T) {
	c := theCase(t, true)
	tl := Route(dealer, c.Sightings, c.Locations, Custody(c, ts("2003-08-13T00:00:00.000Z")))
	var g geoJSON
	if err := json.Unmarshal(tl.GeoJSON(), &g); err != nil {
		t.Fatal(err)
	}
	if g.Type != "FeatureCollection" {
		t.Fatalf("type %q", g.Type)
	}
	type feature struct {
		kind, geometry, coordinates, custodian string
	}
	var got []feature
	for _, f := range g.Features {
		if f.Type != "Feature" {
			t.Errorf("a feature of type %q", f.Type)
		}
		got = append(got, feature{f.Properties["kind"].(string), f.Geometry.Type, string(f.Geometry.Coordinates), f.Properties["custodian_ref"].(string)})
	}
	want := []feature{
		{"sighting", "Point", "[30.362,59.9297]", ru},
		{"leg", "LineString", "[[30.362,59.9297],[37.6208,55.7539]]", ru},
		{"sighting", "Point", "[37.6208,55.7539]", ru},
		{"leg", "LineString", "[[37.6208,55.7539],[-0.4459,51.4584]]", ru},
		{"sighting", "Point", "[-0.4459,51.4584]", us},
		{"leg", "LineString", "[[-0.4459,51.4584],[-73.7781,40.6413]]", us},
		{"sighting", "Point", "[-73.7781,40.6413]", us},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(feature{})); d != "" {
		t.Errorf("features (-want +got):\n%s", d)
	}
	if g.Features[0].ID != seenStPetersburg || g.Features[0].Properties["route"] != "From the Moscow Station along Nevsky Prospekt on foot" {
		t.Errorf("the first point: %+v", g.Features[0])
	}
	if custodians := g.Features[3].Properties["custodians"]; !cmp.Equal(custodians, []any{ru, gb, us}) {
		t.Errorf("the leg from Moscow to Heathrow was held by %v", custodians)
	}
}

func TestARouteWithoutCustodyOrCoordinatesIsATimelineWithAnEmptyMap(t *testing.T) {
	s1 := sightingAt("sighting--b", subj, inRU, 20)
	s2 := sightingAt("sighting--a", subj, inRU, 20) // same time: by id
	s3 := sightingAt("sighting--c", subj, "location--unknown", 10)
	tl := Route(subj, with(s1, s2, s3), testLocations, nil)
	var ids []string
	for _, s := range tl.Stops {
		ids = append(ids, s.Sighting)
		if s.Custodian != nil {
			t.Errorf("%s has a custodian without custody", s.Sighting)
		}
	}
	if !slices.Equal(ids, []string{"sighting--c", "sighting--a", "sighting--b"}) || len(tl.Legs) != 0 {
		t.Errorf("stops %v, legs %v", ids, tl.Legs)
	}
	if tl.Stops[0].Place != "" || tl.Stops[1].Place != "Russia" {
		t.Errorf("places %q, %q", tl.Stops[0].Place, tl.Stops[1].Place)
	}
	if got := string(tl.GeoJSON()); got != `{"type":"FeatureCollection","features":[]}` {
		t.Errorf("GeoJSON %s", got)
	}
}

// RFC 7946 §3.1.9: a line crossing the antimeridian is cut in two there.
func TestALegAcrossTheAntimeridianIsCutThere(t *testing.T) {
	vladivostok := Point{Latitude: 43.1155, Longitude: 131.8855}
	anchorage := Point{Latitude: 61.2181, Longitude: -149.9003}
	for _, c := range []struct {
		from, to   Point
		edge, back float64
	}{{vladivostok, anchorage, 180, -180}, {anchorage, vladivostok, -180, 180}} {
		g := line(c.from, c.to)
		parts, ok := g.Coordinates.([][][]float64)
		if g.Type != "MultiLineString" || !ok || len(parts) != 2 {
			t.Fatalf("%+v", g)
		}
		if parts[0][0][0] != c.from.Longitude || parts[0][1][0] != c.edge || parts[1][0][0] != c.back || parts[1][1][0] != c.to.Longitude {
			t.Errorf("cut at the wrong longitudes: %v", parts)
		}
		lat := parts[0][1][1]
		if lat != parts[1][0][1] || math.Abs(lat-54.25) > 0.01 {
			t.Errorf("cut at latitude %v and %v, want both about 54.25", lat, parts[1][0][1])
		}
	}
	if g := line(Point{51.47, -0.45}, Point{40.64, -73.78}); g.Type != "LineString" {
		t.Errorf("London to New York: %s", g.Type)
	}
}

// A route as known at an earlier time holds only the sightings made by then,
// each with the custodian of its moment.
func TestARouteAsKnownEarlierHoldsOnlyTheSightingsMadeByThen(t *testing.T) {
	c := theCase(t, true)
	early := ts("2003-07-01T00:00:00.000Z")
	tl := Route(dealer, c.Sightings, c.Locations, Custody(c, early))
	full := Route(dealer, c.Sightings, c.Locations, Custody(c, ts("2003-08-13T00:00:00.000Z")))
	if len(tl.Stops) == 0 || len(tl.Stops) >= len(full.Stops) {
		t.Fatalf("the route at %s has %d stops, the full one %d: want some, fewer", early, len(tl.Stops), len(full.Stops))
	}
	for _, s := range tl.Stops {
		if s.Seen.After(early) {
			t.Errorf("the route at %s holds %s, seen at %s", early, s.Sighting, s.Seen)
		}
	}
}
