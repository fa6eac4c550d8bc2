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
	var b []byte
	err = s.tenants.Pool().QueryRow(ctx, `WITH ins AS (
			INSERT INTO remora.hub (private_key) VALUES ($1) ON CONFLICT DO NOTHING RETURNING private_key)
		SELECT private_key FROM ins UNION ALL SELECT private_key FROM remora.hub LIMIT 1`, k[:]).Scan(&b)
	if err != nil {
		return k, fmt.Errorf("hub key: %w", err)
	}
	return wgtypes.NewKey(b)
}
