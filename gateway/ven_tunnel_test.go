package gateway_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/remora-sec/remora/compute/docstore"
	"github.com/remora-sec/remora/compute/fleet"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/compute/worker"
	"github.com/remora-sec/remora/gateway"
	"github.com/remora-sec/remora/gateway/hub"
	"github.com/remora-sec/remora/gateway/venapi"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/tenants"
	"github.com/remora-sec/remora/ven/wire"
	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// tunnelEnv is a gateway that pairs VENs, with the VEN API served on its
// hub's tunnel address as `remora serve` does. VENs are stand-ins on
// netstacks of their own: real WireGuard, no root needed.
type tunnelEnv struct {
	*env
	hub   *hub.Hub
	fleet *fleet.Store
	api   *venapi.Server
	ep    netip.AddrPort
	base  string // the VEN API as a VEN reaches it
	docs  *docstore.Store
}

func newTunnelEnv(t *testing.T) *tunnelEnv {
	t.Helper()
	z := &tunnelEnv{}
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	z.env = newEnvWith(t, func(store *tenants.Store, rdb *redis.Client, prefix string) *gateway.VEN {
		fl, err := fleet.New(store, netip.MustParsePrefix("100.64.0.0/10"))
		if err != nil {
			t.Fatal(err)
		}
		key, err := fl.HubKey(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		h, err := hub.New(hub.Config{PrivateKey: key, ListenAddr: netip.MustParseAddrPort("127.0.0.1:0"), Address: fl.HubAddress(),
			Prefix: fl.Prefix(), Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		z.hub, z.fleet = h, fl
		z.ep, _ = h.ListenAddr()
		peers := &venapi.Peers{Hub: h, Fleet: fl, Redis: rdb, Channel: prefix + "hub:peers", Log: quiet}
		z.docs = docstore.New(store)
		z.api = &venapi.Server{Fleet: fl, Docs: z.docs, Queue: queue.New(rdb, prefix), Waiters: venapi.NewWaiters(),
			Peers: peers, Log: quiet, PollTimeout: time.Second, HeartbeatSeconds: 30}
		ln, err := h.Listen(80)
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: z.api.Handler(), ConnContext: hub.ConnContext}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		z.base = "http://" + fl.HubAddress().String() + ":80"
		return &gateway.VEN{Fleet: fl, Peers: peers, HubKey: key.PublicKey(), ListenPort: int(z.ep.Port()), APIPort: 80, HeartbeatSeconds: 30}
	})
	return z
}

// tunnelVEN is a VEN stand-in: a wireguard-go device on its own netstack
// with the hub as its only peer.
type tunnelVEN struct {
	pair pairOut
	hc   *http.Client
}

// paired pairs a new host of o with a fresh key and brings its tunnel up.
func (z *tunnelEnv) paired(t *testing.T, o *org) *tunnelVEN {
	t.Helper()
	tok := z.mintToken(o.owner, z.pairingProfile(o.owner, obj{"name": "p-" + ids.New()[:8], "unlimited": true, "lifetime": "1h",
		"enforcement_mode": "full"})).Token
	priv, _ := wgtypes.GeneratePrivateKey()
	b := pairBody(t, tok)
	b["wg_public_key"] = priv.PublicKey().String()
	p := decode[pairOut](t, z.must(http.StatusCreated, "POST", api("ven", "pair"), "", b))
	return z.up(t, priv, p)
}

func (z *tunnelEnv) up(t *testing.T, key wgtypes.Key, p pairOut) *tunnelVEN {
	t.Helper()
	addr := netip.MustParsePrefix(p.TunnelAddress).Addr()
	tdev, tnet, err := netstack.CreateNetTUN([]netip.Addr{addr}, nil, 1420)
	if err != nil {
		t.Fatal(err)
	}
	dev := device.NewDevice(tdev, conn.NewStdNetBind(), device.NewLogger(device.LogLevelSilent, ""))
	t.Cleanup(dev.Close)
	hk, _ := wgtypes.ParseKey(p.HubPublicKey)
	cfg := fmt.Sprintf("private_key=%s\npublic_key=%s\nendpoint=%s\nallowed_ip=%s/32\n",
		hex.EncodeToString(key[:]), hex.EncodeToString(hk[:]), z.ep, p.HubAddress)
	if err := dev.IpcSet(cfg); err != nil {
		t.Fatal(err)
	}
	if err := dev.Up(); err != nil {
		t.Fatal(err)
	}
	return &tunnelVEN{pair: p, hc: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext:       func(ctx context.Context, n, a string) (net.Conn, error) { return tnet.DialContext(ctx, n, a) },
		DisableKeepAlives: true,
	}}}
}

