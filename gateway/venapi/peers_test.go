package venapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/remora-sec/remora/compute/fleet"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/gateway/hub"
	"github.com/remora-sec/remora/gateway/venapi"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/redisx/redistest"
	"github.com/remora-sec/remora/tenants/tenanttest"
	"github.com/remora-sec/remora/ven/wire"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

// TestPeersFollowTheRegistry: two replicas' hubs share one registry and
// one Redis. A pairing applied on one reaches the other through the
// announcement; a goodbye too; and Sync repairs a hub that missed
// announcements (a peer added by hand, a VEN paired while it was away).
func TestPeersFollowTheRegistry(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts := tenanttest.NewStore(t)
	fl, err := fleet.New(ts, netip.MustParsePrefix("100.64.0.0/10"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := fl.HubKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := redistest.New(t)
	replica := func() (*hub.Hub, *venapi.Peers) {
		h, err := hub.New(hub.Config{PrivateKey: key, ListenAddr: netip.MustParseAddrPort("127.0.0.1:0"), Address: fl.HubAddress(),
			Prefix: fl.Prefix(), Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		p := &venapi.Peers{Hub: h, Fleet: fl, Redis: rdb, Channel: prefix + "hub:peers", Log: quiet, Interval: time.Hour}
		return h, p
	}
	hubA, peersA := replica()
	hubB, peersB := replica()
	go peersB.Run(ctx)
	tenant, _ := tenanttest.Signup(t, ts)
	ps := policystore.New(ts)
	prof, err := ps.CreatePairingProfile(ctx, tenant, policystore.PairingProfileInput{Name: "p", Unlimited: true, Lifetime: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := ps.CreatePairingToken(ctx, tenant, string(prof.ID), policystore.Author{})
	if err != nil {
		t.Fatal(err)
	}
	pair := func() fleet.VEN {
		k, _ := wgtypes.GeneratePrivateKey()
		v, err := fl.Pair(ctx, wire.PairRequest{Token: token, PublicKey: k.PublicKey().String(), Hostname: "h"})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	keys := func(h *hub.Hub) []string {
		ps, err := h.Peers()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.PublicKey.String())
		}
		slices.Sort(out)
		return out
	}
	waitKeys := func(h *hub.Hub, want []string) {
		t.Helper()
		slices.Sort(want)
		deadline := time.Now().Add(10 * time.Second)
		for !slices.Equal(keys(h), want) {
			if time.Now().After(deadline) {
				t.Fatalf("hub peers %v, want %v", keys(h), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	v1 := pair()
	// B's Run subscribes asynchronously: announce until B has it.
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(keys(hubB), v1.PublicKey) {
		if err := peersA.Added(ctx, v1); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("replica B never got the announcement")
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitKeys(hubA, []string{v1.PublicKey})

	v2 := pair()
	if err := peersA.Added(ctx, v2); err != nil {
		t.Fatal(err)
	}
	waitKeys(hubB, []string{v1.PublicKey, v2.PublicKey})
	if err := fl.Unpair(ctx, v1); err != nil {
		t.Fatal(err)
	}
	if err := peersA.Removed(ctx, v1); err != nil {
		t.Fatal(err)
	}
	waitKeys(hubB, []string{v2.PublicKey})
	waitKeys(hubA, []string{v2.PublicKey})

	// Missed announcements: a VEN paired without one, a stray peer.
	v3 := pair()
	stray, _ := wgtypes.GeneratePrivateKey()
	if err := hubA.SetPeer(stray.PublicKey(), netip.MustParseAddr("100.64.9.9")); err != nil {
		t.Fatal(err)
	}
	if err := peersA.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	waitKeys(hubA, []string{v2.PublicKey, v3.PublicKey})
}

// TestWaiters: a notification wakes the polls of the workloads it names,
// All wakes the tenant's, and nothing else.
func TestWaiters(t *testing.T) {
	w := venapi.NewWaiters()
	a, b := ids.TenantID(ids.New()), ids.TenantID(ids.New())
	chA1, doneA1 := venapi.Wait(w, a, "w1")
	defer doneA1()
	chA2, doneA2 := venapi.Wait(w, a, "w2")
	defer doneA2()
	chB1, doneB1 := venapi.Wait(w, b, "w1")
	defer doneB1()
	woken := func(ch chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	w.Notify(queue.Notification{Tenant: a, Generation: 2, Workloads: []string{"w1"}})
	if !woken(chA1) || woken(chA2) || woken(chB1) {
		t.Fatal("naming w1 of tenant A woke the wrong polls")
	}
	w.Notify(queue.Notification{Tenant: a, Generation: 3, All: true})
	if !woken(chA2) || woken(chB1) {
		t.Fatal("All for tenant A did not wake A's polls only")
	}
}
