package tenants

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/usererr"
)

// Tokens is what a login hands out: a short-lived access JWT and an opaque,
// single-use refresh token.
type Tokens struct {
	User         User
	Session      ids.SessionID
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration // of the access token
}

var errBadLogin = usererr.New(usererr.Unauthenticated, "invalid email or password")

// Login checks email and password and starts a session.
func (s *Store) Login(ctx context.Context, email, password string) (Tokens, error) {
	var f usererr.Fields
	if email == "" {
		f.Add("email", "is required")
	}
	if password == "" {
		f.Add("password", "is required")
	}
	if err := f.Err(); err != nil {
		return Tokens{}, err
	}
	var u User
	var hash string
	err := s.pool.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM remora.users WHERE lower(email) = lower($1)`,
		email).Scan(append(u.fields(), &hash)...)
	if errors.Is(err, pgx.ErrNoRows) {
		passwordMatches(dummyHash, password) // same cost as a wrong password
		// An unknown email names no tenant, and events live in a tenant's
		// schema: there is no log to record this failure in, so nothing is.
		return Tokens{}, errBadLogin
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("login: %w", err)
	}
	if !passwordMatches(hash, password) {
		// Whoever tried is not known: the attempt is anonymous, about the
		// user whose email it named.
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			return emit(outbox.WithActor(ctx, outbox.Anonymous), tx, u.Tenant, "auth.login_failed", userResource(u.ID),
				map[string]any{"email": u.Email, "reason": "wrong password"})
		})
		if err != nil {
			return Tokens{}, fmt.Errorf("login: %w", err)
		}
		return Tokens{}, errBadLogin
	}
	var tok Tokens
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if tok, err = s.startSession(ctx, tx, u); err != nil {
			return err
		}
		return emit(outbox.WithActor(ctx, userActor(u.ID)), tx, u.Tenant, "auth.login", userResource(u.ID),
			map[string]any{"email": u.Email, "session_id": tok.Session})
	})
	if err != nil {
		return Tokens{}, fmt.Errorf("login: %w", err)
	}
	return tok, nil
}

// startSession creates a session for u and its first tokens within tx, and
// records the login.
func (s *Store) startSession(ctx context.Context, tx pgx.Tx, u User) (Tokens, error) {
	if err := tx.QueryRow(ctx, `UPDATE remora.users SET last_login_at = $2 WHERE id = $1 RETURNING last_login_at`,
		u.ID, s.now()).Scan(&u.LastLoginAt); err != nil {
		return Tokens{}, fmt.Errorf("record login: %w", err)
	}
	var sid ids.SessionID
	if err := tx.QueryRow(ctx, `INSERT INTO remora.sessions (tenant_id, user_id) VALUES ($1, $2) RETURNING id`,
		u.Tenant, u.ID).Scan(&sid); err != nil {
		return Tokens{}, fmt.Errorf("start session: %w", err)
	}
	return s.issueTokens(ctx, tx, u, sid)
}

// issueTokens adds a refresh token to session sid and signs an access token.
func (s *Store) issueTokens(ctx context.Context, tx pgx.Tx, u User, sid ids.SessionID) (Tokens, error) {
	refresh, err := newSecret(refreshPrefix)
	if err != nil {
		return Tokens{}, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO remora.refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)`,
		hashSecret(refresh), sid, s.now().Add(s.refreshTTL)); err != nil {
		return Tokens{}, fmt.Errorf("store refresh token: %w", err)
	}
	access, err := s.tokens.issue(u.Tenant, u.ID, sid, u.Role)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{User: u, Session: sid, AccessToken: access, RefreshToken: refresh, ExpiresIn: s.tokens.ttl}, nil
}

var errBadRefresh = usererr.New(usererr.Unauthenticated, "invalid or expired refresh token")

// errReuse is returned after a rotated refresh token came back: someone
// holds a copy, so the whole session has been revoked.
var errReuse = usererr.New(usererr.Unauthenticated, "refresh token already used: the session has been revoked, log in again")

