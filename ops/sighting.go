package ops

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/stix"
)

// Sighting is a STIX sighting of a subject or consignment: who or what was
// seen (sighting_of_ref), where (a location among where_sighted_refs), when
// (first_seen), and, in Liaison's sighting-report extension, what a
// discreet-check report says besides.
type Sighting struct {
	Common                    // CreatedByRef is required only with a Report
	SightingOfRef    string   // the subject or consignment seen
	WhereSightedRefs []string // locations where it was seen; identities that saw it
	FirstSeen        time.Time
	LastSeen         time.Time
	Description      string
	Report           *Report // nil when the sighting carries no sighting-report extension
}

// Report is the content of the sighting-report extension.
type Report struct {
	Route         string   `json:"route,omitempty"`          // the way the subject went
	Companions    []string `json:"companions,omitempty"`     // people with the subject, as described
	CompanionRefs []string `json:"companion_refs,omitempty"` // people with the subject, as identities
	VehicleRef    string   `json:"vehicle_ref,omitempty"`    // the vehicle observable the subject used
	Carried       []string `json:"carried,omitempty"`        // what the subject carried
	Notes         string   `json:"notes,omitempty"`
}

// Seen is when the sighting happened: first_seen, else last_seen, else the
// time the sighting was created (STIX leaves both optional).
func (s *Sighting) Seen() time.Time {
	switch {
	case !s.FirstSeen.IsZero():
		return s.FirstSeen
	case !s.LastSeen.IsZero():
		return s.LastSeen
	}
	return s.Created
}

var reportProperties = []string{"extension_type", "route", "companions", "companion_refs", "vehicle_ref", "carried", "notes"}

// ParseSighting reads a sighting object, and checks its sighting-report
// extension when it carries one. (stix.Parse has checked the rest.)
func ParseSighting(o *stix.Object) (*Sighting, error) {
	if o.Type != "sighting" {
		return nil, invalid(o.ID, "type", "is %q, not \"sighting\"", clip(o.Type))
	}
	f := top(o)
	s := &Sighting{Common: readCommon(o)}
	s.SightingOfRef = f.ref("sighting_of_ref", true)
	// STIX allows repeats here; refusing them would drop a valid sighting.
	s.WhereSightedRefs = f.refList("where_sighted_refs", false, false, []string{"identity", "location"})
	s.FirstSeen = f.time("first_seen", false)
	s.LastSeen = f.time("last_seen", false)
	if raw := f.raw("description", false); raw != nil {
		s.Description, _ = decodeString(raw)
	}
	if body, ok := extensionsOf(o)[SightingReportExtension]; ok && !f.failed() {
		if o.CreatedByRef == "" {
			f.fail("created_by_ref", "is required on a sighting with a report: the organisation that reports it")
		}
		e := f.nested("extensions."+SightingReportExtension, body, reportProperties...)
		e.enum("extension_type", true, "property-extension")
		if !e.failed() {
			r := &Report{
				Route:         e.text("route", false),
				Companions:    e.texts("companions", false),
				CompanionRefs: e.refs("companion_refs", false, "identity"),
				VehicleRef:    e.ref("vehicle_ref", false, correlate.TypeVehicle),
				Carried:       e.texts("carried", false),
				Notes:         e.text("notes", false),
			}
			if !e.failed() && len(e.props) == 1 {
				e.fail("", "states nothing: give at least one of route, companions, companion_refs, vehicle_ref, carried, notes")
			}
			s.Report = r
		}
	}
	if err := f.error(); err != nil {
		return nil, err
	}
	return s, nil
}

// Object writes the sighting as a STIX object, with the report as its
// sighting-report extension, and checks it.
func (s Sighting) Object() ([]byte, error) {
	if err := checkNewID("sighting", s.ID); err != nil {
		return nil, err
	}
	if s.Created.IsZero() {
		return nil, liaison.Errorf(liaison.EINVALID, "%s: created is required", s.ID)
	}
	w := &writer{}
	w.str("type", "sighting")
	w.str("spec_version", stix.SpecVersion)
	w.str("id", s.ID)
	w.str("created_by_ref", s.CreatedByRef)
	w.time("created", s.Created)
	modified := s.Modified
	if modified.IsZero() {
		modified = s.Created
	}
	w.time("modified", modified)
	w.str("description", s.Description)
	w.time("first_seen", s.FirstSeen)
	w.time("last_seen", s.LastSeen)
	w.str("sighting_of_ref", s.SightingOfRef)
	w.strs("where_sighted_refs", s.WhereSightedRefs)
	w.strs("object_marking_refs", s.Markings)
	if r := s.Report; r != nil {
		var e writer
		e.str("extension_type", "property-extension")
		e.str("route", r.Route)
		e.strs("companions", r.Companions)
		e.strs("companion_refs", r.CompanionRefs)
		e.str("vehicle_ref", r.VehicleRef)
		e.strs("carried", r.Carried)
		e.str("notes", r.Notes)
		w.rawValue("extensions", `{"`+SightingReportExtension+`":`+string(e.bytes())+`}`)
	}
	raw := w.bytes()
	o, err := stix.Parse(raw)
	if err != nil {
		return nil, err
	}
	if _, err := ParseSighting(o); err != nil {
		return nil, err
	}
	return raw, nil
}

