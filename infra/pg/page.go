package pg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
)

// Queryer is what ListPage needs: a pool, a connection or a transaction.
type Queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// ListPage returns one page of rows, oldest first, by keyset pagination on
// (created_at, id). query selects what scan reads and ends with a WHERE
// clause, over args, that ListPage extends; alias qualifies the key
// columns ("w." or ""). Asking for one row more than the page tells
// whether there is a next page, without counting.
func ListPage[T any](ctx context.Context, q Queryer, query, alias string, args []any, pr page.Request,
	scan func(pgx.CollectableRow) (T, error), key func(T) page.Key) ([]T, string, error) {
	after := page.Key{}
	if pr.After != nil {
		after = *pr.After
	}
	n := len(args)
	sql := fmt.Sprintf(`%s AND (%[2]screated_at, %[2]sid) > ($%[3]d, $%[4]d::uuid) ORDER BY %[2]screated_at, %[2]sid LIMIT $%[5]d`,
		query, alias, n+1, n+2, n+3)
	rows, err := q.Query(ctx, sql, append(args, after.Time, pageID(after.ID), pr.Size()+1)...)
	if err != nil {
		return nil, "", err
	}
	items, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, "", err
	}
	items, next := page.Of(items, pr.Size(), key)
	return items, next, nil
}

// pageID is the id part of a page key, or the smallest uuid at the start.
func pageID(id string) string {
	if !ids.Valid(id) {
		return "00000000-0000-0000-0000-000000000000"
	}
	return id
}

// Fields adapts a method listing a row's scan targets to ListPage's scan.
func Fields[T any](fields func(*T) []any) func(pgx.CollectableRow) (T, error) {
	return func(r pgx.CollectableRow) (T, error) {
		var v T
		return v, r.Scan(fields(&v)...)
	}
}
