package policystore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/usererr"
)

// WorkloadRecord is a stored workload. Workloads are not versioned: a
// change is live at once.
type WorkloadRecord struct {
	policy.Workload
	Offline   bool // a managed workload whose VEN went silent: out of every set
	Revision  int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MaxBulk is the most workloads one bulk request may carry.
const MaxBulk = 1000

// DefaultMode is the enforcement mode of a workload created without one:
// nothing is dropped until the team has seen what would be.
const DefaultMode = policy.VisibilityOnly

var errWorkloadNotFound = usererr.New(usererr.NotFound, "workload not found")

// errManaged refuses to delete a paired VEN's workload behind its back: the
// VEN would go on enforcing a policy nobody computes for it any more.
var errManaged = usererr.New(usererr.Conflict, "workload is managed by a paired VEN: unpair it (remora-ven unpair on the host, or DELETE /api/v1/vens/{id})")

const workloadSelect = `SELECT w.id, w.name, w.hostname, w.interfaces, w.enforcement_mode, w.managed, w.offline, w.revision, w.created_at, w.updated_at,
	coalesce((SELECT array_agg(label_id ORDER BY key) FROM workload_labels WHERE workload_id = w.id), '{}')
	FROM workloads w`

func scanWorkload(row pgx.Row) (WorkloadRecord, error) {
	var (
		w   WorkloadRecord
		ifs []byte
	)
	err := row.Scan(&w.ID, &w.Name, &w.Hostname, &ifs, &w.Mode, &w.Managed, &w.Offline, &w.Revision, &w.CreatedAt, &w.UpdatedAt, &w.Labels)
	if err != nil {
		return w, err
	}
	return w, json.Unmarshal(ifs, &w.Interfaces)
}

func collectWorkload(r pgx.CollectableRow) (WorkloadRecord, error) { return scanWorkload(r) }

// compileInput is the workload as the compiler sees it: an offline one
// without addresses, so it leaves every set it was in.
func (r WorkloadRecord) compileInput() policy.Workload {
	w := r.Workload
	if !r.Offline {
		return w
	}
	w.Interfaces = make([]policy.Interface, len(r.Interfaces))
	for i, x := range r.Interfaces {
		w.Interfaces[i] = policy.Interface{Name: x.Name, Addresses: []string{}}
	}
	return w
}

// SetManagedOnline records, within the caller's tenant transaction, that a
// managed workload's VEN went offline (online false) or came back, and
// bumps the generation if that changed anything. It emits no event: the
// caller's ven.online or ven.offline tells it.
func SetManagedOnline(ctx context.Context, tx pgx.Tx, id string, online bool) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE workloads SET offline = $2 WHERE id = $1 AND managed AND offline = $3`, id, !online, online)
	if err != nil {
		return false, fmt.Errorf("record workload online: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	_, err = bumpGeneration(ctx, tx, change{workloads: []string{id}})
	return err == nil, err
}

// ListWorkloads returns one page of workloads, those carrying label if it
// is not "".
func (s *Store) ListWorkloads(ctx context.Context, tenant ids.TenantID, label string, pr page.Request) ([]WorkloadRecord, string, error) {
	var (
		out  []WorkloadRecord
		next string
	)
	if label != "" && !ids.Valid(label) {
		return nil, "", usererr.Field(usererr.Invalid, "label", fmt.Sprintf("must be a label id, not %q", label))
	}
	err := s.tenants.InTenantRead(ctx, tenant, func(tx pgx.Tx) error {
		var err error
		out, next, err = pg.ListPage(ctx, tx, workloadSelect+` WHERE ($1::uuid IS NULL OR EXISTS
			(SELECT 1 FROM workload_labels WHERE workload_id = w.id AND label_id = $1))`, "w.", []any{nullable(label)}, pr,
			collectWorkload, func(w WorkloadRecord) page.Key { return page.Key{Time: w.CreatedAt, ID: string(w.ID)} })
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list workloads: %w", err)
	}
	return out, next, nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// GetWorkload returns one workload.
func (s *Store) GetWorkload(ctx context.Context, tenant ids.TenantID, id string) (WorkloadRecord, error) {
	var w WorkloadRecord
	if !ids.Valid(id) {
		return w, errWorkloadNotFound
	}
	return read(ctx, s, tenant, "get workload", func(tx pgx.Tx) (WorkloadRecord, error) {
		w, err := scanWorkload(tx.QueryRow(ctx, workloadSelect+` WHERE w.id = $1`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return w, errWorkloadNotFound
		}
		return w, err
	})
}

// CreateWorkloads adds unmanaged workloads, all or none. A single create is
// a batch of one: prefix is "" then, "items" for a bulk request, and field
// errors are reported as prefix[i].field.
func (s *Store) CreateWorkloads(ctx context.Context, tenant ids.TenantID, ws []policy.Workload, prefix string) ([]WorkloadRecord, error) {
	return write(ctx, s, tenant, "create workloads", func(tx pgx.Tx) ([]WorkloadRecord, error) {
		var f usererr.Fields
		for i := range ws {
			if ws[i].ID != "" {
				f.Add(itemPath(prefix, i, "id"), "is assigned by the server: leave it out")
			}
			if ws[i].Managed {
				f.Add(itemPath(prefix, i, "managed"), "managed workloads are created by pairing a VEN")
			}
			ws[i].ID = policy.WorkloadID(ids.New())
		}
		if err := validateWorkloads(ctx, tx, ws, prefix, f); err != nil {
			return nil, err
		}
		recs, err := writeWorkloads(ctx, tx, ws, false)
		if err != nil {
			return nil, err
		}
		return recs, emitAll(ctx, tx, tenant, workloadEvents("created", recs)...)
	})
}

// CreateManagedWorkload adds the workload of a VEN being paired, within
// the caller's tenant transaction (the one that consumes its install
// token), so the token is used if and only if the workload exists.
func CreateManagedWorkload(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, w policy.Workload) (WorkloadRecord, error) {
	w.ID, w.Managed = policy.WorkloadID(ids.New()), true
	if err := validateWorkloads(ctx, tx, []policy.Workload{w}, "", usererr.Fields{}); err != nil {
		return WorkloadRecord{}, err
	}
	recs, err := writeWorkloads(ctx, tx, []policy.Workload{w}, false)
	if err == nil {
		err = emitAll(ctx, tx, tenant, workloadEvents("created", recs)...)
	}
	if err != nil {
		return WorkloadRecord{}, fmt.Errorf("create managed workload: %w", err)
	}
	return recs[0], nil
}

// DeleteManagedWorkload removes the workload of a VEN that unpaired,
// within the caller's tenant transaction. A workload already gone is no
// error: the unpairing goes on.
func DeleteManagedWorkload(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, id string) error {
	gone, err := deleteWorkloads(ctx, tx, []string{id}, "AND managed")
	if err != nil || len(gone) == 0 {
		return err
	}
	_, err = bumpGeneration(ctx, tx, change{workloads: []string{id}})
	if err == nil {
		err = emitAll(ctx, tx, tenant, workloadEvents("deleted", gone)...)
	}
	if err != nil {
		return fmt.Errorf("delete managed workload: %w", err)
	}
	return nil
}

// deleteWorkloads deletes the workloads of idList that cond (SQL ANDed to
// the id match) holds for, and returns what they were, for their events,
// in idList's order.
func deleteWorkloads(ctx context.Context, tx pgx.Tx, idList []string, cond string) ([]WorkloadRecord, error) {
	rows, err := tx.Query(ctx, `DELETE FROM workloads WHERE id = ANY($1::uuid[]) `+cond+`
		RETURNING id, name, hostname, enforcement_mode, managed`, idList)
	if err != nil {
		return nil, fmt.Errorf("delete workloads: %w", err)
	}
	gone, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WorkloadRecord, error) {
		var w WorkloadRecord
		return w, r.Scan(&w.ID, &w.Name, &w.Hostname, &w.Mode, &w.Managed)
	})
	if err != nil {
		return nil, fmt.Errorf("delete workloads: %w", err)
	}
	at := make(map[policy.WorkloadID]int, len(idList))
	for i, id := range idList {
		at[policy.WorkloadID(id)] = i
	}
	slices.SortFunc(gone, func(a, b WorkloadRecord) int { return at[a.ID] - at[b.ID] })
	return gone, nil
}

// SetManagedInterfaces records the interfaces a managed workload's VEN
// reported, within the caller's tenant transaction, and reports whether
// they changed (then the generation was bumped: its addresses are in other
// workloads' sets).
func SetManagedInterfaces(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, id string, ifs []policy.Interface) (bool, error) {
	// Nearly every heartbeat reports what is stored: compare first,
	// without a lock or validation, and do those only on a change.
	rec, err := managedWorkload(ctx, tx, id, "")
	if err != nil || sameInterfaces(rec.Interfaces, ifs) {
		return false, err
	}
	if rec, err = managedWorkload(ctx, tx, id, "FOR UPDATE OF w"); err != nil {
		return false, err
	}
	w := rec.Workload
	w.Interfaces = ifs
	ws := []policy.Workload{w}
	if err := validateWorkloads(ctx, tx, ws, "", usererr.Fields{}); err != nil {
		return false, err
	}
	if reflect.DeepEqual(ws[0].Interfaces, rec.Workload.Interfaces) {
		return false, nil
	}
	recs, err := writeWorkloads(ctx, tx, ws, true)
	if err == nil {
		err = emitAll(ctx, tx, tenant, workloadEvents("updated", recs)...)
	}
	if err != nil {
		return false, fmt.Errorf("record interfaces: %w", err)
	}
	return true, nil
}

// managedWorkload reads managed workload id, with lock ("" or a locking
// clause).
func managedWorkload(ctx context.Context, tx pgx.Tx, id, lock string) (WorkloadRecord, error) {
	rec, err := scanWorkload(tx.QueryRow(ctx, workloadSelect+` WHERE w.id = $1 AND w.managed `+lock, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return rec, errWorkloadNotFound
	}
	if err != nil {
		return rec, fmt.Errorf("read managed workload: %w", err)
	}
	return rec, nil
}

// sameInterfaces reports whether a and b list the same interfaces and
// addresses in the same order (a nil list and an empty one alike).
func sameInterfaces(a, b []policy.Interface) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !slices.Equal(a[i].Addresses, b[i].Addresses) {
			return false
		}
	}
	return true
}

// UpdateWorkloads replaces workloads by id, all or none. ifMatch (single
// updates only) must hold the current ETag when set. A workload's managed
// flag never changes here: it follows its VEN.
func (s *Store) UpdateWorkloads(ctx context.Context, tenant ids.TenantID, ws []policy.Workload, prefix, ifMatch string) ([]WorkloadRecord, error) {
	var out []WorkloadRecord
	err := s.tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		idList := make([]string, len(ws))
		for i, w := range ws {
			idList[i] = string(w.ID)
		}
		cur, err := lockWorkloads(ctx, tx, idList)
		if err != nil {
			return err
		}
		var f usererr.Fields
		seen := map[policy.WorkloadID]bool{}
		for i := range ws {
			rec, ok := cur[string(ws[i].ID)]
			switch {
			case !ok && prefix == "":
				return errWorkloadNotFound
			case !ok:
				f.Add(itemPath(prefix, i, "id"), fmt.Sprintf("workload %q not found", ws[i].ID))
			case seen[ws[i].ID]:
				f.Add(itemPath(prefix, i, "id"), "appears twice in this request")
			default:
				if err := checkIfMatch(ifMatch, rec.revision); err != nil {
					return err
				}
				ws[i].Managed = rec.managed
			}
			seen[ws[i].ID] = true
		}
		if err := validateWorkloads(ctx, tx, ws, prefix, f); err != nil {
			return err
		}
		if out, err = writeWorkloads(ctx, tx, ws, true); err != nil {
			return err
		}
		return emitAll(ctx, tx, tenant, workloadEvents("updated", out)...)
	})
	if err != nil {
		return nil, fmt.Errorf("update workloads: %w", err)
	}
	return out, nil
}

// DeleteWorkloads removes workloads by id, all or none. Rules that name a
// deleted workload simply stop matching it.
func (s *Store) DeleteWorkloads(ctx context.Context, tenant ids.TenantID, idList []string, prefix, ifMatch string) error {
	err := s.tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		cur, err := lockWorkloads(ctx, tx, idList)
		if err != nil {
			return err
		}
		var f usererr.Fields
		seen := map[string]bool{}
		for i, id := range idList {
			rec, ok := cur[id]
			switch {
			case !ok && prefix == "":
				return errWorkloadNotFound
			case !ok:
				f.Add(fmt.Sprintf("%s[%d]", prefix, i), fmt.Sprintf("workload %q not found", id))
			case seen[id]:
				f.Add(fmt.Sprintf("%s[%d]", prefix, i), "appears twice in this request")
			case rec.managed && prefix == "":
				return errManaged
			case rec.managed:
				f.Add(fmt.Sprintf("%s[%d]", prefix, i), errManaged.Msg)
			default:
				if err := checkIfMatch(ifMatch, rec.revision); err != nil {
					return err
				}
			}
			seen[id] = true
		}
		if err := f.Err(); err != nil {
			return err
		}
		gone, err := deleteWorkloads(ctx, tx, idList, "")
		if err != nil {
			return err
		}
		if _, err := bumpGeneration(ctx, tx, change{workloads: idList}); err != nil {
			return err
		}
		return emitAll(ctx, tx, tenant, workloadEvents("deleted", gone)...)
	})
	if err != nil {
		return fmt.Errorf("delete workloads: %w", err)
	}
	return nil
}

type workloadState struct {
	revision int64
	managed  bool
}

// lockWorkloads locks the named workloads and returns their state; ids
// that are malformed or absent are left out.
func lockWorkloads(ctx context.Context, tx pgx.Tx, idList []string) (map[string]workloadState, error) {
	valid := make([]string, 0, len(idList))
	for _, id := range idList {
		if ids.Valid(id) {
			valid = append(valid, id)
		}
	}
	rows, err := tx.Query(ctx, `SELECT id::text, revision, managed FROM workloads WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, valid)
	if err != nil {
		return nil, fmt.Errorf("lock workloads: %w", err)
	}
	defer rows.Close()
	out := make(map[string]workloadState, len(valid))
	for rows.Next() {
		var (
			id string
			st workloadState
		)
		if err := rows.Scan(&id, &st.revision, &st.managed); err != nil {
			return nil, err
		}
		out[id] = st
	}
	return out, rows.Err()
}

