package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cursorpkg "github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/ven/wire"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// eventOut is an event as the API answers it.
type eventOut struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Actor struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"actor"`
	Resource struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"resource"`
	Data      map[string]any `json:"data"`
	CreatedAt time.Time      `json:"created_at"`
}

// events lists every event of tok's tenant that query (URL parameters,
// without limit and cursor) selects, following the pages of size limit.
func (e *env) events(tok, query string, limit int) []eventOut {
	e.t.Helper()
	var out []eventOut
	cursor := ""
	for {
		q, err := url.ParseQuery(query)
		if err != nil {
			e.t.Fatal(err)
		}
		q.Set("limit", strconv.Itoa(limit))
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		p := decode[struct {
			Items      []eventOut `json:"items"`
			NextCursor string     `json:"next_cursor"`
		}](e.t, e.must(http.StatusOK, "GET", api("events")+"?"+q.Encode(), tok, nil))
		if len(p.Items) > limit {
			e.t.Fatalf("a page of %d events, limit %d", len(p.Items), limit)
		}
		out = append(out, p.Items...)
		if p.NextCursor == "" {
			return out
		}
		cursor = p.NextCursor
	}
}

// eventLog reads a tenant's log as it grows: fresh returns the events
// written since its last call.
type eventLog struct {
	e    *env
	tok  string
	last *eventOut
}

func (l *eventLog) fresh() []eventOut {
	l.e.t.Helper()
	query := ""
	if l.last != nil {
		query = "cursor=" + cursorpkg.Key{Time: l.last.CreatedAt, ID: l.last.ID}.Encode()
	}
	p := decode[struct {
		Items      []eventOut `json:"items"`
		NextCursor string     `json:"next_cursor"`
	}](l.e.t, l.e.must(http.StatusOK, "GET", api("events")+"?limit=200&"+query, l.tok, nil))
	if p.NextCursor != "" {
		l.e.t.Fatal("more than a page of fresh events")
	}
	if len(p.Items) > 0 {
		l.last = &p.Items[len(p.Items)-1]
	}
	return p.Items
}

