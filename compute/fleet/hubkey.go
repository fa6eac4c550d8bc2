package fleet

import (
	"context"
	"fmt"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// HubKey returns the hub's private key, creating it on the first start of
// the first replica. Every replica runs its hub with this key, so a VEN
// paired through one reaches any of them. The key never changes once made,
// so it is read once per Store: pairing checks against it every time.
func (s *Store) HubKey(ctx context.Context) (wgtypes.Key, error) {
	if k := s.hubKey.Load(); k != nil {
		return *k, nil
	}
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		return k, fmt.Errorf("hub key: %w", err)
	}
	// Two statements, not one: a single statement's snapshot would not
	// see the row a replica starting at the same moment inserted.
	if _, err := s.tenants.Pool().Exec(ctx, `INSERT INTO remora.hub (private_key) VALUES ($1) ON CONFLICT DO NOTHING`, k[:]); err != nil {
		return k, fmt.Errorf("hub key: %w", err)
	}
	var b []byte
	if err := s.tenants.Pool().QueryRow(ctx, `SELECT private_key FROM remora.hub`).Scan(&b); err != nil {
		return k, fmt.Errorf("hub key: %w", err)
	}
	if k, err = wgtypes.NewKey(b); err != nil {
		return k, fmt.Errorf("hub key: %w", err)
	}
	s.hubKey.Store(&k)
	return k, nil
}
