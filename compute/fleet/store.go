package fleet

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/remora-sec/remora/infra/ids"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// Tenants is the way into the databases (tenants.Store implements it).
type Tenants interface {
	Pool() *pgxpool.Pool
	InTenant(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error
}

// Store is the fleet registry; safe for concurrent use.
type Store struct {
	tenants Tenants
	prefix  netip.Prefix // the tunnel range: the hub holds its first address
	hubKey  atomic.Pointer[wgtypes.Key]
}

// New returns the registry handing out tunnel addresses from prefix (the
// hub takes its first usable address, VENs the ones after it).
func New(t Tenants, prefix netip.Prefix) (*Store, error) {
	prefix = prefix.Masked()
	if !prefix.IsValid() || !prefix.Addr().Is4() && !prefix.Addr().Is6() || prefix.Bits() > prefix.Addr().BitLen()-2 {
		return nil, fmt.Errorf("fleet: tunnel range %s is too small", prefix)
	}
	return &Store{tenants: t, prefix: prefix}, nil
}

// HubAddress is the hub's tunnel address: the first of the range after the
// network address.
func (s *Store) HubAddress() netip.Addr { return s.prefix.Addr().Next() }

// Prefix is the tunnel range.
func (s *Store) Prefix() netip.Prefix { return s.prefix }

// address is the n-th VEN address (n from 0): the range's addresses after
// the hub's; false past the range's end (the last address of a v4 range,
// its broadcast, is not handed out either).
func (s *Store) address(n int64) (netip.Addr, bool) {
	if n < 0 {
		return netip.Addr{}, false
	}
	a, ok := addrAdd(s.HubAddress(), uint64(n)+1)
	if !ok || !s.prefix.Contains(a) || a.Is4() && !s.prefix.Contains(a.Next()) {
		return netip.Addr{}, false
	}
	return a, true
}

// addrAdd returns a + n, false on overflow.
func addrAdd(a netip.Addr, n uint64) (netip.Addr, bool) {
	if a.Is4() {
		b := a.As4()
		v := uint64(binary.BigEndian.Uint32(b[:])) + n
		if v > math.MaxUint32 {
			return netip.Addr{}, false
		}
		binary.BigEndian.PutUint32(b[:], uint32(v))
		return netip.AddrFrom4(b), true
	}
	b := a.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	lo2, carry := bits.Add64(lo, n, 0)
	hi2, over := bits.Add64(hi, 0, carry)
	if over != 0 {
		return netip.Addr{}, false
	}
	binary.BigEndian.PutUint64(b[:8], hi2)
	binary.BigEndian.PutUint64(b[8:], lo2)
	return netip.AddrFrom16(b), true
}