// do sends one request through the tunnel; status 0 means no answer.
func (v *tunnelVEN) do(t *testing.T, base, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := v.hc.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (z *tunnelEnv) compute(t *testing.T, o *org) {
	t.Helper()
	if _, err := worker.Recompute(context.Background(), policystore.New(z.store), z.docs, ids.TenantID(o.tenant)); err != nil {
		t.Fatal(err)
	}
}

// TestVENAPIIdentity: each VEN is known by its tunnel address and gets its
// own workload's document, whatever tenant; a request not through the hub
// is refused; the long-poll answers a VEN whose generation differs (ahead
// too: a restored PCE) and waits for one that holds the current one.
func TestVENAPIIdentity(t *testing.T) {
	z := newTunnelEnv(t)
	a, b := z.signup("A"), z.signup("B")
	va, vb := z.paired(t, a), z.paired(t, b)
	z.compute(t, a)
	z.compute(t, b)
	for _, v := range []*tunnelVEN{va, vb} {
		st, body := v.do(t, z.base, "POST", wire.HeartbeatPath, `{"hostname":"h","interfaces":[{"name":"eth0","addresses":["10.9.0.7"]}]}`)
		var reply wire.HeartbeatReply
		if st != 200 || json.Unmarshal([]byte(body), &reply) != nil || reply.Workload != v.pair.Workload || reply.Generation == 0 {
			t.Fatalf("heartbeat: %d %s; want its own workload %s and a generation", st, body, v.pair.Workload)
		}
		st, body = v.do(t, z.base, "GET", wire.PolicyPath+"?have=0", "")
		var d wire.Document
		if st != 200 || json.Unmarshal([]byte(body), &d) != nil || d.Workload != v.pair.Workload {
			t.Fatalf("policy: %d %s; want its own document", st, body)
		}
		start := time.Now()
		if st, _ := v.do(t, z.base, "GET", fmt.Sprintf("%s?have=%d", wire.PolicyPath, d.Generation), ""); st != http.StatusNotModified || time.Since(start) < 900*time.Millisecond {
			t.Errorf("poll at the current generation: %d after %v; want 304 after the poll timeout", st, time.Since(start))
		}
		if st, _ := v.do(t, z.base, "GET", fmt.Sprintf("%s?have=%d", wire.PolicyPath, d.Generation+1000), ""); st != 200 {
			t.Errorf("poll with a generation ahead of the PCE's: %d, want the PCE's document", st)
		}
	}
	// The same handler, reached other than through the hub: refused.
	srv := httptest.NewServer(z.api.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + wire.PolicyPath)
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("VEN API outside the tunnel: %v, %v; want 403", resp, err)
	}
	resp.Body.Close()
}

// TestVENAPIBadInput: every bad heartbeat or poll is refused with the
// field named, and changes nothing.
func TestVENAPIBadInput(t *testing.T) {
	z := newTunnelEnv(t)
	a := z.signup("A")
	v := z.paired(t, a)
	for _, c := range []struct{ method, path, body, field string }{
		{"GET", wire.PolicyPath + "?have=-1", "", "have"},
		{"GET", wire.PolicyPath + "?have=abc", "", "have"},
		{"POST", wire.HeartbeatPath, `{"hostname":"a","enforced_hash":"` + strings.Repeat("x", 65) + `"}`, "enforced_hash"},
		{"POST", wire.HeartbeatPath, `{"hostname":"a","enforced_generation":18446744073709551615}`, "enforced_generation"},
		{"POST", wire.HeartbeatPath, `{"hostname":"a","counters":{"rules":-5}}`, "counters"},
		{"POST", wire.HeartbeatPath, `{"hostname":"a","tampered":-1}`, "tampered"},
		{"POST", wire.HeartbeatPath, `{"hostname":""}`, "hostname"},
		{"POST", wire.HeartbeatPath, `{"hostname":"a","interfaces":[{"name":"eth0","addresses":["nope"]}]}`, "interfaces[0].addresses[0]"},
		{"POST", wire.HeartbeatPath, `{"hostname":"a","extra":1}`, ""},
		{"POST", wire.HeartbeatPath, `{`, ""},
	} {
		st, body := v.do(t, z.base, c.method, c.path, c.body)
		if st < 400 || st >= 500 || !strings.Contains(body, c.field) {
			t.Errorf("%s %s %.60s: %d %s; want a 4xx naming %q", c.method, c.path, c.body, st, body, c.field)
		}
	}
	got := decode[struct {
		Generation int64   `json:"enforced_generation"`
		Hash       string  `json:"enforced_hash"`
		Tampered   int64   `json:"tampered_total"`
		LastSeen   *string `json:"last_seen_at"`
	}](t, z.must(http.StatusOK, "GET", api("vens", v.pair.VEN), a.owner, nil))
	if got.Generation != 0 || got.Hash != "" || got.Tampered != 0 || got.LastSeen != nil {
		t.Errorf("refused heartbeats changed the VEN: %+v", got)
	}
}

