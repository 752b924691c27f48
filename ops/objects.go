package ops

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/correlate"
	"github.com/liaison-intel/liaison/stix"
)

// Values of the closed vocabularies.
const (
	// Operation status.
	OperationOpen   = "open"
	OperationClosed = "closed"

	// Task status.
	TaskOpen       = "open"
	TaskInProgress = "in-progress"
	TaskDone       = "done"
	TaskCancelled  = "cancelled"

	// Handoff decision.
	Accepted = "accepted"
	Rejected = "rejected"

	// Consignment identifier kinds.
	IdentifierContainer  = "container"   // ISO 6346, check digit verified
	IdentifierAirWaybill = "air-waybill" // IATA air waybill, check digit verified
	IdentifierTracking   = "tracking"    // a carrier's tracking number
	IdentifierSeal       = "seal"        // the number of a seal on the goods or their container
	IdentifierOther      = "other"
)

// subjectTypes are the types an operation can follow: people (identities of
// class individual), threat actors and consignments.
var subjectTypes = []string{"identity", "threat-actor", TypeConsignment}

// Common holds the common properties of every object of this package.
type Common struct {
	ID           string    // type--UUID; builders need a UUIDv4
	CreatedByRef string    // the organisation that publishes it (required here)
	Created      time.Time // required
	Modified     time.Time // zero in a builder: the same as Created
	Markings     []string  // object_marking_refs: TLP and handling markings (an operation's scope)
}

func readCommon(o *stix.Object) Common {
	return Common{ID: o.ID, CreatedByRef: o.CreatedByRef, Created: o.Created.Time, Modified: o.Modified.Time,
		Markings: slices.Clone(o.ObjectMarkingRefs)}
}

// open reads the common properties of an object of one of the new SDO
// types: the type, Liaison's extension (exactly {"extension_type":
// "new-sdo"}) and created_by_ref, which STIX leaves optional and Liaison
// requires (only an object's creator may version it, and custody rules ask
// who said what).
func open(o *stix.Object, typ string) (*fields, error) {
	if o.Type != typ {
		return nil, invalid(o.ID, "type", "is %q, not %q", clip(o.Type), typ)
	}
	f := top(o)
	ext := sdoExtensions[typ]
	body, ok := extensionsOf(o)[ext]
	if !ok {
		f.fail("extensions", "does not name Liaison's %s extension (%s)", typ, ext)
	}
	if !f.failed() && compact(body) != `{"extension_type":"new-sdo"}` {
		f.fail("extensions."+ext, `must be exactly {"extension_type": "new-sdo"} (STIX 2.1 §7.3: the type's properties are at the top level)`)
	}
	if !f.failed() && o.CreatedByRef == "" {
		f.fail("created_by_ref", "is required: the organisation that publishes the %s", typ)
	}
	if !f.failed() && o.Modified.Time.IsZero() {
		f.fail("modified", "is required") // stix.Parse requires it of SDOs already
	}
	return f, f.error()
}

// extensionsOf returns the extensions of an object by key (stix.Parse has
// checked that the property is a dictionary).
func extensionsOf(o *stix.Object) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(o.Props["extensions"], &m)
	return m
}

