package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEndToEnd is issue 5's promise, through real binaries and hosts: a
// db host allows web hosts on tcp/5432 and nothing else; a new web host is
// allowed within seconds of pairing and forgotten when it unpairs; VENs
// keep enforcing while the PCE is down, re-apply their saved policy when
// restarted then, and catch up when it is back; a deleted table is
// restored and reported.
func TestEndToEnd(t *testing.T) {
	pceBin, venBin := build(t)
	l := newLab(t)
	p := startPCE(t, l, pceBin)
	a := p.signup("Acme")

	label := func(v string) string { return a.id("/labels", map[string]any{"key": "role", "value": v}) }
	web, db, other := label("web"), label("db"), label("other")
	token := func(role string) string {
		prof := a.id("/pairing-profiles", map[string]any{"name": role + "-hosts", "labels": []string{role},
			"enforcement_mode": "full", "unlimited": true, "lifetime": "1h"})
		var tok struct {
			Token string `json:"token"`
		}
		a.call("POST", "/pairing-profiles/"+prof+"/tokens", nil, http.StatusCreated, &tok)
		return tok.Token
	}
	webToken, dbToken, otherToken := token(web), token(db), token(other)
	webProfile := func() string {
		var profs struct {
			Items []struct{ ID, Name string } `json:"items"`
		}
		a.call("GET", "/pairing-profiles", nil, http.StatusOK, &profs)
		for _, p := range profs.Items {
			if p.Name == web+"-hosts" {
				return p.ID
			}
		}
		t.Fatal("no web-hosts profile")
		return ""
	}()

	dbH, webH, otherH := l.newHost("db"), l.newHost("web"), l.newHost("other")
	dbH.listen(5432, 22)
	dbV, webV, otherV := dbH.agent(venBin), webH.agent(venBin), otherH.agent(venBin)
	for _, x := range []struct {
		v   *agent
		tok string
	}{{dbV, dbToken}, {webV, webToken}, {otherV, otherToken}} {
		x.v.mustPair(p, x.tok)
		x.v.start()
	}

	a.call("POST", "/rulesets", map[string]any{"name": "db", "scopes": []any{}, "rules": []any{map[string]any{
		"action": "allow", "providers": []any{map[string]any{"label": db}}, "consumers": []any{map[string]any{"label": web}},
		"services": []any{map[string]any{"proto": "tcp", "port": 5432}}}}}, http.StatusCreated, nil)
	a.call("POST", "/policy/provision", map[string]any{"note": "web may reach db"}, http.StatusCreated, nil)

	t.Run("policy enforced", func(t *testing.T) {
		eventually(t, 30*time.Second, "web cannot reach db:5432", func() bool { return webH.reach(dbH.addr, 5432) })
		if otherH.reach(dbH.addr, 5432) {
			t.Error("a host without role=web reaches db:5432")
		}
		if webH.reach(dbH.addr, 22) {
			t.Error("web reaches db:22")
		}
		ruleset := dbH.nft()
		for _, want := range []string{"table inet remora", webH.addr} {
			if !strings.Contains(ruleset, want) {
				t.Errorf("db's ruleset lacks %q:\n%s", want, ruleset)
			}
		}
		if strings.Contains(ruleset, otherH.addr) {
			t.Errorf("db's ruleset names the other host:\n%s", ruleset)
		}
		for _, h := range []*host{webH, otherH} {
			if !strings.Contains(h.nft(), "table inet remora") {
				t.Errorf("%s has no remora table:\n%s", h.name, h.nft())
			}
		}
		st := dbV.status()
		if st["paired"] != true || st["running"] != true || st["enforcement_mode"] != "full" || st["generation"] == nil {
			t.Errorf("db's remora-ven status: %v", st)
		}
	})

	t.Run("a new web host pairs, then unpairs", func(t *testing.T) {
		web2H := l.newHost("web2")
		web2V := web2H.agent(venBin)
		start := time.Now()
		web2V.mustPair(p, webToken)
		web2V.start()
		eventually(t, 30*time.Second, "the new web host cannot reach db:5432", func() bool { return web2H.reach(dbH.addr, 5432) })
		t.Logf("new web host: paired to db:5432 reachable in %v", time.Since(start).Round(time.Millisecond))
		web2V.unpair()
		eventually(t, 30*time.Second, "the unpaired host's address is still in db's set", func() bool {
			return !strings.Contains(dbH.nft(), web2H.addr)
		})
	})

	t.Run("the install line pairs a host", func(t *testing.T) {
		web3H := l.newHost("web3")
		bin := filepath.Join(t.TempDir(), "bin")
		state := filepath.Join(t.TempDir(), "state")
		line := fmt.Sprintf("curl -fsSk --pinnedpubkey 'sha256//%s' %s/install.sh | sh -s -- --token %s --pce-fingerprint %s --state-dir %s --iface rmw%d-i",
			p.pin, p.url, webToken, p.fingerprint, state, l.id)
		c := web3H.cmd(context.Background(), "sh", "-c", line)
		c.Env = append(os.Environ(), "REMORA_VEN_BIN_DIR="+bin)
		if out, err := c.CombinedOutput(); err != nil || !strings.Contains(string(out), "paired") {
			t.Fatalf("install line: %v\n%s", err, out)
		}
		web3V := &agent{t: t, h: web3H, bin: filepath.Join(bin, "remora-ven"), state: state}
		web3V.start()
		eventually(t, 30*time.Second, "the installed host cannot reach db:5432", func() bool { return web3H.reach(dbH.addr, 5432) })
		web3V.unpair()

		// A wrong fingerprint stops the script before it sends the token.
		bad := strings.Replace(line, p.fingerprint, strings.Repeat("AB:", 31)+"AB", 1)
		c = web3H.cmd(context.Background(), "sh", "-c", bad)
		c.Env = append(os.Environ(), "REMORA_VEN_BIN_DIR="+bin)
		if out, err := c.CombinedOutput(); err == nil || !strings.Contains(string(out), "impostor") {
			t.Fatalf("install line with a wrong fingerprint: %v\n%s", err, out)
		}
	})

	t.Run("refused tokens say why", func(t *testing.T) {
		h := l.newHost("tok")
		v := h.agent(venBin)
		var tok struct {
			ID    string `json:"id"`
			Token string `json:"token"`
		}
		a.call("POST", "/pairing-profiles/"+webProfile+"/tokens", nil, http.StatusCreated, &tok)
		a.call("POST", "/pairing-profiles/"+webProfile+"/tokens/"+tok.ID+"/revoke", nil, http.StatusOK, nil)
		for tok, want := range map[string]string{tok.Token: "install token was revoked", "rpt_nonsense": "unknown install token"} {
			if out, ok := v.pair(p, tok); ok || !strings.Contains(out, want) {
				t.Errorf("pair with a bad token: ok=%v, output %q, want %q", ok, out, want)
			}
		}
	})

	t.Run("unpair closed keeps the host shut", func(t *testing.T) {
		otherH.listen(8080)
		otherV.unpair("--restore", "closed")
		if webH.reach(otherH.addr, 8080) {
			t.Error("after unpair --restore closed, the host is reachable")
		}
		if ruleset := otherH.nft(); !strings.Contains(ruleset, "table inet remora") {
			t.Errorf("after unpair --restore closed, no table:\n%s", ruleset)
		}
	})

	t.Run("tampering is restored and reported", func(t *testing.T) {
		dbH.run("nft", "delete", "table", "inet", "remora")
		took := eventually(t, 15*time.Second, "db's table was not restored", func() bool {
			return strings.Contains(dbH.nft(), "table inet remora")
		})
		t.Logf("deleted table restored in %v", took.Round(time.Millisecond))
		eventually(t, 15*time.Second, "db's VEN did not report the tampering", func() bool {
			var vens struct {
				Items []struct {
					Hostname string `json:"hostname"`
					Tampered int    `json:"tampered_total"`
				} `json:"items"`
			}
			a.call("GET", "/vens", nil, http.StatusOK, &vens)
			for _, v := range vens.Items {
				if v.Tampered > 0 {
					return true
				}
			}
			return false
		})
		if !webH.reach(dbH.addr, 5432) || webH.reach(dbH.addr, 22) {
			t.Error("the restored table does not enforce the policy")
		}
	})

	t.Run("PCE down: fail static, restart re-applies, back: resync", func(t *testing.T) {
		p.stop()
		if !webH.reach(dbH.addr, 5432) || otherH.reach(dbH.addr, 5432) {
			t.Fatal("with the PCE down, db no longer enforces its policy")
		}
		// The db VEN restarts while the PCE is down, on a host whose
		// table is gone: its saved policy comes back at boot.
		dbV.stop()
		dbH.run("nft", "delete", "table", "inet", "remora")
		dbV.start()
		eventually(t, 15*time.Second, "the restarted VEN did not re-apply its saved policy", func() bool {
			return strings.Contains(dbH.nft(), webH.addr)
		})
		if !webH.reach(dbH.addr, 5432) || otherH.reach(dbH.addr, 5432) || webH.reach(dbH.addr, 22) {
			t.Fatal("the re-applied policy does not enforce")
		}
		p.restart()
		a.call("POST", "/rulesets", map[string]any{"name": "ssh", "scopes": []any{}, "rules": []any{map[string]any{
			"action": "allow", "providers": []any{map[string]any{"label": db}}, "consumers": []any{map[string]any{"label": web}},
			"services": []any{map[string]any{"proto": "tcp", "port": 22}}}}}, http.StatusCreated, nil)
		a.call("POST", "/policy/provision", map[string]any{"note": "and ssh"}, http.StatusCreated, nil)
		eventually(t, 60*time.Second, "after the PCE came back, db did not get the newer policy", func() bool {
			return webH.reach(dbH.addr, 22)
		})
		if otherH.reach(dbH.addr, 22) {
			t.Error("the newer policy lets the other host reach db:22")
		}
	})
}
