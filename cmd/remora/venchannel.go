package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/remora-sec/remora/compute/docstore"
	"github.com/remora-sec/remora/compute/fleet"
	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/gateway"
	"github.com/remora-sec/remora/gateway/hub"
	"github.com/remora-sec/remora/gateway/venapi"
	"github.com/remora-sec/remora/infra/config"
	"github.com/remora-sec/remora/tenants"
)

// venAPIPort is the VEN API's port on the hub's tunnel address. The
// netstack needs no privilege for it, and it is reachable only through
// the tunnel.
const venAPIPort = 80

// startVENChannel runs the WireGuard hub with the fleet's peers, the VEN
// API on its tunnel address, the peer sync and the poll wake-ups, until
// ctx ends; stop waits for them. It returns what the gateway needs to
// pair hosts.
func startVENChannel(ctx context.Context, cfg config.Config, store *tenants.Store, rdb redis.UniversalClient,
	q *queue.Queue, log *slog.Logger) (_ *gateway.VEN, stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		if err != nil {
			cancel()
		}
	}()
	fl, err := fleet.New(store, cfg.WGPrefix)
	if err != nil {
		return nil, nil, err
	}
	key, err := fl.HubKey(ctx)
	if err != nil {
		return nil, nil, err
	}
	h, err := hub.New(hub.Config{PrivateKey: key, ListenAddr: cfg.WGListen, Address: fl.HubAddress(), Prefix: fl.Prefix(),
		UAPIName: cfg.WGUAPI, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	peers := &venapi.Peers{Hub: h, Fleet: fl, Redis: rdb, Channel: cfg.RedisPrefix + "hub:peers", Log: log}
	if err := peers.Sync(ctx); err != nil {
		h.Close()
		return nil, nil, err
	}
	ln, err := h.Listen(venAPIPort)
	if err != nil {
		h.Close()
		return nil, nil, fmt.Errorf("listen for VENs: %w", err)
	}
	waiters := venapi.NewWaiters()
	heartbeat := int(cfg.VENHeartbeat / time.Second)
	api := &venapi.Server{Fleet: fl, Docs: docstore.New(store), Queue: q, Waiters: waiters, Peers: peers, Log: log,
		PollTimeout: cfg.VENPoll, HeartbeatSeconds: heartbeat}
	srv := &http.Server{Handler: api.Handler(), ConnContext: hub.ConnContext, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}

	var wg sync.WaitGroup
	wg.Go(func() { peers.Run(ctx) })
	wg.Go(func() { waiters.Run(ctx, q, log) })
	wg.Go(func() { sweepOffline(ctx, fl, q, cfg.VENOffline, log) })
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && ctx.Err() == nil {
			log.Error("VEN API stopped", "err", err)
		}
	})
	listen, _ := h.ListenAddr()
	log.Info("VEN channel up", "wg_listen", listen.String(), "hub_address", fl.HubAddress().String(), "hub_public_key", key.PublicKey().String())
	stop = func() {
		cancel()
		shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		srv.Shutdown(shutdown) // polls end with their connections; nothing to wait for beyond
		wg.Wait()
		h.Close()
	}
	agent := ""
	if exe, err := os.Executable(); err == nil {
		agent = filepath.Join(filepath.Dir(exe), "remora-ven") // make build puts both in bin/
	}
	return &gateway.VEN{Fleet: fl, Peers: peers, HubKey: key.PublicKey(), Endpoint: cfg.WGEndpoint,
		ListenPort: int(listen.Port()), APIPort: venAPIPort, HeartbeatSeconds: heartbeat, AgentBinary: agent}, stop, nil
}

// sweepOffline marks silent VENs offline, a few times per timeout, and
// asks for their tenants to be recomputed.
func sweepOffline(ctx context.Context, fl *fleet.Store, q *queue.Queue, timeout time.Duration, log *slog.Logger) {
	t := time.NewTicker(min(timeout/4, time.Minute))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		marked, err := fl.SweepOffline(ctx, timeout)
		if err != nil && ctx.Err() == nil {
			log.Error("offline sweep", "err", err)
		}
		for _, v := range marked {
			log.Info("VEN offline", "ven", v.ID, "tenant", v.Tenant, "hostname", v.Hostname, "last_seen_at", v.LastSeenAt)
			if err := q.Enqueue(ctx, v.Tenant, "ven offline"); err != nil {
				log.Warn("recompute wake-up not sent; the reconciler will catch up", "tenant", v.Tenant, "err", err)
			}
		}
	}
}
