package tenants

import (
	"context"
	"fmt"

	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/pg"
)

// listPage returns one page of a tenant's rows, oldest first. query
// selects the columns scan reads and ends with a WHERE clause on
// tenant_id = $1 that pg.ListPage extends.
func listPage[T any](ctx context.Context, s *Store, what, query string, tenant ids.TenantID, pr page.Request,
	scan func(*T) []any, key func(T) page.Key) ([]T, string, error) {
	items, next, err := pg.ListPage(ctx, s.pool, query, "", []any{tenant}, pr, pg.Fields(scan), key)
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", what, err)
	}
	return items, next, nil
}