// TestEventsEmitted: every event type is emitted by the action that names
// it, with the actor who did it and the resource it changed, in the
// change's transaction; an action emits nothing else. Secrets (passwords,
// tokens, keys) appear in no event.
func TestEventsEmitted(t *testing.T) {
	z := newTunnelEnv(t)
	ctx := context.Background()
	var (
		o                            *org
		log                          *eventLog
		userID, email, refresh, key  string
		keySecret                    string
		dimension, labelID           string
		objIDs                       = map[string]string{}
		workloadID                   string
		bulk                         []string
		profile, token, tokenSecret  string
		ven1, ven2                   *tunnelVEN
		profileForVENs, tokenForVENs string
	)
	const password = "another correct horse battery"
	user := func(id string) [2]string { return [2]string{"user", id} }
	owner := func() [2]string { return user(o.ownerID) }
	type want struct {
		actor     [2]string // type, id ("" for none)
		resources []string  // the ids of the events of the row's type, in order
		resType   string
	}
	one := func(actor [2]string, resType, id string) want { return want{actor, []string{id}, resType} }
	rows := []struct {
		typ string
		all []string // every event type the action emits, in order; nil: typ alone
		do  func() want
	}{
		{"tenant.created", []string{"tenant.created", "user.created"}, func() want {
			o = z.signup("Acme")
			log = &eventLog{e: z.env, tok: o.owner}
			return one(owner(), "tenant", o.tenant)
		}},
		{"user.created", nil, func() want {
			email = uniqueEmail("ada")
			userID = decode[idOnly](t, z.must(http.StatusCreated, "POST", api("users"), o.owner,
				obj{"email": email, "password": password, "role": "viewer"})).ID
			return one(owner(), "user", userID)
		}},
		{"auth.login", nil, func() want {
			refresh = decode[struct {
				RefreshToken string `json:"refresh_token"`
			}](t, z.must(http.StatusOK, "POST", api("auth", "login"), "", obj{"email": strings.ToUpper(email), "password": password})).RefreshToken
			return one(user(userID), "user", userID)
		}},
		{"auth.login_failed", nil, func() want {
			z.must(http.StatusUnauthorized, "POST", api("auth", "login"), "", obj{"email": email, "password": "not " + password})
			return one([2]string{"anonymous", ""}, "user", userID)
		}},
		{"auth.logout", nil, func() want {
			z.must(http.StatusNoContent, "POST", api("auth", "logout"), "", obj{"refresh_token": refresh})
			return one(user(userID), "user", userID)
		}},
		{"user.updated", nil, func() want {
			z.must(http.StatusOK, "PATCH", api("users", userID), o.owner, obj{"role": "editor"})
			return one(owner(), "user", userID)
		}},
		{"user.deleted", nil, func() want {
			z.must(http.StatusNoContent, "DELETE", api("users", userID), o.owner, nil)
			return one(owner(), "user", userID)
		}},
		{"api_key.created", nil, func() want {
			k := decode[struct{ ID, Secret string }](t, z.must(http.StatusCreated, "POST", api("api-keys"), o.owner, obj{"name": "ci", "role": "admin"}))
			key, keySecret = k.ID, k.Secret
			return one(owner(), "api_key", key)
		}},
		// From here on some changes are made with the key: its events name it.
		{"label_dimension.created", nil, func() want {
			dimension = "team"
			z.must(http.StatusCreated, "POST", api("label-dimensions"), keySecret, obj{"key": dimension})
			return one([2]string{"api_key", key}, "label_dimension", dimension)
		}},
		{"label.created", nil, func() want {
			labelID = z.label(keySecret, dimension, "blue")
			return one([2]string{"api_key", key}, "label", labelID)
		}},
		{"label.updated", nil, func() want {
			z.must(http.StatusOK, "PUT", api("labels", labelID), o.owner, obj{"key": dimension, "value": "green"})
			return one(owner(), "label", labelID)
		}},
		{"label.deleted", nil, func() want {
			z.must(http.StatusNoContent, "DELETE", api("labels", labelID), o.owner, nil)
			return one(owner(), "label", labelID)
		}},
		{"label_dimension.deleted", nil, func() want {
			z.must(http.StatusNoContent, "DELETE", api("label-dimensions", dimension), o.owner, nil)
			return one(owner(), "label_dimension", dimension)
		}},
		{"service.created", nil, func() want {
			objIDs["services"] = z.create(o.owner, "services", serviceBody("pg", tcp(5432)))
			return one(owner(), "service", objIDs["services"])
		}},
		{"ip_list.created", nil, func() want {
			objIDs["ip-lists"] = z.create(o.owner, "ip-lists", ipListBody("office", "192.0.2.0/24"))
			return one(owner(), "ip_list", objIDs["ip-lists"])
		}},
		{"label_group.created", nil, func() want {
			objIDs["label-groups"] = z.create(o.owner, "label-groups", groupBody("tiers", "role"))
			return one(owner(), "label_group", objIDs["label-groups"])
		}},
		{"ruleset.created", nil, func() want {
			objIDs["rulesets"] = z.create(o.owner, "rulesets", rulesetBody("shop", arr{}))
			return one(owner(), "ruleset", objIDs["rulesets"])
		}},
		{"policy.provisioned", nil, func() want {
			v := z.provision(keySecret, "first")
			return one([2]string{"api_key", key}, "policy_version", strconv.Itoa(v.Version))
		}},
		{"service.updated", nil, func() want {
			z.must(http.StatusOK, "PUT", api("services", objIDs["services"]), o.owner, serviceBody("postgres", tcp(5432)))
			return one(owner(), "service", objIDs["services"])
		}},
		{"ip_list.updated", nil, func() want {
			z.must(http.StatusOK, "PUT", api("ip-lists", objIDs["ip-lists"]), o.owner, ipListBody("office", "192.0.2.0/25"))
			return one(owner(), "ip_list", objIDs["ip-lists"])
		}},
		{"label_group.updated", nil, func() want {
			z.must(http.StatusOK, "PUT", api("label-groups", objIDs["label-groups"]), o.owner, groupBody("all tiers", "role"))
			return one(owner(), "label_group", objIDs["label-groups"])
		}},
		{"ruleset.updated", nil, func() want {
			z.must(http.StatusOK, "PUT", api("rulesets", objIDs["rulesets"]), o.owner, rulesetBody("shop v2", arr{}))
			return one(owner(), "ruleset", objIDs["rulesets"])
		}},
		{"policy.reverted", nil, func() want {
			z.must(http.StatusOK, "POST", api("policy", "revert"), o.owner, nil)
			return one(owner(), "policy_draft", "draft")
		}},
		{"service.deleted", nil, func() want {
			z.must(http.StatusNoContent, "DELETE", api("services", objIDs["services"]), o.owner, nil)
			return one(owner(), "service", objIDs["services"])
		}},
		{"ip_list.deleted", nil, func() want {
			z.must(http.StatusNoContent, "DELETE", api("ip-lists", objIDs["ip-lists"]), o.owner, nil)
			return one(owner(), "ip_list", objIDs["ip-lists"])
		}},
		{"label_group.deleted", nil, func() want {
			z.must(http.StatusNoContent, "DELETE", api("label-groups", objIDs["label-groups"]), o.owner, nil)
			return one(owner(), "label_group", objIDs["label-groups"])
		}},
		{"ruleset.deleted", nil, func() want {
			z.must(http.StatusNoContent, "DELETE", api("rulesets", objIDs["rulesets"]), o.owner, nil)
			return one(owner(), "ruleset", objIDs["rulesets"])
		}},
		{"policy.rolled_back", []string{"policy.provisioned", "policy.rolled_back"}, func() want {
			z.provision(o.owner, "empty again") // version 2, so that 1 is a rollback's
			v := decode[versionOut](t, z.must(http.StatusCreated, "POST", api("policy", "rollback"), o.owner, obj{"version": 1}))
			return one(owner(), "policy_version", strconv.Itoa(v.Version))
		}},
		{"policy.imported", []string{"label.created", "policy.imported"}, func() want {
			doc := decode[document](t, z.must(http.StatusOK, "GET", api("policy", "export"), o.owner, nil))
			doc.Labels = append(doc.Labels, obj{"id": newID(), "key": "env", "value": "imported"})
			z.must(http.StatusOK, "POST", api("policy", "import"), o.owner, doc)
			z.must(http.StatusOK, "POST", api("policy", "import")+"?dry_run=true", o.owner, doc) // changes nothing, says nothing
			return one(owner(), "policy_draft", "draft")
		}},
		{"workload.created", nil, func() want {
			workloadID = z.workload(o.owner, "web-1", "full", "10.0.0.1")
			return one(owner(), "workload", workloadID)
		}},
		{"workload.updated", nil, func() want {
			z.must(http.StatusOK, "PUT", api("workloads", workloadID), o.owner, workloadBody("web-1", "selective", "10.0.0.2"))
			return one(owner(), "workload", workloadID)
		}},
		{"workload.deleted", nil, func() want {
			z.must(http.StatusNoContent, "DELETE", api("workloads", workloadID), o.owner, nil)
			return one(owner(), "workload", workloadID)
		}},
		{"workload.created", []string{"workload.created", "workload.created", "workload.created"}, func() want {
			r := decode[struct{ Items []idOnly }](t, z.must(http.StatusCreated, "POST", api("workloads", "bulk-create"), o.owner,
				obj{"items": arr{workloadBody("b-1", "", ""), workloadBody("b-2", "", ""), workloadBody("b-3", "", "")}}))
			bulk = nil
			for _, it := range r.Items {
				bulk = append(bulk, it.ID)
			}
			return want{owner(), bulk, "workload"}
		}},
		{"workload.updated", []string{"workload.updated", "workload.updated", "workload.updated"}, func() want {
			items := arr{}
			for i, id := range bulk {
				b := workloadBody("b-"+strconv.Itoa(i)+"x", "idle", "")
				b["id"] = id
				items = append(items, b)
			}
			z.must(http.StatusOK, "POST", api("workloads", "bulk-update"), o.owner, obj{"items": items})
			return want{owner(), bulk, "workload"}
		}},
		{"workload.deleted", []string{"workload.deleted", "workload.deleted"}, func() want {
			z.must(http.StatusOK, "POST", api("workloads", "bulk-delete"), o.owner, obj{"ids": strs(bulk[:2])})
			return want{owner(), bulk[:2], "workload"}
		}},
		{"pairing_profile.created", nil, func() want {
			profile = z.pairingProfile(o.owner, obj{"name": "web", "unlimited": true, "lifetime": "1h"})
			return one(owner(), "pairing_profile", profile)
		}},
		{"pairing_profile.updated", nil, func() want {
			z.must(http.StatusOK, "PUT", profilePath(profile), o.owner, obj{"name": "web", "max_uses": 3, "lifetime": "2h"})
			return one(owner(), "pairing_profile", profile)
		}},
		{"pairing_token.created", nil, func() want {
			tk := z.mintToken(o.owner, profile)
			token, tokenSecret = tk.ID, tk.Token
			return one(owner(), "pairing_token", token)
		}},
		{"pairing_token.revoked", nil, func() want {
			z.must(http.StatusOK, "POST", profilePath(profile, "tokens", token, "revoke"), o.owner, nil)
			z.must(http.StatusOK, "POST", profilePath(profile, "tokens", token, "revoke"), o.owner, nil) // again: no change, no event
			return one(owner(), "pairing_token", token)
		}},
		{"pairing_profile.deleted", nil, func() want {
			z.must(http.StatusNoContent, "DELETE", profilePath(profile), o.owner, nil)
			return one(owner(), "pairing_profile", profile)
		}},
		{"pairing_token.used", []string{"pairing_profile.created", "pairing_token.created", "pairing_token.used", "workload.created", "ven.paired"},
			func() want {
				profileForVENs = z.pairingProfile(o.owner, obj{"name": "hosts", "unlimited": true, "lifetime": "1h"})
				tk := z.mintToken(o.owner, profileForVENs)
				tokenForVENs, tokenSecret = tk.ID, tk.Token
				ven1 = pairTunnelVEN(t, z, tokenSecret)
				return one([2]string{"ven", ven1.pair.VEN}, "pairing_token", tokenForVENs)
			}},
		{"ven.paired", []string{"pairing_token.used", "workload.created", "ven.paired"}, func() want {
			ven2 = pairTunnelVEN(t, z, tokenSecret)
			return one([2]string{"ven", ven2.pair.VEN}, "ven", ven2.pair.VEN)
		}},
		{"ven.tampered", nil, func() want {
			venHeartbeat(t, z, ven1, `{"hostname":"h1","interfaces":null,"tampered":2}`)
			venHeartbeat(t, z, ven1, `{"hostname":"h1","interfaces":null}`) // nothing to say
			return one([2]string{"ven", ven1.pair.VEN}, "ven", ven1.pair.VEN)
		}},
		{"workload.updated", nil, func() want {
			venHeartbeat(t, z, ven1, `{"hostname":"h1","interfaces":[{"name":"eth0","addresses":["10.9.0.8"]}]}`)
			return one([2]string{"ven", ven1.pair.VEN}, "workload", ven1.pair.Workload)
		}},
		{"ven.offline", nil, func() want {
			if _, err := z.store.Pool().Exec(ctx, `UPDATE remora.vens SET last_seen_at = now() - interval '2 hours' WHERE id = $1`, ven1.pair.VEN); err != nil {
				t.Fatal(err)
			}
			if marked, err := z.fleet.SweepOffline(ctx, time.Hour); err != nil || len(marked) != 1 {
				t.Fatalf("sweep: %v, %v", marked, err)
			}
			return one([2]string{"system", ""}, "ven", ven1.pair.VEN)
		}},
		{"ven.online", nil, func() want {
			venHeartbeat(t, z, ven1, `{"hostname":"h1","interfaces":null}`)
			return one([2]string{"ven", ven1.pair.VEN}, "ven", ven1.pair.VEN)
		}},
		{"ven.unpaired", []string{"ven.unpaired", "workload.deleted"}, func() want {
			if st, body := ven1.do(t, z.base, "POST", wire.GoodbyePath, ""); st != http.StatusNoContent {
				t.Fatalf("goodbye: %d %s", st, body)
			}
			return one([2]string{"ven", ven1.pair.VEN}, "ven", ven1.pair.VEN)
		}},
		{"ven.unpaired", []string{"ven.unpaired", "workload.deleted"}, func() want {
			z.must(http.StatusNoContent, "DELETE", api("vens", ven2.pair.VEN), o.owner, nil)
			return one(owner(), "ven", ven2.pair.VEN)
		}},
		{"api_key.revoked", nil, func() want {
			z.must(http.StatusNoContent, "DELETE", api("api-keys", key), o.owner, nil)
			return one(owner(), "api_key", key)
		}},
	}
	// Rows run in order, each building on the ones before: not subtests.
	covered := map[string]bool{}
	for i, row := range rows {
		w := row.do()
		got := log.fresh()
		wantTypes := row.all
		if wantTypes == nil {
			wantTypes = []string{row.typ}
		}
		var types, ids []string
		for _, ev := range got {
			types = append(types, ev.Type)
			if ev.Type == row.typ {
				if ev.Actor.Type != w.actor[0] || ev.Actor.ID != w.actor[1] || ev.Resource.Type != w.resType {
					t.Errorf("row %d: %s: actor %+v, resource %+v; want actor %v, a %s", i, ev.Type, ev.Actor, ev.Resource, w.actor, w.resType)
				}
				ids = append(ids, ev.Resource.ID)
			}
			if ev.Data == nil {
				t.Errorf("row %d: %s: no data", i, ev.Type)
			}
		}
		if !slices.Equal(types, wantTypes) {
			t.Fatalf("row %d (%s): events %v, want %v", i, row.typ, types, wantTypes)
		}
		if w.resources != nil && !slices.Equal(ids, w.resources) {
			t.Errorf("row %d: %s about %v, want %v", i, row.typ, ids, w.resources)
		}
		covered[row.typ] = true
	}
	for _, typ := range allEventTypes {
		if !covered[typ] {
			t.Errorf("no row emits %s", typ)
		}
	}
	// No event holds a secret the actions used.
	all := z.events(o.owner, "", 200)
	b, _ := json.Marshal(all)
	for _, secret := range []string{password, "not " + password, testPassword, refresh, keySecret, tokenSecret} {
		if strings.Contains(string(b), secret) {
			t.Errorf("an event holds the secret %q", secret)
		}
	}
}

