package node

import (
	"context"
	"time"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/joint"
	"github.com/liaison-intel/liaison/ops"
	"github.com/liaison-intel/liaison/store"
)

// Joint operations are kept by package joint, which sits below node so that
// the API node serves can use it (api cannot import node). These names
// forward to it for the callers written against node.

// Operation is what a principal may see of one joint operation: see
// joint.Operation.
type Operation = joint.Operation

// Operations returns the latest version of every operation p may see,
// newest opened first: see joint.Operations.
func Operations(ctx context.Context, st store.Store, p *liaison.Principal) ([]*ops.Operation, error) {
	return joint.Operations(ctx, st, p)
}

// LoadOperation gathers what p may see of an operation and derives its
// custody at now: see joint.LoadOperation.
func LoadOperation(ctx context.Context, st store.Store, p *liaison.Principal, id string, now time.Time) (*Operation, error) {
	return joint.LoadOperation(ctx, st, p, id, now)
}
