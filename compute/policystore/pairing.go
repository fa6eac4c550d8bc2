package policystore

import (
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/usererr"
)

// Pairing profiles and install tokens. A profile is what an admin sets up
// once: the labels and enforcement mode a newly paired host gets, and what
// the tokens minted from it allow. A token is what goes on a host's install
// line; pairing (the VEN's one call outside the tunnel, another package's
// business) consumes a use of it with ConsumePairingToken in the same
// transaction that creates the workload. Neither changes enforcement by
// itself, so no write here bumps the tenant's generation.

// PairingProfileID names a pairing profile; PairingTokenID an install token.
type (
	PairingProfileID string
	PairingTokenID   string
)

// Limits of a profile, as the API documents them.
const (
	MaxPairingProfileName = 100
	MaxPairingUses        = 1_000_000 // above that, a profile is unlimited
	MinPairingLifetime    = time.Minute
	MaxPairingLifetime    = 365 * 24 * time.Hour
)

// PairingProfile is a stored profile.
type PairingProfile struct {
	ID        PairingProfileID
	Name      string
	Labels    []policy.LabelID // at most one per key, ordered by key
	Mode      policy.Mode
	MaxUses   *int // nil: each token pairs any number of hosts
	Lifetime  time.Duration
	Revision  int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PairingProfileSummary is a profile as listed: with the number of tokens
// minted from it (revoked and expired ones included) and their total uses.
type PairingProfileSummary struct {
	PairingProfile
	Tokens int64
	Uses   int64
}

// PairingProfileInput is a profile as a client writes it, in the API's
// terms: validation reports each field by its JSON name.
type PairingProfileInput struct {
	Name      string
	Labels    []policy.LabelID
	Mode      policy.Mode // "" means DefaultMode
	MaxUses   *int        // exactly one of MaxUses and Unlimited
	Unlimited bool
	Lifetime  string // a Go duration, MinPairingLifetime to MaxPairingLifetime
}

// PairingToken is a stored install token, without its secret.
type PairingToken struct {
	ID         PairingTokenID
	Profile    PairingProfileID
	MaxUses    *int // nil: unlimited
	Uses       int
	ExpiresAt  time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
	CreatedBy  Author
	LastUsedAt *time.Time
}

// PairingTokenState is whether a token can still pair a host, and if not why.
type PairingTokenState string

const (
	TokenActive    PairingTokenState = "active"
	TokenRevoked   PairingTokenState = "revoked"
	TokenExpired   PairingTokenState = "expired"
	TokenExhausted PairingTokenState = "exhausted"
)

// State is t's state at now. Revocation is reported first, then expiry,
// then exhaustion: the order ConsumePairingToken checks them in.
func (t PairingToken) State(now time.Time) PairingTokenState {
	switch {
	case t.RevokedAt != nil:
		return TokenRevoked
	case !now.Before(t.ExpiresAt):
		return TokenExpired
	case t.MaxUses != nil && t.Uses >= *t.MaxUses:
		return TokenExhausted
	}
	return TokenActive
}

var (
	errProfileNotFound = usererr.New(usererr.NotFound, "pairing profile not found")
	errTokenNotFound   = usererr.New(usererr.NotFound, "install token not found")
)

const profileSelect = `SELECT p.id, p.name, p.enforcement_mode, p.max_uses, p.lifetime, p.revision, p.created_at, p.updated_at,
	coalesce((SELECT array_agg(label_id ORDER BY key) FROM pairing_profile_labels WHERE profile_id = p.id), '{}')`

func scanProfile(row pgx.Row, extra ...any) (PairingProfile, error) {
	var (
		p    PairingProfile
		secs int64
	)
	err := row.Scan(append([]any{&p.ID, &p.Name, &p.Mode, &p.MaxUses, &secs, &p.Revision, &p.CreatedAt, &p.UpdatedAt, &p.Labels}, extra...)...)
	p.Lifetime = time.Duration(secs) * time.Second
	return p, err
}

func (p PairingProfile) pageKey() page.Key { return page.Key{Time: p.CreatedAt, ID: string(p.ID)} }

const tokenCols = `id, profile_id, max_uses, uses, expires_at, revoked_at, created_at,
	coalesce(created_by::text, ''), coalesce(created_by_key::text, ''), last_used_at`

func (t *PairingToken) fields() []any {
	return []any{&t.ID, &t.Profile, &t.MaxUses, &t.Uses, &t.ExpiresAt, &t.RevokedAt, &t.CreatedAt,
		&t.CreatedBy.User, &t.CreatedBy.APIKey, &t.LastUsedAt}
}

func (t PairingToken) pageKey() page.Key { return page.Key{Time: t.CreatedAt, ID: string(t.ID)} }
