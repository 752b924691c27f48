package stix

// The object types STIX 2.1 defines, by kind.
var specTypes = map[string]Kind{
	// STIX Domain Objects
	"attack-pattern": KindSDO, "campaign": KindSDO, "course-of-action": KindSDO, "grouping": KindSDO,
	"identity": KindSDO, "incident": KindSDO, "indicator": KindSDO, "infrastructure": KindSDO,
	"intrusion-set": KindSDO, "location": KindSDO, "malware": KindSDO, "malware-analysis": KindSDO,
	"note": KindSDO, "observed-data": KindSDO, "opinion": KindSDO, "report": KindSDO,
	"threat-actor": KindSDO, "tool": KindSDO, "vulnerability": KindSDO,
	// STIX Relationship Objects
	"relationship": KindSRO, "sighting": KindSRO,
	// STIX Cyber-observable Objects
	"artifact": KindSCO, "autonomous-system": KindSCO, "directory": KindSCO, "domain-name": KindSCO,
	"email-addr": KindSCO, "email-message": KindSCO, "file": KindSCO, "ipv4-addr": KindSCO,
	"ipv6-addr": KindSCO, "mac-addr": KindSCO, "mutex": KindSCO, "network-traffic": KindSCO,
	"process": KindSCO, "software": KindSCO, "url": KindSCO, "user-account": KindSCO,
	"windows-registry-key": KindSCO, "x509-certificate": KindSCO,
	// STIX Meta Objects
	"marking-definition": KindMeta, "language-content": KindMeta, "extension-definition": KindMeta,
}

// SpecKind returns the kind of a type the specification defines, and false
// for other (custom or extension-defined) types.
func SpecKind(typ string) (Kind, bool) {
	k, ok := specTypes[typ]
	return k, ok
}