func compact(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// once refuses a new version of an object that is a statement made once (a
// handoff proposal, a decision): otherwise its creator could move a deadline
// or turn a refusal into an acceptance after the fact, and nodes holding
// different versions would derive different custody.
func once(f *fields, o *stix.Object) {
	if !o.Modified.Time.Equal(o.Created.Time) {
		f.fail("modified", "must equal created: a %s is not versioned (publish a new one instead)", o.Type)
	}
	if o.Revoked {
		f.fail("revoked", "must not be true: a %s is not versioned, so it cannot be revoked", o.Type)
	}
}

// begin writes the common properties of an object of a new SDO type, after
// checking what a builder must be given.
func begin(typ string, c Common) (*writer, error) {
	if err := checkNewID(typ, c.ID); err != nil {
		return nil, err
	}
	if c.Created.IsZero() {
		return nil, liaison.Errorf(liaison.EINVALID, "%s: created is required", c.ID)
	}
	w := &writer{}
	w.str("type", typ)
	w.str("spec_version", stix.SpecVersion)
	w.str("id", c.ID)
	w.str("created_by_ref", c.CreatedByRef)
	w.time("created", c.Created)
	modified := c.Modified
	if modified.IsZero() {
		modified = c.Created
	}
	w.time("modified", modified)
	return w, nil
}

// end writes the markings and the extension, and checks the object as
// Validate would.
func end(w *writer, typ string, c Common) ([]byte, error) {
	w.strs("object_marking_refs", c.Markings)
	w.rawValue("extensions", `{"`+sdoExtensions[typ]+`":{"extension_type":"new-sdo"}}`)
	raw := w.bytes()
	o, err := stix.Parse(raw)
	if err != nil {
		return nil, err
	}
	if err := Validate(o); err != nil {
		return nil, err
	}
	return raw, nil
}

// Operation is a joint operation: several organisations working one case,
// led by one of them.
type Operation struct {
	Common
	Name        string   // the code name (required)
	Objective   string   // optional
	Status      string   // OperationOpen or OperationClosed
	LeadRef     string   // the lead organisation; equals CreatedByRef
	MemberRefs  []string // the member organisations, the lead among them
	SubjectRefs []string // individuals (identity), threat actors and consignments followed
	Opened      time.Time
	Closed      time.Time // required when closed, absent otherwise
}

// IsMember reports whether an organisation is a member of the operation (of
// this version of it: membership is the member_refs of the latest version).
func (op *Operation) IsMember(org string) bool { return slices.Contains(op.MemberRefs, org) }

// ParseOperation reads and checks an operation object.
func ParseOperation(o *stix.Object) (*Operation, error) {
	f, err := open(o, TypeOperation)
	if err != nil {
		return nil, err
	}
	op := &Operation{Common: readCommon(o)}
	op.Name = f.text("name", true)
	op.Objective = f.text("objective", false)
	op.Status = f.enum("status", true, OperationOpen, OperationClosed)
	op.LeadRef = f.ref("lead_ref", true, "identity")
	if !f.failed() && op.LeadRef != o.CreatedByRef {
		f.fail("lead_ref", "must be the operation's creator (created_by_ref %s): the lead publishes the operation and its versions", o.CreatedByRef)
	}
	op.MemberRefs = f.refs("member_refs", true, "identity")
	if !f.failed() && !op.IsMember(op.LeadRef) {
		f.fail("member_refs", "must include the lead organisation %s", op.LeadRef)
	}
	op.SubjectRefs = f.refs("subject_refs", false, subjectTypes...)
	op.Opened = f.time("opened", true)
	op.Closed = f.time("closed", false)
	switch {
	case f.failed():
	case op.Status == OperationClosed && op.Closed.IsZero():
		f.fail("closed", "is required when status is closed")
	case op.Status == OperationOpen && !op.Closed.IsZero():
		f.fail("closed", "must be absent while status is open")
	case !op.Closed.IsZero() && op.Closed.Before(op.Opened):
		f.fail("closed", "must not be earlier than opened")
	}
	if err := f.error(); err != nil {
		return nil, err
	}
	return op, nil
}

// Object writes the operation as a STIX object and checks it.
func (op Operation) Object() ([]byte, error) {
	w, err := begin(TypeOperation, op.Common)
	if err != nil {
		return nil, err
	}
	w.str("name", op.Name)
	w.str("objective", op.Objective)
	w.str("status", op.Status)
	w.str("lead_ref", op.LeadRef)
	w.strs("member_refs", op.MemberRefs)
	w.strs("subject_refs", op.SubjectRefs)
	w.time("opened", op.Opened)
	w.time("closed", op.Closed)
	return end(w, TypeOperation, op.Common)
}

// Task is a piece of work in an operation, assigned to one organisation.
type Task struct {
	Common
	OperationRef string
	AssigneeRef  string // the organisation that does it
	Description  string
	Status       string // TaskOpen, TaskInProgress, TaskDone, TaskCancelled
	Due          time.Time
}

// ParseTask reads and checks a task object.
func ParseTask(o *stix.Object) (*Task, error) {
	f, err := open(o, TypeTask)
	if err != nil {
		return nil, err
	}
	t := &Task{Common: readCommon(o)}
	t.OperationRef = f.ref("operation_ref", true, TypeOperation)
	t.AssigneeRef = f.ref("assignee_ref", true, "identity")
	t.Description = f.text("description", true)
	t.Status = f.enum("status", true, TaskOpen, TaskInProgress, TaskDone, TaskCancelled)
	t.Due = f.time("due", false)
	if err := f.error(); err != nil {
		return nil, err
	}
	return t, nil
}

// Object writes the task as a STIX object and checks it.
func (t Task) Object() ([]byte, error) {
	w, err := begin(TypeTask, t.Common)
	if err != nil {
		return nil, err
	}
	w.str("operation_ref", t.OperationRef)
	w.str("assignee_ref", t.AssigneeRef)
	w.str("description", t.Description)
	w.str("status", t.Status)
	w.time("due", t.Due)
	return end(w, TypeTask, t.Common)
}

// Consignment is goods an operation follows: a crate, a container load, a
// parcel.
type Consignment struct {
	Common
	OperationRef      string
	Name              string // what the operation calls it
	DeclaredContents  string // what its papers say ("medical supplies")
	SuspectedContents string // what the operation believes
	Identifiers       []Identifier
	ObjectRefs        []string // observables it travels in or with (shipping-container, flight, vehicle, vessel)
	Legs              []Leg
}

// Identifier is a number the consignment is known by.
type Identifier struct {
	Kind  string // IdentifierContainer, IdentifierAirWaybill, IdentifierTracking, IdentifierSeal, IdentifierOther
	Value string
}

// Leg is one stage of a consignment's journey, as declared or as learnt.
type Leg struct {
	Origin      string // a place name
	Destination string
	Carrier     string // optional
	Departure   time.Time
	Arrival     time.Time
}

// identifierKinds are the kinds of identifier whose values correlate can
// check.
var identifierKinds = map[string]correlate.Kind{
	IdentifierContainer:  correlate.KindContainer,
	IdentifierAirWaybill: correlate.KindAirWaybill,
}

// IdentifierKind is the selector kind of a consignment identifier kind,
// when correlate checks its values (containers and air waybills).
func IdentifierKind(kind string) (correlate.Kind, bool) {
	k, ok := identifierKinds[kind]
	return k, ok
}

// ParseConsignment reads and checks a consignment object. Container numbers
// and air waybills must pass their check digits (correlate.Normalise); they
// are returned as written.
func ParseConsignment(o *stix.Object) (*Consignment, error) {
	f, err := open(o, TypeConsignment)
	if err != nil {
		return nil, err
	}
	c := &Consignment{Common: readCommon(o)}
	c.OperationRef = f.ref("operation_ref", true, TypeOperation)
	c.Name = f.text("name", true)
	c.DeclaredContents = f.text("declared_contents", false)
	c.SuspectedContents = f.text("suspected_contents", false)
	for _, it := range f.items("identifiers", false, "kind", "value") {
		id := Identifier{
			Kind:  it.enum("kind", true, IdentifierContainer, IdentifierAirWaybill, IdentifierTracking, IdentifierSeal, IdentifierOther),
			Value: it.text("value", true),
		}
		if kind, ok := identifierKinds[id.Kind]; ok && !f.failed() {
			if _, err := correlate.Normalise(kind, id.Value, correlate.Options{}); err != nil {
				it.fail("value", "%s", liaison.ErrorMessage(err))
			}
		}
		if slices.Contains(c.Identifiers, id) {
			it.fail("value", "repeats an identifier")
		}
		c.Identifiers = append(c.Identifiers, id)
	}
	c.ObjectRefs = f.refs("object_refs", false)
	for _, it := range f.items("legs", false, "origin", "destination", "carrier", "departure", "arrival") {
		leg := Leg{
			Origin:      it.text("origin", true),
			Destination: it.text("destination", true),
			Carrier:     it.text("carrier", false),
			Departure:   it.time("departure", false),
			Arrival:     it.time("arrival", false),
		}
		if !f.failed() && !leg.Departure.IsZero() && !leg.Arrival.IsZero() && leg.Arrival.Before(leg.Departure) {
			it.fail("arrival", "must not be earlier than departure")
		}
		c.Legs = append(c.Legs, leg)
	}
	if err := f.error(); err != nil {
		return nil, err
	}
	return c, nil
}

// Object writes the consignment as a STIX object and checks it. Container
// numbers and air waybills are written in their normal form (CSQU3054383,
// 176-12345675), so that two services write them alike.
func (c Consignment) Object() ([]byte, error) {
	w, err := begin(TypeConsignment, c.Common)
	if err != nil {
		return nil, err
	}
	w.str("operation_ref", c.OperationRef)
	w.str("name", c.Name)
	w.str("declared_contents", c.DeclaredContents)
	w.str("suspected_contents", c.SuspectedContents)
	if len(c.Identifiers) > 0 {
		list := make([]string, len(c.Identifiers))
		for i, id := range c.Identifiers {
			value := id.Value
			if kind, ok := identifierKinds[id.Kind]; ok {
				s, err := correlate.Normalise(kind, value, correlate.Options{})
				if err != nil {
					return nil, liaison.Errorf(liaison.EINVALID, "%s: identifiers[%d]: %s", c.ID, i, liaison.ErrorMessage(err))
				}
				value = s.Value
			}
			var item writer
			item.str("kind", id.Kind)
			item.str("value", value)
			list[i] = string(item.bytes())
		}
		w.rawValue("identifiers", "["+strings.Join(list, ",")+"]")
	}
	w.strs("object_refs", c.ObjectRefs)
	if len(c.Legs) > 0 {
		list := make([]string, len(c.Legs))
		for i, l := range c.Legs {
			var item writer
			item.str("origin", l.Origin)
			item.str("destination", l.Destination)
			item.str("carrier", l.Carrier)
			item.time("departure", l.Departure)
			item.time("arrival", l.Arrival)
			list[i] = string(item.bytes())
		}
		w.rawValue("legs", "["+strings.Join(list, ",")+"]")
	}
	return end(w, TypeConsignment, c.Common)
}

// Handoff is a proposal that custody of a subject or consignment pass to
// another organisation and team. Its outcome is never written into it (only
// its creator could version it): Custody derives it from the decisions of
// the receiving organisation.
type Handoff struct {
	Common
	OperationRef string
	SubjectRef   string // a subject or consignment of the operation
	FromRef      string // the organisation holding custody now; "" for the first assignment (the lead's to propose)
	FromTeam     string
	ToRef        string // the receiving organisation, a member of the operation
	ToTeam       string
	ToCountry    string // ISO 3166-1 alpha-2: where the receiving team will hold custody
	Proposed     time.Time
	Deadline     time.Time // after Proposed: an acceptance decided later does not count
	Reason       string
}

// ParseHandoff reads and checks a handoff object. Who may propose it (the
// custodian's organisation or the lead) depends on the operation, and is
// decided by Custody.
func ParseHandoff(o *stix.Object) (*Handoff, error) {
	f, err := open(o, TypeHandoff)
	if err != nil {
		return nil, err
	}
	once(f, o)
	h := &Handoff{Common: readCommon(o)}
	h.OperationRef = f.ref("operation_ref", true, TypeOperation)
	h.SubjectRef = f.ref("subject_ref", true, subjectTypes...)
	h.FromRef = f.ref("from_ref", false, "identity")
	h.FromTeam = f.text("from_team", false)
	if !f.failed() && h.FromTeam != "" && h.FromRef == "" {
		f.fail("from_team", "needs from_ref: a first assignment comes from no team")
	}
	h.ToRef = f.ref("to_ref", true, "identity")
	h.ToTeam = f.text("to_team", false)
	h.ToCountry = f.country("to_country", true)
	h.Proposed = f.time("proposed", true)
	h.Deadline = f.time("deadline", true)
	if !f.failed() && !h.Deadline.After(h.Proposed) {
		f.fail("deadline", "must be later than proposed")
	}
	h.Reason = f.text("reason", false)
	if err := f.error(); err != nil {
		return nil, err
	}
	return h, nil
}

// Object writes the handoff as a STIX object and checks it.
func (h Handoff) Object() ([]byte, error) {
	if !h.Modified.IsZero() && !h.Modified.Equal(h.Created) {
		return nil, liaison.Errorf(liaison.EINVALID, "%s: a handoff is not versioned; modified must equal created", h.ID)
	}
	w, err := begin(TypeHandoff, h.Common)
	if err != nil {
		return nil, err
	}
	w.str("operation_ref", h.OperationRef)
	w.str("subject_ref", h.SubjectRef)
	w.str("from_ref", h.FromRef)
	w.str("from_team", h.FromTeam)
	w.str("to_ref", h.ToRef)
	w.str("to_team", h.ToTeam)
	w.str("to_country", h.ToCountry)
	w.time("proposed", h.Proposed)
	w.time("deadline", h.Deadline)
	w.str("reason", h.Reason)
	return end(w, TypeHandoff, h.Common)
}

// Decision is the receiving organisation's answer to a handoff.
type Decision struct {
	Common
	HandoffRef string
	Decision   string    // Accepted or Rejected
	Reason     string    // optional
	Decided    time.Time // when it was decided: what counts against the deadline, whenever it arrives
}

// ParseDecision reads and checks a handoff-decision object. Whether its
// creator is the receiving organisation depends on the handoff, and is
// decided by Custody.
func ParseDecision(o *stix.Object) (*Decision, error) {
	f, err := open(o, TypeHandoffDecision)
	if err != nil {
		return nil, err
	}
	once(f, o)
	d := &Decision{Common: readCommon(o)}
	d.HandoffRef = f.ref("handoff_ref", true, TypeHandoff)
	d.Decision = f.enum("decision", true, Accepted, Rejected)
	d.Reason = f.text("reason", false)
	d.Decided = f.time("decided", true)
	if err := f.error(); err != nil {
		return nil, err
	}
	return d, nil
}

// Object writes the decision as a STIX object and checks it.
func (d Decision) Object() ([]byte, error) {
	if !d.Modified.IsZero() && !d.Modified.Equal(d.Created) {
		return nil, liaison.Errorf(liaison.EINVALID, "%s: a handoff decision is not versioned; modified must equal created", d.ID)
	}
	w, err := begin(TypeHandoffDecision, d.Common)
	if err != nil {
		return nil, err
	}
	w.str("handoff_ref", d.HandoffRef)
	w.str("decision", d.Decision)
	w.str("reason", d.Reason)
	w.time("decided", d.Decided)
	return end(w, TypeHandoffDecision, d.Common)
}
