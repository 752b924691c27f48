package correlate

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
)

// Liaison's observables: the things an operation follows that STIX 2.1 has no
// cyber-observable for. Each is a new SCO type defined by an
// extension-definition (STIX 2.1 §7.3, extension_type "new-sco"), whose id,
// timestamps and content are fixed forever so that every node publishes
// byte-identical copies; docs/EXTENSIONS.md ("Observables") is the schema.
//
// The type names carry no "x-" prefix: that prefix marks the custom objects
// of STIX 2.0, deprecated in 2.1 (§11), while types defined by an
// extension-definition are named like the specification's own (its example
// is "my-favorite-sco"). An object of these types says which definition it
// follows in its extensions property; Extract reads only those that name
// Liaison's (another producer's "phone-number" may mean something else).
const (
	TypePhoneNumber       = "phone-number"
	TypeTravelDocument    = "travel-document"
	TypeVehicle           = "vehicle"
	TypeVessel            = "vessel"
	TypeShippingContainer = "shipping-container"
	TypeFlight            = "flight"
)

// The ids of Liaison's extension definitions.
const (
	PhoneNumberExtension       = "extension-definition--2883737a-da00-4790-82a9-fbbf87c15b5c"
	TravelDocumentExtension    = "extension-definition--f970b442-9b53-40a9-a019-ba33dc7f3915"
	VehicleExtension           = "extension-definition--b13708eb-d3bd-4191-9680-90ada89ec7f7"
	VesselExtension            = "extension-definition--17131751-2db4-4fcf-a106-c546b179f338"
	ShippingContainerExtension = "extension-definition--cb5f50e0-db22-435d-b044-09d5f703cbe4"
	FlightExtension            = "extension-definition--40ff7a28-0266-4f6a-a01f-4324b5327d19"
	// PersonExtension is a property-extension of identity objects of class
	// individual: the date of birth and other names that make a person a
	// selector.
	PersonExtension = "extension-definition--834a1c88-8113-41ca-a4d7-b3d2fa9901ed"
)

// observableExtensions maps each new SCO type to its extension definition.
var observableExtensions = map[string]string{
	TypePhoneNumber:       PhoneNumberExtension,
	TypeTravelDocument:    TravelDocumentExtension,
	TypeVehicle:           VehicleExtension,
	TypeVessel:            VesselExtension,
	TypeShippingContainer: ShippingContainerExtension,
	TypeFlight:            FlightExtension,
}

// idContributing are the id contributing properties of each new SCO type
// (STIX 2.1 §2.9: the properties whose values make the deterministic id).
var idContributing = map[string][]string{
	TypePhoneNumber:       {"value"},
	TypeTravelDocument:    {"issuing_country", "document_number"},
	TypeVehicle:           {"registration_country", "registration", "vin"},
	TypeVessel:            {"imo_number", "mmsi"},
	TypeShippingContainer: {"container_number"},
	TypeFlight:            {"carrier", "flight_number", "departure_date"},
}

// definitions are the extension-definition objects, in the order
// ExtensionDefinitions returns them.
var definitions = []struct {
	id, name, anchor, kind, description string
}{
	{PhoneNumberExtension, "Liaison phone number", "phone-number", "new-sco",
		"A new SCO type, phone-number: a telephone number in E.164 form (value). Id contributing property: value."},
	{TravelDocumentExtension, "Liaison travel document", "travel-document", "new-sco",
		"A new SCO type, travel-document: a passport, identity card or other travel or identity document, " +
			"identified by its issuing country (ISO 3166-1 alpha-2) and its number; optionally its type, its holder's name, " +
			"date of birth and nationality, and its dates of issue and expiry. Id contributing properties: issuing_country, document_number."},
	{VehicleExtension, "Liaison vehicle", "vehicle", "new-sco",
		"A new SCO type, vehicle: a road vehicle, identified by its registration (country and plate) or its vehicle " +
			"identification number (VIN); optionally its make, model and colour. Id contributing properties: registration_country, registration, vin."},
	{VesselExtension, "Liaison vessel", "vessel", "new-sco",
		"A new SCO type, vessel: a ship, identified by its IMO number or its MMSI; optionally its name, flag and call sign. " +
			"Id contributing properties: imo_number, mmsi."},
	{ShippingContainerExtension, "Liaison shipping container", "shipping-container", "new-sco",
		"A new SCO type, shipping-container: an intermodal freight container, identified by its ISO 6346 number; " +
			"optionally its ISO 6346 size and type code. Id contributing property: container_number."},
	{FlightExtension, "Liaison flight", "flight", "new-sco",
		"A new SCO type, flight: one scheduled departure of an airline flight, identified by its carrier's designator, " +
			"its flight number and its departure date; optionally its airports and the registration of the aircraft that flew it. " +
			"Id contributing properties: carrier, flight_number, departure_date."},
	{PersonExtension, "Liaison person", "person", "property-extension",
		"A property-extension of identity objects of identity_class individual: the person's date of birth and the other " +
			"names the person is known by (other scripts, other spellings, aliases)."},
}

