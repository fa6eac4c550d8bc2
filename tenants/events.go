package tenants

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
)

// Actor is who p is in the events its requests cause: the user, or the
// API key.
func (p Principal) Actor() outbox.Actor {
	if p.APIKey != "" {
		return outbox.Actor{Type: outbox.ActorAPIKey, ID: string(p.APIKey)}
	}
	return userActor(p.User)
}

func userActor(id ids.UserID) outbox.Actor {
	return outbox.Actor{Type: outbox.ActorUser, ID: string(id)}
}

func userResource(id ids.UserID) outbox.Resource {
	return outbox.Resource{Type: "user", ID: string(id)}
}

// emit records an event of tenant within tx, a transaction on the control
// schema. Events live in the tenant's schema, so it first points tx's
// search_path there (holding the tenant row as InTenant does: a deletion
// under way finishes first, and then the change fails as NotFound). Every
// control-schema query of this package names its schema, so those that
// follow in tx are unaffected.
func emit(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, typ string, res outbox.Resource, data any) error {
	if err := enterTenant(ctx, tx, tenant, "FOR KEY SHARE"); err != nil {
		return err
	}
	_, err := outbox.Emit(ctx, tx, tenant, typ, res, data)
	return err
}
