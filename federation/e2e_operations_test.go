package federation_test

import (
	"context"
	"testing"

	"github.com/liaison-intel/liaison/joint"
)

// TestOperationMembershipDecidesWhichNodesReceiveItsObjects: the Russian
// node leads an operation with the British service as its only partner
// member; the American node, paired and reading the same collection,
// receives nothing of it until it is invited, then receives what was
// written before; the British service, removed, receives nothing written
// after.
func TestOperationMembershipDecidesWhichNodesReceiveItsObjects(t *testing.T) {
	ru := newNode(t, russia, "RU", 0)
	gb := newNode(t, britain, "GB", 0)
	us := newNode(t, america, "US", 0)
	pair(ru, gb, "SECRET", "SECRET")
	pair(ru, us, "SECRET", "SECRET")
	ru.share("Joint operation", gb, us)
	for _, partner := range []*testNode{gb, us} {
		ru.pushTo(partner, "")
		partner.pullFrom(ru, ru.Shared)
	}
	startAll(ru, gb, us)
	ctx := context.Background()

	op, scope, err := joint.CreateOperation(ctx, ru.Store, ru.Admin, ru.APIRoot, ru.Shared, joint.NewOperation{
		Name: "IGLA", Objective: "the missile and its buyers", Members: []string{gb.Org.ID}})
	if err != nil {
		t.Fatal(err)
	}
	before := indicator(ru.Org.ID, "the dealer's Moscow flat", scope)
	ru.add(nil, ru.Shared, before)
	settle(t, ru, ru.Shared, gb, us)
	arrived := func(at *testNode, id string) bool { return len(at.find(at.Inbox[ru.Org.ID], id)) > 0 }
	if !arrived(gb, op.ID) || !arrived(gb, before.ID) {
		t.Errorf("the member's node lacks the operation or its object")
	}
	if us.stored(op.ID) != 0 || us.stored(before.ID) != 0 {
		t.Errorf("a node whose organisation is no member received the operation's objects")
	}

	// The Americans join: what was written before reaches them now.
	if _, err := joint.InviteMember(ctx, ru.Store, ru.Admin, ru.APIRoot, ru.Shared, op.ID, us.Org.ID); err != nil {
		t.Fatal(err)
	}
	settle(t, ru, ru.Shared, gb, us)
	if !arrived(us, before.ID) || !arrived(us, op.ID) {
		t.Errorf("after joining, the American node lacks the operation or what was written before")
	}
	if items := us.findAs(us.Admin, us.Inbox[ru.Org.ID], before.ID); len(items) != 1 {
		t.Errorf("the American admin cannot read the operation's object at its own node (%d)", len(items))
	}

	// The British leave: nothing written from now on reaches them.
	if _, err := joint.RemoveMember(ctx, ru.Store, ru.Admin, ru.APIRoot, ru.Shared, op.ID, gb.Org.ID); err != nil {
		t.Fatal(err)
	}
	after := indicator(ru.Org.ID, "the crate's route", scope)
	ru.add(nil, ru.Shared, after)
	settle(t, ru, ru.Shared, gb, us)
	if gb.stored(after.ID) != 0 {
		t.Errorf("an object written after the British left the operation reached their node")
	}
	if !arrived(us, after.ID) {
		t.Errorf("the remaining member's node lacks the object written after the change")
	}
}
