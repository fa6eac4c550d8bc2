package fleet

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/usererr"
	"github.com/remora-sec/remora/ven/wire"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// VEN is one paired agent.
type VEN struct {
	ID                 string        `json:"id"`
	Tenant             ids.TenantID  `json:"-"`
	Workload           string        `json:"workload_id"`
	PublicKey          string        `json:"wg_public_key"`
	Address            netip.Addr    `json:"tunnel_address"`
	Hostname           string        `json:"hostname"`
	OS                 string        `json:"os"`
	AgentVersion       string        `json:"agent_version"`
	PairedAt           time.Time     `json:"paired_at"`
	LastSeenAt         *time.Time    `json:"last_seen_at"`
	EnforcedGeneration int64         `json:"enforced_generation"`
	EnforcedHash       string        `json:"enforced_hash"`
	Counters           wire.Counters `json:"counters"`
	TamperedTotal      int64         `json:"tampered_total"`
	Online             bool          `json:"online"` // false once silent past the offline timeout
}

const venCols = `id::text, tenant_id::text, workload_id::text, public_key, tunnel_address, hostname, os, agent_version,
	paired_at, last_seen_at, enforced_generation, enforced_hash, counters, tampered_total, online`

func scanVEN(row pgx.Row) (VEN, error) {
	var v VEN
	var addr netip.Prefix
	err := row.Scan(&v.ID, &v.Tenant, &v.Workload, &v.PublicKey, &addr, &v.Hostname, &v.OS, &v.AgentVersion,
		&v.PairedAt, &v.LastSeenAt, &v.EnforcedGeneration, &v.EnforcedHash, &v.Counters, &v.TamperedTotal, &v.Online)
	v.Address = addr.Addr()
	return v, err
}

var errVENNotFound = usererr.New(usererr.NotFound, "VEN not found")

// ByAddress finds the VEN whose tunnel address is addr: the identity of a
// request that came through the hub.
func (s *Store) ByAddress(ctx context.Context, addr netip.Addr) (VEN, error) {
	v, err := scanVEN(s.tenants.Pool().QueryRow(ctx, `SELECT `+venCols+` FROM remora.vens WHERE tunnel_address = $1`,
		netip.PrefixFrom(addr, addr.BitLen())))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, errVENNotFound
	}
	if err != nil {
		return v, fmt.Errorf("find VEN by address: %w", err)
	}
	return v, nil
}

// ByKey finds the VEN holding public key key, in any tenant.
func (s *Store) ByKey(ctx context.Context, key wgtypes.Key) (VEN, error) {
	v, err := scanVEN(s.tenants.Pool().QueryRow(ctx, `SELECT `+venCols+` FROM remora.vens WHERE public_key = $1`, key.String()))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, errVENNotFound
	}
	if err != nil {
		return v, fmt.Errorf("find VEN by key: %w", err)
	}
	return v, nil
}

// Peer is one VEN as the hub knows it.
type Peer struct {
	PublicKey wgtypes.Key
	Address   netip.Addr
}

