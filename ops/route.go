package ops

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"
)

// Timeline is the route of a subject or consignment: its sightings in time
// order, and the legs between those that have coordinates.
type Timeline struct {
	Subject string     `json:"subject_ref"`
	Stops   []Stop     `json:"stops"`
	Legs    []RouteLeg `json:"legs"`
}

// Stop is one sighting on a route.
type Stop struct {
	Sighting    string     `json:"sighting_ref"`
	Seen        time.Time  `json:"seen"` // Sighting.Seen: first_seen, else last_seen, else created
	LastSeen    time.Time  `json:"last_seen,omitzero"`
	Location    string     `json:"location_ref,omitempty"` // "" when none of where_sighted_refs is known
	Place       string     `json:"place,omitempty"`        // Location.Place
	Country     string     `json:"country,omitempty"`
	Point       *Point     `json:"point,omitempty"`           // nil when the location has no coordinates: on the timeline, not on the map
	Custodian   *Custodian `json:"custodian,omitempty"`       // who held the subject then; nil when nobody did or custody is not known
	ReportedBy  string     `json:"reported_by_ref,omitempty"` // the sighting's creator
	SightedBy   []string   `json:"sighted_by_refs,omitempty"` // the identities among where_sighted_refs
	Description string     `json:"description,omitempty"`
	Report      *Report    `json:"report,omitempty"`
}

// RouteLeg is the way between two consecutive stops with coordinates.
type RouteLeg struct {
	From int `json:"from"` // indexes into Stops
	To   int `json:"to"`
	// Custodians are the organisations that held the subject between the
	// two sightings, in order: the first held it at departure.
	Custodians []string `json:"custodian_refs,omitempty"`
}

// Route puts the sightings of a subject or consignment in time order (ties
// by sighting id), each with its place from locations and its custodian at
// the time from custody (which may be nil), and joins consecutive sightings
// that have coordinates by legs. With custody, the route is as known at its
// Now: sightings dated later are not on it yet, as Custody ignores them.
func Route(subject string, sightings []Sighting, locations map[string]Location, custody *Coverage) *Timeline {
	tl := &Timeline{Subject: subject}
	for _, s := range distinct(sightings, func(x Sighting) string { return x.ID }, nil) {
		if s.SightingOfRef != subject || (custody != nil && s.Seen().After(custody.Now)) {
			continue
		}
		st := Stop{Sighting: s.ID, Seen: s.Seen(), LastSeen: s.LastSeen, ReportedBy: s.CreatedByRef,
			Description: s.Description, Report: s.Report}
		for _, ref := range s.WhereSightedRefs {
			if strings.HasPrefix(ref, "identity--") {
				st.SightedBy = append(st.SightedBy, ref)
			}
		}
		if l := locate(&s, locations); l != nil {
			st.Location, st.Place, st.Country, st.Point = l.ID, l.Place(), l.Country, l.Point
		}
		if custody != nil {
			if cu, ok := custody.At(subject, st.Seen); ok {
				st.Custodian = &cu
			}
		}
		tl.Stops = append(tl.Stops, st)
	}
	slices.SortStableFunc(tl.Stops, func(a, b Stop) int {
		return cmp.Or(a.Seen.Compare(b.Seen), cmp.Compare(a.Sighting, b.Sighting))
	})
	prev := -1
	for i, st := range tl.Stops {
		if st.Point == nil {
			continue
		}
		if prev >= 0 {
			tl.Legs = append(tl.Legs, RouteLeg{From: prev, To: i,
				Custodians: custodiansBetween(custody, subject, tl.Stops[prev].Seen, st.Seen)})
		}
		prev = i
	}
	return tl
}

// custodiansBetween lists the organisations holding the subject at some
// instant of [from, to) (at from, when the two are equal), in order.
func custodiansBetween(c *Coverage, subject string, from, to time.Time) []string {
	if c == nil {
		return nil
	}
	var out []string
	for _, cu := range c.History[subject] {
		held := cu.holds(from)
		if to.After(from) {
			nonEmpty := cu.Until.IsZero() || cu.Since.Before(cu.Until)
			held = nonEmpty && cu.Since.Before(to) && (cu.Until.IsZero() || cu.Until.After(from))
		}
		if held && (len(out) == 0 || out[len(out)-1] != cu.Org) {
			out = append(out, cu.Org)
		}
	}
	return out
}

