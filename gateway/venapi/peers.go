package venapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/remora-sec/remora/compute/fleet"
	"github.com/remora-sec/remora/gateway/hub"
	"github.com/remora-sec/remora/infra/usererr"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// Peers keeps this replica's hub peers equal to the fleet registry. A
// pairing or goodbye on any replica is applied here at once and announced
// on Redis for the others; a full sync at start and every Interval repairs
// whatever an announcement missed (Redis down, a replica restarting).
//
// An announcement names a key and nothing more is taken from it: the
// key's VEN is read from the registry, so whoever can publish on Redis can
// at most make a replica look something up. Postgres is the truth.
type Peers struct {
	mu sync.Mutex // one change at a time: a sync never undoes an apply running beside it

	Hub      *hub.Hub
	Fleet    *fleet.Store
	Redis    redis.UniversalClient
	Channel  string // the announcement channel, e.g. "remora:hub:peers"
	Log      *slog.Logger
	Interval time.Duration // default 1 min
}

// Added puts v on this hub and announces it.
func (p *Peers) Added(ctx context.Context, v fleet.VEN) error { return p.changed(ctx, v.PublicKey) }

// Removed takes v off this hub and announces it.
func (p *Peers) Removed(ctx context.Context, v fleet.VEN) error { return p.changed(ctx, v.PublicKey) }

// changed brings this hub's entry for key in line with the registry, and
// tells the other replicas to do the same.
func (p *Peers) changed(ctx context.Context, key string) error {
	if err := p.apply(ctx, key); err != nil {
		return err
	}
	if err := p.Redis.Publish(ctx, p.Channel, key).Err(); err != nil {
		return fmt.Errorf("announce hub peer: %w", err)
	}
	return nil
}

// apply makes this hub's entry for the announced key what the registry
// says: the VEN's address, or no entry.
func (p *Peers) apply(ctx context.Context, msg string) error {
	key, err := wgtypes.ParseKey(strings.TrimSpace(msg))
	if err != nil {
		return fmt.Errorf("hub peer announcement: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	v, err := p.Fleet.ByKey(ctx, key)
	switch {
	case usererr.Is(err, usererr.NotFound):
		return p.Hub.RemovePeer(key)
	case err != nil:
		return err
	}
	return p.Hub.SetPeer(key, v.Address)
}

// Sync makes the hub's peers exactly the registry's. A registry entry the
// hub refuses is logged and skipped: one bad row must not keep every
// other VEN off the hub, or the PCE from starting.
func (p *Peers) Sync(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	have, err := p.Hub.Peers()
	if err != nil {
		return fmt.Errorf("sync hub peers: %w", err)
	}
	want, err := p.Fleet.Peers(ctx)
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
			p.Log.Error("hub refused a registered VEN; skipped", "key", w.PublicKey.String(), "address", w.Address.String(), "err", err)
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
	// Once subscribed, sync: announcements made between the caller's
	// first sync and the subscription are caught by this one.
	if _, err := sub.Receive(ctx); err != nil && ctx.Err() == nil {
		p.Log.Warn("subscribe to hub peer announcements; periodic syncs carry on", "err", err)
	}
	if err := p.Sync(ctx); err != nil && ctx.Err() == nil {
		p.Log.Error("hub peer sync", "err", err)
	}
	msgs := sub.Channel()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-msgs:
			if err := p.apply(ctx, m.Payload); err != nil {
				p.Log.Warn("hub peer announcement not applied; the periodic sync will repair", "err", err)
			}
		case <-tick.C:
			if err := p.Sync(ctx); err != nil && ctx.Err() == nil {
				p.Log.Error("hub peer sync", "err", err)
			}
		}
	}
}
