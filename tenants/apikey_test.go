package tenants

import (
	"strings"
	"testing"
	"time"

	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/usererr"
)

func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	s, clock := newStore(t)
	ctx := t.Context()
	res := signup(t, s, "Acme", "alice@acme.example")
	owner := authenticate(t, s, res.Tokens.AccessToken)

	k, secret := addKey(t, s, owner, "ci", Editor)
	if !strings.HasPrefix(secret, apiKeyPrefix) || len(secret) != len(apiKeyPrefix)+43 {
		t.Errorf("secret = %q", secret)
	}
	if !ids.Valid(string(k.ID)) || k.Prefix != secret[:12] || k.Tenant != owner.Tenant || k.Name != "ci" || k.Role != Editor ||
		k.CreatedBy == nil || *k.CreatedBy != owner.User || k.ExpiresAt != nil || k.LastUsedAt != nil {
		t.Errorf("key = %+v", k)
	}
	if n := count(t, s.Pool(), `SELECT count(*) FROM remora.api_keys WHERE secret_hash = $1`, hashSecret(secret)); n != 1 {
		t.Errorf("key rows by secret hash = %d, want 1", n)
	}

	// The secret authenticates as the key, with its role, and records its use.
	p := authenticate(t, s, secret)
	if p != (Principal{Tenant: owner.Tenant, APIKey: k.ID, Role: Editor}) {
		t.Errorf("principal = %+v", p)
	}
	lastUsed := func() time.Time {
		t.Helper()
		got, err := s.GetAPIKey(ctx, owner.Tenant, k.ID)
		noErr(t, err)
		if got.LastUsedAt == nil {
			t.Fatal("last_used_at not set")
		}
		return *got.LastUsedAt
	}
	used := clock.Now()
	if got := lastUsed(); !got.Equal(used) {
		t.Errorf("last_used_at = %v, want %v", got, used)
	}
	clock.Advance(30 * time.Second) // within keyUseResolution: no write
	authenticate(t, s, secret)
	if got := lastUsed(); !got.Equal(used) {
		t.Errorf("last_used_at = %v after a use within %v, want %v", got, keyUseResolution, used)
	}
	clock.Advance(keyUseResolution)
	authenticate(t, s, secret)
	if got := lastUsed(); !got.Equal(clock.Now()) {
		t.Errorf("last_used_at = %v, want %v", got, clock.Now())
	}

	// Revocation takes effect at once, and the key disappears from view.
	other, otherSecret := addKey(t, s, owner, "other", Viewer)
	noErr(t, s.RevokeAPIKey(ctx, owner, k.ID))
	refused(t, s, secret)
	_, err := s.GetAPIKey(ctx, owner.Tenant, k.ID)
	wantErr(t, err, usererr.NotFound)
	wantErr(t, s.RevokeAPIKey(ctx, owner, k.ID), usererr.NotFound)
	keys, next, err := s.ListAPIKeys(ctx, owner.Tenant, page.Request{Limit: 10})
	noErr(t, err)
	if len(keys) != 1 || keys[0].ID != other.ID || next != "" {
		t.Errorf("ListAPIKeys = %+v, %q; want only %s", keys, next, other.ID)
	}
	authenticate(t, s, otherSecret)

	// An expiring key works until it expires.
	exp := clock.Now().Add(time.Hour)
	ek, eSecret, err := s.CreateAPIKey(ctx, owner, NewAPIKey{Name: "temp", Role: Viewer, ExpiresAt: &exp})
	noErr(t, err)
	if ek.ExpiresAt == nil || !ek.ExpiresAt.Equal(exp) {
		t.Errorf("expires_at = %v, want %v", ek.ExpiresAt, exp)
	}
	authenticate(t, s, eSecret)
	clock.Advance(2 * time.Hour)
	refused(t, s, eSecret)
	authenticate(t, s, otherSecret)

	// Keys made by a key have no creating user.
	kk, _ := addKey(t, s, authenticate(t, s, otherSecret), "by key", Viewer)
	if kk.CreatedBy != nil {
		t.Errorf("created_by = %v for a key made by a key", *kk.CreatedBy)
	}
}

