package tenants

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
)

// listPage returns one page of a tenant's rows, oldest first, by keyset
// pagination on (created_at, id). query selects the columns scan reads and
// ends with a WHERE clause on tenant_id = $1 that listPage extends; asking
// for one row more than the page tells whether there is a next page.
func listPage[T any](ctx context.Context, s *Store, what, query string, tenant ids.TenantID, pr page.Request,
	scan func(*T) []any, key func(T) page.Key) ([]T, string, error) {
	after := page.Key{}
	if pr.After != nil {
		after = *pr.After
	}
	rows, err := s.pool.Query(ctx, query+` AND (created_at, id) > ($2, $3::uuid) ORDER BY created_at, id LIMIT $4`,
		tenant, after.Time, pageID(after.ID), pr.Size()+1)
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", what, err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) {
		var v T
		return v, r.Scan(scan(&v)...)
	})
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", what, err)
	}
	items, next := page.Of(items, pr.Size(), key)
	return items, next, nil
}

// pageID is the id part of a page key, or the smallest uuid at the start.
func pageID(id string) string {
	if id == "" || !ids.Valid(id) {
		return "00000000-0000-0000-0000-000000000000"
	}
	return id
}