const definitionsCreated = "2026-11-28T00:00:00.000Z"

// ExtensionDefinitions returns the STIX 2.1 extension-definition objects of
// Liaison's observables (phone-number, travel-document, vehicle, vessel,
// shipping-container, flight) and of its person extension, in that order,
// created by policy.LiaisonIdentity. A node may publish them so that other
// tools can look the types up. Each call returns new copies.
func ExtensionDefinitions() [][]byte {
	out := make([][]byte, len(definitions))
	for i, d := range definitions {
		var b bytes.Buffer
		b.WriteString(`{"type":"extension-definition","spec_version":"2.1","id":"` + d.id + `",`)
		b.WriteString(`"created_by_ref":"` + policy.LiaisonIdentity + `",`)
		b.WriteString(`"created":"` + definitionsCreated + `","modified":"` + definitionsCreated + `",`)
		b.WriteString(`"name":` + jsonString(d.name) + `,"description":` + jsonString(d.description) + `,`)
		b.WriteString(`"schema":"https://github.com/liaison-intel/liaison/blob/main/docs/EXTENSIONS.md#` + d.anchor + `",`)
		b.WriteString(`"version":"1.0.0","extension_types":["` + d.kind + `"]}`)
		out[i] = b.Bytes()
	}
	return out
}

func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// scoNamespace is the UUIDv5 namespace of STIX 2.1 cyber-observable ids
// (§2.9).
var scoNamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")

// SCOID returns the deterministic id of a cyber-observable (STIX 2.1 §2.9):
// the type, "--", and the UUIDv5, in the SCO namespace, of the RFC 8785
// canonical JSON of its id contributing properties (those present; absent
// ones are left out, not written as null). Equal observables get equal ids,
// whoever writes them.
func SCOID(typ string, contributing map[string]any) (string, error) {
	if len(contributing) == 0 {
		return "", liaison.Errorf(liaison.EINVALID, "%s: no id contributing property is present", typ)
	}
	raw, err := json.Marshal(contributing)
	if err != nil {
		return "", liaison.Errorf(liaison.EINVALID, "%s: id contributing properties: %v", typ, err)
	}
	canon, err := stix.Canonical(raw)
	if err != nil {
		return "", liaison.Errorf(liaison.EINVALID, "%s: id contributing properties: %v", typ, err)
	}
	return typ + "--" + uuid.NewSHA1(scoNamespace, canon).String(), nil
}