// Refresh exchanges a refresh token for new tokens. Each refresh token works
// once; presenting a used one again revokes its whole session (family),
// since either the client or a thief is replaying it and we cannot tell
// which.
func (s *Store) Refresh(ctx context.Context, refresh string) (Tokens, error) {
	if refresh == "" {
		return Tokens{}, usererr.Field(usererr.Invalid, "refresh_token", "is required")
	}
	var tok Tokens
	reused := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var (
			sid       ids.SessionID
			usedAt    *time.Time
			expiresAt time.Time
			revokedAt *time.Time
			u         User
		)
		err := tx.QueryRow(ctx, `SELECT rt.session_id, rt.used_at, rt.expires_at, s.revoked_at, `+prefixed("u.", userColumns)+`
			FROM remora.refresh_tokens rt
			JOIN remora.sessions s ON s.id = rt.session_id
			JOIN remora.users u ON u.id = s.user_id
			WHERE rt.token_hash = $1
			FOR UPDATE OF rt, s`, hashSecret(refresh)).Scan(append([]any{&sid, &usedAt, &expiresAt, &revokedAt}, u.fields()...)...)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return errBadRefresh
		case err != nil:
			return fmt.Errorf("find refresh token: %w", err)
		case revokedAt != nil:
			return errBadRefresh
		case usedAt != nil:
			// A used refresh token presented again: likely stolen. Whoever
			// presented it is unknown, so the actor is anonymous.
			reused = true
			revoked, err := revokeSession(ctx, tx, sid, "refresh token reuse")
			if err != nil || !revoked {
				return err
			}
			return emit(outbox.WithActor(ctx, outbox.Anonymous), tx, u.Tenant, "auth.session_revoked", userResource(u.ID),
				map[string]any{"session_id": sid, "reason": "refresh_token_reuse"})
		case !s.now().Before(expiresAt):
			return errBadRefresh
		}
		if _, err := tx.Exec(ctx, `UPDATE remora.refresh_tokens SET used_at = $2 WHERE token_hash = $1`, hashSecret(refresh), s.now()); err != nil {
			return fmt.Errorf("use refresh token: %w", err)
		}
		tok, err = s.issueTokens(ctx, tx, u, sid)
		return err
	})
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh: %w", err)
	}
	if reused {
		return Tokens{}, errReuse
	}
	return tok, nil
}

// Logout revokes the session of a refresh token, used or not: its refresh
// tokens stop working and so do the access tokens it issued. An unknown
// token is not an error, so logout cannot be used to probe tokens.
func (s *Store) Logout(ctx context.Context, refresh string) error {
	if refresh == "" {
		return usererr.Field(usererr.Invalid, "refresh_token", "is required")
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var (
			sid    ids.SessionID
			user   ids.UserID
			tenant ids.TenantID
		)
		err := tx.QueryRow(ctx, `SELECT rt.session_id, s.user_id, s.tenant_id FROM remora.refresh_tokens rt
			JOIN remora.sessions s ON s.id = rt.session_id WHERE rt.token_hash = $1`, hashSecret(refresh)).Scan(&sid, &user, &tenant)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("find refresh token: %w", err)
		}
		revoked, err := revokeSession(ctx, tx, sid, "logout")
		if err != nil || !revoked {
			return err // an error, or a session already ended: nothing changed
		}
		// The route is public: the refresh token names who logs out.
		return emit(outbox.WithActor(ctx, userActor(user)), tx, tenant, "auth.logout", userResource(user),
			map[string]any{"session_id": sid})
	})
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// revokeSession ends session sid and reports whether it was live.
func revokeSession(ctx context.Context, tx pgx.Tx, sid ids.SessionID, reason string) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE remora.sessions SET revoked_at = now(), revoked_reason = $2
		WHERE id = $1 AND revoked_at IS NULL`, sid, reason)
	if err != nil {
		return false, fmt.Errorf("revoke session: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}
