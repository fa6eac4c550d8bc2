// Package worker runs the compiler for tenants: it reads a tenant's
// snapshot, compiles it and saves the documents with the generation they
// answer. The Redis-stream consumer loop that drives it is the next step;
// Recompute is its unit of work, safe to run concurrently for one tenant
// (the compare-and-set in docstore keeps the newest result).
package worker

import (
	"context"
	"fmt"

	"github.com/remora-sec/remora/compute/docstore"
	"github.com/remora-sec/remora/compute/engine"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/ids"
)

// Result is what one Recompute did.
type Result struct {
	Generation int64
	docstore.Saved
}

// Recompute compiles tenant's current snapshot and saves every document.
// It compiles from scratch (the incremental engine cached per tenant comes
// with the worker loop).
func Recompute(ctx context.Context, ps *policystore.Store, ds *docstore.Store, tenant ids.TenantID) (Result, error) {
	snap, err := ps.Snapshot(ctx, tenant)
	if err != nil {
		return Result{}, fmt.Errorf("recompute %s: %w", tenant, err)
	}
	docs := engine.New(snap.Policy, snap.Workloads).Documents(uint64(snap.Generation))
	saved, err := ds.Save(ctx, tenant, snap.Generation, docs)
	if err != nil {
		return Result{}, fmt.Errorf("recompute %s: %w", tenant, err)
	}
	return Result{Generation: snap.Generation, Saved: saved}, nil
}
