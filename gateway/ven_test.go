package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/remora-sec/remora/compute/fleet"
	"github.com/remora-sec/remora/gateway"
	"github.com/remora-sec/remora/gateway/hub"
	"github.com/remora-sec/remora/gateway/venapi"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/tenants"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// venEnv is an env whose gateway pairs VENs: a real hub (userspace, on
// loopback) and the fleet registry.
type venEnv struct {
	*env
	hub *hub.Hub
}

func newVENEnv(t *testing.T) *venEnv {
	t.Helper()
	v := &venEnv{}
	v.env = newEnvWith(t, func(store *tenants.Store, rdb *redis.Client, prefix string) *gateway.VEN {
		fl, err := fleet.New(store, netip.MustParsePrefix("100.64.0.0/10"))
		if err != nil {
			t.Fatal(err)
		}
		key, err := fl.HubKey(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		h, err := hub.New(hub.Config{PrivateKey: key, ListenAddr: netip.MustParseAddrPort("127.0.0.1:0"), Address: fl.HubAddress(),
			Prefix: fl.Prefix(), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		v.hub = h
		peers := &venapi.Peers{Hub: h, Fleet: fl, Redis: rdb, Channel: prefix + "hub:peers", Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
		return &gateway.VEN{Fleet: fl, Peers: peers, HubKey: key.PublicKey(), ListenPort: 51820, APIPort: 80, HeartbeatSeconds: 30}
	})
	return v
}

func newKey(t *testing.T) string {
	t.Helper()
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey().String()
}

func pairBody(t *testing.T, token string) obj {
	return obj{"token": token, "wg_public_key": newKey(t), "hostname": "host-" + strings.ToLower(ids.New()[:8]), "os": "linux",
		"interfaces": arr{obj{"name": "eth0", "addresses": arr{"10.9.0.7", "fd00::7"}}}}
}

type pairOut struct {
	VEN           string `json:"ven_id"`
	Workload      string `json:"workload_id"`
	TunnelAddress string `json:"tunnel_address"`
	HubPublicKey  string `json:"hub_public_key"`
	HubEndpoint   string `json:"hub_endpoint"`
	HubAddress    string `json:"hub_tunnel_address"`
	APIPort       int    `json:"api_port"`
}

// TestVENPair: a token pairs a host: its managed workload carries the
// profile's labels and mode, its VEN is listed and on the hub, and a
// recompute is asked for.
func TestVENPair(t *testing.T) {
	e := newVENEnv(t)
	o := e.signup("Acme")
	web := e.label(o.owner, "role", "web")
	prof := e.pairingProfile(o.owner, obj{"name": "web", "labels": arr{web}, "enforcement_mode": "selective", "unlimited": true, "lifetime": "1h"})
	tok := e.mintToken(o.owner, prof).Token

	body := pairBody(t, tok)
	p := decode[pairOut](t, e.must(http.StatusCreated, "POST", api("ven", "pair"), "", body))
	if p.TunnelAddress != "100.64.0.2/32" || p.HubAddress != "100.64.0.1" || p.APIPort != 80 || p.HubPublicKey == "" ||
		!strings.HasSuffix(p.HubEndpoint, ":51820") {
		t.Errorf("pair answer %+v", p)
	}
	w := decode[struct {
		Managed bool     `json:"managed"`
		Mode    string   `json:"enforcement_mode"`
		Labels  []string `json:"labels"`
		Name    string   `json:"name"`
	}](t, e.must(http.StatusOK, "GET", api("workloads", p.Workload), o.owner, nil))
	if !w.Managed || w.Mode != "selective" || len(w.Labels) != 1 || w.Labels[0] != web || w.Name != body["hostname"] {
		t.Errorf("paired workload %+v", w)
	}
	vens := decode[page[struct {
		ID, Hostname string
		Key          string `json:"wg_public_key"`
	}]](t, e.must(http.StatusOK, "GET", api("vens"), o.tokens[tenants.Owner], nil))
	if len(vens.Items) != 1 || vens.Items[0].ID != p.VEN || vens.Items[0].Key != body["wg_public_key"] {
		t.Errorf("VENs listed: %+v", vens.Items)
	}
	e.must(http.StatusOK, "GET", api("vens", p.VEN), o.owner, nil)
	peers, err := e.hub.Peers()
	if err != nil || len(peers) != 1 || peers[0].PublicKey.String() != body["wg_public_key"] || peers[0].Address.String() != "100.64.0.2" {
		t.Errorf("hub peers %+v, %v", peers, err)
	}
	jobs, err := e.queue.Read(context.Background(), "t", 10, 0, 0)
	if err != nil || len(jobs) == 0 || string(jobs[len(jobs)-1].Tenant) != o.tenant {
		t.Errorf("no recompute asked for after pairing: %v, %v", jobs, err)
	}
	// A second host gets the next address.
	p2 := decode[pairOut](t, e.must(http.StatusCreated, "POST", api("ven", "pair"), "", pairBody(t, tok)))
	if p2.TunnelAddress != "100.64.0.3/32" {
		t.Errorf("second VEN at %s, want 100.64.0.3/32", p2.TunnelAddress)
	}
}

// TestVENPairRefused: every way a pairing fails says why, names the field,
// and spends nothing: no use of the token, no workload, no VEN.
func TestVENPairRefused(t *testing.T) {
	e := newVENEnv(t)
	o := e.signup("Acme")
	single := e.pairingProfile(o.owner, obj{"name": "single", "enforcement_mode": "full", "max_uses": 1, "lifetime": "1h"})
	many := e.pairingProfile(o.owner, obj{"name": "many", "enforcement_mode": "full", "unlimited": true, "lifetime": "1h"})

	used := e.mintToken(o.owner, single).Token
	e.must(http.StatusCreated, "POST", api("ven", "pair"), "", pairBody(t, used))
	revoked := e.mintToken(o.owner, many)
	e.must(http.StatusOK, "POST", profilePath(many, "tokens", revoked.ID, "revoke"), o.owner, nil)
	expired := e.mintToken(o.owner, many)
	err := e.store.InTenant(context.Background(), ids.TenantID(o.tenant), func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `UPDATE pairing_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1`, expired.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	goodTok := e.mintToken(o.owner, many)
	good := goodTok.Token
	taken := pairBody(t, good)
	e.must(http.StatusCreated, "POST", api("ven", "pair"), "", taken)

	with := func(k string, v any) obj {
		b := pairBody(t, good)
		b[k] = v
		return b
	}
	for _, c := range []struct {
		name   string
		body   any
		status int
		field  string
		msg    string
	}{
		{"unknown token", pairBody(t, "rpt_"+strings.Repeat("A", 86)), 401, "token", "unknown install token"},
		{"garbage token", pairBody(t, "hello"), 401, "token", "unknown install token"},
		{"token with a wrong secret", pairBody(t, good[:len(good)-4]+map[bool]string{true: "BBBB", false: "AAAA"}[strings.HasSuffix(good, "AAAA")]), 401, "token", "unknown install token"},
		{"revoked", pairBody(t, revoked.Token), 403, "", "revoked"},
		{"expired", pairBody(t, expired.Token), 403, "", "expired"},
		{"exhausted", pairBody(t, used), 403, "", "used 1 of 1 times"},
		{"key already paired", with("wg_public_key", taken["wg_public_key"]), 409, "wg_public_key", "already paired"},
		{"no token", with("token", ""), 422, "token", "required"},
		{"bad key", with("wg_public_key", "not-a-key"), 422, "wg_public_key", "WireGuard public key"},
		{"no hostname", with("hostname", " "), 422, "hostname", "required"},
		{"bad address", with("interfaces", arr{obj{"name": "eth0", "addresses": arr{"10.0.0.300"}}}), 422, "interfaces[0].addresses[0]", "not an IP address"},
		{"wrong type", with("hostname", 7), 400, "hostname", ""},
		{"unknown field", with("admin", true), 400, "", ""},
		{"not JSON", raw("{"), 400, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := e.on(t)
			r := e.call("POST", api("ven", "pair"), "", c.body)
			if r.status != c.status || !strings.Contains(string(r.body), c.msg) {
				t.Fatalf("status %d, want %d with %q: %s", r.status, c.status, c.msg, r.body)
			}
			if c.field != "" && !strings.Contains(strings.Join(fieldsOf(t, r), ","), c.field) {
				t.Errorf("fields %v, want %s: %s", fieldsOf(t, r), c.field, r.body)
			}
		})
	}
	// Nothing was spent by the refusals: two hosts paired, the good token
	// used once, the foreign token untouched.
	vens := decode[page[idOnly]](t, e.must(http.StatusOK, "GET", api("vens"), o.owner, nil))
	if len(vens.Items) != 2 {
		t.Errorf("%d VENs after the refusals, want 2", len(vens.Items))
	}
	toks, _ := e.pairingTokens(o.owner, many)
	for _, tk := range toks {
		if tk.ID == goodTok.ID && tk.Uses != 1 {
			t.Errorf("the good token used %d times, want 1", tk.Uses)
		}
	}
}

// TestVENPairRace: twenty hosts pair at once with a single-use token;
// exactly one succeeds.
func TestVENPairRace(t *testing.T) {
	e := newVENEnv(t)
	o := e.signup("Acme")
	tok := e.mintToken(o.owner, e.pairingProfile(o.owner, obj{"name": "once", "max_uses": 1, "lifetime": "1h"})).Token
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts = map[int]int{}
	)
	for range 20 {
		wg.Go(func() {
			r := e.call("POST", api("ven", "pair"), "", pairBody(t, tok))
			mu.Lock()
			counts[r.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if counts[http.StatusCreated] != 1 || counts[http.StatusForbidden] != 19 {
		t.Fatalf("statuses %v, want one 201 and nineteen 403", counts)
	}
}

// TestVENIsolation: another tenant's VEN is 404, and lists show only the
// caller's.
func TestVENIsolation(t *testing.T) {
	e := newVENEnv(t)
	a, b := e.signup("A"), e.signup("B")
	tok := e.mintToken(a.owner, e.pairingProfile(a.owner, obj{"name": "p", "unlimited": true, "lifetime": "1h"})).Token
	p := decode[pairOut](t, e.must(http.StatusCreated, "POST", api("ven", "pair"), "", pairBody(t, tok)))
	e.must(http.StatusNotFound, "GET", api("vens", p.VEN), b.owner, nil)
	e.must(http.StatusNotFound, "GET", api("vens", "not-an-id"), a.owner, nil)
	if got := decode[page[idOnly]](t, e.must(http.StatusOK, "GET", api("vens"), b.owner, nil)).Items; len(got) != 0 {
		t.Errorf("tenant B lists %v", got)
	}
	e.must(http.StatusUnauthorized, "GET", api("vens"), "", nil)
}