// Peers lists every paired VEN of every tenant, for the hub.
func (s *Store) Peers(ctx context.Context) ([]Peer, error) {
	rows, err := s.tenants.Pool().Query(ctx, `SELECT public_key, tunnel_address FROM remora.vens ORDER BY tunnel_address`)
	if err != nil {
		return nil, fmt.Errorf("list peers: %w", err)
	}
	var (
		out  []Peer
		key  string
		addr netip.Prefix
	)
	_, err = pgx.ForEachRow(rows, []any{&key, &addr}, func() error {
		k, err := wgtypes.ParseKey(key)
		if err != nil {
			return fmt.Errorf("peer %s: %w", addr, err)
		}
		out = append(out, Peer{PublicKey: k, Address: addr.Addr()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list peers: %w", err)
	}
	return out, nil
}

// Heartbeat records v's report and reports whether its workload changed
// for the compiler (its interfaces moved, or it was offline and is back:
// its addresses are in other workloads' sets, so the caller enqueues a
// recompute).
func (s *Store) Heartbeat(ctx context.Context, v VEN, hb wire.Heartbeat) (changed bool, err error) {
	if err := validateHeartbeat(hb); err != nil {
		return false, err
	}
	err = s.tenants.InTenant(ctx, v.Tenant, func(tx pgx.Tx) error {
		var tampered int64
		err := tx.QueryRow(ctx, `UPDATE remora.vens SET hostname = $2, os = $3, agent_version = $4, last_seen_at = now(), online = true,
			enforced_generation = $5, enforced_hash = $6, counters = $7, tampered_total = tampered_total + $8 WHERE id = $1
			RETURNING tampered_total`,
			v.ID, hb.Hostname, hb.OS, hb.AgentVersion, int64(hb.EnforcedGeneration), hb.EnforcedHash, hb.Counters, hb.Tampered).Scan(&tampered)
		if errors.Is(err, pgx.ErrNoRows) {
			return errVENNotFound // unpaired meanwhile
		}
		if err != nil {
			return fmt.Errorf("record heartbeat: %w", err)
		}
		back, err := policystore.SetManagedOnline(ctx, tx, v.Workload, true)
		if err != nil {
			return err
		}
		changed = back
		// A heartbeat is a change too (last seen, counters), but one every
		// few seconds per host: only what someone must hear of is an event.
		if back {
			if err := emit(ctx, tx, v.Tenant, "ven.online", venResource(v.ID),
				map[string]any{"hostname": hb.Hostname, "workload_id": v.Workload, "last_seen_at": v.LastSeenAt}); err != nil {
				return err
			}
		}
		if hb.Tampered > 0 {
			if err := emit(ctx, tx, v.Tenant, "ven.tampered", venResource(v.ID),
				map[string]any{"hostname": hb.Hostname, "count": hb.Tampered, "total": tampered}); err != nil {
				return err
			}
		}
		if hb.Interfaces == nil {
			return nil // the agent could not list them this time: keep what we have
		}
		moved, err := policystore.SetManagedInterfaces(ctx, tx, v.Tenant, v.Workload, interfaces(hb.Interfaces))
		changed = back || moved
		return err
	})
	if err != nil {
		return false, fmt.Errorf("heartbeat: %w", err)
	}
	return changed, nil
}

// Unpair forgets v and deletes its workload, in one transaction: its
// addresses leave every set at the next recompute. The context's actor
// says who did it: the VEN saying goodbye, or an admin.
func (s *Store) Unpair(ctx context.Context, v VEN) error {
	err := s.tenants.InTenant(ctx, v.Tenant, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM remora.vens WHERE id = $1`, v.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errVENNotFound
		}
		if err := emit(ctx, tx, v.Tenant, "ven.unpaired", venResource(v.ID),
			map[string]any{"hostname": v.Hostname, "workload_id": v.Workload, "wg_public_key": v.PublicKey}); err != nil {
			return err
		}
		return policystore.DeleteManagedWorkload(ctx, tx, v.Tenant, v.Workload)
	})
	if err != nil {
		return fmt.Errorf("unpair: %w", err)
	}
	return nil
}

// interfaces converts the VEN's report to the workload's form.
func interfaces(in []wire.Interface) []policy.Interface {
	out := make([]policy.Interface, len(in))
	for i, x := range in {
		out[i] = policy.Interface{Name: x.Name, Addresses: append([]string{}, x.Addresses...)}
	}
	return out
}

// List returns one page of tenant's VENs, oldest pairing first.
func (s *Store) List(ctx context.Context, tenant ids.TenantID, pr page.Request) ([]VEN, string, error) {
	vens, next, err := pg.ListPage(ctx, s.tenants.Pool(),
		`SELECT `+venCols+` FROM (SELECT *, paired_at AS created_at FROM remora.vens) v WHERE tenant_id = $1`, "v.",
		[]any{tenant}, pr, func(r pgx.CollectableRow) (VEN, error) { return scanVEN(r) },
		func(v VEN) page.Key { return page.Key{Time: v.PairedAt, ID: v.ID} })
	if err != nil {
		return nil, "", fmt.Errorf("list VENs: %w", err)
	}
	return vens, next, nil
}

// Get returns tenant's VEN id; another tenant's is NotFound.
func (s *Store) Get(ctx context.Context, tenant ids.TenantID, id string) (VEN, error) {
	if !ids.Valid(id) {
		return VEN{}, errVENNotFound
	}
	v, err := scanVEN(s.tenants.Pool().QueryRow(ctx, `SELECT `+venCols+` FROM remora.vens WHERE id = $1 AND tenant_id = $2`, id, tenant))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, errVENNotFound
	}
	if err != nil {
		return v, fmt.Errorf("get VEN: %w", err)
	}
	return v, nil
}
