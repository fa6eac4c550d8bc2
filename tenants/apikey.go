package tenants

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/usererr"
)

// APIKey is a tenant's credential for automation. Its secret is shown once,
// at creation; afterwards only its prefix identifies it.
type APIKey struct {
	ID         ids.APIKeyID
	Tenant     ids.TenantID
	Name       string
	Prefix     string
	Role       Role
	CreatedBy  *ids.UserID
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
}

const apiKeyColumns = "id, tenant_id, name, prefix, role, created_by, created_at, expires_at, last_used_at"

func (k *APIKey) fields() []any {
	return []any{&k.ID, &k.Tenant, &k.Name, &k.Prefix, &k.Role, &k.CreatedBy, &k.CreatedAt, &k.ExpiresAt, &k.LastUsedAt}
}

func (k APIKey) pageKey() page.Key { return page.Key{Time: k.CreatedAt, ID: string(k.ID)} }

// prefixLen is how much of a secret is kept to recognise it: "rmr_" and 8
// characters (48 bits), enough to tell keys apart, far too few to guess one.
const prefixLen = len(apiKeyPrefix) + 8

// NewAPIKey describes a key to create.
type NewAPIKey struct {
	Name      string
	Role      Role
	ExpiresAt *time.Time
}

// CreateAPIKey makes a key with at most the actor's role and returns it
// with its secret, which is not stored and cannot be shown again.
func (s *Store) CreateAPIKey(ctx context.Context, actor Principal, nk NewAPIKey) (APIKey, string, error) {
	var f usererr.Fields
	checkName(&f, "name", nk.Name)
	checkRole(&f, "role", nk.Role)
	if nk.ExpiresAt != nil && !nk.ExpiresAt.After(s.now()) {
		f.Add("expires_at", "must be in the future")
	}
	if err := f.Err(); err != nil {
		return APIKey{}, "", err
	}
	if !actor.Role.AtLeast(nk.Role) {
		return APIKey{}, "", usererr.New(usererr.Forbidden, "you cannot grant a role above your own")
	}
	secret, err := newSecret(apiKeyPrefix)
	if err != nil {
		return APIKey{}, "", err
	}
	var createdBy *ids.UserID
	if actor.User != "" {
		createdBy = &actor.User
	}
	var k APIKey
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO remora.api_keys (tenant_id, name, prefix, secret_hash, role, created_by, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+apiKeyColumns,
			actor.Tenant, nk.Name, secret[:prefixLen], hashSecret(secret), nk.Role, createdBy, nk.ExpiresAt).Scan(k.fields()...)
		if err != nil {
			return err
		}
		data := keyData(k)
		data["expires_at"] = k.ExpiresAt
		return emit(ctx, tx, actor.Tenant, "api_key.created", keyResource(k.ID), data)
	})
	if err != nil {
		return APIKey{}, "", fmt.Errorf("create api key: %w", err)
	}
	return k, secret, nil
}

func keyResource(id ids.APIKeyID) outbox.Resource {
	return outbox.Resource{Type: "api_key", ID: string(id)}
}

// keyData is what events say of k: its prefix, which lists show too,
// never its secret.
func keyData(k APIKey) map[string]any {
	return map[string]any{"name": k.Name, "prefix": k.Prefix, "role": k.Role}
}

// ListAPIKeys returns one page of the tenant's live (unrevoked) keys.
func (s *Store) ListAPIKeys(ctx context.Context, tenant ids.TenantID, pr page.Request) ([]APIKey, string, error) {
	return listPage(ctx, s, "api keys", `SELECT `+apiKeyColumns+` FROM remora.api_keys WHERE tenant_id = $1 AND revoked_at IS NULL`,
		tenant, pr, (*APIKey).fields, APIKey.pageKey)
}

// GetAPIKey returns one live key of the tenant.
func (s *Store) GetAPIKey(ctx context.Context, tenant ids.TenantID, id ids.APIKeyID) (APIKey, error) {
	if !ids.Valid(string(id)) {
		return APIKey{}, errNotFound("api key")
	}
	var k APIKey
	err := s.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM remora.api_keys
		WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL`, id, tenant).Scan(k.fields()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return APIKey{}, errNotFound("api key")
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("get api key: %w", err)
	}
	return k, nil
}

// RevokeAPIKey revokes a key; the next request using it is refused. The row
// stays (revoked) so that audit records can still name the key. A key with
// a role above the actor's cannot be revoked by them.
func (s *Store) RevokeAPIKey(ctx context.Context, actor Principal, id ids.APIKeyID) error {
	k, err := s.GetAPIKey(ctx, actor.Tenant, id)
	if err != nil {
		return err
	}
	if !actor.Role.AtLeast(k.Role) {
		return usererr.New(usererr.Forbidden, "you cannot revoke a key with a role above your own")
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE remora.api_keys SET revoked_at = $3
			WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL`, id, actor.Tenant, s.now())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errNotFound("api key") // revoked meanwhile
		}
		return emit(ctx, tx, actor.Tenant, "api_key.revoked", keyResource(k.ID), keyData(k))
	})
	if err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	return nil
}
