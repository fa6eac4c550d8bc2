package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/tenants"
)

// Shapes of the pairing answers, as far as the tests look at them.
type (
	profileOut struct {
		ID              string    `json:"id"`
		Name            string    `json:"name"`
		Labels          []string  `json:"labels"`
		Mode            string    `json:"enforcement_mode"`
		MaxUses         *int      `json:"max_uses"`
		Unlimited       bool      `json:"unlimited"`
		Lifetime        string    `json:"lifetime"`
		LifetimeSeconds int       `json:"lifetime_seconds"`
		Tokens          *int64    `json:"tokens"`
		Uses            *int64    `json:"uses"`
		CreatedAt       time.Time `json:"created_at"`
		UpdatedAt       time.Time `json:"updated_at"`
	}
	tokenOut struct {
		ID              string     `json:"id"`
		ProfileID       string     `json:"profile_id"`
		Token           string     `json:"token"`
		MaxUses         *int       `json:"max_uses"`
		Unlimited       bool       `json:"unlimited"`
		Uses            int        `json:"uses"`
		ExpiresAt       time.Time  `json:"expires_at"`
		RevokedAt       *time.Time `json:"revoked_at"`
		CreatedAt       time.Time  `json:"created_at"`
		CreatedBy       *string    `json:"created_by"`
		CreatedByAPIKey *string    `json:"created_by_api_key"`
		LastUsedAt      *time.Time `json:"last_used_at"`
		State           string     `json:"state"`
	}
)

// profileBody is a valid pairing profile: single-use tokens living 72h.
func profileBody(name string, labels ...string) obj {
	return obj{"name": name, "labels": strs(labels), "enforcement_mode": "full", "max_uses": 1, "lifetime": "72h"}
}

func profilePath(id string, rest ...string) string {
	return api(append([]string{"pairing-profiles", id}, rest...)...)
}

// pairingProfile creates a profile and returns its id.
func (e *env) pairingProfile(tok string, body obj) string {
	e.t.Helper()
	return decode[idOnly](e.t, e.must(http.StatusCreated, "POST", api("pairing-profiles"), tok, body)).ID
}

// mintToken mints a token of profile.
func (e *env) mintToken(tok, profile string) tokenOut {
	e.t.Helper()
	return decode[tokenOut](e.t, e.must(http.StatusCreated, "POST", profilePath(profile, "tokens"), tok, nil))
}

// pairingTokens lists profile's tokens.
func (e *env) pairingTokens(tok, profile string) ([]tokenOut, resp) {
	e.t.Helper()
	r := e.must(http.StatusOK, "GET", profilePath(profile, "tokens?limit=200"), tok, nil)
	return decode[page[tokenOut]](e.t, r).Items, r
}