// Location is what the route and custody read of a STIX location.
type Location struct {
	Common
	Name               string
	Point              *Point // nil when the location has no coordinates
	Country            string // ISO 3166-1 alpha-2, upper case; "" when absent or not such a code
	AdministrativeArea string
	City               string
	Region             string
}

// Point is a position on the WGS 84 ellipsoid, in decimal degrees.
type Point struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// ParseLocation reads a STIX location (stix.Parse has checked it). A
// country written as an alpha-2 code in any case is read in upper case;
// any other value of country ("United Kingdom") is not read, since custody
// compares codes.
func ParseLocation(o *stix.Object) (*Location, error) {
	if o.Type != "location" {
		return nil, invalid(o.ID, "type", "is %q, not \"location\"", clip(o.Type))
	}
	l := &Location{Common: readCommon(o)}
	str := func(name string) string { s, _ := decodeString(o.Props[name]); return s }
	l.Name = str("name")
	l.AdministrativeArea = str("administrative_area")
	l.City = str("city")
	l.Region = str("region")
	if c := strings.ToUpper(strings.TrimSpace(str("country"))); len(c) == 2 {
		if _, ok := liaison.Country(c); ok {
			l.Country = c
		}
	}
	var lat, lon float64
	if json.Unmarshal(o.Props["latitude"], &lat) == nil && json.Unmarshal(o.Props["longitude"], &lon) == nil {
		l.Point = &Point{Latitude: lat, Longitude: lon}
	}
	return l, nil
}

// Place is the location's name for a person: its name, else its city,
// administrative area, country or region.
func (l *Location) Place() string {
	for _, s := range []string{l.Name, l.City, l.AdministrativeArea} {
		if s != "" {
			return s
		}
	}
	if name, ok := liaison.Country(l.Country); ok {
		return name
	}
	return l.Region
}

// Object writes the location as a STIX object and checks it.
func (l Location) Object() ([]byte, error) {
	if err := checkNewID("location", l.ID); err != nil {
		return nil, err
	}
	if l.Created.IsZero() {
		return nil, liaison.Errorf(liaison.EINVALID, "%s: created is required", l.ID)
	}
	w := &writer{}
	w.str("type", "location")
	w.str("spec_version", stix.SpecVersion)
	w.str("id", l.ID)
	w.str("created_by_ref", l.CreatedByRef)
	w.time("created", l.Created)
	modified := l.Modified
	if modified.IsZero() {
		modified = l.Created
	}
	w.time("modified", modified)
	w.str("name", l.Name)
	if l.Point != nil {
		w.rawValue("latitude", strconv.FormatFloat(l.Point.Latitude, 'f', -1, 64))
		w.rawValue("longitude", strconv.FormatFloat(l.Point.Longitude, 'f', -1, 64))
	}
	w.str("region", l.Region)
	w.str("country", l.Country)
	w.str("administrative_area", l.AdministrativeArea)
	w.str("city", l.City)
	w.strs("object_marking_refs", l.Markings)
	raw := w.bytes()
	if _, err := stix.Parse(raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// hasReport reports whether an object names the sighting-report extension.
func hasReport(o *stix.Object) bool {
	_, ok := extensionsOf(o)[SightingReportExtension]
	return ok
}

// namedExtensions returns Liaison's new SDO extensions an object names, in
// order.
func namedExtensions(o *stix.Object) []string {
	exts := extensionsOf(o)
	var names []string
	for _, ext := range sdoExtensions {
		if _, ok := exts[ext]; ok {
			names = append(names, ext)
		}
	}
	slices.Sort(names)
	return names
}