func TestAPIKeyValidation(t *testing.T) {
	t.Parallel()
	s, clock := newStore(t)
	res := signup(t, s, "Acme", "alice@acme.example")
	owner := authenticate(t, s, res.Tokens.AccessToken)
	past, now := clock.Now().Add(-time.Hour), clock.Now()
	tests := []struct {
		name  string
		key   NewAPIKey
		field string
	}{
		{"empty name", NewAPIKey{Role: Viewer}, "name"},
		{"blank name", NewAPIKey{Name: "  ", Role: Viewer}, "name"},
		{"name of 101 chars", NewAPIKey{Name: strings.Repeat("k", 101), Role: Viewer}, "name"},
		{"name with leading space", NewAPIKey{Name: " ci", Role: Viewer}, "name"},
		{"no role", NewAPIKey{Name: "ci"}, "role"},
		{"unknown role", NewAPIKey{Name: "ci", Role: "root"}, "role"},
		{"capitalized role", NewAPIKey{Name: "ci", Role: "Owner"}, "role"},
		{"expires in the past", NewAPIKey{Name: "ci", Role: Viewer, ExpiresAt: &past}, "expires_at"},
		{"expires now", NewAPIKey{Name: "ci", Role: Viewer, ExpiresAt: &now}, "expires_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.CreateAPIKey(t.Context(), owner, tt.key)
			wantErr(t, err, usererr.Invalid, tt.field)
		})
	}
	if n := count(t, s.Pool(), `SELECT count(*) FROM remora.api_keys`); n != 0 {
		t.Errorf("api keys = %d after invalid requests, want 0", n)
	}
}

// Nobody makes a key above their own role, or revokes one above it.
func TestAPIKeyRoles(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	res := signup(t, s, "Acme", "alice@acme.example")
	owner := authenticate(t, s, res.Tokens.AccessToken)
	actors := map[Role]Principal{Owner: owner}
	for _, r := range []Role{Viewer, Editor, Admin} {
		_, secret := addKey(t, s, owner, string(r), r)
		actors[r] = authenticate(t, s, secret)
	}
	for _, actor := range Roles {
		for _, want := range Roles {
			t.Run(string(actor)+" creates "+string(want), func(t *testing.T) {
				_, _, err := s.CreateAPIKey(ctx, actors[actor], NewAPIKey{Name: "k", Role: want})
				if actor.AtLeast(want) {
					noErr(t, err)
				} else {
					wantErr(t, err, usererr.Forbidden)
				}
			})
		}
	}
	_, _, err := s.CreateAPIKey(ctx, Principal{Tenant: owner.Tenant}, NewAPIKey{Name: "k", Role: Viewer})
	wantErr(t, err, usererr.Forbidden)

	ownerKey, ownerSecret := addKey(t, s, owner, "owner key", Owner)
	editorKey, editorSecret := addKey(t, s, owner, "editor key", Editor)
	wantErr(t, s.RevokeAPIKey(ctx, actors[Admin], ownerKey.ID), usererr.Forbidden)
	authenticate(t, s, ownerSecret)
	noErr(t, s.RevokeAPIKey(ctx, actors[Admin], editorKey.ID))
	refused(t, s, editorSecret)
	noErr(t, s.RevokeAPIKey(ctx, owner, ownerKey.ID))
	refused(t, s, ownerSecret)
}

func TestListAPIKeysPagination(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	res := signup(t, s, "Acme", "alice@acme.example")
	owner := as(res.User)
	var want []ids.APIKeyID
	for _, name := range []string{"k1", "k2", "k3", "k4", "k5"} {
		k, _ := addKey(t, s, owner, name, Viewer)
		want = append(want, k.ID)
	}
	list := func(pr page.Request) ([]APIKey, string, error) { return s.ListAPIKeys(t.Context(), owner.Tenant, pr) }
	keyID := func(k APIKey) ids.APIKeyID { return k.ID }
	wantPages(t, 2, list, keyID, []int{2, 2, 1}, want)
	// A page as large as the rest announces no next page.
	wantPages(t, 5, list, keyID, []int{5}, want)
}