// tokenRows counts o's install tokens in its schema, whatever the API says.
func (e *env) tokenRows(o *org) int {
	e.t.Helper()
	var n int
	err := e.store.InTenant(context.Background(), ids.TenantID(o.tenant), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT count(*) FROM pairing_tokens`).Scan(&n)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestPairingProfiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.populate(e.signup("Pairing"))
	admin := o.tokens[tenants.Admin]
	web, prod, db := e.label(admin, "role", "web"), e.label(admin, "env", "prod"), e.label(admin, "role", "db")

	// Create: the answer is the stored profile, with its ETag.
	r := e.must(201, "POST", api("pairing-profiles"), admin, profileBody("Linux web", web, prod))
	tag := etagOf(t, r)
	p := decode[profileOut](t, r)
	if p.Name != "Linux web" || p.Mode != "full" || p.MaxUses == nil || *p.MaxUses != 1 || p.Unlimited ||
		p.Lifetime != "72h0m0s" || p.LifetimeSeconds != 72*3600 || len(p.Labels) != 2 || p.Tokens != nil || p.CreatedAt.IsZero() {
		t.Fatalf("created profile: %+v", p)
	}
	sameIDs(t, "labels", p.Labels, []string{web, prod})
	if got := e.must(200, "GET", profilePath(p.ID), admin, nil); etagOf(t, got) != tag || decode[profileOut](t, got).Name != p.Name {
		t.Fatalf("get: %s %s", got.header.Get("ETag"), got.body)
	}
	// Defaults: no labels, visibility_only; unlimited has no max_uses.
	open := decode[profileOut](t, e.must(201, "POST", api("pairing-profiles"), o.keys[tenants.Admin],
		obj{"name": "open", "unlimited": true, "lifetime": "30m"}))
	if open.Mode != "visibility_only" || !open.Unlimited || open.MaxUses != nil || len(open.Labels) != 0 || open.LifetimeSeconds != 1800 {
		t.Fatalf("profile with defaults: %+v", open)
	}
	if r := e.call("POST", api("pairing-profiles"), admin, obj{"name": "OPEN", "unlimited": true, "lifetime": "1h"}); r.status != 409 ||
		len(messagesOf(t, r, "name")) != 1 {
		t.Fatalf("duplicate name: %d %s", r.status, r.body)
	}

	// Tokens: shown once, as the minting answer; by user and by API key.
	t1 := e.mintToken(admin, p.ID)
	if tenant, id, ok := policystore.ParsePairingToken(t1.Token); !ok || string(tenant) != o.tenant || id != t1.ID {
		t.Fatalf("token %q parses to %q, %q, %v", t1.Token, tenant, id, ok)
	}
	if t1.ProfileID != p.ID || t1.Uses != 0 || t1.MaxUses == nil || *t1.MaxUses != 1 || t1.State != "active" ||
		t1.ExpiresAt.Sub(t1.CreatedAt) != 72*time.Hour || t1.CreatedBy == nil || *t1.CreatedBy != o.users[tenants.Admin] || t1.CreatedByAPIKey != nil {
		t.Fatalf("minted token: %+v", t1)
	}
	t2 := decode[tokenOut](t, e.must(201, "POST", profilePath(p.ID, "tokens"), o.keys[tenants.Owner], raw(`{}`)))
	if t2.CreatedBy != nil || t2.CreatedByAPIKey == nil || *t2.CreatedByAPIKey != o.keyIDs[tenants.Owner] || t2.Token == t1.Token {
		t.Fatalf("token minted by an API key: %+v", t2)
	}
	list, lr := e.pairingTokens(admin, p.ID)
	sameIDs(t, "tokens", []string{list[0].ID, list[1].ID}, []string{t1.ID, t2.ID})
	for _, secret := range []string{t1.Token, t2.Token, "rpt_"} {
		if strings.Contains(string(lr.body), secret) {
			t.Fatalf("token list shows a token: %s", lr.body)
		}
	}
	if strings.Contains(string(lr.body), `"token"`) {
		t.Fatalf("token list has a token field: %s", lr.body)
	}

	// Revoke: the token stays listed, revoked; twice is fine.
	rv := decode[tokenOut](t, e.must(200, "POST", profilePath(p.ID, "tokens", t1.ID, "revoke"), admin, nil))
	if rv.ID != t1.ID || rv.RevokedAt == nil || rv.State != "revoked" || rv.Token != "" {
		t.Fatalf("revoked: %+v", rv)
	}
	again := decode[tokenOut](t, e.must(200, "POST", profilePath(p.ID, "tokens", t1.ID, "revoke"), admin, raw(`{}`)))
	if !again.RevokedAt.Equal(*rv.RevokedAt) {
		t.Errorf("second revoke moved revoked_at %v → %v", rv.RevokedAt, again.RevokedAt)
	}
	list, _ = e.pairingTokens(admin, p.ID)
	if len(list) != 2 || list[0].State != "revoked" || list[1].State != "active" {
		t.Fatalf("tokens after revoking the first: %+v", list)
	}

	// The list counts tokens and uses per profile.
	e.mintToken(admin, open.ID)
	ps := decode[page[profileOut]](t, e.must(200, "GET", api("pairing-profiles"), admin, nil)).Items
	if len(ps) != 2 || ps[0].ID != p.ID || *ps[0].Tokens != 2 || *ps[0].Uses != 0 || *ps[1].Tokens != 1 {
		t.Fatalf("profile list: %s", e.must(200, "GET", api("pairing-profiles"), admin, nil).body)
	}
	p1 := decode[page[profileOut]](t, e.must(200, "GET", api("pairing-profiles?limit=1"), admin, nil))
	if len(p1.Items) != 1 || p1.NextCursor == nil {
		t.Fatalf("first page: %+v", p1)
	}
	p2 := decode[page[profileOut]](t, e.must(200, "GET", api("pairing-profiles?limit=1&cursor="+*p1.NextCursor), admin, nil))
	if len(p2.Items) != 1 || p2.Items[0].ID != open.ID || p2.NextCursor != nil {
		t.Fatalf("second page: %+v", p2)
	}

	// Update with If-Match; minted tokens keep their limits.
	body := obj{"name": "Linux db", "labels": arr{db}, "enforcement_mode": "selective", "unlimited": true, "lifetime": "1h"}
	wantProblem(t, e.call("PUT", profilePath(p.ID), admin, body, "If-Match", `"1"`), 412, "If-Match")
	ur := e.call("PUT", profilePath(p.ID), admin, body, "If-Match", tag)
	if ur.status != 200 || etagOf(t, ur) == tag {
		t.Fatalf("PUT with the current ETag: %d %s", ur.status, ur.body)
	}
	up := decode[profileOut](t, ur)
	if up.Name != "Linux db" || up.Mode != "selective" || !up.Unlimited || up.MaxUses != nil || len(up.Labels) != 1 || up.Labels[0] != db || up.LifetimeSeconds != 3600 {
		t.Fatalf("updated profile: %+v", up)
	}
	if list, _ := e.pairingTokens(admin, p.ID); *list[1].MaxUses != 1 || !list[1].ExpiresAt.Equal(t2.ExpiresAt) {
		t.Fatalf("a token changed with its profile: %+v", list[1])
	}
	if t3 := e.mintToken(admin, p.ID); !t3.Unlimited || t3.MaxUses != nil || t3.ExpiresAt.Sub(t3.CreatedAt) != time.Hour {
		t.Fatalf("token minted after the update: %+v", t3)
	}

	// A label a profile gives cannot be deleted.
	if r := e.call("DELETE", api("labels", db), admin, nil); r.status != 409 || !strings.Contains(strings.Join(messagesOf(t, r, "used_by"), ";"), `pairing profile "Linux db"`) {
		t.Fatalf("delete a profile's label: %d %s", r.status, r.body)
	}
	e.must(204, "DELETE", api("labels", web), admin, nil)

	// Delete takes the profile's tokens along.
	if n := e.tokenRows(o); n != 4 {
		t.Fatalf("%d token rows, want 4", n)
	}
	wantProblem(t, e.call("DELETE", profilePath(p.ID), admin, nil, "If-Match", tag), 412, "If-Match")
	e.must(204, "DELETE", profilePath(p.ID), admin, nil)
	if n := e.tokenRows(o); n != 1 {
		t.Errorf("%d token rows after deleting a profile of 3, want 1 (the other profile's)", n)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", profilePath(p.ID)}, {"PUT", profilePath(p.ID)}, {"DELETE", profilePath(p.ID)},
		{"GET", profilePath(p.ID, "tokens")}, {"POST", profilePath(p.ID, "tokens")},
		{"POST", profilePath(p.ID, "tokens", t2.ID, "revoke")},
	} {
		var body any
		if c.method == "PUT" {
			body = profileBody("again")
		}
		wantProblem(t, e.call(c.method, c.path, admin, body), 404, "")
	}
	e.must(204, "DELETE", api("labels", db), admin, nil)
}
