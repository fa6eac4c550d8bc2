package fleet

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/outbox"
)

// SweepOffline marks offline every VEN silent for longer than timeout
// (since its last heartbeat, or its pairing if it never sent one), and
// its workload with it: the compiler then leaves the workload's addresses
// out of every set, since a host gone for that long may have given them
// up. It returns the VENs it marked, whose tenants need a recompute. Safe
// to run on every replica at once: a VEN is marked by one of them, which
// records its ven.offline event, as the system's doing.
func (s *Store) SweepOffline(ctx context.Context, timeout time.Duration) ([]VEN, error) {
	ctx = outbox.WithActor(ctx, outbox.System)
	rows, err := s.tenants.Pool().Query(ctx, `SELECT `+venCols+` FROM remora.vens
		WHERE online AND coalesce(last_seen_at, paired_at) < now() - $1::interval ORDER BY id`, timeout)
	if err != nil {
		return nil, fmt.Errorf("find silent VENs: %w", err)
	}
	silent, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (VEN, error) { return scanVEN(r) })
	if err != nil {
		return nil, fmt.Errorf("find silent VENs: %w", err)
	}
	var marked []VEN
	for _, v := range silent {
		ok, err := s.markOffline(ctx, v, timeout)
		if err != nil {
			return marked, err
		}
		if ok {
			v.Online = false
			marked = append(marked, v)
		}
	}
	return marked, nil
}

// markOffline marks v and its workload offline in one transaction, unless
// it came back (or another replica marked it) meanwhile.
func (s *Store) markOffline(ctx context.Context, v VEN, timeout time.Duration) (bool, error) {
	var marked bool
	err := s.tenants.InTenant(ctx, v.Tenant, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE remora.vens SET online = false
			WHERE id = $1 AND online AND coalesce(last_seen_at, paired_at) < now() - $2::interval`, v.ID, timeout)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		marked = true
		if _, err := policystore.SetManagedOnline(ctx, tx, v.Workload, false); err != nil {
			return err
		}
		return emit(ctx, tx, v.Tenant, "ven.offline", venResource(v.ID), map[string]any{"hostname": v.Hostname,
			"workload_id": v.Workload, "last_seen_at": v.LastSeenAt, "timeout": timeout.String()})
	})
	if err != nil {
		return false, fmt.Errorf("mark VEN %s offline: %w", v.ID, err)
	}
	return marked, nil
}
