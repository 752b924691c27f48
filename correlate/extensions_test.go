package correlate

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
)

func TestSCOIDGivesTheSpecificationsIds(t *testing.T) {
	// The ids python-stix2, the reference implementation, gives. The ids of
	// the specification's own SCO examples (ipv4-addr--ff26c055-… for
	// 198.51.100.3) were computed otherwise and are known to be wrong
	// (oasis-tcs/cti-stix2 issue 318, which lists these correct ones).
	cases := []struct {
		typ   string
		props map[string]any
		want  string
	}{
		{"ipv4-addr", map[string]any{"value": "198.51.100.3"}, "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"},
		{"ipv4-addr", map[string]any{"value": "198.52.200.4"}, "ipv4-addr--055987b7-7d94-5326-8e20-c3dad8241976"},
		{"domain-name", map[string]any{"value": "example.com"}, "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"},
	}
	for _, c := range cases {
		got, err := SCOID(c.typ, c.props)
		if err != nil || got != c.want {
			t.Errorf("SCOID(%s, %v) = %s, %v; want %s", c.typ, c.props, got, err, c.want)
		}
	}
	if _, err := SCOID("phone-number", nil); err == nil {
		t.Error("an id without contributing properties")
	}
}

func TestTheExtensionDefinitionsAreValidFixedAndLiaisons(t *testing.T) {
	defs := ExtensionDefinitions()
	want := []string{PhoneNumberExtension, TravelDocumentExtension, VehicleExtension, VesselExtension,
		ShippingContainerExtension, FlightExtension, PersonExtension}
	if len(defs) != len(want) {
		t.Fatalf("%d definitions, want %d", len(defs), len(want))
	}
	for i, raw := range defs {
		o, err := stix.Parse(raw)
		if err != nil {
			t.Fatalf("definition %d: %v", i, err)
		}
		if o.ID != want[i] || o.CreatedByRef != policy.LiaisonIdentity || o.Type != "extension-definition" {
			t.Errorf("definition %d: id %s, created by %s", i, o.ID, o.CreatedByRef)
		}
		if string(o.Raw) != string(raw) {
			t.Errorf("%s is not compact JSON", o.ID)
		}
		var d struct {
			ExtensionTypes []string `json:"extension_types"`
			Schema         string   `json:"schema"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		wantType := "new-sco"
		if o.ID == PersonExtension {
			wantType = "property-extension"
		}
		if !slices.Equal(d.ExtensionTypes, []string{wantType}) || !strings.HasPrefix(d.Schema, "https://github.com/liaison-intel/liaison/blob/main/docs/EXTENSIONS.md#") {
			t.Errorf("%s: extension types %v, schema %s", o.ID, d.ExtensionTypes, d.Schema)
		}
		defs[i][0] = 'X' // each call returns new copies
	}
	if ExtensionDefinitions()[0][0] != '{' {
		t.Error("ExtensionDefinitions returns shared bytes")
	}
	for typ, ext := range observableExtensions {
		if !slices.Contains(want, ext) || len(idContributing[typ]) == 0 {
			t.Errorf("%s: extension %s, contributing %v", typ, ext, idContributing[typ])
		}
		if _, spec := stix.SpecKind(typ); spec || strings.HasPrefix(typ, "x-") {
			t.Errorf("%s clashes with a specification type or uses the deprecated x- prefix", typ)
		}
	}
}

// builders are the inputs of the examples of docs/EXTENSIONS.md, written as a
// person might type them.
var builders = map[string]interface{ Object(Options) ([]byte, error) }{
	TypePhoneNumber: PhoneNumber{Value: "+7 921 555-01-43"},
	TypeTravelDocument: TravelDocument{IssuingCountry: "RUS", DocumentNumber: "72 4817305", DocumentType: "passport",
		HolderName: "Semyon Arkadyevich Lorin", HolderDateOfBirth: "1961-03-04", Nationality: "RUS",
		DateOfIssue: "2001-06-19", DateOfExpiry: "2006-06-19"},
	TypeVehicle:           Vehicle{RegistrationCountry: "GB", Registration: "LR03 KXT", Make: "Ford", Model: "Transit", Colour: "white"},
	TypeVessel:            Vessel{IMONumber: "IMO 9074729", MMSI: "538002461", Name: "MARINA STAR", Flag: "MH", CallSign: "v7ab3"},
	TypeShippingContainer: ShippingContainer{ContainerNumber: "CSQU 305438 3", SizeType: "22G1"},
	TypeFlight: Flight{Carrier: "BA", FlightNumber: "175", DepartureDate: "2003-08-12", Origin: "LHR", Destination: "JFK",
		AircraftRegistration: "GBNLN"},
}

// exampleSelectors are the selectors of the examples, as the section's
// table lists them.
var exampleSelectors = map[string][]string{
	TypePhoneNumber:       {"phone:+79215550143"},
	TypeTravelDocument:    {"document:RU:724817305", "person:arkadyevich lorin semyon|1961-03-04"},
	TypeVehicle:           {"vehicle:GB:LR03KXT"},
	TypeVessel:            {"vessel:9074729"},
	TypeShippingContainer: {"container:CSQU3054383"},
	TypeFlight:            {"flight:BA0175/2003-08-12", "aircraft:G-BNLN"},
	"identity":            {"person:arkadyevich lorin semyon|1961-03-04", "person:аркадьевич лорин семен|1961-03-04"},
}

func strs(sels []Selector) []string {
	out := make([]string, len(sels))
	for i, s := range sels {
		out[i] = s.String()
	}
	return out
}

// observablesSection returns the JSON blocks of the Observables section of
// docs/EXTENSIONS.md.
func observablesSection(t *testing.T) [][]byte {
	t.Helper()
	doc, err := os.ReadFile("../docs/EXTENSIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Observables\n")
	if !ok {
		t.Fatal("docs/EXTENSIONS.md has no Observables section")
	}
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var blocks [][]byte
	for {
		_, rest, ok := strings.Cut(section, "```json\n")
		if !ok {
			return blocks
		}
		block, after, _ := strings.Cut(rest, "```\n")
		blocks = append(blocks, []byte(block))
		section = after
	}
}

func TestTheObservablesSectionOfTheDocsShowsTheCode(t *testing.T) {
	var defs, examples [][]byte
	for _, b := range observablesSection(t) {
		if bytes.Contains(b, []byte(`"type": "extension-definition"`)) {
			defs = append(defs, b)
		} else {
			examples = append(examples, b)
		}
	}
	code := ExtensionDefinitions()
	if len(defs) != len(code) {
		t.Fatalf("the section shows %d definitions, the code has %d", len(defs), len(code))
	}
	for i, d := range code {
		var indented bytes.Buffer
		json.Indent(&indented, d, "", "  ")
		if got := string(bytes.TrimSpace(defs[i])); got != indented.String() {
			t.Errorf("definition %d is not the code's:\n%s\nwant\n%s", i, got, indented.String())
		}
	}
	seen := map[string]bool{}
	for _, ex := range examples {
		o, err := stix.Parse(ex)
		if err != nil {
			t.Fatalf("an example is refused: %v\n%s", err, ex)
		}
		seen[o.Type] = true
		if b, ok := builders[o.Type]; ok {
			if o.Kind != stix.KindSCO {
				t.Errorf("%s is parsed as a %v, not an SCO", o.ID, o.Kind)
			}
			built, err := b.Object(gb)
			if err != nil {
				t.Fatal(err)
			}
			if string(built) != string(o.Raw) {
				t.Errorf("the %s example is not what its builder writes:\n%s\nwant\n%s", o.Type, o.Raw, built)
			}
			props := map[string]any{}
			for _, name := range idContributing[o.Type] {
				if v := o.String(name); v != "" {
					props[name] = v
				}
			}
			if id, _ := SCOID(o.Type, props); id != o.ID {
				t.Errorf("%s: the id of its contributing properties is %s", o.ID, id)
			}
		}
		sels, problems := Extract(o, gb)
		if len(problems) > 0 {
			t.Errorf("%s: problems %v", o.ID, problems)
		}
		if got, want := strs(sels), exampleSelectors[o.Type]; !slices.Equal(got, want) {
			t.Errorf("%s: selectors %q, want %q", o.ID, got, want)
		}
	}
	for typ := range exampleSelectors {
		if !seen[typ] {
			t.Errorf("no example of %s", typ)
		}
	}
}

func TestBuildersWriteTheSameIdHoweverTheValueIsTyped(t *testing.T) {
	pairs := [][2]interface{ Object(Options) ([]byte, error) }{
		{PhoneNumber{Value: "020 7946 0958"}, PhoneNumber{Value: "+44 (20) 7946-0958"}},
		{TravelDocument{IssuingCountry: "gbr", DocumentNumber: "12345 6789"}, TravelDocument{IssuingCountry: "GB", DocumentNumber: "123456789", HolderName: "X Y"}},
		{Vehicle{RegistrationCountry: "RUS", Registration: "А123ВС 77"}, Vehicle{RegistrationCountry: "RU", Registration: "a123bc77", Colour: "black"}},
		{Vessel{IMONumber: "9074729"}, Vessel{IMONumber: "IMO 9074729", Name: "X"}},
		{ShippingContainer{ContainerNumber: "csqu-305438-3"}, ShippingContainer{ContainerNumber: "CSQU3054383", SizeType: "45G1"}},
		{Flight{Carrier: "ba", FlightNumber: "0175", DepartureDate: "2003-08-12"}, Flight{Carrier: "BA", FlightNumber: "175", DepartureDate: "2003-08-12", Origin: "LHR"}},
	}
	for _, p := range pairs {
		a, err1 := p[0].Object(gb)
		b, err2 := p[1].Object(gb)
		if err1 != nil || err2 != nil {
			t.Fatalf("%v, %v", err1, err2)
		}
		oa, err1 := stix.Parse(a)
		ob, err2 := stix.Parse(b)
		if err1 != nil || err2 != nil {
			t.Fatalf("%v, %v", err1, err2)
		}
		if oa.ID != ob.ID {
			t.Errorf("%s and %s: one thing, two ids", a, b)
		}
	}
	// And different things get different ids.
	a, _ := Flight{Carrier: "BA", FlightNumber: "175", DepartureDate: "2003-08-12"}.Object(gb)
	b, _ := Flight{Carrier: "BA", FlightNumber: "175", DepartureDate: "2003-08-13"}.Object(gb)
	if oa, ob := mustParse(t, a), mustParse(t, b); oa.ID == ob.ID {
		t.Error("two departures of a flight have one id")
	}
}

func mustParse(t testing.TB, raw []byte) *stix.Object {
	t.Helper()
	o, err := stix.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestBuildersRefuseWhatFailsItsCheck(t *testing.T) {
	cases := []struct {
		name string
		b    interface{ Object(Options) ([]byte, error) }
		err  string
	}{
		{"an impossible phone number", PhoneNumber{Value: "+44 123"}, "phone number"},
		{"a document without country", TravelDocument{DocumentNumber: "123456789"}, "travel document"},
		{"a bad nationality", TravelDocument{IssuingCountry: "GB", DocumentNumber: "123456789", Nationality: "XX"}, `country "XX"`},
		{"a bad date of expiry", TravelDocument{IssuingCountry: "GB", DocumentNumber: "123456789", DateOfExpiry: "2006-13-01"}, `date "2006-13-01"`},
		{"a vehicle with nothing", Vehicle{Make: "Ford"}, "needs a registration or a VIN"},
		{"a VIN with an O", Vehicle{VIN: "1HGCM82633O004352"}, "VIN has O"},
		{"a short VIN", Vehicle{VIN: "1HGCM8263"}, "VIN of 9 characters"},
		{"a wrong IMO check digit", Vessel{IMONumber: "9074728"}, "check digit is 9, not 8"},
		{"a short MMSI", Vessel{MMSI: "12345"}, "is not 9 digits"},
		{"a vessel with nothing", Vessel{Name: "X"}, "needs an IMO number or an MMSI"},
		{"a wrong container check digit", ShippingContainer{ContainerNumber: "CSQU3054384"}, "check digit is 3, not 4"},
		{"a bad size-type code", ShippingContainer{ContainerNumber: "CSQU3054383", SizeType: "22 G1 X"}, "size and type code"},
		{"a flight without a date", Flight{Carrier: "BA", FlightNumber: "175"}, "flight"},
		{"a bad aircraft registration", Flight{Carrier: "BA", FlightNumber: "175", DepartureDate: "2003-08-12", AircraftRegistration: "QQ-123"}, "nationality mark"},
		{"a bad airport", Flight{Carrier: "BA", FlightNumber: "175", DepartureDate: "2003-08-12", Origin: "London"}, "airport"},
	}
	for _, c := range cases {
		if got, err := c.b.Object(gb); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: %s, %v; want an error saying %q", c.name, got, err, c.err)
		}
	}
	if v, err := (Vehicle{VIN: "1hgcm82633a004352"}).Object(gb); err != nil || !bytes.Contains(v, []byte(`"vin":"1HGCM82633A004352"`)) {
		t.Errorf("a vehicle by its VIN: %s, %v", v, err)
	}
}
