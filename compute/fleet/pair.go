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
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/usererr"
	"github.com/remora-sec/remora/ven/wire"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// errUnknownToken is the one answer for a token that does not parse, names
// no tenant, or names no token: nothing tells a guesser which part was
// right.
var errKeyTaken = usererr.Field(usererr.Conflict, "wg_public_key", "this WireGuard key is already paired: generate a new key for a new pairing")

var errUnknownToken = usererr.Field(usererr.Unauthenticated, "token", "unknown install token")

// Pair consumes req's install token and, in the same transaction, creates
// the host's managed workload (with the token's profile labels and mode)
// and its VEN with the next tunnel address. Concurrent pairings on one
// token serialize on its row, so a token with one use left pairs one host.
//
// The request is unauthenticated until the token checks out; from then on
// its actor is the VEN being paired, whose id is chosen up front so that
// every event of the pairing (pairing_token.used, workload.created,
// ven.paired) names it.
func (s *Store) Pair(ctx context.Context, req wire.PairRequest) (VEN, error) {
	if err := validatePair(req); err != nil {
		return VEN{}, err
	}
	// The key is stored in its canonical spelling: base64 admits others
	// for the same 32 bytes, and uniqueness must hold on the key.
	key, _ := wgtypes.ParseKey(req.PublicKey) // validatePair checked it
	req.PublicKey = key.String()
	hubKey, err := s.HubKey(ctx)
	if err != nil {
		return VEN{}, fmt.Errorf("pair: %w", err)
	}
	if key == hubKey.PublicKey() {
		return VEN{}, usererr.Field(usererr.Invalid, "wg_public_key", "is the hub's own key: generate a key for this host")
	}
	tenant, tokenID, ok := policystore.ParsePairingToken(req.Token)
	if !ok {
		return VEN{}, errUnknownToken
	}
	var v VEN
	id := ids.New()
	ctx = outbox.WithActor(ctx, outbox.Actor{Type: outbox.ActorVEN, ID: id})
	err = s.tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		prof, err := policystore.ConsumePairingToken(ctx, tx, tokenID, req.Token, time.Now())
		if err != nil {
			return err
		}
		if err := emit(ctx, tx, tenant, "pairing_token.used", policystore.TokenResource(policystore.PairingTokenID(tokenID)),
			map[string]any{"profile_id": prof.ID, "ven_id": id, "hostname": req.Hostname}); err != nil {
			return err
		}
		w := policy.Workload{Name: req.Hostname, Hostname: req.Hostname, Mode: prof.Mode, Labels: prof.Labels,
			Interfaces: interfaces(req.Interfaces)}
		rec, err := policystore.CreateManagedWorkload(ctx, tx, tenant, w)
		if err != nil {
			return err
		}
		// A key already paired is refused before an address is taken:
		// addresses are never reused, so a refusal must not burn one.
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM remora.vens WHERE public_key = $1)`, req.PublicKey).Scan(&taken); err != nil {
			return fmt.Errorf("check key: %w", err)
		}
		if taken {
			return errKeyTaken
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT nextval('remora.ven_address_seq')`).Scan(&n); err != nil {
			return fmt.Errorf("allocate tunnel address: %w", err)
		}
		addr, ok := s.address(n)
		if !ok {
			return fmt.Errorf("tunnel range %s is exhausted", s.prefix)
		}
		v, err = scanVEN(tx.QueryRow(ctx, `INSERT INTO remora.vens (id, tenant_id, workload_id, public_key, tunnel_address, hostname, os)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+venCols,
			id, tenant, rec.ID, req.PublicKey, netip.PrefixFrom(addr, addr.BitLen()), req.Hostname, req.OS))
		if pg.IsUniqueViolation(err, "vens_public_key_key") {
			return errKeyTaken // paired concurrently
		}
		if err != nil {
			return err
		}
		return emit(ctx, tx, tenant, "ven.paired", venResource(v.ID), map[string]any{"hostname": v.Hostname, "os": v.OS,
			"workload_id": v.Workload, "tunnel_address": v.Address, "wg_public_key": v.PublicKey, "pairing_profile_id": prof.ID})
	})
	if usererr.Is(err, usererr.Unauthenticated) || usererr.Is(err, usererr.NotFound) && !errors.Is(err, errVENNotFound) {
		return VEN{}, errUnknownToken // a wrong secret, or a tenant that does not exist: one answer
	}
	if err != nil {
		return VEN{}, fmt.Errorf("pair: %w", err)
	}
	return v, nil
}
