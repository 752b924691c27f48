package joint

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/policy"
	"github.com/liaison-intel/liaison/stix"
	"github.com/liaison-intel/liaison/store"
)

// Joint operations, written: what the API, the CLI and the demo share to
// open an operation, change its members, close it, and add its tasks,
// handoffs, decisions, sightings and consignments. Each function builds the
// objects with package ops, checks beforehand what it can say clearly (is
// the caller the lead, does the caller's organisation hold custody, is the
// operation still open), and writes through st.AddObjects, so that policy
// applies as to any other write; a refusal by the store comes back as an
// error with the store's message.
//
// Every object of an operation carries its scope marking (the handling
// marking whose operation_ref is the operation), which makes it visible to
// the operation's members only.

// opPath is how operation writes are named in the audit log.
const opPath = "operations"

// DefaultHandoffDeadline is how long a receiver has to decide a handoff
// proposed without a deadline.
const DefaultHandoffDeadline = 24 * time.Hour

// now is the time of a write, to STIX's millisecond.
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// after returns now, or a millisecond after prev when the clock has not
// passed it: a new version must be strictly later than the one it replaces.
func after(prev time.Time) time.Time {
	t := now()
	if !t.After(prev) {
		t = prev.Add(time.Millisecond)
	}
	return t
}

// invalid makes an application error of what a builder or parser said.
func invalid(err error) error {
	var e *liaison.Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return liaison.Errorf(liaison.EINVALID, "%v", err)
}

func newID(typ string) string { return typ + "--" + uuid.NewString() }

// write stores objects in one AddObjects call. A refusal by the store is
// an EINVALID error carrying the store's messages.
func write(ctx context.Context, st store.Store, p *liaison.Principal, apiRoot, collection string, raws ...[]byte) error {
	objs := make([]*stix.Object, len(raws))
	for i, raw := range raws {
		o, err := stix.Parse(raw)
		if err != nil {
			return invalid(err)
		}
		objs[i] = o
	}
	res, err := st.AddObjects(ctx, p, store.AddRequest{APIRoot: apiRoot, Collection: collection, Path: opPath},
		func(yield func(*stix.Object, error) bool) {
			for _, o := range objs {
				if !yield(o, nil) {
					return
				}
			}
		})
	if err != nil {
		return err
	}
	if len(res.Refused) > 0 {
		msgs := make([]string, len(res.Refused))
		for i, r := range res.Refused {
			msgs[i] = r.Message
		}
		return liaison.Errorf(liaison.EINVALID, "refused: %s", strings.Join(msgs, "; "))
	}
	return nil
}

// latest returns the latest version of an object that p may see in any
// collection it reads, with the API root and collection it was read from,
// or ENOTFOUND.
func latest(ctx context.Context, st store.Store, p *liaison.Principal, id string) (*stix.Object, string, string, error) {
	var (
		best       *stix.Object
		root, coll string
	)
	roots, err := st.APIRoots(ctx)
	if err != nil {
		return nil, "", "", err
	}
	for _, r := range roots {
		colls, err := st.Collections(ctx, p, r.Name)
		if err != nil {
			return nil, "", "", err
		}
		for _, c := range colls {
			page, err := st.Find(ctx, p, store.Query{APIRoot: r.Name, Collection: c.ID, IDs: []string{id}, WithContent: true, Limit: 1, Path: opPath})
			if code := liaison.ErrorCode(err); code == liaison.EFORBIDDEN || code == liaison.ENOTFOUND {
				continue // a collection p may write but not read
			}
			if err != nil {
				return nil, "", "", err
			}
			for _, it := range page.Items {
				o, err := stix.Parse(it.Raw)
				if err != nil {
					continue
				}
				if best == nil || o.Version() > best.Version() {
					best, root, coll = o, r.Name, c.ID
				}
			}
		}
	}
	if best == nil {
		return nil, "", "", liaison.Errorf(liaison.ENOTFOUND, "no object %s", id)
	}
	return best, root, coll, nil
}

// notFound is the answer about an operation p may not see, the same as
// about one that does not exist.
func notFound(id string) error { return liaison.Errorf(liaison.ENOTFOUND, "no operation %s", id) }

