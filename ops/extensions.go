package ops

import (
	"bytes"

	"github.com/liaison-intel/liaison/policy"
)

// Liaison's joint-operation objects. Each type is a new SDO defined by an
// extension-definition (STIX 2.1 §7.3, extension_type "new-sdo") whose id,
// timestamps and content are fixed forever, so that every node publishes
// byte-identical copies; docs/EXTENSIONS.md ("Operations") is the schema.
//
// As with correlate's observables, the names carry no "x-" prefix (that
// prefix marks the custom objects of STIX 2.0, deprecated in 2.1 §11), so
// an object of these types must name Liaison's definition in its extensions
// to be read as one: another producer's "task" is left alone.
const (
	TypeOperation       = "operation"
	TypeTask            = "task"
	TypeConsignment     = "consignment"
	TypeHandoff         = "handoff"
	TypeHandoffDecision = "handoff-decision"
)

// The ids of the extension definitions.
const (
	OperationExtension       = "extension-definition--4e155d75-9d37-4d01-9ec1-db1b00fe3a51"
	TaskExtension            = "extension-definition--835b60e0-421b-4d1a-8084-8c7c11b3e7db"
	ConsignmentExtension     = "extension-definition--71d0e93e-a1b9-43be-80fe-0be68b905244"
	HandoffExtension         = "extension-definition--12e69ae9-ef55-493a-8d4f-473a17304d41"
	HandoffDecisionExtension = "extension-definition--f6dcfbef-318b-4d52-9eb0-1f94a1569bd1"
	// SightingReportExtension is a property-extension of sighting objects:
	// what a discreet-check report says beyond place and time (route,
	// companions, vehicle, objects carried).
	SightingReportExtension = "extension-definition--a3cfe2c9-ef0e-4240-bf8f-b37d33bcb6bc"
)

// sdoExtensions maps each new SDO type to its extension definition.
var sdoExtensions = map[string]string{
	TypeOperation:       OperationExtension,
	TypeTask:            TaskExtension,
	TypeConsignment:     ConsignmentExtension,
	TypeHandoff:         HandoffExtension,
	TypeHandoffDecision: HandoffDecisionExtension,
}

// definitions are the extension-definition objects, in the order
// ExtensionDefinitions returns them.
var definitions = []struct {
	id, name, anchor, kind, description string
}{
	{OperationExtension, "Liaison operation", "operation", "new-sdo",
		"A new SDO type, operation: a joint operation of several organisations against one case, with a code name, " +
			"an objective, a status (open or closed), the lead organisation (its creator, the only one that publishes " +
			"versions), the member organisations, the subjects it follows (individuals, threat actors, consignments) " +
			"and when it was opened and closed."},
	{TaskExtension, "Liaison task", "task", "new-sdo",
		"A new SDO type, task: a piece of work in an operation assigned to one member organisation, with a " +
			"description, a status (open, in-progress, done, cancelled) and an optional due time."},
	{ConsignmentExtension, "Liaison consignment", "consignment", "new-sdo",
		"A new SDO type, consignment: goods an operation follows, with their declared and suspected contents, " +
			"their identifiers (container, air waybill, tracking and seal numbers), the observables they travel in " +
			"and the legs of their journey."},
	{HandoffExtension, "Liaison custody handoff", "handoff", "new-sdo",
		"A new SDO type, handoff: a proposal that custody of a subject or consignment of an operation pass from " +
			"the organisation and team holding it to another, operating in a stated country, to be accepted by a " +
			"deadline. Not versioned; its outcome is derived from the handoff-decision objects of the receiving organisation."},
	{HandoffDecisionExtension, "Liaison custody handoff decision", "handoff-decision", "new-sdo",
		"A new SDO type, handoff-decision: the receiving organisation's acceptance or rejection of a handoff, " +
			"with the time it was decided and why. Not versioned."},
	{SightingReportExtension, "Liaison sighting report", "sighting-report", "property-extension",
		"A property-extension of sighting objects carrying what a discreet-check report carries beyond place and " +
			"time: the route taken, the companions (described or as identities), the vehicle, the objects carried " +
			"and notes."},
}

const definitionsCreated = "2026-11-28T00:00:00.000Z"

// ExtensionDefinitions returns the STIX 2.1 extension-definition objects of
// Liaison's operation, task, consignment, handoff and handoff-decision types
// and of its sighting-report extension, in that order, created by
// policy.LiaisonIdentity. A node may publish them so that other tools can
// look the types up. Each call returns new copies.
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