// allEventTypes is every event type the PCE emits (the webhooks' own
// aside).
var allEventTypes = []string{
	"auth.login", "auth.login_failed", "auth.logout", "api_key.created", "api_key.revoked",
	"tenant.created", "user.created", "user.updated", "user.deleted",
	"label.created", "label.updated", "label.deleted", "label_dimension.created", "label_dimension.deleted",
	"label_group.created", "label_group.updated", "label_group.deleted", "service.created", "service.updated", "service.deleted",
	"ip_list.created", "ip_list.updated", "ip_list.deleted", "ruleset.created", "ruleset.updated", "ruleset.deleted",
	"policy.provisioned", "policy.reverted", "policy.rolled_back", "policy.imported",
	"workload.created", "workload.updated", "workload.deleted",
	"pairing_profile.created", "pairing_profile.updated", "pairing_profile.deleted",
	"pairing_token.created", "pairing_token.revoked", "pairing_token.used",
	"ven.paired", "ven.unpaired", "ven.online", "ven.offline", "ven.tampered",
}

// pairTunnelVEN pairs a host with install token tok and brings its tunnel up.
func pairTunnelVEN(t *testing.T, z *tunnelEnv, tok string) *tunnelVEN {
	t.Helper()
	priv, _ := wgtypes.GeneratePrivateKey()
	b := pairBody(t, tok)
	b["wg_public_key"] = priv.PublicKey().String()
	return z.up(t, priv, decode[pairOut](t, z.must(http.StatusCreated, "POST", api("ven", "pair"), "", b)))
}