// operation returns the latest version of an operation that p may see.
func operation(ctx context.Context, st store.Store, p *liaison.Principal, id string) (*ops.Operation, error) {
	if !stix.ValidID(id, ops.TypeOperation) {
		return nil, notFound(id)
	}
	o, _, _, err := latest(ctx, st, p, id)
	if liaison.ErrorCode(err) == liaison.ENOTFOUND {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	op, err := ops.ParseOperation(o)
	if err != nil {
		return nil, notFound(id)
	}
	return op, nil
}

// FindOperation returns the latest version of an operation p may see, named
// by its id or its code name (in any case); ENOTFOUND when there is none,
// EINVALID when several of those p sees bear the name.
func FindOperation(ctx context.Context, st store.Store, p *liaison.Principal, nameOrID string) (*ops.Operation, error) {
	if strings.HasPrefix(nameOrID, ops.TypeOperation+"--") {
		return operation(ctx, st, p, nameOrID)
	}
	all, err := Operations(ctx, st, p)
	if err != nil {
		return nil, err
	}
	var found []*ops.Operation
	for _, op := range all {
		if strings.EqualFold(op.Name, strings.TrimSpace(nameOrID)) {
			found = append(found, op)
		}
	}
	switch len(found) {
	case 0:
		return nil, liaison.Errorf(liaison.ENOTFOUND, "no operation named %q", nameOrID)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, op := range found {
		ids[i] = op.ID
	}
	return nil, liaison.Errorf(liaison.EINVALID, "%d operations are named %q: name one by id (%s)", len(found), nameOrID, strings.Join(ids, ", "))
}

// FindHandoff returns a handoff p may see.
func FindHandoff(ctx context.Context, st store.Store, p *liaison.Principal, id string) (*ops.Handoff, error) {
	missing := liaison.Errorf(liaison.ENOTFOUND, "no handoff %s", id)
	if !stix.ValidID(id, ops.TypeHandoff) {
		return nil, missing
	}
	o, _, _, err := latest(ctx, st, p, id)
	if liaison.ErrorCode(err) == liaison.ENOTFOUND {
		return nil, missing
	}
	if err != nil {
		return nil, err
	}
	h, err := ops.ParseHandoff(o)
	if err != nil {
		return nil, missing
	}
	return h, nil
}

// FollowingOperations returns the operations p may see that follow a
// subject (in their subject_refs) or a consignment (its operation).
func FollowingOperations(ctx context.Context, st store.Store, p *liaison.Principal, subject string) ([]*ops.Operation, error) {
	all, err := Operations(ctx, st, p)
	if err != nil {
		return nil, err
	}
	var consignmentOf string
	if strings.HasPrefix(subject, ops.TypeConsignment+"--") {
		if o, _, _, err := latest(ctx, st, p, subject); err == nil {
			if c, err := ops.ParseConsignment(o); err == nil {
				consignmentOf = c.OperationRef
			}
		}
	}
	var out []*ops.Operation
	for _, op := range all {
		if slices.Contains(op.SubjectRefs, subject) || op.ID == consignmentOf {
			out = append(out, op)
		}
	}
	return out, nil
}

// FindOrganisation returns a registered organisation named by its name or
// its identity id.
func FindOrganisation(ctx context.Context, st store.Store, nameOrID string) (*liaison.Organisation, error) {
	nameOrID = strings.TrimSpace(nameOrID)
	if org, err := st.OrganisationByName(ctx, nameOrID); err == nil {
		return org, nil
	} else if liaison.ErrorCode(err) != liaison.ENOTFOUND {
		return nil, err
	}
	if strings.HasPrefix(nameOrID, "identity--") {
		if org, err := st.Organisation(ctx, nameOrID); err == nil {
			return org, nil
		} else if liaison.ErrorCode(err) != liaison.ENOTFOUND {
			return nil, err
		}
	}
	return nil, liaison.Errorf(liaison.EINVALID, "organisation %q is not registered on this node", nameOrID)
}

// WriteTarget says where p writes about an operation: the API root of the
// collection named (which p must be allowed to write), or, when collection
// is "", the collection p may write that the most other members of the
// operation may read (so that what p writes — a decision, a sighting —
// reaches their nodes), preferring one that holds the operation; when no
// such collection is shared with another member, the first one p may write
// that holds the operation (any collection p may write when operation is ""
// too, the node's default API root first). An operation p may not see is
// not found, exactly like one that does not exist.
func WriteTarget(ctx context.Context, st store.Store, p *liaison.Principal, collection, operationID string) (apiRoot, coll string, err error) {
	var op *ops.Operation
	if operationID != "" {
		if op, err = operation(ctx, st, p, operationID); err != nil {
			return "", "", err
		}
	}
	roots, err := st.APIRoots(ctx)
	if err != nil {
		return "", "", err
	}
	if def, err := st.Setting(ctx, store.SettingDefaultAPIRoot); err == nil {
		slices.SortStableFunc(roots, func(a, b *liaison.APIRoot) int {
			switch {
			case a.Name == def && b.Name != def:
				return -1
			case b.Name == def && a.Name != def:
				return 1
			}
			return 0
		})
	}
	type candidate struct {
		root, coll string
		readers    int  // other members of the operation who may read it
		holds      bool // it holds the operation
	}
	var best *candidate
	for _, r := range roots {
		colls, err := st.Collections(ctx, p, r.Name)
		if err != nil {
			return "", "", err
		}
		for _, c := range colls {
			if collection != "" {
				if c.ID != collection {
					continue
				}
				if !policy.CollectionAccess(p, c).Write {
					return "", "", liaison.Errorf(liaison.EFORBIDDEN, "you may not write collection %s", collection)
				}
				return r.Name, c.ID, nil
			}
			if !policy.CollectionAccess(p, c).Write {
				continue
			}
			if op == nil {
				return r.Name, c.ID, nil
			}
			cand := candidate{root: r.Name, coll: c.ID}
			for _, m := range op.MemberRefs {
				if m != p.OrgID && policy.CollectionAccess(&liaison.Principal{OrgID: m}, c).Read {
					cand.readers++
				}
			}
			page, err := st.Find(ctx, p, store.Query{APIRoot: r.Name, Collection: c.ID, IDs: []string{operationID}, Limit: 1, Path: opPath})
			switch {
			case liaison.ErrorCode(err) == liaison.EFORBIDDEN:
			case err != nil:
				return "", "", err
			default:
				cand.holds = len(page.Items) > 0
			}
			if cand.readers == 0 && !cand.holds {
				continue
			}
			if best == nil || cand.readers > best.readers || (cand.readers == best.readers && cand.holds && !best.holds) {
				best = &cand
			}
		}
	}
	switch {
	case best != nil:
		return best.root, best.coll, nil
	case collection != "":
		return "", "", liaison.Errorf(liaison.ENOTFOUND, "no collection %s", collection)
	case operationID != "":
		return "", "", liaison.Errorf(liaison.EFORBIDDEN, "operation %s is in no collection you may write: name one", operationID)
	}
	return "", "", liaison.Errorf(liaison.EFORBIDDEN, "there is no collection you may write")
}

// ScopeMarking returns the id of an operation's scope marking: the handling
// marking among its object_marking_refs whose operation_ref is the
// operation.
func ScopeMarking(ctx context.Context, st store.Store, p *liaison.Principal, op *ops.Operation) (string, error) {
	for _, ref := range op.Markings {
		if policy.IsTLP(ref) {
			continue
		}
		o, _, _, err := latest(ctx, st, p, ref)
		if liaison.ErrorCode(err) == liaison.ENOTFOUND {
			continue
		}
		if err != nil {
			return "", err
		}
		m, err := policy.ParseMarking(o, policy.DefaultLadder)
		if err == nil && m.Handling != nil && m.Handling.OperationRef == op.ID {
			return ref, nil
		}
	}
	return "", liaison.Errorf(liaison.EINVALID, "operation %s carries no scope marking (a handling marking whose operation_ref is the operation) that you may read: its objects cannot be scoped to it", op.ID)
}

// NewOperation is what opens an operation.
type NewOperation struct {
	Name      string `json:"name"`
	Objective string `json:"objective,omitempty"`
	// Members are organisations, by name or identity id; the lead (the
	// caller's organisation) is always one.
	Members []string `json:"members,omitempty"`
	// Subjects are the individuals (identity), threat actors and
	// consignments followed, by STIX id.
	Subjects []string `json:"subjects,omitempty"`
	// Classification and HandlingCode, optional, go into the scope marking
	// (every object of the operation carries them).
	Classification string `json:"classification,omitempty"`
	HandlingCode   string `json:"handling_code,omitempty"`
}

// CreateOperation opens an operation led by p's organisation: a handling
// marking scoped to it and the operation marked with it, written in one
// AddObjects call. It returns the operation and the marking's id.
func CreateOperation(ctx context.Context, st store.Store, p *liaison.Principal, apiRoot, collection string, in NewOperation) (*ops.Operation, string, error) {
	if p == nil || p.OrgID == "" {
		return nil, "", liaison.Errorf(liaison.EUNAUTHORIZED, "not signed in")
	}
	if strings.TrimSpace(in.Name) == "" {
		return nil, "", liaison.Errorf(liaison.EINVALID, "an operation needs a name (its code name)")
	}
	members := []string{p.OrgID}
	for _, m := range in.Members {
		org, err := FindOrganisation(ctx, st, m)
		if err != nil {
			return nil, "", err
		}
		if !slices.Contains(members, org.ID) {
			members = append(members, org.ID)
		}
	}
	t := now()
	op := &ops.Operation{
		Common: ops.Common{ID: newID(ops.TypeOperation), CreatedByRef: p.OrgID, Created: t, Modified: t},
		Name:   strings.TrimSpace(in.Name), Objective: in.Objective, Status: ops.OperationOpen,
		LeadRef: p.OrgID, MemberRefs: members, SubjectRefs: in.Subjects, Opened: t,
	}
	h := policy.Handling{OperationRef: op.ID, Classification: in.Classification, HandlingCode: in.HandlingCode}
	marking, err := handlingMarking(ctx, st, p, h, t)
	if err != nil {
		return nil, "", err
	}
	op.Markings = []string{marking.ID}
	raw, err := op.Object()
	if err != nil {
		return nil, "", invalid(err)
	}
	if err := write(ctx, st, p, apiRoot, collection, marking.Raw, raw); err != nil {
		return nil, "", err
	}
	return op, marking.ID, nil
}

// handlingMarking builds a Liaison handling marking created by p's
// organisation, named from its content as node.AddMarking names it, and
// checks that p may mark objects with it (the store would refuse the
// objects, not the marking, leaving it behind).
func handlingMarking(ctx context.Context, st store.Store, p *liaison.Principal, h policy.Handling, created time.Time) (*stix.Object, error) {
	if h.Classification != "" {
		level, err := policy.DefaultLadder.Canonical(h.Classification)
		if err != nil {
			return nil, liaison.Errorf(liaison.EINVALID, "%v", err)
		}
		h.Classification = level
	}
	if h.HandlingCode != "" {
		h.HandlingCode = strings.ToUpper(h.HandlingCode)
	}
	id := newID("marking-definition")
	body, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	var ext map[string]any
	_ = json.Unmarshal(body, &ext)
	ext["extension_type"] = "property-extension"
	name := (&policy.Marking{ID: id, Handling: &h}).Describe()
	if orgs, err := st.Organisations(ctx); err == nil {
		for _, o := range orgs {
			name = strings.ReplaceAll(name, o.ID, o.Name)
		}
	}
	raw, _ := json.Marshal(map[string]any{
		"type": "marking-definition", "spec_version": stix.SpecVersion, "id": id,
		"created": stix.FormatTimestamp(created), "created_by_ref": p.OrgID, "name": name,
		"extensions": map[string]any{policy.HandlingExtension: ext},
	})
	o, err := stix.Parse(raw)
	if err != nil {
		return nil, invalid(err)
	}
	m, err := policy.ParseMarking(o, policy.DefaultLadder)
	if err != nil {
		return nil, invalid(err)
	}
	if err := (policy.Facts{Ladder: policy.DefaultLadder}).MayMark(p, id, []*policy.Marking{m}); err != nil {
		return nil, invalid(err)
	}
	return o, nil
}

// led returns the latest version of an operation p may see, refusing
// anyone but its lead: only the lead publishes versions.
func led(ctx context.Context, st store.Store, p *liaison.Principal, id string, names map[string]string) (*ops.Operation, error) {
	op, err := operation(ctx, st, p, id)
	if err != nil {
		return nil, err
	}
	if p.OrgID != op.LeadRef {
		return nil, liaison.Errorf(liaison.EFORBIDDEN, "only the lead organisation (%s) publishes versions of operation %s", nameOf(names, op.LeadRef), id)
	}
	return op, nil
}

// publish writes a new version of an operation.
func publish(ctx context.Context, st store.Store, p *liaison.Principal, apiRoot, collection string, op *ops.Operation) (*ops.Operation, error) {
	raw, err := op.Object()
	if err != nil {
		return nil, invalid(err)
	}
	if err := write(ctx, st, p, apiRoot, collection, raw); err != nil {
		return nil, err
	}
	return op, nil
}

// InviteMember publishes a new version of an operation with one more
// member organisation (by name or identity id). Only the lead may.
func InviteMember(ctx context.Context, st store.Store, p *liaison.Principal, apiRoot, collection, operationID, org string) (*ops.Operation, error) {
	names := organisationNames(ctx, st)
	op, err := led(ctx, st, p, operationID, names)
	if err != nil {
		return nil, err
	}
	if op.Status != ops.OperationOpen {
		return nil, liaison.Errorf(liaison.EINVALID, "operation %s is closed", op.ID)
	}
	o, err := FindOrganisation(ctx, st, org)
	if err != nil {
		return nil, err
	}
	if op.IsMember(o.ID) {
		return nil, liaison.Errorf(liaison.ECONFLICT, "%s is a member of operation %s already", o.Name, op.ID)
	}
	next := *op
	next.Modified = after(op.Modified)
	next.MemberRefs = append(slices.Clone(op.MemberRefs), o.ID)
	return publish(ctx, st, p, apiRoot, collection, &next)
}

// RemoveMember publishes a new version of an operation without a member
// organisation (by name or identity id). Only the lead may; the lead
// cannot leave, and a member holding custody of a subject must hand it
// away first (the handoffs to a removed member count no more).
func RemoveMember(ctx context.Context, st store.Store, p *liaison.Principal, apiRoot, collection, operationID, org string) (*ops.Operation, error) {
	names := organisationNames(ctx, st)
	op, err := led(ctx, st, p, operationID, names)
	if err != nil {
		return nil, err
	}
	if op.Status != ops.OperationOpen {
		return nil, liaison.Errorf(liaison.EINVALID, "operation %s is closed", op.ID)
	}
	id := strings.TrimSpace(org)
	if o, err := FindOrganisation(ctx, st, org); err == nil {
		id = o.ID
	}
	switch {
	case !op.IsMember(id):
		return nil, liaison.Errorf(liaison.EINVALID, "%s is not a member of operation %s", org, op.ID)
	case id == op.LeadRef:
		return nil, liaison.Errorf(liaison.EINVALID, "the lead (%s) cannot leave operation %s", nameOf(names, id), op.ID)
	}
	v, err := LoadOperation(ctx, st, p, op.ID, time.Now())
	if err != nil {
		return nil, err
	}
	var held []string
	for _, s := range v.Coverage.Subjects {
		if cu, ok := v.Coverage.At(s, v.Now); ok && cu.Org == id {
			held = append(held, s)
		}
	}
	if len(held) > 0 {
		return nil, liaison.Errorf(liaison.EINVALID, "%s holds custody of %s: hand custody away before removing it from operation %s",
			nameOf(names, id), strings.Join(held, ", "), op.ID)
	}
	next := *op
	next.Modified = after(op.Modified)
	next.MemberRefs = slices.DeleteFunc(slices.Clone(op.MemberRefs), func(m string) bool { return m == id })
	return publish(ctx, st, p, apiRoot, collection, &next)
}

// CloseOperation publishes the last version of an operation: closed now.
// Closing ends every custody and cancels every handoff still proposed.
// Only the lead may.
func CloseOperation(ctx context.Context, st store.Store, p *liaison.Principal, apiRoot, collection, operationID string) (*ops.Operation, error) {
	op, err := led(ctx, st, p, operationID, organisationNames(ctx, st))
	if err != nil {
		return nil, err
	}
	if op.Status == ops.OperationClosed {
		return nil, liaison.Errorf(liaison.EINVALID, "operation %s was closed at %s", op.ID, stix.FormatTimestamp(op.Closed))
	}
	next := *op
	next.Modified = after(op.Modified)
	next.Status, next.Closed = ops.OperationClosed, next.Modified
	return publish(ctx, st, p, apiRoot, collection, &next)
}

// member returns the operation and its scope marking for a member of it
// adding an object; an operation that has closed is refused when open is
// set.
func member(ctx context.Context, st store.Store, p *liaison.Principal, operationID string, open bool) (*ops.Operation, string, error) {
	op, err := operation(ctx, st, p, operationID)
	if err != nil {
		return nil, "", err
	}
	if !op.IsMember(p.OrgID) {
		return nil, "", liaison.Errorf(liaison.EFORBIDDEN, "your organisation is not a member of operation %s", op.ID)
	}
	if open && op.Status != ops.OperationOpen {
		return nil, "", liaison.Errorf(liaison.EINVALID, "operation %s is closed", op.ID)
	}
	scope, err := ScopeMarking(ctx, st, p, op)
	if err != nil {
		return nil, "", err
	}
	return op, scope, nil
}

// NewTask is a piece of work for a member organisation.
type NewTask struct {
	Assignee    string    `json:"assignee"` // a member organisation, by name or identity id
	Description string    `json:"description"`
	Due         time.Time `json:"due,omitzero"`
}

// AddTask adds a task to an open operation, marked with its scope marking.
// Any member may; the assignee must be a member.
func AddTask(ctx context.Context, st store.Store, p *liaison.Principal, apiRoot, collection, operationID string, in NewTask) (*ops.Task, error) {
	op, scope, err := member(ctx, st, p, operationID, true)
	if err != nil {
		return nil, err
	}
	org, err := FindOrganisation(ctx, st, in.Assignee)
	if err != nil {
		return nil, err
	}
	if !op.IsMember(org.ID) {
		return nil, liaison.Errorf(liaison.EINVALID, "%s is not a member of operation %s: invite it first", org.Name, op.ID)
	}
	if strings.TrimSpace(in.Description) == "" {
		return nil, liaison.Errorf(liaison.EINVALID, "a task needs a description")
	}
	t := &ops.Task{
		Common:       ops.Common{ID: newID(ops.TypeTask), CreatedByRef: p.OrgID, Created: now(), Markings: []string{scope}},
		OperationRef: op.ID, AssigneeRef: org.ID, Description: in.Description, Status: ops.TaskOpen, Due: in.Due,
	}
	t.Modified = t.Created
	raw, err := t.Object()
	if err != nil {
		return nil, invalid(err)
	}
	if err := write(ctx, st, p, apiRoot, collection, raw); err != nil {
		return nil, err
	}
	return t, nil
}

// NewHandoff proposes that custody of a subject pass to another
// organisation and team.
type NewHandoff struct {
	Subject   string `json:"subject"` // a subject or consignment of the operation
	To        string `json:"to"`      // the receiving member, by name or identity id
	ToTeam    string `json:"to_team,omitempty"`
	ToCountry string `json:"to_country,omitempty"` // default: the receiver's country
	// FromTeam defaults to the custodian's team.
	FromTeam string    `json:"from_team,omitempty"`
	Deadline time.Time `json:"deadline,omitzero"` // default: DefaultHandoffDeadline from now
	Reason   string    `json:"reason,omitempty"`
}

// ProposeHandoff proposes a handoff in an open operation, marked with its
// scope marking. The proposal comes from the subject's custodian now: the
// organisation holding custody proposes it, or the lead; when nobody holds
// the subject, it is a first assignment and only the lead proposes it. A
// proposal that custody would refuse (docs/OPERATIONS.md, rule 1) is
// refused here, saying why.
func ProposeHandoff(ctx context.Context, st store.Store, p *liaison.Principal, apiRoot, collection, operationID string, in NewHandoff) (*ops.Handoff, error) {
	op, scope, err := member(ctx, st, p, operationID, true)
	if err != nil {
		return nil, err
	}
	names := organisationNames(ctx, st)
	t := now()
	v, err := LoadOperation(ctx, st, p, op.ID, t)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(v.Coverage.Subjects, in.Subject) {
		return nil, liaison.Errorf(liaison.EINVALID, "operation %s follows no subject %s (its subject_refs and its consignments)", op.ID, in.Subject)
	}
	to, err := FindOrganisation(ctx, st, in.To)
	if err != nil {
		return nil, err
	}
	if !op.IsMember(to.ID) {
		return nil, liaison.Errorf(liaison.EINVALID, "%s is not a member of operation %s: invite it first", to.Name, op.ID)
	}
	h := &ops.Handoff{
		Common:       ops.Common{ID: newID(ops.TypeHandoff), CreatedByRef: p.OrgID, Created: t, Markings: []string{scope}},
		OperationRef: op.ID, SubjectRef: in.Subject, FromTeam: in.FromTeam,
		ToRef: to.ID, ToTeam: in.ToTeam, ToCountry: strings.ToUpper(strings.TrimSpace(in.ToCountry)),
		Proposed: t, Deadline: in.Deadline, Reason: in.Reason,
	}
	if cu, ok := v.Coverage.At(in.Subject, t); ok {
		if p.OrgID != cu.Org && p.OrgID != op.LeadRef {
			return nil, liaison.Errorf(liaison.EFORBIDDEN, "%s holds custody of %s: only it or the lead (%s) may hand it over",
				nameOf(names, cu.Org), in.Subject, nameOf(names, op.LeadRef))
		}
		h.FromRef = cu.Org
		if h.FromTeam == "" {
			h.FromTeam = cu.Team
		}
	} else {
		if p.OrgID != op.LeadRef {
			return nil, liaison.Errorf(liaison.EFORBIDDEN, "nobody holds custody of %s: its assignment is the lead's (%s) to propose", in.Subject, nameOf(names, op.LeadRef))
		}
		if h.FromTeam != "" {
			return nil, liaison.Errorf(liaison.EINVALID, "nobody holds custody of %s: a first assignment comes from no team (leave from_team out)", in.Subject)
		}
	}
	if h.ToCountry == "" {
		if _, ok := liaison.Country(to.Country); !ok {
			return nil, liaison.Errorf(liaison.EINVALID, "say in which country %s will hold custody (to_country)", to.Name)
		}
		h.ToCountry = to.Country
	}
	if h.Deadline.IsZero() {
		h.Deadline = t.Add(DefaultHandoffDeadline)
	}
	if !h.Deadline.After(t) {
		return nil, liaison.Errorf(liaison.EINVALID, "the deadline %s has passed", stix.FormatTimestamp(h.Deadline))
	}
	h.Modified = h.Created
	raw, err := h.Object()
	if err != nil {
		return nil, invalid(err)
	}
	if err := write(ctx, st, p, apiRoot, collection, raw); err != nil {
		return nil, err
	}
	return h, nil
}

// DecideHandoff accepts or rejects a handoff (decision ops.Accepted or
// ops.Rejected): a handoff-decision created by p's organisation, which must
// be the receiver, marked with the operation's scope marking. A decision
// that would not count (the handoff is no longer proposed: accepted,
// rejected, expired, superseded, cancelled or refused) is refused, saying
// why. A rejection needs a reason.
func DecideHandoff(ctx context.Context, st store.Store, p *liaison.Principal, apiRoot, collection, handoffID, decision, reason string) (*ops.Decision, error) {
	h, err := FindHandoff(ctx, st, p, handoffID)
	if err != nil {
		return nil, err
	}
	if decision != ops.Accepted && decision != ops.Rejected {
		return nil, liaison.Errorf(liaison.EINVALID, "a decision is %q or %q, not %q", ops.Accepted, ops.Rejected, decision)
	}
	if decision == ops.Rejected && strings.TrimSpace(reason) == "" {
		return nil, liaison.Errorf(liaison.EINVALID, "a rejection needs a reason")
	}
	names := organisationNames(ctx, st)
	if p.OrgID != h.ToRef {
		return nil, liaison.Errorf(liaison.EFORBIDDEN, "only the receiving organisation (%s) decides handoff %s", nameOf(names, h.ToRef), h.ID)
	}
	op, scope, err := member(ctx, st, p, h.OperationRef, false)
	if err != nil {
		return nil, err
	}
	t := now()
	v, err := LoadOperation(ctx, st, p, op.ID, t)
	if err != nil {
		return nil, err
	}
	status, ok := v.Coverage.Handoffs[h.ID]
	if !ok {
		return nil, liaison.Errorf(liaison.EINVALID, "handoff %s is not counted in operation %s", h.ID, op.ID)
	}
	if status.State != ops.StateProposed {
		why := ""
		if status.Reason != "" {
			why = " (" + status.Reason + ")"
		}
		return nil, liaison.Errorf(liaison.EINVALID, "handoff %s is %s since %s%s: a decision would not count",
			h.ID, status.State, stix.FormatTimestamp(status.Since), why)
	}
	d := &ops.Decision{
		Common:     ops.Common{ID: newID(ops.TypeHandoffDecision), CreatedByRef: p.OrgID, Created: t, Modified: t, Markings: []string{scope}},
		HandoffRef: h.ID, Decision: decision, Reason: reason, Decided: t,
	}
	raw, err := d.Object()
	if err != nil {
		return nil, invalid(err)
	}
	if err := write(ctx, st, p, apiRoot, collection, raw); err != nil {
		return nil, err
	}
	return d, nil
}

// NewSighting is a sighting of a subject or consignment, as a discreet-check
// report gives it: where (an existing location, or a new one from a place
// name, coordinates and a country), when, and what was seen.
type NewSighting struct {
	Subject  string `json:"subject"`
	Location string `json:"location,omitempty"` // an existing location's id; or:
	Place    string `json:"place,omitempty"`
	// Lat and Lon are WGS 84 decimal degrees; both or neither.
	Lat         *float64  `json:"lat,omitempty"`
	Lon         *float64  `json:"lon,omitempty"`
	Country     string    `json:"country,omitempty"` // ISO 3166-1 alpha-2
	At          time.Time `json:"at,omitzero"`       // first_seen; default now
	LastSeen    time.Time `json:"last_seen,omitzero"`
	Description string    `json:"description,omitempty"`
	// The report.
	Route      string   `json:"route,omitempty"`
	Companions []string `json:"companions,omitempty"`
	Carried    []string `json:"carried,omitempty"`
	Notes      string   `json:"notes,omitempty"`
}

// AddSighting records a sighting of a subject or consignment of an
// operation, with the sighting-report extension when the report says
// anything, and where_sighted_refs naming the location and p's
// organisation. A new location is created when none is named. Both carry
// the operation's scope marking. Any member may report, in an open or a
// closed operation (reports arrive late).
func AddSighting(ctx context.Context, st store.Store, p *liaison.Principal, apiRoot, collection, operationID string, in NewSighting) (*ops.Sighting, *ops.Location, error) {
	op, scope, err := member(ctx, st, p, operationID, false)
	if err != nil {
		return nil, nil, err
	}
	t := now()
	v, err := LoadOperation(ctx, st, p, op.ID, t)
	if err != nil {
		return nil, nil, err
	}
	if !slices.Contains(v.Coverage.Subjects, in.Subject) {
		return nil, nil, liaison.Errorf(liaison.EINVALID, "operation %s follows no subject %s (its subject_refs and its consignments)", op.ID, in.Subject)
	}
	var (
		loc   *ops.Location
		raws  [][]byte
		where string
	)
	switch {
	case in.Location != "":
		if in.Place != "" || in.Lat != nil || in.Lon != nil || in.Country != "" {
			return nil, nil, liaison.Errorf(liaison.EINVALID, "name an existing location or describe a new one (place, lat, lon, country), not both")
		}
		o, _, _, err := latest(ctx, st, p, in.Location)
		if err != nil || o.Type != "location" {
			return nil, nil, liaison.Errorf(liaison.EINVALID, "no location %s", in.Location)
		}
		where = o.ID
	default:
		if strings.TrimSpace(in.Place) == "" {
			return nil, nil, liaison.Errorf(liaison.EINVALID, "say where: an existing location, or a place name with its coordinates or country")
		}
		if (in.Lat == nil) != (in.Lon == nil) {
			return nil, nil, liaison.Errorf(liaison.EINVALID, "give both lat and lon, or neither")
		}
		country := strings.ToUpper(strings.TrimSpace(in.Country))
		if _, ok := liaison.Country(country); country != "" && !ok {
			return nil, nil, liaison.Errorf(liaison.EINVALID, "country %q is not an ISO 3166-1 alpha-2 code (such as GB, RU, US)", in.Country)
		}
		if country == "" && in.Lat == nil {
			return nil, nil, liaison.Errorf(liaison.EINVALID, "a new place needs its coordinates (lat, lon) or its country")
		}
		loc = &ops.Location{
			Common: ops.Common{ID: newID("location"), CreatedByRef: p.OrgID, Created: t, Modified: t, Markings: []string{scope}},
			Name:   strings.TrimSpace(in.Place), Country: country,
		}
		if in.Lat != nil {
			loc.Point = &ops.Point{Latitude: *in.Lat, Longitude: *in.Lon}
		}
		raw, err := loc.Object()
		if err != nil {
			return nil, nil, invalid(err)
		}
		raws, where = append(raws, raw), loc.ID
	}
	s := &ops.Sighting{
		Common:        ops.Common{ID: newID("sighting"), CreatedByRef: p.OrgID, Created: t, Modified: t, Markings: []string{scope}},
		SightingOfRef: in.Subject, WhereSightedRefs: []string{where, p.OrgID},
		FirstSeen: in.At, LastSeen: in.LastSeen, Description: in.Description,
	}
	if s.FirstSeen.IsZero() {
		s.FirstSeen = t
	}
	if in.Route != "" || len(in.Companions) > 0 || len(in.Carried) > 0 || in.Notes != "" {
		s.Report = &ops.Report{Route: in.Route, Companions: in.Companions, Carried: in.Carried, Notes: in.Notes}
	}
	raw, err := s.Object()
	if err != nil {
		return nil, nil, invalid(err)
	}
	if err := write(ctx, st, p, apiRoot, collection, append(raws, raw)...); err != nil {
		return nil, nil, err
	}
	return s, loc, nil
}

// AddConsignment records goods an operation follows, as described in c
// (its name, contents, identifiers, the observables it travels in, its
// legs); the id, creator, times, operation and scope marking are set here.
// Any member may, while the operation is open.
func AddConsignment(ctx context.Context, st store.Store, p *liaison.Principal, apiRoot, collection, operationID string, c ops.Consignment) (*ops.Consignment, error) {
	op, scope, err := member(ctx, st, p, operationID, true)
	if err != nil {
		return nil, err
	}
	t := now()
	c.Common = ops.Common{ID: newID(ops.TypeConsignment), CreatedByRef: p.OrgID, Created: t, Modified: t,
		Markings: append(slices.DeleteFunc(slices.Clone(c.Markings), func(m string) bool { return m == scope }), scope)}
	c.OperationRef = op.ID
	raw, err := c.Object()
	if err != nil {
		return nil, invalid(err)
	}
	if err := write(ctx, st, p, apiRoot, collection, raw); err != nil {
		return nil, err
	}
	return &c, nil
}

// organisationNames names the node's organisations by identity id.
func organisationNames(ctx context.Context, st store.Store) map[string]string {
	names := map[string]string{}
	if orgs, err := st.Organisations(ctx); err == nil {
		for _, o := range orgs {
			names[o.ID] = o.Name
		}
	}
	return names
}

// nameOf is an organisation's name, or its id when it is not registered.
func nameOf(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}
