package policystore

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

// errUnknownToken answers both a token id with no row and a secret that
// does not match: one message, so a caller cannot tell a real token id
// from a made-up one.
var errUnknownToken = usererr.New(usererr.Unauthenticated, "unknown install token")

// ConsumePairingToken uses up one use of install token tokenID, whose
// clear text is token, and returns the profile it was minted from: the
// name, labels and mode the host being paired gets. It runs in the
// caller's transaction, whose search_path is the tenant's schema (as
// InTenant sets it), so that the caller creates the workload in the same
// transaction: if that fails, the use is not spent.
//
// The token's row is locked FOR UPDATE until the caller's transaction
// ends, so concurrent pairings with one token are counted one at a time:
// of 20 racing pairings with a single-use token exactly one succeeds.
//
// Errors are user errors, checked in this order:
//   - no such token, or a secret that does not match: 401 Unauthenticated
//     "unknown install token";
//   - revoked: 403 Forbidden "install token was revoked";
//   - expired (now is at or past its expiry): 403 Forbidden "install token
//     expired at <RFC 3339 time>";
//   - used up: 403 Forbidden "install token has been used N of N times".
//
// 401 is for a credential the PCE does not know; 403 for a genuine token
// that may no longer be used, which its holder (and only its holder, who
// has proven to have it) learns why: asking the admin for a new token is
// the fix for all three.
func ConsumePairingToken(ctx context.Context, tx pgx.Tx, tokenID, token string, now time.Time) (PairingProfile, error) {
	p, err := consumePairingToken(ctx, tx, tokenID, token, now)
	if err != nil {
		return p, fmt.Errorf("consume install token: %w", err)
	}
	return p, nil
}

func consumePairingToken(ctx context.Context, tx pgx.Tx, tokenID, token string, now time.Time) (PairingProfile, error) {
	if !ids.Valid(tokenID) {
		return PairingProfile{}, errUnknownToken
	}
	var (
		t    PairingToken
		hash []byte
	)
	err := tx.QueryRow(ctx, `SELECT secret_hash, `+tokenCols+` FROM pairing_tokens WHERE id = $1 FOR UPDATE`, tokenID).
		Scan(append([]any{&hash}, t.fields()...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return PairingProfile{}, errUnknownToken
	}
	if err != nil {
		return PairingProfile{}, fmt.Errorf("lock token: %w", err)
	}
	if subtle.ConstantTimeCompare(hashPairingToken(token), hash) != 1 {
		return PairingProfile{}, errUnknownToken
	}
	switch t.State(now) {
	case TokenRevoked:
		return PairingProfile{}, usererr.New(usererr.Forbidden, "install token was revoked")
	case TokenExpired:
		return PairingProfile{}, usererr.New(usererr.Forbidden, "install token expired at "+t.ExpiresAt.UTC().Format(time.RFC3339))
	case TokenExhausted:
		return PairingProfile{}, usererr.New(usererr.Forbidden, fmt.Sprintf("install token has been used %d of %d times", t.Uses, *t.MaxUses))
	}
	if _, err := tx.Exec(ctx, `UPDATE pairing_tokens SET uses = uses + 1, last_used_at = $2 WHERE id = $1`, tokenID, now); err != nil {
		return PairingProfile{}, fmt.Errorf("count use: %w", err)
	}
	p, err := getProfile(ctx, tx, string(t.Profile), "")
	if err != nil {
		return p, fmt.Errorf("read profile: %w", err)
	}
	return p, nil
}
