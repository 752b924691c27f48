package stix

import (
	"sort"
	"strings"
	"testing"
)

func TestEveryTypeOfTheSpecificationHasAnAcceptedExample(t *testing.T) {
	var missing []string
	for typ := range specTypes {
		ex, ok := examples[typ]
		if !ok {
			missing = append(missing, typ)
			continue
		}
		o, err := Parse([]byte(ex))
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		if o.Type != typ {
			t.Errorf("%s parsed as type %q", typ, o.Type)
		}
		if _, ok := typeRules[typ]; !ok {
			t.Errorf("%s has no rule", typ)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no example for %v", missing)
	}
	if n := len(specTypes); n != 19+2+18+3 {
		t.Errorf("specTypes has %d types, want 42 (19 SDOs, 2 SROs, 18 SCOs, 3 meta)", n)
	}
}

func TestCommonProperties(t *testing.T) {
	ind := examples["indicator"]
	ip := examples["ipv4-addr"]
	runRuleCases(t, []ruleCase{
		{"an object without a type is refused", ind, map[string]any{"type": drop}, "type"},
		{"a type in upper case is refused", ind, map[string]any{"type": "Indicator"}, "type"},
		{"a type with two hyphens in a row is refused", ind, map[string]any{"type": "x--foo"}, "type"},
		{"a bundle is not an object to store", ind, map[string]any{"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, "type"},
		{"an object without an id is refused", ind, map[string]any{"id": drop}, "id"},
		{"an id of another type is refused", ind, map[string]any{"id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, "id"},
		{"an id whose UUID has version 0 is refused", ind, map[string]any{"id": "indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f"}, "id"},
		{"an id whose UUID has the wrong variant is refused", ind, map[string]any{"id": "indicator--8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f"}, "id"},
		{"an id in upper-case hexadecimal is accepted", ind, map[string]any{"id": "indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F"}, ""},
		{"spec_version 2.0 is refused", ind, map[string]any{"spec_version": "2.0"}, "spec_version"},
		{"spec_version as a number is refused", ind, map[string]any{"spec_version": 2.1}, "spec_version"},
		{"a domain object without spec_version is refused", ind, map[string]any{"spec_version": drop}, "spec_version"},
		{"a cyber-observable without spec_version is accepted", ip, map[string]any{"spec_version": drop}, ""},
		{"a domain object without created is refused", ind, map[string]any{"created": drop}, "created"},
		{"a domain object without modified is refused", ind, map[string]any{"modified": drop}, "modified"},
		{"created without milliseconds is refused", ind, map[string]any{"created": "2016-04-06T20:03:48Z", "modified": "2016-04-06T20:03:48.000Z"}, "created"},
		{"modified with two fractional digits is refused", ind, map[string]any{"modified": "2016-04-06T20:03:48.10Z"}, "modified"},
		{"created with microseconds is accepted", ind, map[string]any{"created": "2016-04-06T20:03:48.000123Z", "modified": "2016-04-06T20:03:48.000123Z"}, ""},
		{"modified before created is refused", ind, map[string]any{"modified": "2016-04-06T20:03:47.999Z"}, "modified"},
		{"a timestamp with an offset is refused", ind, map[string]any{"modified": "2016-04-06T20:03:48.000+00:00"}, "modified"},
		{"created_by_ref to a non-identity is refused", ind, map[string]any{"created_by_ref": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, "created_by_ref"},
		{"revoked as a string is refused", ind, map[string]any{"revoked": "false"}, "revoked"},
		{"revoked true is accepted", ind, map[string]any{"revoked": true}, ""},
		{"an empty labels list is refused", ind, map[string]any{"labels": []string{}}, "labels"},
		{"a label that is not a string is refused", ind, map[string]any{"labels": []any{"a", 2}}, "labels[1]"},
		{"confidence 101 is refused", ind, map[string]any{"confidence": 101}, "confidence"},
		{"confidence 50.5 is refused", ind, map[string]any{"confidence": 50.5}, "confidence"},
		{"confidence 0 is accepted", ind, map[string]any{"confidence": 0}, ""},
		{"lang that is not a language code is refused", ind, map[string]any{"lang": "English language"}, "lang"},
		{"lang de-CH is accepted", ind, map[string]any{"lang": "de-CH"}, ""},
		{"an external reference with only a source name is refused", ind, map[string]any{"external_references": []any{map[string]any{"source_name": "acme"}}}, "external_references[0]"},
		{"an external reference without a source name is refused", ind, map[string]any{"external_references": []any{map[string]any{"url": "https://example.com"}}}, "external_references[0].source_name"},
		{"an external reference with only hashes besides the source name is refused", ind, map[string]any{"external_references": []any{map[string]any{"source_name": "acme", "hashes": map[string]string{"MD5": "3773a88f65a5e780c8dff9cdc3a056f3"}}}}, "external_references[0]"},
		{"a CAPEC reference must be formatted CAPEC-n", ind, map[string]any{"external_references": []any{map[string]any{"source_name": "capec", "external_id": "163"}}}, "external_references[0].external_id"},
		{"a CVE reference must be a CVE identifier", ind, map[string]any{"external_references": []any{map[string]any{"source_name": "cve", "external_id": "2016-1234"}}}, "external_references[0].external_id"},
		{"an external reference hash of the wrong length is refused", ind, map[string]any{"external_references": []any{map[string]any{"source_name": "acme", "url": "https://example.com", "hashes": map[string]string{"SHA-256": "abcd"}}}}, "external_references[0].hashes.SHA-256"},
		{"an empty external_references list is refused", ind, map[string]any{"external_references": []any{}}, "external_references"},
		{"object_marking_refs naming an identity is refused", ind, map[string]any{"object_marking_refs": []string{idIdentity}}, "object_marking_refs[0]"},
		{"object_marking_refs naming a marking definition is accepted", ind, map[string]any{"object_marking_refs": []string{idMarking}}, ""},
		{"a granular marking of a present property is accepted", ind, map[string]any{"granular_markings": []any{map[string]any{"marking_ref": idMarking, "selectors": []string{"description", "name"}}}, "description": "x"}, ""},
		{"a granular marking of a list item and its property is accepted", examples["attack-pattern"], map[string]any{"granular_markings": []any{map[string]any{"lang": "en", "selectors": []string{"external_references.[0].source_name", "kill_chain_phases.[0]"}}}}, ""},
		{"a granular marking of an absent property is refused", ind, map[string]any{"granular_markings": []any{map[string]any{"marking_ref": idMarking, "selectors": []string{"name", "description"}}}}, "granular_markings[0].selectors[1]"},
		{"a granular marking selector past the end of a list is refused", ind, map[string]any{"granular_markings": []any{map[string]any{"marking_ref": idMarking, "selectors": []string{"indicator_types.[1]"}}}}, "granular_markings[0].selectors[0]"},
		{"a granular marking selector into a string is refused", ind, map[string]any{"granular_markings": []any{map[string]any{"marking_ref": idMarking, "selectors": []string{"name.[0]"}}}}, "granular_markings[0].selectors[0]"},
		{"a granular marking with both marking_ref and lang is refused", ind, map[string]any{"granular_markings": []any{map[string]any{"marking_ref": idMarking, "lang": "en", "selectors": []string{"name"}}}}, "granular_markings[0]"},
		{"a granular marking without selectors is refused", ind, map[string]any{"granular_markings": []any{map[string]any{"marking_ref": idMarking}}}, "granular_markings[0].selectors"},
		{"a marking definition that marks itself is refused", statementMarking, map[string]any{"object_marking_refs": []string{"marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd"}}, "object_marking_refs[0]"},
		{"defanged on a domain object is refused", ind, map[string]any{"defanged": true}, "defanged"},
		{"defanged on a cyber-observable is accepted", ip, map[string]any{"defanged": true}, ""},
		{"an extension under an unknown kind of key is refused", ind, map[string]any{"extensions": map[string]any{"acme": map[string]any{"a": 1}}}, "extensions.acme"},
		{"an extension-definition extension without extension_type is refused", ind, map[string]any{"extensions": map[string]any{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": map[string]any{"rank": 5}}}, "extensions.extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e.extension_type"},
		{"a property extension is accepted", ind, map[string]any{"extensions": map[string]any{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": map[string]any{"extension_type": "property-extension", "rank": 5}}}, ""},
		{"an empty extensions dictionary is refused", ind, map[string]any{"extensions": map[string]any{}}, "extensions"},
		{"a custom property is accepted", ind, map[string]any{"x_acme_priority": map[string]any{"level": 3}}, ""},
		{"a custom property of two characters is refused", ind, map[string]any{"xa": 1}, "xa"},
		{"a property name with a hyphen is refused", ind, map[string]any{"x-acme": 1}, "x-acme"},
		{"the reserved property severity is refused", ind, map[string]any{"severity": "high"}, "severity"},
		{"the reserved property action is refused", examples["course-of-action"], map[string]any{"action": "block"}, "action"},
		{"a custom object type is accepted", customSDO, nil, ""},
		{"a custom object with created but without modified is refused", customSDO, map[string]any{"modified": drop}, "modified"},
		{"an extension-defined domain object is accepted", extensionSDO, nil, ""},
		{"an extension-defined domain object without spec_version is refused", extensionSDO, map[string]any{"spec_version": drop}, "spec_version"},
		{"an extension-defined cyber-observable is accepted", extensionSCO, nil, ""},
		{"an integer beyond 54 bits in a specified property is refused", examples["autonomous-system"], map[string]any{"number": raw("9007199254740992")}, "number"},
	})
}

func TestDomainObjectRules(t *testing.T) {
	ex := examples
	runRuleCases(t, []ruleCase{
		{"an attack pattern needs a name", ex["attack-pattern"], map[string]any{"name": drop}, "name"},
		{"an attack pattern's name must be a string", ex["attack-pattern"], map[string]any{"name": []string{"x"}}, "name"},
		{"a kill-chain phase needs a phase name", ex["attack-pattern"], map[string]any{"kill_chain_phases": []any{map[string]any{"kill_chain_name": "lmco"}}}, "kill_chain_phases[0].phase_name"},
		{"kill-chain phases must be objects", ex["attack-pattern"], map[string]any{"kill_chain_phases": []any{"delivery"}}, "kill_chain_phases[0]"},
		{"a campaign's last_seen may not precede first_seen", ex["campaign"], map[string]any{"last_seen": "2015-12-31T23:59:59Z"}, "last_seen"},
		{"a campaign's first_seen must be a timestamp", ex["campaign"], map[string]any{"first_seen": "yesterday"}, "first_seen"},
		{"a course of action needs a name", ex["course-of-action"], map[string]any{"name": drop}, "name"},
		{"a grouping needs a context", ex["grouping"], map[string]any{"context": drop}, "context"},
		{"a grouping's context is an open vocabulary", ex["grouping"], map[string]any{"context": "case-igla"}, ""},
		{"a grouping needs object_refs", ex["grouping"], map[string]any{"object_refs": drop}, "object_refs"},
		{"a grouping's object_refs may not be empty", ex["grouping"], map[string]any{"object_refs": []string{}}, "object_refs"},
		{"a grouping's object_refs may not name a bundle", ex["grouping"], map[string]any{"object_refs": []string{"bundle--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3"}}, "object_refs[0]"},
		{"an identity needs a name", ex["identity"], map[string]any{"name": drop}, "name"},
		{"an identity's identity_class is an open vocabulary", ex["identity"], map[string]any{"identity_class": "liaison-node"}, ""},
		{"an incident needs a name", ex["incident"], map[string]any{"name": drop}, "name"},
		{"an indicator needs a pattern", ex["indicator"], map[string]any{"pattern": drop}, "pattern"},
		{"an indicator needs a pattern_type", ex["indicator"], map[string]any{"pattern_type": drop}, "pattern_type"},
		{"an indicator's pattern_type is an open vocabulary", ex["indicator"], map[string]any{"pattern_type": "kql"}, ""},
		{"an indicator's pattern is not parsed here", ex["indicator"], map[string]any{"pattern": "[app:id = 'com.example']"}, ""},
		{"an indicator needs valid_from", ex["indicator"], map[string]any{"valid_from": drop}, "valid_from"},
		{"an indicator's valid_until must be later than valid_from", ex["indicator"], map[string]any{"valid_until": "2016-01-01T00:00:00Z"}, "valid_until"},
		{"an indicator's valid_until may be any later instant", ex["indicator"], map[string]any{"valid_until": "2016-01-01T00:00:00.001Z"}, ""},
		{"a STIX pattern must parse", ex["indicator"], map[string]any{"pattern": "[url:value LIKE]"}, "pattern"},
		{"a STIX pattern's comparison needs its brackets", ex["indicator"], map[string]any{"pattern": "ipv4-addr:value = '198.51.100.1'"}, "pattern"},
		{"another pattern language is kept unread", ex["indicator"], map[string]any{"pattern_type": "snort", "pattern": "alert tcp any any -> any any (msg:\"x\";)"}, ""},
		{"an infrastructure needs a name", ex["infrastructure"], map[string]any{"name": drop}, "name"},
		{"an infrastructure's types must be a list", ex["infrastructure"], map[string]any{"infrastructure_types": "botnet"}, "infrastructure_types"},
		{"an intrusion set needs a name", ex["intrusion-set"], map[string]any{"name": drop}, "name"},
		{"an intrusion set's goals must be strings", ex["intrusion-set"], map[string]any{"goals": []any{1}}, "goals[0]"},
		{"a location needs a region, a country or coordinates", ex["location"], map[string]any{"region": drop, "country": drop}, wholeObject},
		{"a location with a country only is accepted", ex["location"], map[string]any{"region": drop}, ""},
		{"a location with an alpha-3 country code is accepted (SHOULD, not MUST)", ex["location"], map[string]any{"country": "THA"}, ""},
		{"a location with coordinates only is accepted", ex["location"], map[string]any{"region": drop, "country": drop, "latitude": 48.8566, "longitude": 2.3522, "precision": 1000.0}, ""},
		{"a location's latitude needs a longitude", ex["location"], map[string]any{"latitude": 48.8566}, "longitude"},
		{"a location's precision needs coordinates", ex["location"], map[string]any{"precision": 10.0}, "precision"},
		{"a location's latitude must be within -90 and 90", ex["location"], map[string]any{"latitude": 91.0, "longitude": 0.0}, "latitude"},
		{"a location's longitude must be within -180 and 180", ex["location"], map[string]any{"latitude": 0.0, "longitude": -180.5}, "longitude"},
		{"a location's coordinates must be numbers", ex["location"], map[string]any{"latitude": "48.8566", "longitude": "2.3522"}, "latitude"},
		{"malware needs is_family", ex["malware"], map[string]any{"is_family": drop}, "is_family"},
		{"malware's is_family must be a boolean", ex["malware"], map[string]any{"is_family": "true"}, "is_family"},
		{"a malware family needs a name", ex["malware"], map[string]any{"name": drop}, "name"},
		{"a malware instance needs no name", ex["malware"], map[string]any{"name": drop, "is_family": false}, ""},
		{"malware samples are files or artifacts", ex["malware"], map[string]any{"sample_refs": []string{"url--c1477287-23ac-5971-a010-5c287877fa60"}}, "sample_refs[0]"},
		{"malware operating systems are software", ex["malware"], map[string]any{"operating_system_refs": []string{"file--6ce09d9c-0ad3-5ebf-900c-e3cb288955b5"}}, "operating_system_refs[0]"},
		{"a malware analysis needs a product", ex["malware-analysis"], map[string]any{"product": drop}, "product"},
		{"a malware analysis needs a result or analysed observables", ex["malware-analysis"], map[string]any{"result": drop}, wholeObject},
		{"a malware analysis with analysed observables only is accepted", ex["malware-analysis"], map[string]any{"result": drop, "analysis_sco_refs": []string{"file--ba8965d8-e4ec-5f9c-a4df-1c460994ca58"}}, ""},
		{"a malware analysis's captured objects may be any STIX object", ex["malware-analysis"], map[string]any{"analysis_sco_refs": []string{"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}}, ""},
		{"a malware analysis's captured objects may not be bundles", ex["malware-analysis"], map[string]any{"analysis_sco_refs": []string{"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}}, "analysis_sco_refs[0]"},
		{"a malware analysis's sample is a file, artifact or traffic", ex["malware-analysis"], map[string]any{"sample_ref": "url--c1477287-23ac-5971-a010-5c287877fa60"}, "sample_ref"},
		{"a note needs content", ex["note"], map[string]any{"content": drop}, "content"},
		{"a note needs object_refs", ex["note"], map[string]any{"object_refs": drop}, "object_refs"},
		{"a note's object_refs must be identifiers", ex["note"], map[string]any{"object_refs": []string{"campaign-1"}}, "object_refs[0]"},
		{"observed data needs first_observed", ex["observed-data"], map[string]any{"first_observed": drop}, "first_observed"},
		{"observed data's last_observed may not precede first_observed", ex["observed-data"], map[string]any{"last_observed": "2015-12-21T18:59:59Z"}, "last_observed"},
		{"observed data needs number_observed", ex["observed-data"], map[string]any{"number_observed": drop}, "number_observed"},
		{"observed data's number_observed must be at least 1", ex["observed-data"], map[string]any{"number_observed": 0}, "number_observed"},
		{"observed data's number_observed must be at most 999999999", ex["observed-data"], map[string]any{"number_observed": 1000000000}, "number_observed"},
		{"observed data needs object_refs or objects", ex["observed-data"], map[string]any{"object_refs": drop}, "object_refs"},
		{"observed data may not have both object_refs and objects", ex["observed-data"], map[string]any{"objects": map[string]any{"0": map[string]any{"type": "ipv4-addr", "value": "198.51.100.3"}}}, "objects"},
		{"observed data with the deprecated objects is accepted", ex["observed-data"], map[string]any{"object_refs": drop, "objects": map[string]any{"0": map[string]any{"type": "ipv4-addr", "value": "198.51.100.3"}}}, ""},
		{"observed data's objects must be cyber-observables with a type", ex["observed-data"], map[string]any{"object_refs": drop, "objects": map[string]any{"0": map[string]any{"value": "198.51.100.3"}}}, "objects.0.type"},
		{"observed data's objects may not be empty", ex["observed-data"], map[string]any{"object_refs": drop, "objects": map[string]any{}}, "objects"},
		{"observed data may not refer to domain objects", ex["observed-data"], map[string]any{"object_refs": []string{"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}}, "object_refs[0]"},
		{"observed data needs at least one cyber-observable", ex["observed-data"], map[string]any{"object_refs": []string{"relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e"}}, "object_refs"},
		{"an opinion needs an opinion", ex["opinion"], map[string]any{"opinion": drop}, "opinion"},
		{"an opinion is a closed vocabulary", ex["opinion"], map[string]any{"opinion": "mostly-agree"}, "opinion"},
		{"an opinion of agree is accepted", ex["opinion"], map[string]any{"opinion": "agree"}, ""},
		{"an opinion needs object_refs", ex["opinion"], map[string]any{"object_refs": drop}, "object_refs"},
		{"a report needs a name", ex["report"], map[string]any{"name": drop}, "name"},
		{"a report needs published", ex["report"], map[string]any{"published": drop}, "published"},
		{"a report needs object_refs", ex["report"], map[string]any{"object_refs": drop}, "object_refs"},
		{"a threat actor needs a name", ex["threat-actor"], map[string]any{"name": drop}, "name"},
		{"a threat actor's sophistication is an open vocabulary", ex["threat-actor"], map[string]any{"sophistication": "pbx-advanced-activity"}, ""},
		{"a tool needs a name", ex["tool"], map[string]any{"name": drop}, "name"},
		{"a vulnerability needs a name", ex["vulnerability"], map[string]any{"name": drop}, "name"},
	})
}

func TestRelationshipObjectRules(t *testing.T) {
	rel, sig := examples["relationship"], examples["sighting"]
	runRuleCases(t, []ruleCase{
		{"a relationship needs a relationship_type", rel, map[string]any{"relationship_type": drop}, "relationship_type"},
		{"a user-defined relationship type is accepted", rel, map[string]any{"relationship_type": "delivered-by"}, ""},
		{"a relationship type with upper case is refused", rel, map[string]any{"relationship_type": "Uses"}, "relationship_type"},
		{"a relationship type with a space is refused", rel, map[string]any{"relationship_type": "related to"}, "relationship_type"},
		{"a relationship needs a source_ref", rel, map[string]any{"source_ref": drop}, "source_ref"},
		{"a relationship needs a target_ref", rel, map[string]any{"target_ref": drop}, "target_ref"},
		{"a relationship's source must be an identifier", rel, map[string]any{"source_ref": "intrusion-set"}, "source_ref"},
		{"a relationship may not start at a relationship", rel, map[string]any{"source_ref": "relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e"}, "source_ref"},
		{"a relationship may not point at a marking definition", rel, map[string]any{"target_ref": idMarking}, "target_ref"},
		{"a relationship may not point at a language content", rel, map[string]any{"target_ref": "language-content--b86bd89f-98bb-4fa9-8cb2-9ad421da981d"}, "target_ref"},
		{"a relationship may not point at a sighting", rel, map[string]any{"target_ref": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75"}, "target_ref"},
		{"a relationship may link a cyber-observable", rel, map[string]any{"target_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"}, ""},
		{"a relationship may link a custom object", rel, map[string]any{"target_ref": "x-mitre-tactic--69da72d2-f550-41c5-ab9e-e8255707f28a"}, ""},
		{"a relationship's stop_time must be later than start_time", rel, map[string]any{"start_time": "2016-01-01T00:00:00Z", "stop_time": "2016-01-01T00:00:00Z"}, "stop_time"},
		{"a relationship's stop_time after start_time is accepted", rel, map[string]any{"start_time": "2016-01-01T00:00:00Z", "stop_time": "2016-01-02T00:00:00Z"}, ""},
		{"a sighting needs a sighting_of_ref", sig, map[string]any{"sighting_of_ref": drop}, "sighting_of_ref"},
		{"a sighting is of a domain object", sig, map[string]any{"sighting_of_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"}, "sighting_of_ref"},
		{"a sighting may not be of a relationship", sig, map[string]any{"sighting_of_ref": "relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e"}, "sighting_of_ref"},
		{"a sighting may be of a custom object", sig, map[string]any{"sighting_of_ref": "x-acme-consignment--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}, ""},
		{"a sighting's observed data must be observed-data", sig, map[string]any{"observed_data_refs": []string{"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"}}, "observed_data_refs[0]"},
		{"a sighting was seen where an identity is", sig, map[string]any{"where_sighted_refs": []string{"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}}, "where_sighted_refs[0]"},
		{"a sighting may be placed at a location", sig, map[string]any{"where_sighted_refs": []string{"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64"}}, ""},
		{"a sighting's count may be zero", sig, map[string]any{"count": 0}, ""},
		{"a sighting's count may not be negative", sig, map[string]any{"count": -1}, "count"},
		{"a sighting's count may not exceed 999999999", sig, map[string]any{"count": 1000000000}, "count"},
		{"a sighting's last_seen may not precede first_seen", sig, map[string]any{"last_seen": "2015-12-21T18:00:00Z"}, "last_seen"},
		{"a sighting's summary must be a boolean", sig, map[string]any{"summary": "yes"}, "summary"},
	})
}

func TestCyberObservableRules(t *testing.T) {
	ex := examples
	runRuleCases(t, []ruleCase{
		{"an artifact needs a payload or a url", ex["artifact"], map[string]any{"payload_bin": drop, "decryption_key": drop}, wholeObject},
		{"an artifact may not have both payload and url", ex["artifact"], map[string]any{"url": "https://example.com/a.zip", "hashes": map[string]string{"MD5": "3773a88f65a5e780c8dff9cdc3a056f3"}}, "url"},
		{"an artifact with a url needs hashes", ex["artifact"], map[string]any{"payload_bin": drop, "url": "https://example.com/a.zip"}, "hashes"},
		{"an artifact with a url and hashes is accepted", ex["artifact"], map[string]any{"payload_bin": drop, "url": "https://example.com/a.zip", "hashes": map[string]string{"MD5": "3773a88f65a5e780c8dff9cdc3a056f3"}}, ""},
		{"an artifact's payload must be base64", ex["artifact"], map[string]any{"payload_bin": "VBORw0KGgo ..."}, "payload_bin"},
		{"an artifact's encryption algorithm is a closed vocabulary", ex["artifact"], map[string]any{"encryption_algorithm": "rot13"}, "encryption_algorithm"},
		{"an artifact's decryption key needs an encryption algorithm", ex["artifact"], map[string]any{"encryption_algorithm": drop}, "decryption_key"},
		{"an autonomous system needs a number", ex["autonomous-system"], map[string]any{"number": drop}, "number"},
		{"an autonomous system number must be an integer", ex["autonomous-system"], map[string]any{"number": "15139"}, "number"},
		{"a directory needs a path", ex["directory"], map[string]any{"path": drop}, "path"},
		{"a directory contains files and directories", ex["directory"], map[string]any{"contains_refs": []string{"process--f52a906a-0dfc-40bd-92f1-e7778ead38a9"}}, "contains_refs[0]"},
		{"a domain name needs a value", ex["domain-name"], map[string]any{"value": drop}, "value"},
		{"a domain name with a space is refused", ex["domain-name"], map[string]any{"value": "exa mple.com"}, "value"},
		{"a domain name with an empty label is refused", ex["domain-name"], map[string]any{"value": "example..com"}, "value"},
		{"an internationalised domain name is accepted", ex["domain-name"], map[string]any{"value": "bücher.example"}, ""},
		{"a domain name resolves to addresses or names", ex["domain-name"], map[string]any{"resolves_to_refs": []string{"url--c1477287-23ac-5971-a010-5c287877fa60"}}, "resolves_to_refs[0]"},
		{"an email address needs a value", ex["email-addr"], map[string]any{"value": drop}, "value"},
		{"an email address may not carry a display name in its value", ex["email-addr"], map[string]any{"value": "John Doe <john@example.com>"}, "value"},
		{"an email address belongs to a user account", ex["email-addr"], map[string]any{"belongs_to_ref": idIdentity}, "belongs_to_ref"},
		{"an email message needs is_multipart", ex["email-message"], map[string]any{"is_multipart": drop}, "is_multipart"},
		{"a multipart email message may not have a body", ex["email-message"], map[string]any{"body": "hello"}, "body"},
		{"a single-part email message may not have MIME parts", ex["email-message"], map[string]any{"is_multipart": false}, "body_multipart"},
		{"a MIME part needs a body or a raw body", ex["email-message"], map[string]any{"body_multipart": []any{map[string]any{"content_type": "text/plain"}}}, "body_multipart[0]"},
		{"a MIME part's raw body is an artifact or a file", ex["email-message"], map[string]any{"body_multipart": []any{map[string]any{"body_raw_ref": "url--c1477287-23ac-5971-a010-5c287877fa60"}}}, "body_multipart[0].body_raw_ref"},
		{"an email message is from an email address", ex["email-message"], map[string]any{"from_ref": idIdentity}, "from_ref"},
		{"an email message's recipients are email addresses", ex["email-message"], map[string]any{"to_refs": []string{"email-addr--d1b3bf0c-f02a-51a1-8102-11aba7959868", idIdentity}}, "to_refs[1]"},
		{"an email header value must be a list of strings", ex["email-message"], map[string]any{"additional_header_fields": map[string]any{"X-Mailer": "Mutt/1.5.23"}}, "additional_header_fields.X-Mailer"},
		{"a file needs a name or hashes", ex["file"], map[string]any{"name": drop, "hashes": drop}, wholeObject},
		{"a file with hashes only is accepted", ex["file"], map[string]any{"name": drop}, ""},
		{"a file's size may not be negative", ex["file"], map[string]any{"size": -1}, "size"},
		{"a file's MD5 must be 32 hexadecimal digits", ex["file"], map[string]any{"hashes": map[string]string{"MD5": "3773a88f65a5e780c8dff9cdc3a056f"}}, "hashes.MD5"},
		{"a file's hashes may use names outside the vocabulary", ex["file"], map[string]any{"hashes": map[string]string{"x_acme_hash": "aaaa"}}, ""},
		{"a file's hash names have at least three characters", ex["file"], map[string]any{"hashes": map[string]string{"md": "aaaa"}}, "hashes"},
		{"a file's magic number is lower-case hexadecimal", ex["file"], map[string]any{"magic_number_hex": "504B0304"}, "magic_number_hex"},
		{"a file's magic number in lower case is accepted", ex["file"], map[string]any{"magic_number_hex": "504b0304"}, ""},
		{"a file's name_enc needs a name", ex["file"], map[string]any{"name": drop, "name_enc": "windows-1252"}, "name_enc"},
		{"a file's parent is a directory", ex["file"], map[string]any{"parent_directory_ref": "file--70221dbf-52fd-5377-9619-c0ce6b3ffc8c"}, "parent_directory_ref"},
		{"an archive extension needs contains_refs", ex["file"], map[string]any{"extensions": map[string]any{"archive-ext": map[string]any{"comment": "x"}}}, "extensions.archive-ext.contains_refs"},
		{"an NTFS extension needs one of its properties", ex["file"], map[string]any{"extensions": map[string]any{"ntfs-ext": map[string]any{"x_acme": 1}}}, "extensions.ntfs-ext"},
		{"an NTFS alternate data stream needs a name", ex["file"], map[string]any{"extensions": map[string]any{"ntfs-ext": map[string]any{"alternate_data_streams": []any{map[string]any{"size": 3}}}}}, "extensions.ntfs-ext.alternate_data_streams[0].name"},
		{"a PE binary extension needs pe_type", ex["file"], map[string]any{"extensions": map[string]any{"windows-pebinary-ext": map[string]any{"imphash": "abc"}}}, "extensions.windows-pebinary-ext.pe_type"},
		{"a PE section needs a name", ex["file"], map[string]any{"extensions": map[string]any{"windows-pebinary-ext": map[string]any{"pe_type": "exe", "sections": []any{map[string]any{"entropy": 0.5}}}}}, "extensions.windows-pebinary-ext.sections[0].name"},
		{"an IPv4 address needs a value", ex["ipv4-addr"], map[string]any{"value": drop}, "value"},
		{"an IPv4 CIDR block is accepted", ex["ipv4-addr"], map[string]any{"value": "198.51.100.0/24"}, ""},
		{"an IPv4 address out of range is refused", ex["ipv4-addr"], map[string]any{"value": "198.51.100.256"}, "value"},
		{"an IPv6 address is not an IPv4 address", ex["ipv4-addr"], map[string]any{"value": "2001:db8::1"}, "value"},
		{"an IPv4 CIDR prefix over 32 is refused", ex["ipv4-addr"], map[string]any{"value": "198.51.100.0/33"}, "value"},
		{"an IPv4 address resolves to MAC addresses", ex["ipv4-addr"], map[string]any{"resolves_to_refs": []string{"domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5"}}, "resolves_to_refs[0]"},
		{"an IPv6 CIDR block is accepted", ex["ipv6-addr"], map[string]any{"value": "2001:db8::/96"}, ""},
		{"an IPv4 address is not an IPv6 address", ex["ipv6-addr"], map[string]any{"value": "198.51.100.3"}, "value"},
		{"a MAC address in upper case is refused", ex["mac-addr"], map[string]any{"value": "D2:FB:49:24:37:18"}, "value"},
		{"a MAC address with hyphens is refused", ex["mac-addr"], map[string]any{"value": "d2-fb-49-24-37-18"}, "value"},
		{"a mutex needs a name", ex["mutex"], map[string]any{"name": drop}, "name"},
		{"network traffic needs protocols", ex["network-traffic"], map[string]any{"protocols": drop}, "protocols"},
		{"network traffic needs a source or a destination", ex["network-traffic"], map[string]any{"src_ref": drop, "dst_ref": drop}, wholeObject},
		{"network traffic with a destination only is accepted", ex["network-traffic"], map[string]any{"src_ref": drop}, ""},
		{"network traffic's port must be at most 65535", ex["network-traffic"], map[string]any{"dst_port": 65536}, "dst_port"},
		{"network traffic's source is an address or a domain name", ex["network-traffic"], map[string]any{"src_ref": "url--c1477287-23ac-5971-a010-5c287877fa60"}, "src_ref"},
		{"active network traffic has no end", ex["network-traffic"], map[string]any{"is_active": true, "end": "2016-01-01T00:00:00Z"}, "end"},
		{"network traffic may not end before it starts", ex["network-traffic"], map[string]any{"start": "2016-01-01T00:00:00Z", "end": "2015-01-01T00:00:00Z"}, "end"},
		{"a TCP extension needs flags", ex["network-traffic"], map[string]any{"extensions": map[string]any{"tcp-ext": map[string]any{"x_acme": 1}}}, "extensions.tcp-ext"},
		{"a socket extension's address family is a closed vocabulary", ex["network-traffic"], map[string]any{"extensions": map[string]any{"socket-ext": map[string]any{"address_family": "AF_UNIX"}}}, "extensions.socket-ext.address_family"},
		{"an HTTP request extension needs a method", ex["network-traffic"], map[string]any{"extensions": map[string]any{"http-request-ext": map[string]any{"request_value": "/"}}}, "extensions.http-request-ext.request_method"},
		{"an HTTP request header value is a list of strings", ex["network-traffic"], map[string]any{"extensions": map[string]any{"http-request-ext": map[string]any{"request_method": "get", "request_value": "/", "request_header": map[string]any{"Host": "example.com"}}}}, "extensions.http-request-ext.request_header.Host"},
		{"an ICMP extension needs its type and code", ex["network-traffic"], map[string]any{"extensions": map[string]any{"icmp-ext": map[string]any{"icmp_type_hex": "08"}}}, "extensions.icmp-ext.icmp_code_hex"},
		{"a process needs a property of its own", ex["process"], map[string]any{"pid": drop, "command_line": drop, "image_ref": drop, "extensions": drop}, wholeObject},
		{"a process's image is a file", ex["process"], map[string]any{"image_ref": "process--f52a906a-0dfc-40bd-92f1-e7778ead38a9"}, "image_ref"},
		{"a Windows process extension's integrity level is a closed vocabulary", ex["process"], map[string]any{"extensions": map[string]any{"windows-process-ext": map[string]any{"integrity_level": "root"}}}, "extensions.windows-process-ext.integrity_level"},
		{"a Windows service extension's start type is a closed vocabulary", ex["process"], map[string]any{"extensions": map[string]any{"windows-service-ext": map[string]any{"start_type": "AUTO"}}}, "extensions.windows-service-ext.start_type"},
		{"software needs a name", ex["software"], map[string]any{"name": drop}, "name"},
		{"software languages are language codes", ex["software"], map[string]any{"languages": []string{"English"}}, "languages[0]"},
		{"a URL needs a value", ex["url"], map[string]any{"value": drop}, "value"},
		{"a URL needs a scheme", ex["url"], map[string]any{"value": "example.com/index.html"}, "value"},
		{"a user account needs a property of its own", ex["user-account"], map[string]any{"user_id": drop, "account_login": drop, "account_type": drop, "is_privileged": drop, "account_created": drop, "extensions": drop}, wholeObject},
		{"a user account's flags are booleans", ex["user-account"], map[string]any{"is_privileged": "no"}, "is_privileged"},
		{"a UNIX account extension needs one of its properties", ex["user-account"], map[string]any{"extensions": map[string]any{"unix-account-ext": map[string]any{"x_acme": 1}}}, "extensions.unix-account-ext"},
		{"a registry key needs a property of its own", ex["windows-registry-key"], map[string]any{"key": drop, "values": drop}, wholeObject},
		{"a registry key spells out its hive", ex["windows-registry-key"], map[string]any{"key": `HKLM\Software\Foo`}, "key"},
		{"a registry value needs a name, data or data type", ex["windows-registry-key"], map[string]any{"values": []any{map[string]any{}}}, "values[0]"},
		{"a registry value's data type is a closed vocabulary", ex["windows-registry-key"], map[string]any{"values": []any{map[string]any{"name": "Foo", "data_type": "REG_STRING"}}}, "values[0].data_type"},
		{"an X.509 certificate needs a property of its own", ex["x509-certificate"], map[string]any{"issuer": drop, "validity_not_before": drop, "validity_not_after": drop, "serial_number": drop, "x509_v3_extensions": drop}, wholeObject},
		{"an X.509 certificate's v3 extensions may not be empty", ex["x509-certificate"], map[string]any{"x509_v3_extensions": map[string]any{}}, "x509_v3_extensions"},
		{"an X.509 v3 extension is a string", ex["x509-certificate"], map[string]any{"x509_v3_extensions": map[string]any{"key_usage": true}}, "x509_v3_extensions.key_usage"},
		{"a cyber-observable may carry versioning properties (STIX 2.1 §3.6)", ex["ipv4-addr"], map[string]any{"created": "2016-01-01T00:00:00.000Z", "modified": "2016-01-01T00:00:00.000Z"}, ""},
	})
}

func TestMetaObjectRules(t *testing.T) {
	lc, ed, md := examples["language-content"], examples["extension-definition"], examples["marking-definition"]
	runRuleCases(t, []ruleCase{
		{"a language content needs an object_ref", lc, map[string]any{"object_ref": drop}, "object_ref"},
		{"a language content may not translate a bundle", lc, map[string]any{"object_ref": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}, "object_ref"},
		{"a language content needs contents", lc, map[string]any{"contents": drop}, "contents"},
		{"a language content is keyed by language code", lc, map[string]any{"contents": map[string]any{"German": map[string]any{"name": "x"}}}, "contents"},
		{"a translation is a dictionary", lc, map[string]any{"contents": map[string]any{"de": "Bank Angriff"}}, "contents.de"},
		{"a language content's object_modified is a timestamp", lc, map[string]any{"object_modified": "now"}, "object_modified"},
		{"an extension definition needs a creator", ed, map[string]any{"created_by_ref": drop}, "created_by_ref"},
		{"an extension definition needs a name", ed, map[string]any{"name": drop}, "name"},
		{"an extension definition needs a schema", ed, map[string]any{"schema": drop}, "schema"},
		{"an extension definition needs a version", ed, map[string]any{"version": drop}, "version"},
		{"an extension definition needs extension_types", ed, map[string]any{"extension_types": drop}, "extension_types"},
		{"extension types are a closed vocabulary", ed, map[string]any{"extension_types": []string{"property-extension", "new-smo"}}, "extension_types[1]"},
		{"extension_properties need a top-level property extension", ed, map[string]any{"extension_properties": []string{"rank"}}, "extension_properties"},
		{"extension_properties with a top-level property extension are accepted", ed, map[string]any{"extension_types": []string{"toplevel-property-extension"}, "extension_properties": []string{"rank"}}, ""},
		{"a marking definition may not be versioned", statementMarking, map[string]any{"modified": "2016-08-01T00:00:00.000Z"}, "modified"},
		{"a marking definition may not be revoked", statementMarking, map[string]any{"revoked": false}, "revoked"},
		{"a marking definition needs created", statementMarking, map[string]any{"created": drop}, "created"},
		{"a marking definition without extensions needs definition_type", statementMarking, map[string]any{"definition_type": drop}, "definition_type"},
		{"a marking definition without extensions needs a definition", statementMarking, map[string]any{"definition": drop}, "definition"},
		{"a statement marking needs a statement", statementMarking, map[string]any{"definition": map[string]any{"text": "Copyright"}}, "definition.statement"},
		{"a marking definition may use another definition type", statementMarking, map[string]any{"definition_type": "acme-handling", "definition": map[string]any{"code": "H2"}}, ""},
		{"a TLP 1.0 marking is accepted as the specification writes it", md, nil, ""},
		{"a TLP 1.0 marking must have its official colour", md, map[string]any{"definition": map[string]any{"tlp": "red"}}, "definition.tlp"},
		{"a TLP 1.0 marking must have its official name", md, map[string]any{"name": drop}, "name"},
		{"a TLP 1.0 marking must have its official created time", md, map[string]any{"created": "2017-01-20T00:00:00.001Z"}, "created"},
		{"a TLP marking with an unofficial id is refused", md, map[string]any{"id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41db"}, "id"},
		{"an official TLP 1.0 id must be a TLP marking", statementMarking, map[string]any{"id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}, "definition_type"},
		{"a TLP 2.0 marking is accepted with its official id", tlp2Amber, nil, ""},
		{"a TLP 2.0 marking with an unofficial id is refused", tlp2Amber, map[string]any{"id": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b422"}, "id"},
		{"a TLP 2.0 marking must carry the level of its id", tlp2Amber, map[string]any{"extensions": map[string]any{TLP2Extension: map[string]any{"extension_type": "property-extension", "tlp_2_0": "red"}}}, "id"},
		{"a TLP 2.0 level outside the protocol is refused", tlp2Amber, map[string]any{"extensions": map[string]any{TLP2Extension: map[string]any{"extension_type": "property-extension", "tlp_2_0": "white"}}}, "extensions." + TLP2Extension + ".tlp_2_0"},
		{"a TLP 2.0 marking must have its official name", tlp2Amber, map[string]any{"name": "TLP:YELLOW"}, "name"},
		{"an official TLP 2.0 id must carry the TLP 2.0 extension", statementMarking, map[string]any{"id": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"}, "extensions"},
		{"a TLP 2.0 marking needs no definition_type", tlp2Amber, nil, ""},
	})
}

func TestValidationErrorsNameTheObjectAndTheField(t *testing.T) {
	input := build(t, examples["relationship"], map[string]any{"target_ref": idMarking})
	_, err := Parse(input)
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, want := range []string{"relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e", `"target_ref"`, idMarking} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not mention %s", msg, want)
		}
	}
}
