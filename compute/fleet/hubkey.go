package fleet

import (
	"context"
	"fmt"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// HubKey returns the hub's private key, creating it on the first start of
// the first replica. Every replica runs its hub with this key, so a VEN
// paired through one reaches any of them.
func (s *Store) HubKey(ctx context.Context) (wgtypes.Key, error) {
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
	return wgtypes.NewKey(b)
}