func itemPath(prefix string, i int, field string) string {
	if prefix == "" {
		return field
	}
	return fmt.Sprintf("%s[%d].%s", prefix, i, field)
}

// validateWorkloads fills defaults and validates ws against the tenant's
// labels, adding to f; it returns f's error, if any.
func validateWorkloads(ctx context.Context, tx pgx.Tx, ws []policy.Workload, prefix string, f usererr.Fields) error {
	var refs []policy.Ref
	for i := range ws {
		w := &ws[i]
		if w.Mode == "" {
			w.Mode = DefaultMode
		}
		w.Labels = nonNil(w.Labels)
		w.Interfaces = nonNil(w.Interfaces)
		for j := range w.Interfaces {
			w.Interfaces[j].Addresses = nonNil(w.Interfaces[j].Addresses)
		}
		for _, l := range w.Labels {
			refs = append(refs, policy.Ref{Kind: "label", ID: string(l)})
		}
	}
	// Hold the labels against a concurrent DeleteLabel, which locks the
	// row FOR UPDATE and then counts its users: it waits for us and sees us.
	labelIDs := make([]string, 0, len(refs))
	for _, r := range refs {
		if ids.Valid(r.ID) {
			labelIDs = append(labelIDs, r.ID)
		}
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM labels WHERE id = ANY($1::uuid[]) FOR KEY SHARE`, labelIDs); err != nil {
		return fmt.Errorf("lock labels: %w", err)
	}
	cat, err := loadCatalog(ctx, tx, refs, nil)
	if err != nil {
		return err
	}
	for i := range ws {
		if err := policy.ValidateWorkload(&ws[i], cat); err != nil {
			ue, ok := usererr.As(err)
			if !ok {
				return err
			}
			for _, fe := range ue.Fields {
				f.Add(itemPath(prefix, i, fe.Field), fe.Message)
			}
		}
	}
	return f.Err()
}

// writeWorkloads inserts (or, with update, replaces) validated workloads,
// their labels and their addresses: a few statements for the whole batch.
// It bumps the tenant's generation: what workloads enforce may change.
func writeWorkloads(ctx context.Context, tx pgx.Tx, ws []policy.Workload, update bool) ([]WorkloadRecord, error) {
	managed := make([]bool, len(ws))
	for i, w := range ws {
		managed[i] = w.Managed
	}
	var (
		wids, names, hosts, modes []string
		ifs                       [][]byte
		lw, ll, aw, aa            []string
	)
	for _, w := range ws {
		j, err := json.Marshal(w.Interfaces)
		if err != nil {
			return nil, err
		}
		wids, names, hosts, modes, ifs = append(wids, string(w.ID)), append(names, w.Name), append(hosts, w.Hostname), append(modes, string(w.Mode)), append(ifs, j)
		for _, l := range w.Labels {
			lw, ll = append(lw, string(w.ID)), append(ll, string(l))
		}
		for _, in := range w.Interfaces {
			for _, a := range in.Addresses {
				// Indexed as Decide compares addresses: an IPv4-mapped IPv6
				// address is the IPv4 address a flow's source names.
				if ip, err := netip.ParseAddr(a); err == nil {
					a = ip.Unmap().String()
				}
				aw, aa = append(aw, string(w.ID)), append(aa, a)
			}
		}
	}
	batch := &pgx.Batch{}
	if update {
		batch.Queue(`UPDATE workloads w SET name = t.name, hostname = t.host, interfaces = t.ifs, enforcement_mode = t.mode,
			revision = nextval('revisions'), updated_at = now()
			FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::text[]) AS t(id, name, host, ifs, mode) WHERE w.id = t.id`,
			wids, names, hosts, ifs, modes)
		batch.Queue(`DELETE FROM workload_labels WHERE workload_id = ANY($1::uuid[])`, wids)
		batch.Queue(`DELETE FROM workload_addresses WHERE workload_id = ANY($1::uuid[])`, wids)
	} else {
		batch.Queue(`INSERT INTO workloads (id, name, hostname, interfaces, enforcement_mode, managed, revision)
			SELECT id, name, host, ifs, mode, managed, nextval('revisions')
			FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::bool[]) AS t(id, name, host, ifs, mode, managed)`,
			wids, names, hosts, ifs, modes, managed)
	}
	batch.Queue(`INSERT INTO workload_labels (workload_id, key, label_id)
		SELECT t.w, l.key, l.id FROM unnest($1::uuid[], $2::uuid[]) AS t(w, l) JOIN labels l ON l.id = t.l`, lw, ll)
	batch.Queue(`INSERT INTO workload_addresses (workload_id, addr)
		SELECT DISTINCT w, a::inet FROM unnest($1::uuid[], $2::text[]) AS t(w, a)`, aw, aa)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return nil, fmt.Errorf("write workloads: %w", err)
	}
	if _, err := bumpGeneration(ctx, tx, change{workloads: wids}); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, workloadSelect+` JOIN unnest($1::uuid[]) WITH ORDINALITY AS t(id, n) ON t.id = w.id ORDER BY t.n`, wids)
	if err != nil {
		return nil, fmt.Errorf("read back workloads: %w", err)
	}
	return pgx.CollectRows(rows, collectWorkload)
}
