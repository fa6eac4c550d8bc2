package fleet_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/ven/wire"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

func (e *env) eventTypes(t *testing.T) []string {
	t.Helper()
	evs, _, err := outbox.List(e.ctx, e.ts, e.tenant, outbox.Filter{Types: []string{"ven.*", "workload.*", "pairing_token.used"}},
		page.Request{Limit: page.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// TestRolledBackPairingLeavesNoEvent: a pairing that fails after its
// token use and its workload were recorded, with their events, rolls them
// all back: no event without its change.
func TestRolledBackPairingLeavesNoEvent(t *testing.T) {
	e := newEnv(t) // a /30: room for one VEN
	e.pair(t, "10.0.0.1")
	want := []string{"pairing_token.used", "workload.created", "ven.paired"}
	if got := e.eventTypes(t); !slices.Equal(got, want) {
		t.Fatalf("after a pairing: %v, want %v", got, want)
	}
	// The range is full: the VEN insert fails after the token's use and
	// the workload (and their events) were written in the transaction.
	k, _ := wgtypes.GeneratePrivateKey()
	if _, err := e.fl.Pair(e.ctx, wire.PairRequest{Token: e.token, PublicKey: k.PublicKey().String(), Hostname: "h2"}); err == nil {
		t.Fatal("a /30 paired a second VEN")
	}
	if got := e.eventTypes(t); !slices.Equal(got, want) {
		t.Fatalf("after a failed pairing: %v, want %v", got, want)
	}

	// The same at the store level: a managed workload created, with its
	// event, in a transaction that then fails.
	boom := errors.New("boom")
	err := e.ts.InTenant(e.ctx, e.tenant, func(tx pgx.Tx) error {
		if _, err := policystore.CreateManagedWorkload(e.ctx, tx, e.tenant, policy.Workload{Name: "x", Hostname: "x"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := e.eventTypes(t); !slices.Equal(got, want) {
		t.Fatalf("after a rolled-back transaction: %v, want %v", got, want)
	}
	ws, _, err := e.ps.ListWorkloads(e.ctx, e.tenant, "", page.Request{})
	if err != nil || len(ws) != 1 {
		t.Fatalf("%d workloads, %v; want the paired one only", len(ws), err)
	}
}

// TestSweepEventsAreTheSystems: the offline sweep records ven.offline as
// the system's doing, whatever actor its caller's context carries; the
// heartbeat that brings the VEN back records ven.online.
func TestSweepEventsAreTheSystems(t *testing.T) {
	e := newEnv(t)
	v := e.pair(t, "10.0.0.1")
	if _, err := e.ts.Pool().Exec(e.ctx, `UPDATE remora.vens SET last_seen_at = now() - interval '2 hours' WHERE id = $1`, v.ID); err != nil {
		t.Fatal(err)
	}
	ctx := outbox.WithActor(e.ctx, outbox.Actor{Type: outbox.ActorUser, ID: "u"})
	if marked, err := e.fl.SweepOffline(ctx, time.Hour); err != nil || len(marked) != 1 {
		t.Fatalf("sweep: %v, %v", marked, err)
	}
	if _, err := e.fl.Heartbeat(e.ctx, v, wire.Heartbeat{Hostname: "h"}); err != nil {
		t.Fatal(err)
	}
	evs, _, err := outbox.List(e.ctx, e.ts, e.tenant, outbox.Filter{Types: []string{"ven.offline", "ven.online"}}, page.Request{})
	if err != nil || len(evs) != 2 || evs[0].Type != "ven.offline" || evs[0].Actor != outbox.System || evs[1].Type != "ven.online" ||
		evs[0].Resource.ID != v.ID || evs[1].Resource.ID != v.ID {
		t.Fatalf("events %+v, %v", evs, err)
	}
}
