package tenants

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

var errBadCredentials = usererr.New(usererr.Unauthenticated, "invalid or expired credentials")

// Authenticate turns a bearer credential — an access JWT or an `rmr_` API
// key — into a Principal. A JWT is checked cryptographically and then
// against its session and user, so logout, session revocation, user
// deletion and role changes all take effect at once; the role used is the
// one in the database, not the one in the token.
func (s *Store) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	if strings.HasPrefix(bearer, apiKeyPrefix) {
		return s.authenticateKey(ctx, bearer)
	}
	c, err := s.tokens.verify(bearer)
	if err != nil {
		return Principal{}, errBadCredentials
	}
	p := Principal{Tenant: c.Tenant, User: ids.UserID(c.Subject), Session: c.Session}
	err = s.pool.QueryRow(ctx, `SELECT u.role FROM remora.sessions s JOIN remora.users u ON u.id = s.user_id
		WHERE s.id = $1 AND s.user_id = $2 AND s.tenant_id = $3 AND s.revoked_at IS NULL`,
		p.Session, p.User, p.Tenant).Scan(&p.Role)
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, errBadCredentials
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	return p, nil
}

// keyUseResolution bounds how often an API key's last_used_at is written:
// a busy automation key must not turn every read into a write.
const keyUseResolution = time.Minute

func (s *Store) authenticateKey(ctx context.Context, secret string) (Principal, error) {
	var p Principal
	var lastUsed *time.Time
	now := s.now()
	err := s.pool.QueryRow(ctx, `SELECT id, tenant_id, role, last_used_at FROM remora.api_keys
		WHERE secret_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`,
		hashSecret(secret), now).Scan(&p.APIKey, &p.Tenant, &p.Role, &lastUsed)
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, errBadCredentials
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate api key: %w", err)
	}
	if lastUsed == nil || now.Sub(*lastUsed) >= keyUseResolution {
		// The condition repeats the check in SQL so that, of the requests
		// that saw a stale value at once, only the first writes the row.
		if _, err := s.pool.Exec(ctx, `UPDATE remora.api_keys SET last_used_at = $2
			WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`,
			p.APIKey, now, now.Add(-keyUseResolution)); err != nil {
			return Principal{}, fmt.Errorf("record api key use: %w", err)
		}
	}
	return p, nil
}
