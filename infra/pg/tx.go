package pg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
)

// InTenantTx runs fn through in (a tenant store's InTenant or
// InTenantRead) and returns fn's result; an error is wrapped with what the
// caller was doing. Stores build their read and write helpers on it.
func InTenantTx[T any](ctx context.Context, in func(context.Context, ids.TenantID, func(pgx.Tx) error) error,
	tenant ids.TenantID, what string, fn func(pgx.Tx) (T, error)) (T, error) {
	var out T
	err := in(ctx, tenant, func(tx pgx.Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