func venHeartbeat(t *testing.T, z *tunnelEnv, v *tunnelVEN, body string) {
	t.Helper()
	if st, reply := v.do(t, z.base, "POST", wire.HeartbeatPath, body); st != http.StatusOK {
		t.Fatalf("heartbeat: %d %s", st, reply)
	}
}

// TestEventsFilters: each filter selects exactly the events it names,
// pages concatenate to the whole list oldest first, and tenant B never
// sees tenant A's events, however it filters.
func TestEventsFilters(t *testing.T) {
	e := newEnv(t)
	a, b := e.signup("A"), e.signup("B")
	k := decode[struct{ ID, Secret string }](t, e.must(http.StatusCreated, "POST", api("api-keys"), a.owner, obj{"name": "k", "role": "editor"}))
	web := e.label(a.owner, "role", "web")
	mid := time.Now()
	w1 := e.workload(k.Secret, "w1", "", "")
	w2 := e.workload(a.owner, "w2", "", "")
	e.must(http.StatusOK, "PUT", api("workloads", w1), a.owner, workloadBody("w1", "full", "", web))
	svc := e.create(a.owner, "services", serviceBody("pg", tcp(5432)))
	e.provision(a.owner, "v1")
	bw := e.workload(b.owner, "b-w", "", "")

	all := e.events(a.owner, "", 200)
	var types []string
	for i, ev := range all {
		types = append(types, ev.Type)
		if i > 0 && ev.CreatedAt.Before(all[i-1].CreatedAt) {
			t.Errorf("event %d (%s) is older than the one before it", i, ev.Type)
		}
	}
	wantTypes := []string{"tenant.created", "user.created", "api_key.created", "label.created", "workload.created", "workload.created",
		"workload.updated", "service.created", "policy.provisioned"}
	if !slices.Equal(types, wantTypes) {
		t.Fatalf("A's events %v, want %v", types, wantTypes)
	}
	for _, limit := range []int{1, 2, 4} {
		paged := e.events(a.owner, "", limit)
		if len(paged) != len(all) {
			t.Fatalf("pages of %d: %d events, want %d", limit, len(paged), len(all))
		}
		for i := range paged {
			if paged[i].ID != all[i].ID {
				t.Fatalf("pages of %d: event %d is %s, want %s", limit, i, paged[i].ID, all[i].ID)
			}
		}
	}
	ids := func(evs []eventOut) []string {
		var out []string
		for _, ev := range evs {
			out = append(out, ev.Type+" "+ev.Resource.ID)
		}
		return out
	}
	q := url.QueryEscape
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"type=workload.*", []string{"workload.created " + w1, "workload.created " + w2, "workload.updated " + w1}},
		{"type=workload.updated,service.*", []string{"workload.updated " + w1, "service.created " + svc}},
		{"type=policy.provisioned&type=label.created", []string{"label.created " + web, "policy.provisioned 1"}},
		{"type=*.created&resource_type=workload", []string{"workload.created " + w1, "workload.created " + w2}},
		{"type=nothing.*", nil},
		{"resource_type=service", []string{"service.created " + svc}},
		{"resource_id=" + w1, []string{"workload.created " + w1, "workload.updated " + w1}},
		{"resource_id=" + bw, nil}, // B's workload: not A's business
		{"actor_type=api_key", []string{"workload.created " + w1}},
		{"actor_id=" + k.ID, []string{"workload.created " + w1}},
		{"actor_type=user&actor_id=" + a.ownerID + "&type=workload.*", []string{"workload.created " + w2, "workload.updated " + w1}},
		{"actor_type=system", nil},
		{"since=" + q(mid.UTC().Format(time.RFC3339Nano)) + "&type=workload.created",
			[]string{"workload.created " + w1, "workload.created " + w2}},
		{"until=" + q(mid.Format(time.RFC3339Nano)), []string{"tenant.created " + a.tenant, "user.created " + a.ownerID,
			"api_key.created " + k.ID, "label.created " + web}},
		{"since=" + q(mid.Format(time.RFC3339Nano)) + "&until=" + q(mid.Format(time.RFC3339Nano)), nil},
		{"until=2000-01-01T00:00:00Z", nil},
	} {
		got := e.events(a.owner, c.query, 2)
		if !slices.Equal(ids(got), c.want) {
			t.Errorf("?%s: %v, want %v", c.query, ids(got), c.want)
		}
	}
	// Tenant B sees its own, and nothing of A's whatever the filter.
	bAll := e.events(b.owner, "", 200)
	if got := ids(bAll); !slices.Equal(got, []string{"tenant.created " + b.tenant, "user.created " + b.ownerID, "workload.created " + bw}) {
		t.Errorf("B's events: %v", got)
	}
	for _, query := range []string{"resource_id=" + w1, "actor_id=" + a.ownerID, "type=policy.*", "resource_id=" + a.tenant} {
		if got := e.events(b.owner, query, 200); len(got) != 0 {
			t.Errorf("B asking ?%s sees %v", query, ids(got))
		}
	}
	// A's cursor does not lead B into A's events.
	first := e.must(http.StatusOK, "GET", api("events")+"?limit=1", a.owner, nil)
	cur := decode[struct {
		NextCursor string `json:"next_cursor"`
	}](t, first).NextCursor
	for _, ev := range decode[struct{ Items []eventOut }](t, e.must(http.StatusOK, "GET", api("events")+"?cursor="+cur, b.owner, nil)).Items {
		if !slices.Contains(ids(bAll), ev.Type+" "+ev.Resource.ID) {
			t.Errorf("B with A's cursor sees %s %s", ev.Type, ev.Resource.ID)
		}
	}
	// Viewers read the log too; nobody unauthenticated does.
	o := e.populate(e.signup("C"))
	e.must(http.StatusOK, "GET", api("events"), o.tokens["viewer"], nil)
	e.must(http.StatusOK, "GET", api("events"), o.keys["viewer"], nil)
	wantProblem(t, e.call("GET", api("events"), "", nil), http.StatusUnauthorized, "")
}

