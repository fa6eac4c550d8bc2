package fleet_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/fleet"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/usererr"
	"github.com/remora-sec/remora/tenants"
	"github.com/remora-sec/remora/tenants/tenanttest"
	"github.com/remora-sec/remora/ven/wire"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

type env struct {
	ctx    context.Context
	ts     *tenants.Store
	ps     *policystore.Store
	fl     *fleet.Store
	tenant ids.TenantID
	token  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ts := tenanttest.NewStore(t)
	fl, err := fleet.New(ts, netip.MustParsePrefix("100.64.0.0/30"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{ctx: context.Background(), ts: ts, ps: policystore.New(ts), fl: fl}
	e.tenant, _ = tenanttest.Signup(t, ts)
	l, err := e.ps.CreateLabel(e.ctx, e.tenant, "role", "web")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.ps.CreatePairingProfile(e.ctx, e.tenant, policystore.PairingProfileInput{Name: "web",
		Labels: []policy.LabelID{l.ID}, Mode: policy.Full, Unlimited: true, Lifetime: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	if _, e.token, err = e.ps.CreatePairingToken(e.ctx, e.tenant, string(p.ID), policystore.Author{}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) pair(t *testing.T, addr string) fleet.VEN {
	t.Helper()
	k, _ := wgtypes.GeneratePrivateKey()
	v, err := e.fl.Pair(e.ctx, wire.PairRequest{Token: e.token, PublicKey: k.PublicKey().String(), Hostname: "h-" + addr,
		Interfaces: []wire.Interface{{Name: "eth0", Addresses: []string{addr}}}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// compiled returns the addresses the compiler sees for workload id.
func (e *env) compiled(t *testing.T, id string) []string {
	t.Helper()
	snap, err := e.ps.Snapshot(e.ctx, e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range snap.Workloads {
		if string(w.ID) == id {
			var out []string
			for _, i := range w.Interfaces {
				out = append(out, i.Addresses...)
			}
			return out
		}
	}
	t.Fatalf("workload %s not in the snapshot", id)
	return nil
}

func (e *env) generation(t *testing.T) int64 {
	t.Helper()
	g, err := e.ps.Generations(e.ctx, e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	return g.Desired
}

// TestAddressesAndRange: VENs get the range's addresses in order after
// the hub's, and a full range refuses the next pairing without spending
// its token.
func TestAddressesAndRange(t *testing.T) {
	e := newEnv(t)
	if got := e.fl.HubAddress(); got != netip.MustParseAddr("100.64.0.1") {
		t.Fatalf("hub address %s", got)
	}
	v := e.pair(t, "10.0.0.1")
	if v.Address != netip.MustParseAddr("100.64.0.2") {
		t.Fatalf("first VEN at %s, want 100.64.0.2", v.Address)
	}
	k, _ := wgtypes.GeneratePrivateKey()
	_, err := e.fl.Pair(e.ctx, wire.PairRequest{Token: e.token, PublicKey: k.PublicKey().String(), Hostname: "h"})
	if err == nil {
		t.Fatal("a /30 paired a second VEN: .3 is its broadcast address")
	}
	vens, _, err := e.fl.List(e.ctx, e.tenant, pageAll)
	if err != nil || len(vens) != 1 {
		t.Fatalf("after the refused pairing: %d VENs, %v", len(vens), err)
	}
}

// TestHubKeyStable: every replica gets the same hub key.
func TestHubKeyStable(t *testing.T) {
	e := newEnv(t)
	a, err := e.fl.HubKey(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.fl.HubKey(e.ctx)
	if err != nil || a != b {
		t.Fatalf("hub key changed between calls: %v", err)
	}
}

// TestOfflineAndBack: a VEN silent past the timeout is marked offline and
// its workload's addresses leave the compiler's input (a new generation);
// its next heartbeat brings them back. A sweep marks each VEN once.
func TestOfflineAndBack(t *testing.T) {
	e := newEnv(t)
	v := e.pair(t, "10.0.0.7")
	if got := e.compiled(t, v.Workload); len(got) != 1 || got[0] != "10.0.0.7" {
		t.Fatalf("paired workload compiles with %v", got)
	}
	if marked, err := e.fl.SweepOffline(e.ctx, time.Hour); err != nil || len(marked) != 0 {
		t.Fatalf("a fresh VEN swept: %v, %v", marked, err)
	}
	err := e.ts.InTenant(e.ctx, e.tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(e.ctx, `UPDATE remora.vens SET last_seen_at = now() - interval '2 hours' WHERE id = $1`, v.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	before := e.generation(t)
	marked, err := e.fl.SweepOffline(e.ctx, time.Hour)
	if err != nil || len(marked) != 1 || marked[0].ID != v.ID {
		t.Fatalf("sweep marked %v, %v; want the silent VEN", marked, err)
	}
	if got := e.compiled(t, v.Workload); len(got) != 0 {
		t.Errorf("offline workload compiles with addresses %v", got)
	}
	if e.generation(t) != before+1 {
		t.Errorf("going offline did not bump the generation")
	}
	if got, err := e.fl.Get(e.ctx, e.tenant, v.ID); err != nil || got.Online {
		t.Errorf("VEN after the sweep: online %v, %v", got.Online, err)
	}
	if marked, err := e.fl.SweepOffline(e.ctx, time.Hour); err != nil || len(marked) != 0 {
		t.Fatalf("second sweep marked %v again, %v", marked, err)
	}

	changed, err := e.fl.Heartbeat(e.ctx, v, wire.Heartbeat{Hostname: "h", Interfaces: []wire.Interface{{Name: "eth0", Addresses: []string{"10.0.0.7"}}}})
	if err != nil || !changed {
		t.Fatalf("heartbeat of an offline VEN: changed %v, %v; want changed", changed, err)
	}
	if got := e.compiled(t, v.Workload); len(got) != 1 {
		t.Errorf("back online, the workload compiles with %v", got)
	}
	if got, _ := e.fl.Get(e.ctx, e.tenant, v.ID); !got.Online || got.LastSeenAt == nil {
		t.Errorf("VEN after its heartbeat: %+v", got)
	}
}

// TestHeartbeatAndUnpair: a heartbeat with the same addresses changes
// nothing for the compiler, a new address does; unpairing removes the VEN
// and its workload; a heartbeat after that is refused.
func TestHeartbeatAndUnpair(t *testing.T) {
	e := newEnv(t)
	v := e.pair(t, "10.0.0.8")
	hb := wire.Heartbeat{Hostname: "h", EnforcedGeneration: 3, Tampered: 2,
		Interfaces: []wire.Interface{{Name: "eth0", Addresses: []string{"10.0.0.8"}}}}
	if changed, err := e.fl.Heartbeat(e.ctx, v, hb); err != nil || changed {
		t.Fatalf("same addresses: changed %v, %v", changed, err)
	}
	hb.Interfaces[0].Addresses = []string{"10.0.0.9"}
	if changed, err := e.fl.Heartbeat(e.ctx, v, hb); err != nil || !changed {
		t.Fatalf("new address: changed %v, %v", changed, err)
	}
	if got := e.compiled(t, v.Workload); len(got) != 1 || got[0] != "10.0.0.9" {
		t.Errorf("moved workload compiles with %v", got)
	}
	got, err := e.fl.Get(e.ctx, e.tenant, v.ID)
	if err != nil || got.TamperedTotal != 4 || got.EnforcedGeneration != 3 {
		t.Errorf("after two heartbeats: %+v, %v; want tampered 4, generation 3", got, err)
	}
	hb.Interfaces[0].Addresses = []string{"nope"}
	if _, err := e.fl.Heartbeat(e.ctx, v, hb); err == nil {
		t.Error("a heartbeat with a bad address was accepted")
	}

	if err := e.fl.Unpair(e.ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ps.GetWorkload(e.ctx, e.tenant, v.Workload); err == nil {
		t.Error("the unpaired VEN's workload is still there")
	}
	if _, err := e.fl.ByAddress(e.ctx, v.Address); err == nil {
		t.Error("the unpaired VEN is still found by its address")
	}
	if _, err := e.fl.Heartbeat(e.ctx, v, wire.Heartbeat{Hostname: "h"}); err == nil {
		t.Error("a heartbeat after unpairing was accepted")
	}
}

var pageAll = page.Request{Limit: 100}

// TestHubKeyFirstStartRace: replicas starting at once on a fresh database
// all get the one key.
func TestHubKeyFirstStartRace(t *testing.T) {
	for range 3 {
		fl, err := fleet.New(tenanttest.NewStore(t), netip.MustParsePrefix("100.64.0.0/10"))
		if err != nil {
			t.Fatal(err)
		}
		keys := make([]wgtypes.Key, 8)
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() { keys[i], errs[i] = fl.HubKey(context.Background()) })
		}
		wg.Wait()
		for i := range 8 {
			if errs[i] != nil || keys[i] != keys[0] {
				t.Fatalf("replica %d: key %v, %v; want the one key", i, keys[i].PublicKey(), errs[i])
			}
		}
	}
}

// TestRefusedKeyBurnsNoAddress: a pairing refused for its key takes no
// tunnel address (they are never reused).
func TestRefusedKeyBurnsNoAddress(t *testing.T) {
	e := newEnv(t)
	k, _ := wgtypes.GeneratePrivateKey()
	req := wire.PairRequest{Token: e.token, PublicKey: k.PublicKey().String(), Hostname: "h"}
	if _, err := e.fl.Pair(e.ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fl.Pair(e.ctx, req); !usererr.Is(err, usererr.Conflict) {
		t.Fatalf("pairing a key twice: %v, want a conflict", err)
	}
	wide, err := fleet.New(e.ts, netip.MustParsePrefix("100.64.0.0/29"))
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := wgtypes.GeneratePrivateKey()
	v, err := wide.Pair(e.ctx, wire.PairRequest{Token: e.token, PublicKey: k2.PublicKey().String(), Hostname: "h2"})
	if err != nil || v.Address != netip.MustParseAddr("100.64.0.3") {
		t.Fatalf("next VEN at %v (%v), want 100.64.0.3: the refusal took an address", v.Address, err)
	}
}
