package venapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/remora-sec/remora/compute/fleet"
	"github.com/remora-sec/remora/gateway/hub"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// Peers keeps this replica's hub peers equal to the fleet registry. A
// pairing or goodbye on any replica is applied here at once and announced
// on Redis for the others; a full sync at start and every Interval repairs
// whatever an announcement missed (Redis down, a replica restarting).
type Peers struct {
	Hub      *hub.Hub
	Fleet    *fleet.Store
	Redis    redis.UniversalClient
	Channel  string // the announcement channel, e.g. "remora:hub:peers"
	Log      *slog.Logger
	Interval time.Duration // default 1 min
}

// Added puts v on this hub and announces it.
func (p *Peers) Added(ctx context.Context, v fleet.VEN) error {
	return p.change(ctx, "add", v)
}

// Removed takes v off this hub and announces it.
func (p *Peers) Removed(ctx context.Context, v fleet.VEN) error {
	return p.change(ctx, "del", v)
}

func (p *Peers) change(ctx context.Context, op string, v fleet.VEN) error {
	msg := fmt.Sprintf("%s %s %s", op, v.PublicKey, v.Address)
	if err := p.apply(msg); err != nil {
		return err
	}
	if err := p.Redis.Publish(ctx, p.Channel, msg).Err(); err != nil {
		return fmt.Errorf("announce hub peer: %w", err)
	}
	return nil
}

// apply carries out one announcement on this hub.
func (p *Peers) apply(msg string) error {
	f := strings.Fields(msg)
	if len(f) != 3 {
		return fmt.Errorf("hub peer announcement %q: want op, key, address", msg)
	}
	key, err := wgtypes.ParseKey(f[1])
	if err != nil {
		return fmt.Errorf("hub peer announcement: %w", err)
	}
	addr, err := netip.ParseAddr(f[2])
	if err != nil {
		return fmt.Errorf("hub peer announcement: %w", err)
	}
	switch f[0] {
	case "add":
		return p.Hub.SetPeer(key, addr)
	case "del":
		return p.Hub.RemovePeer(key)
	}
	return fmt.Errorf("hub peer announcement %q: unknown op", msg)
}

// Sync makes the hub's peers exactly the registry's.
func (p *Peers) Sync(ctx context.Context) error {
	want, err := p.Fleet.Peers(ctx)
	if err != nil {
		return fmt.Errorf("sync hub peers: %w", err)
	}
	have, err := p.Hub.Peers()
	if err != nil {
		return fmt.Errorf("sync hub peers: %w", err)
	}
	keep := make(map[wgtypes.Key]netip.Addr, len(want))
	for _, w := range want {
		keep[w.PublicKey] = w.Address
	}
	for _, h := range have {
		if a, ok := keep[h.PublicKey]; !ok || a != h.Address {
			if err := p.Hub.RemovePeer(h.PublicKey); err != nil {
				return fmt.Errorf("sync hub peers: %w", err)
			}
		}
	}
	for _, w := range want {
		if err := p.Hub.SetPeer(w.PublicKey, w.Address); err != nil {
			return fmt.Errorf("sync hub peers: %w", err)
		}
	}
	return nil
}

// Run applies announcements and syncs every Interval until ctx ends.
func (p *Peers) Run(ctx context.Context) {
	every := p.Interval
	if every <= 0 {
		every = time.Minute
	}
	sub := p.Redis.Subscribe(ctx, p.Channel)
	defer sub.Close()
	msgs := sub.Channel()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-msgs:
			if err := p.apply(m.Payload); err != nil {
				p.Log.Warn("hub peer announcement not applied; the periodic sync will repair", "err", err)
			}
		case <-tick.C:
			if err := p.Sync(ctx); err != nil && ctx.Err() == nil {
				p.Log.Error("hub peer sync", "err", err)
			}
		}
	}
}