// sco writes an observable of one of Liaison's types: type, spec_version, id,
// the properties in the given order (empty ones left out), and the
// extension.
func sco(typ string, props [][2]string) ([]byte, error) {
	idProps := map[string]any{}
	for _, p := range props {
		for _, c := range idContributing[typ] {
			if p[0] == c && p[1] != "" {
				idProps[c] = p[1]
			}
		}
	}
	id, err := SCOID(typ, idProps)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"type":"` + typ + `","spec_version":"2.1","id":"` + id + `"`)
	for _, p := range props {
		if p[1] != "" {
			b.WriteString(`,"` + p[0] + `":` + jsonString(p[1]))
		}
	}
	b.WriteString(`,"extensions":{"` + observableExtensions[typ] + `":{"extension_type":"new-sco"}}}`)
	return b.Bytes(), nil
}

// PhoneNumber is a phone-number observable.
type PhoneNumber struct {
	Value string // any form Normalise reads; written in E.164
}

// Object returns the phone-number SCO, its value in E.164 and its id
// derived from it. A national number is read in opt's default region.
func (p PhoneNumber) Object(opt Options) ([]byte, error) {
	s, err := Normalise(KindPhone, p.Value, opt)
	if err != nil {
		return nil, err
	}
	return sco(TypePhoneNumber, [][2]string{{"value", s.Value}})
}

// TravelDocument is a travel-document observable.
type TravelDocument struct {
	IssuingCountry    string // ISO 3166-1 alpha-2 or alpha-3, or ICAO 9303 code; written alpha-2
	DocumentNumber    string // written upper case without separators
	DocumentType      string // passport, identity-card, visa, residence-permit, seafarer-identity-document, other
	HolderName        string
	HolderDateOfBirth string // YYYY-MM-DD
	Nationality       string // written alpha-2
	DateOfIssue       string // YYYY-MM-DD
	DateOfExpiry      string // YYYY-MM-DD
}

// Object returns the travel-document SCO, its id derived from the issuing
// country and the document number.
func (d TravelDocument) Object(Options) ([]byte, error) {
	s, err := Normalise(KindDocument, d.IssuingCountry+":"+d.DocumentNumber, Options{})
	if err != nil {
		return nil, err
	}
	country, number, _ := strings.Cut(s.Value, ":")
	nationality := ""
	if d.Nationality != "" {
		if nationality, err = countryCode(d.Nationality); err != nil {
			return nil, refusal(KindDocument, d.IssuingCountry+":"+d.DocumentNumber, err)
		}
	}
	if d.HolderName != "" && d.HolderDateOfBirth != "" {
		if _, err := Normalise(KindPerson, d.HolderName+"|"+d.HolderDateOfBirth, Options{}); err != nil {
			return nil, err
		}
	}
	for _, date := range []string{d.HolderDateOfBirth, d.DateOfIssue, d.DateOfExpiry} {
		if err := checkDate(date); err != nil {
			return nil, refusal(KindDocument, s.Value, err)
		}
	}
	return sco(TypeTravelDocument, [][2]string{
		{"document_type", d.DocumentType}, {"issuing_country", country}, {"document_number", number},
		{"holder_name", d.HolderName}, {"holder_date_of_birth", d.HolderDateOfBirth}, {"nationality", nationality},
		{"date_of_issue", d.DateOfIssue}, {"date_of_expiry", d.DateOfExpiry},
	})
}

// Vehicle is a vehicle observable: a registration (country and plate), a VIN,
// or both.
type Vehicle struct {
	RegistrationCountry string // written alpha-2
	Registration        string // the plate; written upper case without separators
	VIN                 string // 17 characters; written upper case
	Make, Model, Colour string
}

// Object returns the vehicle SCO, its id derived from its registration and
// VIN.
func (v Vehicle) Object(Options) ([]byte, error) {
	var country, plate, vin string
	if v.Registration != "" || v.RegistrationCountry != "" {
		s, err := Normalise(KindVehicle, v.RegistrationCountry+":"+v.Registration, Options{})
		if err != nil {
			return nil, err
		}
		country, plate, _ = strings.Cut(s.Value, ":")
	}
	if v.VIN != "" {
		var err error
		if vin, err = normVIN(v.VIN); err != nil {
			return nil, refusal(KindVehicle, v.VIN, err)
		}
	}
	if plate == "" && vin == "" {
		return nil, liaison.Errorf(liaison.EINVALID, "vehicle: needs a registration or a VIN")
	}
	return sco(TypeVehicle, [][2]string{
		{"registration_country", country}, {"registration", plate}, {"vin", vin},
		{"make", v.Make}, {"model", v.Model}, {"colour", v.Colour},
	})
}

// normVIN checks the shape of an ISO 3779 vehicle identification number: 17
// letters and digits without I, O and Q. (The check digit in position 9 is
// mandatory in North America only, so it is not verified.)
func normVIN(s string) (string, error) {
	v, err := compactAlnum(s, " -", 17, 17, "VIN")
	if err != nil {
		return "", err
	}
	if i := strings.IndexAny(v, "IOQ"); i >= 0 {
		return "", because("VIN has %c, which VINs never use", v[i])
	}
	return v, nil
}

// Vessel is a vessel observable: an IMO number, an MMSI, or both.
type Vessel struct {
	IMONumber string // the 7 digits, check digit verified; "IMO " accepted
	MMSI      string // 9 digits
	Name      string
	Flag      string // written alpha-2
	CallSign  string
}

// Object returns the vessel SCO, its id derived from the IMO number and the
// MMSI.
func (v Vessel) Object(Options) ([]byte, error) {
	var imo, flag string
	if v.IMONumber != "" {
		s, err := Normalise(KindVessel, v.IMONumber, Options{})
		if err != nil {
			return nil, err
		}
		imo = s.Value
	}
	mmsi := strings.ReplaceAll(v.MMSI, " ", "")
	if mmsi != "" && (len(mmsi) != 9 || !allDigits(mmsi)) {
		return nil, liaison.Errorf(liaison.EINVALID, "vessel MMSI %s: is not 9 digits", showValue(v.MMSI))
	}
	if imo == "" && mmsi == "" {
		return nil, liaison.Errorf(liaison.EINVALID, "vessel: needs an IMO number or an MMSI")
	}
	if v.Flag != "" {
		var err error
		if flag, err = countryCode(v.Flag); err != nil {
			return nil, liaison.Errorf(liaison.EINVALID, "vessel flag: %v", err)
		}
	}
	return sco(TypeVessel, [][2]string{
		{"imo_number", imo}, {"mmsi", mmsi}, {"name", v.Name}, {"flag", flag}, {"call_sign", strings.ToUpper(v.CallSign)},
	})
}

// ShippingContainer is a shipping-container observable.
type ShippingContainer struct {
	ContainerNumber string // ISO 6346, check digit verified
	SizeType        string // ISO 6346 size and type code, e.g. 22G1
}

// Object returns the shipping-container SCO, its id derived from the
// container number.
func (c ShippingContainer) Object(Options) ([]byte, error) {
	s, err := Normalise(KindContainer, c.ContainerNumber, Options{})
	if err != nil {
		return nil, err
	}
	st := strings.ToUpper(strings.TrimSpace(c.SizeType))
	if st != "" && (len(st) != 4 || !isAlnum(st[0]) || !isAlnum(st[1]) || !isAlnum(st[2]) || !isAlnum(st[3])) {
		return nil, liaison.Errorf(liaison.EINVALID, "container %s: size and type code %s is not 4 letters and digits (22G1)", s.Value, showValue(c.SizeType))
	}
	return sco(TypeShippingContainer, [][2]string{{"container_number", s.Value}, {"size_type", st}})
}

// Flight is a flight observable: one departure of a flight.
type Flight struct {
	Carrier              string // IATA (BA) or ICAO (BAW) designator
	FlightNumber         string // 1 to 4 digits and an optional letter; written without leading zeros
	DepartureDate        string // YYYY-MM-DD, scheduled, local to the airport of departure
	Origin, Destination  string // IATA or ICAO airport codes
	AircraftRegistration string // as Normalise writes it
}

// Object returns the flight SCO, its id derived from the carrier, the
// flight number and the departure date.
func (f Flight) Object(Options) ([]byte, error) {
	s, err := Normalise(KindFlight, f.Carrier+f.FlightNumber+"/"+f.DepartureDate, Options{})
	if err != nil {
		return nil, err
	}
	carrier, number, date := splitFlight(s.Value)
	var reg string
	if f.AircraftRegistration != "" {
		r, err := Normalise(KindAircraft, f.AircraftRegistration, Options{})
		if err != nil {
			return nil, err
		}
		reg = r.Value
	}
	var airports [2]string
	for i, a := range []string{f.Origin, f.Destination} {
		a = strings.ToUpper(strings.TrimSpace(a))
		if a != "" && (len(a) < 3 || len(a) > 4 || strings.Trim(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "") {
			return nil, liaison.Errorf(liaison.EINVALID, "flight %s: airport %s is not an IATA (LHR) or ICAO (EGLL) code", s.Value, showValue(a))
		}
		airports[i] = a
	}
	return sco(TypeFlight, [][2]string{
		{"carrier", carrier}, {"flight_number", number}, {"departure_date", date},
		{"origin", airports[0]}, {"destination", airports[1]}, {"aircraft_registration", reg},
	})
}

// splitFlight splits a flight's normal form into its carrier, its number
// without leading zeros and its date.
func splitFlight(v string) (carrier, number, date string) {
	designator, date, _ := strings.Cut(v, "/")
	i := 2 // an IATA designator; the number, padded, begins with a digit
	if isLetter(designator[2]) {
		i = 3
	}
	return designator[:i], strings.TrimLeft(designator[i:], "0"), date
}

func checkDate(s string) error {
	if s == "" {
		return nil
	}
	if _, err := time.Parse("2006-01-02", s); err != nil {
		return because("has date %q, not YYYY-MM-DD", s)
	}
	return nil
}
