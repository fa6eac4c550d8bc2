package policystore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/usererr"
)

// ListPairingProfiles returns one page of profiles, oldest first, each
// with its token count and total uses.
func (s *Store) ListPairingProfiles(ctx context.Context, tenant ids.TenantID, pr page.Request) ([]PairingProfileSummary, string, error) {
	var (
		out  []PairingProfileSummary
		next string
	)
	err := s.tenants.InTenantRead(ctx, tenant, func(tx pgx.Tx) error {
		var err error
		out, next, err = pg.ListPage(ctx, tx, profileSelect+`,
			(SELECT count(*) FROM pairing_tokens t WHERE t.profile_id = p.id),
			(SELECT coalesce(sum(uses), 0) FROM pairing_tokens t WHERE t.profile_id = p.id)
			FROM pairing_profiles p WHERE true`, "p.", nil, pr,
			func(r pgx.CollectableRow) (PairingProfileSummary, error) {
				var (
					ps  PairingProfileSummary
					err error
				)
				ps.PairingProfile, err = scanProfile(r, &ps.Tokens, &ps.Uses)
				return ps, err
			},
			func(ps PairingProfileSummary) page.Key { return ps.pageKey() })
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list pairing profiles: %w", err)
	}
	return out, next, nil
}

// GetPairingProfile returns one profile.
func (s *Store) GetPairingProfile(ctx context.Context, tenant ids.TenantID, id string) (PairingProfile, error) {
	return read(ctx, s, tenant, "get pairing profile", func(tx pgx.Tx) (PairingProfile, error) { return getProfile(ctx, tx, id, "") })
}

// getProfile reads profile id, taking lock ("" or a row-locking clause
// for the profile row alone).
func getProfile(ctx context.Context, tx pgx.Tx, id, lock string) (PairingProfile, error) {
	if !ids.Valid(id) {
		return PairingProfile{}, errProfileNotFound
	}
	if lock != "" {
		lock += " OF p"
	}
	p, err := scanProfile(tx.QueryRow(ctx, profileSelect+` FROM pairing_profiles p WHERE p.id = $1 `+lock, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, errProfileNotFound
	}
	return p, err
}

// CreatePairingProfile adds a profile.
func (s *Store) CreatePairingProfile(ctx context.Context, tenant ids.TenantID, in PairingProfileInput) (PairingProfile, error) {
	return write(ctx, s, tenant, "create pairing profile", func(tx pgx.Tx) (PairingProfile, error) {
		p, err := validateProfile(ctx, tx, in)
		if err != nil {
			return p, err
		}
		p.ID = PairingProfileID(ids.New())
		_, err = tx.Exec(ctx, `INSERT INTO pairing_profiles (id, name, enforcement_mode, max_uses, lifetime, revision)
			VALUES ($1, $2, $3, $4, $5, nextval('revisions'))`, p.ID, p.Name, p.Mode, p.MaxUses, int64(p.Lifetime/time.Second))
		if err := profileNameTaken(err, p.Name); err != nil {
			return p, err
		}
		if p, err = writeProfileLabels(ctx, tx, p); err != nil {
			return p, err
		}
		return p, emit(ctx, tx, tenant, "pairing_profile.created", profileResource(p.ID), profileData(p))
	})
}

func profileResource(id PairingProfileID) outbox.Resource {
	return outbox.Resource{Type: "pairing_profile", ID: string(id)}
}

// profileData is what events say of p.
func profileData(p PairingProfile) map[string]any {
	return map[string]any{"name": p.Name, "labels": nonNil(p.Labels), "enforcement_mode": p.Mode, "max_uses": p.MaxUses,
		"lifetime": p.Lifetime.String()}
}

// UpdatePairingProfile replaces profile id with in. ifMatch, when set,
// must hold the profile's current ETag. Tokens already minted keep the
// use limit and expiry they were minted with; pairings from then on get
// the new labels and mode.
func (s *Store) UpdatePairingProfile(ctx context.Context, tenant ids.TenantID, id string, in PairingProfileInput, ifMatch string) (PairingProfile, error) {
	return write(ctx, s, tenant, "update pairing profile", func(tx pgx.Tx) (PairingProfile, error) {
		cur, err := getProfile(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return cur, err
		}
		if err := checkIfMatch(ifMatch, cur.Revision); err != nil {
			return cur, err
		}
		p, err := validateProfile(ctx, tx, in)
		if err != nil {
			return p, err
		}
		p.ID = cur.ID
		_, err = tx.Exec(ctx, `UPDATE pairing_profiles SET name = $2, enforcement_mode = $3, max_uses = $4, lifetime = $5,
			revision = nextval('revisions'), updated_at = now() WHERE id = $1`, p.ID, p.Name, p.Mode, p.MaxUses, int64(p.Lifetime/time.Second))
		if err := profileNameTaken(err, p.Name); err != nil {
			return p, err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM pairing_profile_labels WHERE profile_id = $1`, p.ID); err != nil {
			return p, fmt.Errorf("clear labels: %w", err)
		}
		if p, err = writeProfileLabels(ctx, tx, p); err != nil {
			return p, err
		}
		return p, emit(ctx, tx, tenant, "pairing_profile.updated", profileResource(p.ID), profileData(p))
	})
}

// DeletePairingProfile removes a profile and every token minted from it:
// hosts already paired stay, tokens not yet used stop working. Its one
// event stands for its tokens' deletion too.
func (s *Store) DeletePairingProfile(ctx context.Context, tenant ids.TenantID, id, ifMatch string) error {
	_, err := write(ctx, s, tenant, "delete pairing profile", func(tx pgx.Tx) (struct{}, error) {
		cur, err := getProfile(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return struct{}{}, err
		}
		if err := checkIfMatch(ifMatch, cur.Revision); err != nil {
			return struct{}{}, err
		}
		if _, err = tx.Exec(ctx, `DELETE FROM pairing_profiles WHERE id = $1`, id); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, emit(ctx, tx, tenant, "pairing_profile.deleted", profileResource(cur.ID), map[string]any{"name": cur.Name})
	})
	return err
}

// profileNameTaken turns a duplicate name into a 409 on name; other
// errors pass through.
func profileNameTaken(err error, name string) error {
	if pg.IsUniqueViolation(err, "pairing_profiles_name") {
		return &usererr.Error{Kind: usererr.Conflict, Msg: "pairing profile already exists",
			Fields: []usererr.FieldError{{Field: "name", Message: fmt.Sprintf("a pairing profile named %q already exists (names ignore case)", name)}}}
	}
	if err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	return nil
}

// writeProfileLabels inserts p's labels and reads p back as stored.
func writeProfileLabels(ctx context.Context, tx pgx.Tx, p PairingProfile) (PairingProfile, error) {
	_, err := tx.Exec(ctx, `INSERT INTO pairing_profile_labels (profile_id, key, label_id)
		SELECT $1, l.key, l.id FROM labels l WHERE l.id = ANY($2::uuid[])`, p.ID, p.Labels)
	if err != nil {
		return p, fmt.Errorf("write profile labels: %w", err)
	}
	return getProfile(ctx, tx, string(p.ID), "")
}
