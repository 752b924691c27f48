package joint

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/store"
)

// What the API and the CLI show of an operation: its summary in a list,
// and the whole view (members and lead by name, subjects and consignments
// with their custodian now, tasks, handoffs, gaps and problems), derived by
// LoadOperation.

// OrgRef is an organisation by identity id and, when registered on this
// node, name.
type OrgRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

func orgRef(names map[string]string, id string) OrgRef { return OrgRef{ID: id, Name: names[id]} }

// OperationSummary is an operation's latest version as p sees it.
type OperationSummary struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Objective   string    `json:"objective,omitempty"`
	Status      string    `json:"status"`
	Lead        OrgRef    `json:"lead"`
	Members     []OrgRef  `json:"members"`
	SubjectRefs []string  `json:"subject_refs,omitempty"`
	Opened      time.Time `json:"opened"`
	Closed      time.Time `json:"closed,omitzero"`
	Modified    time.Time `json:"modified"`
	Markings    []string  `json:"object_marking_refs,omitempty"`
}

// Summarise describes an operation, naming organisations from names (by
// identity id).
func Summarise(op *ops.Operation, names map[string]string) OperationSummary {
	s := OperationSummary{ID: op.ID, Name: op.Name, Objective: op.Objective, Status: op.Status, Lead: orgRef(names, op.LeadRef),
		Members: []OrgRef{}, SubjectRefs: op.SubjectRefs, Opened: op.Opened, Closed: op.Closed, Modified: op.Modified, Markings: op.Markings}
	for _, m := range op.MemberRefs {
		s.Members = append(s.Members, orgRef(names, m))
	}
	return s
}

// OperationSummaries lists the operations p may see, newest opened first.
func OperationSummaries(ctx context.Context, st store.Store, p *liaison.Principal) ([]OperationSummary, error) {
	all, err := Operations(ctx, st, p)
	if err != nil {
		return nil, err
	}
	names := organisationNames(ctx, st)
	out := make([]OperationSummary, len(all))
	for i, op := range all {
		out[i] = Summarise(op, names)
	}
	return out, nil
}

// OperationView is the whole of an operation as p sees it at Now.
type OperationView struct {
	OperationSummary
	Now        time.Time `json:"now"`
	Collection string    `json:"collection,omitempty"` // where the operation was read from
	// Subjects are the individuals and threat actors followed, each with
	// its custodian now (none: nobody holds it).
	Subjects        []SubjectView     `json:"subjects"`
	Consignments    []ConsignmentView `json:"consignments"`
	Tasks           []TaskView        `json:"tasks"`
	PendingHandoffs []HandoffView     `json:"pending_handoffs"` // those still proposed, waiting for a decision by their deadline
	Handoffs        []HandoffView     `json:"handoffs"`         // every handoff, with what became of it, by proposal time
	Gaps            []ops.Gap         `json:"gaps"`
	Problems        []ops.Problem     `json:"problems"`
}

// CustodianView is a custodian with its organisation's name.
type CustodianView struct {
	ops.Custodian
	OrgName string `json:"org_name,omitempty"`
}

// SubjectView is a subject or consignment followed, and who holds it now.
type SubjectView struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Name      string         `json:"name,omitempty"`      // "" when its object is not visible
	Custodian *CustodianView `json:"custodian,omitempty"` // nil: nobody holds it now
}

// ConsignmentView is a consignment of the operation.
type ConsignmentView struct {
	SubjectView
	DeclaredContents  string           `json:"declared_contents,omitempty"`
	SuspectedContents string           `json:"suspected_contents,omitempty"`
	Identifiers       []IdentifierView `json:"identifiers,omitempty"`
}

// IdentifierView is a number a consignment is known by.
type IdentifierView struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// TaskView is a task of the operation.
type TaskView struct {
	ID          string    `json:"id"`
	Description string    `json:"description"`
	Status      string    `json:"status"`
	Assignee    OrgRef    `json:"assignee"`
	CreatedBy   OrgRef    `json:"created_by"`
	Due         time.Time `json:"due,omitzero"`
	Created     time.Time `json:"created"`
	Modified    time.Time `json:"modified"`
}

// HandoffView is a handoff and what became of it.
type HandoffView struct {
	ID          string    `json:"id"`
	Subject     string    `json:"subject_ref"`
	SubjectName string    `json:"subject_name,omitempty"`
	ProposedBy  OrgRef    `json:"proposed_by"`
	From        *OrgRef   `json:"from,omitempty"` // nil for a first assignment
	FromTeam    string    `json:"from_team,omitempty"`
	To          OrgRef    `json:"to"`
	ToTeam      string    `json:"to_team,omitempty"`
	ToCountry   string    `json:"to_country"`
	Proposed    time.Time `json:"proposed"`
	Deadline    time.Time `json:"deadline"`
	Reason      string    `json:"reason,omitempty"`
	State       ops.State `json:"state"`
	Since       time.Time `json:"since"`                  // when it reached State
	By          string    `json:"by_ref,omitempty"`       // the decision, or the handoff that superseded it
	StateReason string    `json:"state_reason,omitempty"` // why it was refused, superseded or cancelled
}

