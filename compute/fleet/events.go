package fleet

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
)

// Every change here records its event in its own transaction: pairing
// (the VEN's own), heartbeats that bring a VEN back or report tampering
// (the VEN's), unpairing (the VEN's goodbye or an admin's), and the
// offline sweep (the system's). The registry row is in the control schema
// but the transaction is InTenant's, so the event lands in the tenant's
// schema beside the workload change that goes with it.

func emit(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, typ string, res outbox.Resource, data any) error {
	_, err := outbox.Emit(ctx, tx, tenant, typ, res, data)
	return err
}

func venResource(id string) outbox.Resource { return outbox.Resource{Type: "ven", ID: id} }