// TestVENHeartbeatInterfaces: interfaces null (the agent could not list
// them) keep the workload's addresses; a list replaces them.
func TestVENHeartbeatInterfaces(t *testing.T) {
	z := newTunnelEnv(t)
	a := z.signup("A")
	v := z.paired(t, a)
	addrs := func() string {
		return string(z.must(http.StatusOK, "GET", api("workloads", v.pair.Workload), a.owner, nil).body)
	}
	if st, body := v.do(t, z.base, "POST", wire.HeartbeatPath, `{"hostname":"h","interfaces":null}`); st != 200 {
		t.Fatalf("heartbeat: %d %s", st, body)
	}
	if !strings.Contains(addrs(), "10.9.0.7") {
		t.Errorf("interfaces null dropped the addresses: %s", addrs())
	}
	if st, body := v.do(t, z.base, "POST", wire.HeartbeatPath, `{"hostname":"h","interfaces":[{"name":"eth1","addresses":["10.9.9.9"]}]}`); st != 200 {
		t.Fatalf("heartbeat: %d %s", st, body)
	}
	if w := addrs(); strings.Contains(w, "10.9.0.7") || !strings.Contains(w, "10.9.9.9") {
		t.Errorf("a new list did not replace the addresses: %s", w)
	}
}

// TestVENKeys: a key is one VEN platform-wide, however it is spelled; the
// hub's own key and the zero key are refused.
func TestVENKeys(t *testing.T) {
	z := newTunnelEnv(t)
	a, b := z.signup("A"), z.signup("B")
	va := z.paired(t, a)
	tokB := z.mintToken(b.owner, z.pairingProfile(b.owner, obj{"name": "p", "unlimited": true, "lifetime": "1h"})).Token
	venA := decode[struct {
		Key string `json:"wg_public_key"`
	}](t, z.must(http.StatusOK, "GET", api("vens", va.pair.VEN), a.owner, nil))
	// The same 32 bytes with the unused low bits of the last base64 digit set.
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	alt := venA.Key[:42] + string(alpha[strings.IndexByte(alpha, venA.Key[42])|1]) + "="
	if k, err := wgtypes.ParseKey(alt); err != nil || k.String() != venA.Key || alt == venA.Key {
		t.Fatalf("could not respell the key: %q, %v", alt, err)
	}
	for name, key := range map[string]string{"respelled": alt, "hub's": z.hub.PublicKey().String(), "zero": wgtypes.Key{}.String()} {
		body := pairBody(t, tokB)
		body["wg_public_key"] = key
		if r := z.call("POST", api("ven", "pair"), "", body); r.status != http.StatusConflict && r.status != http.StatusUnprocessableEntity ||
			!strings.Contains(strings.Join(fieldsOf(t, r), ","), "wg_public_key") {
			t.Errorf("pairing with the %s key: %d %s", name, r.status, r.body)
		}
	}
	if st, body := va.do(t, z.base, "POST", wire.HeartbeatPath, `{"hostname":"a","interfaces":null}`); st != 200 {
		t.Errorf("tenant A's VEN after the attempts: %d %s", st, body)
	}
	if err := z.api.Peers.Sync(context.Background()); err != nil {
		t.Errorf("sync after the attempts: %v", err)
	}
}

// TestVENUnpairByAdmin: a managed workload cannot be deleted behind its
// VEN's back; an admin unpairs the VEN instead, and the host is cut off.
// Another tenant's VEN is 404, and only admins unpair.
func TestVENUnpairByAdmin(t *testing.T) {
	z := newTunnelEnv(t)
	a, b := z.signup("A"), z.signup("B")
	z.populate(a)
	v := z.paired(t, a)
	r := z.must(http.StatusConflict, "DELETE", api("workloads", v.pair.Workload), a.owner, nil)
	if !strings.Contains(string(r.body), "unpair") {
		t.Errorf("deleting a managed workload: %s", r.body)
	}
	r = z.must(http.StatusUnprocessableEntity, "POST", api("workloads", "bulk-delete"), a.owner, obj{"ids": arr{v.pair.Workload}})
	if !strings.Contains(string(r.body), "unpair") {
		t.Errorf("bulk-deleting a managed workload: %s", r.body)
	}
	z.must(http.StatusNotFound, "DELETE", api("vens", v.pair.VEN), b.owner, nil)
	z.must(http.StatusForbidden, "DELETE", api("vens", v.pair.VEN), a.tokens[tenants.Editor], nil)
	z.must(http.StatusNoContent, "DELETE", api("vens", v.pair.VEN), a.owner, nil)
	z.must(http.StatusNotFound, "GET", api("vens", v.pair.VEN), a.owner, nil)
	z.must(http.StatusNotFound, "GET", api("workloads", v.pair.Workload), a.owner, nil)
	if peers, err := z.hub.Peers(); err != nil || len(peers) != 0 {
		t.Errorf("hub peers after the unpairing: %v, %v", peers, err)
	}
	if st, _ := v.do(t, z.base, "POST", wire.HeartbeatPath, `{"hostname":"h"}`); st == 200 {
		t.Error("the unpaired host still reaches the VEN API")
	}
}