// ShowOperation loads an operation as p sees it at now and describes it.
// An operation p may not see is not found, exactly like one that does not
// exist.
func ShowOperation(ctx context.Context, st store.Store, p *liaison.Principal, id string, now time.Time) (*OperationView, error) {
	v, err := LoadOperation(ctx, st, p, id, now)
	if err != nil {
		return nil, err
	}
	return v.View(organisationNames(ctx, st)), nil
}

// View describes the operation, naming organisations from names (by
// identity id).
func (v *Operation) View(names map[string]string) *OperationView {
	op, cov := v.Case.Operation, v.Coverage
	out := &OperationView{OperationSummary: Summarise(op, names), Now: v.Now, Collection: v.Where[op.ID],
		Subjects: []SubjectView{}, Consignments: []ConsignmentView{}, Tasks: []TaskView{},
		PendingHandoffs: []HandoffView{}, Handoffs: []HandoffView{}, Gaps: cov.Gaps, Problems: cov.Problems}
	if out.Gaps == nil {
		out.Gaps = []ops.Gap{}
	}
	if out.Problems == nil {
		out.Problems = []ops.Problem{}
	}
	custodian := func(subject string) *CustodianView {
		cu, ok := cov.At(subject, v.Now)
		if !ok {
			return nil
		}
		return &CustodianView{Custodian: cu, OrgName: names[cu.Org]}
	}
	subjectNames := map[string]string{}
	consignments := map[string]bool{}
	for _, c := range v.Case.Consignments {
		consignments[c.ID] = true
		subjectNames[c.ID] = c.Name
		cv := ConsignmentView{SubjectView: SubjectView{ID: c.ID, Type: ops.TypeConsignment, Name: c.Name, Custodian: custodian(c.ID)},
			DeclaredContents: c.DeclaredContents, SuspectedContents: c.SuspectedContents}
		for _, id := range c.Identifiers {
			cv.Identifiers = append(cv.Identifiers, IdentifierView{Kind: id.Kind, Value: id.Value})
		}
		out.Consignments = append(out.Consignments, cv)
	}
	for _, s := range cov.Subjects {
		if consignments[s] {
			continue
		}
		typ, _, _ := strings.Cut(s, "--")
		sv := SubjectView{ID: s, Type: typ, Custodian: custodian(s)}
		if o := v.Subjects[s]; o != nil {
			sv.Name = o.String("name")
		}
		subjectNames[s] = sv.Name
		out.Subjects = append(out.Subjects, sv)
	}
	for _, t := range v.Tasks {
		out.Tasks = append(out.Tasks, TaskView{ID: t.ID, Description: t.Description, Status: t.Status,
			Assignee: orgRef(names, t.AssigneeRef), CreatedBy: orgRef(names, t.CreatedByRef), Due: t.Due, Created: t.Created, Modified: t.Modified})
	}
	slices.SortFunc(out.Tasks, func(a, b TaskView) int { return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) })
	for _, h := range v.Case.Handoffs {
		st, ok := cov.Handoffs[h.ID]
		if !ok {
			continue // not the operation's, or given twice: Custody reports it among the problems
		}
		hv := HandoffView{ID: h.ID, Subject: h.SubjectRef, SubjectName: subjectNames[h.SubjectRef], ProposedBy: orgRef(names, h.CreatedByRef),
			FromTeam: h.FromTeam, To: orgRef(names, h.ToRef), ToTeam: h.ToTeam, ToCountry: h.ToCountry,
			Proposed: h.Proposed, Deadline: h.Deadline, Reason: h.Reason,
			State: st.State, Since: st.Since, By: st.By, StateReason: st.Reason}
		if h.FromRef != "" {
			from := orgRef(names, h.FromRef)
			hv.From = &from
		}
		out.Handoffs = append(out.Handoffs, hv)
	}
	slices.SortFunc(out.Handoffs, func(a, b HandoffView) int { return cmp.Or(a.Proposed.Compare(b.Proposed), cmp.Compare(a.ID, b.ID)) })
	for _, h := range out.Handoffs {
		if h.State == ops.StateProposed {
			out.PendingHandoffs = append(out.PendingHandoffs, h)
		}
	}
	return out
}
