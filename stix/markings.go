package stix

import "strings"

// TLP 1.0 marking definitions (STIX 2.1 §7.2.1.4). The specification defines
// exactly these four objects; other instances of the TLP marking type MUST
// NOT be created.
var tlp1 = map[string]string{
	TLP1White: "white",
	TLP1Green: "green",
	TLP1Amber: "amber",
	TLP1Red:   "red",
}

// The official ids of the TLP marking definitions: TLP 1.0 (STIX 2.1
// §7.2.1.4) and TLP 2.0 (the FIRST/OASIS extension). Every tool knows them by
// these ids; no other TLP marking definition may be created.
const (
	TLP1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	TLP1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	TLP1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	TLP1Red   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"

	TLP2Clear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLP2Green       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLP2Amber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLP2AmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLP2Red         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// TLPLevel returns the TLP level of an official TLP marking definition, in
// TLP 2.0 words ("clear", "green", "amber", "amber+strict", "red"; TLP 1.0
// WHITE is CLEAR), and false for any other id.
func TLPLevel(id string) (string, bool) {
	if level, ok := tlp2[id]; ok {
		return level, true
	}
	if level, ok := tlp1[id]; ok {
		if level == "white" {
			return "clear", true
		}
		return level, true
	}
	return "", false
}

// tlp1Created is the created timestamp of the four TLP 1.0 definitions.
const tlp1Created = "2017-01-20T00:00:00.000Z"

// TLP2Extension is the id of the OASIS extension-definition that defines TLP
// 2.0 marking definitions (published in oasis-open/cti-stix-common-objects).
const TLP2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// The official TLP 2.0 marking-definition objects: id and tlp_2_0 level.
var tlp2 = map[string]string{
	TLP2Clear:       "clear",
	TLP2Green:       "green",
	TLP2Amber:       "amber",
	TLP2AmberStrict: "amber+strict",
	TLP2Red:         "red",
}

// checkMarkingDefinition applies §7.2.1: without extensions a marking
// definition has definition_type and definition; statement and TLP
// definitions have their fixed shapes; and TLP markings, 1.0 or 2.0, are only
// the standard objects with their official ids.
func checkMarkingDefinition(v view) error {
	o := v.o
	defType, hasType := unquote(v.get("definition_type"))
	def := v.get("definition")
	if !v.has("extensions") {
		if !hasType {
			return v.fail("definition_type", "is required when extensions is absent (STIX 2.1 §7.2.1)")
		}
		if def == nil {
			return v.fail("definition", "is required when extensions is absent (STIX 2.1 §7.2.1)")
		}
	}
	if def != nil && !hasType {
		return v.fail("definition_type", "is required when definition is present (STIX 2.1 §7.2.1)")
	}
	if _, official := tlp1[o.ID]; official && defType != "tlp" {
		return v.fail("definition_type", "must be \"tlp\": %s is a TLP 1.0 marking definition (STIX 2.1 §7.2.1.4)", o.ID)
	}
	switch defType {
	case "statement":
		if def == nil {
			return v.fail("definition", "is required for a statement marking (STIX 2.1 §7.2.1.3)")
		}
		if err := checkProps(v.nested("definition", def), []prop{aString("statement").req()}); err != nil {
			return err
		}
	case "tlp":
		color, official := tlp1[o.ID]
		if !official {
			return v.fail("id", "is not one of the four TLP 1.0 marking definitions; other TLP marking definitions must not be created (STIX 2.1 §7.2.1.4)")
		}
		if def == nil {
			return v.fail("definition", "is required for a TLP marking (STIX 2.1 §7.2.1.4)")
		}
		if got, _ := unquote(memberOf(def, "tlp")); got != color {
			return v.fail("definition.tlp", "must be %q for %s (STIX 2.1 §7.2.1.4)", color, o.ID)
		}
		if name, _ := unquote(v.get("name")); name != "TLP:"+strings.ToUpper(color) {
			return v.fail("name", "must be %q for %s (STIX 2.1 §7.2.1.4)", "TLP:"+strings.ToUpper(color), o.ID)
		}
		if o.Created.Key() != mustKey(tlp1Created) {
			return v.fail("created", "must be %s for the TLP 1.0 marking definitions (STIX 2.1 §7.2.1.4)", tlp1Created)
		}
	}
	return checkTLP2(v)
}

func mustKey(s string) string {
	t, _ := ParseTimestamp(s)
	return t.Key()
}

// checkTLP2 checks the TLP 2.0 marking definitions: an object that uses the
// TLP 2.0 extension must be one of the five official objects, with the level
// and name of its id, and an object with one of those ids must use the
// extension.
func checkTLP2(v view) error {
	o := v.o
	want, official := tlp2[o.ID]
	body := memberOf(v.get("extensions"), TLP2Extension)
	if body == nil {
		if official {
			return v.fail("extensions", "must carry the TLP 2.0 extension (%s): %s is the TLP:%s marking definition", TLP2Extension, o.ID, strings.ToUpper(want))
		}
		return nil
	}
	field := "extensions." + TLP2Extension
	level, _ := unquote(memberOf(body, "tlp_2_0"))
	if _, known := tlp2Levels[level]; !known {
		return v.fail(field+".tlp_2_0", "must be one of clear, green, amber, amber+strict, red, not %q", clip(level))
	}
	if et, _ := unquote(memberOf(body, "extension_type")); et != "property-extension" {
		return v.fail(field+".extension_type", "must be \"property-extension\" for the TLP 2.0 extension")
	}
	if !official || want != level {
		return v.fail("id", "must be the official id of the TLP:%s marking definition (%s); other TLP 2.0 marking definitions must not be created", strings.ToUpper(level), tlp2Levels[level])
	}
	if name, _ := unquote(v.get("name")); name != "TLP:"+strings.ToUpper(level) {
		return v.fail("name", "must be %q for %s", "TLP:"+strings.ToUpper(level), o.ID)
	}
	return nil
}

var tlp2Levels = func() map[string]string {
	m := make(map[string]string, len(tlp2))
	for id, level := range tlp2 {
		m[level] = id
	}
	return m
}()