// GeoJSON returns the route as an RFC 7946 FeatureCollection: a Point
// feature per sighting with coordinates and a LineString feature per leg,
// in time order, positions as [longitude, latitude]. A leg that crosses the
// antimeridian is cut in two there, as a MultiLineString (RFC 7946
// §3.1.9). Properties are described in docs/OPERATIONS.md.
func (tl *Timeline) GeoJSON() []byte {
	fc := geoCollection{Type: "FeatureCollection", Features: []geoFeature{}}
	legFrom := map[int]RouteLeg{}
	for _, l := range tl.Legs {
		legFrom[l.From] = l
	}
	for i, st := range tl.Stops {
		if st.Point == nil {
			continue
		}
		p := pointProperties{Kind: "sighting", Sighting: st.Sighting, Seen: stamp(st.Seen), LastSeen: stamp(st.LastSeen),
			Place: st.Place, Country: st.Country, Location: st.Location, ReportedBy: st.ReportedBy,
			SightedBy: st.SightedBy, Description: st.Description}
		if cu := st.Custodian; cu != nil {
			p.Custodian, p.CustodianTeam, p.CustodianCountry = cu.Org, cu.Team, cu.Country
		}
		if r := st.Report; r != nil {
			p.Route, p.Companions, p.CompanionRefs, p.VehicleRef, p.Carried, p.Notes =
				r.Route, r.Companions, r.CompanionRefs, r.VehicleRef, r.Carried, r.Notes
		}
		fc.Features = append(fc.Features, geoFeature{Type: "Feature", ID: st.Sighting,
			Geometry: geoGeometry{Type: "Point", Coordinates: position(*st.Point)}, Properties: p})
		if l, ok := legFrom[i]; ok {
			a, b := tl.Stops[l.From], tl.Stops[l.To]
			lp := legProperties{Kind: "leg", From: a.Sighting, To: b.Sighting, Departed: stamp(a.Seen), Arrived: stamp(b.Seen),
				Custodians: l.Custodians}
			if len(l.Custodians) > 0 {
				lp.Custodian = l.Custodians[0]
			}
			fc.Features = append(fc.Features, geoFeature{Type: "Feature", Geometry: line(*a.Point, *b.Point), Properties: lp})
		}
	}
	out, _ := json.Marshal(fc)
	return out
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatTime(t)
}

func position(p Point) []float64 { return []float64{p.Longitude, p.Latitude} }

// line is the geometry of a leg: a LineString, or a MultiLineString cut at
// the antimeridian when the shorter way round crosses it.
func line(a, b Point) geoGeometry {
	d := b.Longitude - a.Longitude
	if math.Abs(d) <= 180 {
		return geoGeometry{Type: "LineString", Coordinates: [][]float64{position(a), position(b)}}
	}
	// Going the short way, b lies at b.Longitude ∓ 360; the line meets the
	// meridian ±180 at the latitude interpolated along that unwrapped line.
	edge, unwrapped := 180.0, b.Longitude+360
	if d > 0 {
		edge, unwrapped = -180.0, b.Longitude-360
	}
	f := (edge - a.Longitude) / (unwrapped - a.Longitude)
	lat := a.Latitude + f*(b.Latitude-a.Latitude)
	return geoGeometry{Type: "MultiLineString", Coordinates: [][][]float64{
		{position(a), {edge, lat}},
		{{-edge, lat}, position(b)},
	}}
}

type geoCollection struct {
	Type     string       `json:"type"`
	Features []geoFeature `json:"features"`
}

type geoFeature struct {
	Type       string      `json:"type"`
	ID         string      `json:"id,omitempty"`
	Geometry   geoGeometry `json:"geometry"`
	Properties any         `json:"properties"`
}

type geoGeometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

type pointProperties struct {
	Kind             string   `json:"kind"`
	Sighting         string   `json:"sighting_ref"`
	Seen             string   `json:"seen"`
	LastSeen         string   `json:"last_seen,omitempty"`
	Place            string   `json:"place,omitempty"`
	Country          string   `json:"country,omitempty"`
	Location         string   `json:"location_ref,omitempty"`
	Custodian        string   `json:"custodian_ref,omitempty"`
	CustodianTeam    string   `json:"custodian_team,omitempty"`
	CustodianCountry string   `json:"custodian_country,omitempty"`
	ReportedBy       string   `json:"reported_by_ref,omitempty"`
	SightedBy        []string `json:"sighted_by_refs,omitempty"`
	Description      string   `json:"description,omitempty"`
	Route            string   `json:"route,omitempty"`
	Companions       []string `json:"companions,omitempty"`
	CompanionRefs    []string `json:"companion_refs,omitempty"`
	VehicleRef       string   `json:"vehicle_ref,omitempty"`
	Carried          []string `json:"carried,omitempty"`
	Notes            string   `json:"notes,omitempty"`
}

type legProperties struct {
	Kind       string   `json:"kind"`
	From       string   `json:"from_sighting_ref"`
	To         string   `json:"to_sighting_ref"`
	Departed   string   `json:"departed"`
	Arrived    string   `json:"arrived"`
	Custodian  string   `json:"custodian_ref,omitempty"`
	Custodians []string `json:"custodians,omitempty"`
}
