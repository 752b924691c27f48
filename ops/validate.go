package ops

import (
	"github.com/liaison-intel/liaison/stix"
)

// typeOfExtension maps each new SDO extension to the type it defines.
var typeOfExtension = func() map[string]string {
	m := make(map[string]string, len(sdoExtensions))
	for typ, ext := range sdoExtensions {
		m[ext] = typ
	}
	return m
}()

// Validate checks an object, already accepted by stix.Parse, against
// Liaison's operation schemas: an object of type operation, task,
// consignment, handoff or handoff-decision that names Liaison's extension
// definition, and a sighting carrying the sighting-report extension. It
// refuses an object that names one of the definitions under another type.
// Other objects, another producer's "task" among them, pass unread. The
// store calls it on every write; the error is a *stix.ValidationError
// naming the object id and the property at fault.
//
// What depends on other objects (is the proposer the custodian or the lead,
// is the decision by the receiving organisation) is not checked here but by
// Custody: a node must store a decision before the handoff it answers
// arrives, and a partner's object is a statement to weigh, not to refuse.
func Validate(o *stix.Object) error {
	for _, ext := range namedExtensions(o) {
		if typ := typeOfExtension[ext]; typ != o.Type {
			return invalid(o.ID, "extensions."+ext, "is Liaison's extension defining type %q and cannot be used on a %s", typ, clip(o.Type))
		}
	}
	if hasReport(o) && o.Type != "sighting" {
		return invalid(o.ID, "extensions."+SightingReportExtension, "is Liaison's extension of sightings and cannot be used on a %s", clip(o.Type))
	}
	var err error
	switch ext, ours := sdoExtensions[o.Type]; {
	case ours && extensionsOf(o)[ext] == nil:
		// Another producer's type of the same name.
	case o.Type == TypeOperation:
		_, err = ParseOperation(o)
	case o.Type == TypeTask:
		_, err = ParseTask(o)
	case o.Type == TypeConsignment:
		_, err = ParseConsignment(o)
	case o.Type == TypeHandoff:
		_, err = ParseHandoff(o)
	case o.Type == TypeHandoffDecision:
		_, err = ParseDecision(o)
	case hasReport(o):
		_, err = ParseSighting(o)
	}
	return err
}
