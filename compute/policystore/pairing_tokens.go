package policystore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/pg"
)

// CreatePairingToken mints an install token from profile: its use limit is
// the profile's, it expires the profile's lifetime from now. It returns the
// clear token, which is not stored and cannot be shown again.
func (s *Store) CreatePairingToken(ctx context.Context, tenant ids.TenantID, profile string, by Author) (PairingToken, string, error) {
	var clear string
	t, err := write(ctx, s, tenant, "create install token", func(tx pgx.Tx) (PairingToken, error) {
		// FOR KEY SHARE holds the profile against deletion, not edits: an
		// edit racing this mint is as if it came just after.
		p, err := getProfile(ctx, tx, profile, "FOR KEY SHARE")
		if err != nil {
			return PairingToken{}, err
		}
		id := PairingTokenID(ids.New())
		if clear, err = newPairingToken(tenant, id); err != nil {
			return PairingToken{}, err
		}
		var t PairingToken
		err = tx.QueryRow(ctx, `INSERT INTO pairing_tokens (id, profile_id, secret_hash, max_uses, expires_at, created_by, created_by_key)
			VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6, $7) RETURNING `+tokenCols,
			id, p.ID, hashPairingToken(clear), p.MaxUses, p.Lifetime.Seconds(),
			nullable(string(by.User)), nullable(string(by.APIKey))).Scan(t.fields()...)
		if err != nil {
			return t, err
		}
		return t, emit(ctx, tx, tenant, "pairing_token.created", TokenResource(t.ID),
			map[string]any{"profile_id": t.Profile, "max_uses": t.MaxUses, "expires_at": t.ExpiresAt.UTC()})
	})
	if err != nil {
		return PairingToken{}, "", err
	}
	return t, clear, nil
}

// ListPairingTokens returns one page of profile's tokens, oldest first,
// revoked and expired ones included. A missing profile is NotFound.
func (s *Store) ListPairingTokens(ctx context.Context, tenant ids.TenantID, profile string, pr page.Request) ([]PairingToken, string, error) {
	var (
		out  []PairingToken
		next string
	)
	err := s.tenants.InTenantRead(ctx, tenant, func(tx pgx.Tx) error {
		if _, err := getProfile(ctx, tx, profile, ""); err != nil {
			return err
		}
		var err error
		out, next, err = pg.ListPage(ctx, tx, `SELECT `+tokenCols+` FROM pairing_tokens WHERE profile_id = $1`, "", []any{profile}, pr,
			pg.Fields((*PairingToken).fields), PairingToken.pageKey)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list install tokens: %w", err)
	}
	return out, next, nil
}

// TokenResource is install token id, as events name it.
func TokenResource(id PairingTokenID) outbox.Resource {
	return outbox.Resource{Type: "pairing_token", ID: string(id)}
}

// RevokePairingToken revokes token id of profile: it pairs no more hosts;
// hosts it already paired stay. The token stays listed. Revoking a revoked
// token changes nothing, records no event and is no error.
func (s *Store) RevokePairingToken(ctx context.Context, tenant ids.TenantID, profile, id string) (PairingToken, error) {
	return write(ctx, s, tenant, "revoke install token", func(tx pgx.Tx) (PairingToken, error) {
		var t PairingToken
		if !ids.Valid(profile) || !ids.Valid(id) {
			return t, errTokenNotFound
		}
		var was bool
		err := tx.QueryRow(ctx, `SELECT revoked_at IS NOT NULL FROM pairing_tokens WHERE id = $1 AND profile_id = $2 FOR UPDATE`,
			id, profile).Scan(&was)
		if errors.Is(err, pgx.ErrNoRows) {
			return t, errTokenNotFound
		}
		if err != nil {
			return t, err
		}
		err = tx.QueryRow(ctx, `UPDATE pairing_tokens SET revoked_at = coalesce(revoked_at, now())
			WHERE id = $1 RETURNING `+tokenCols, id).Scan(t.fields()...)
		if err != nil || was {
			return t, err
		}
		return t, emit(ctx, tx, tenant, "pairing_token.revoked", TokenResource(t.ID), map[string]any{"profile_id": t.Profile, "uses": t.Uses})
	})
}