// TestEventsBadFilters: every bad parameter is a 422 naming it, all of
// them at once.
func TestEventsBadFilters(t *testing.T) {
	e := newEnv(t)
	o := e.signup("A")
	for _, c := range []struct{ query, field string }{
		{"type=Workload.*", "type"},
		{"type=workload.%25", "type"},
		{"type=", "type"},
		{"type=a.b,,c.d", "type"},
		{"type=" + strings.Repeat("a.b,", 21) + "a.b", "type"},
		{"type=" + strings.Repeat("a", 101), "type"},
		{"resource_type=Work-load", "resource_type"},
		{"resource_id=" + strings.Repeat("x", 201), "resource_id"},
		{"actor_type=robot", "actor_type"},
		{"actor_id=a%00b", "actor_id"},
		{"since=yesterday", "since"},
		{"until=2025-13-01T00:00:00Z", "until"},
		{"since=2025-01-01", "since"},
		{"since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z", "since"},
		{"limit=0", "limit"},
		{"limit=201", "limit"},
		{"limit=ten", "limit"},
		{"cursor=!!", "cursor"},
		{"typ=workload.*", "typ"},
		{"since=x&until=y&limit=-1", "until"},
	} {
		wantProblem(t, e.call("GET", api("events")+"?"+c.query, o.owner, nil), http.StatusUnprocessableEntity, c.field)
	}
	r := e.call("GET", api("events")+"?since=x&until=y&limit=-1&actor_type=z", o.owner, nil)
	if got := fieldsOf(t, r); len(got) != 4 {
		t.Errorf("four bad parameters, %v reported", got)
	}
}
