package gateway_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestPairingRoleMatrix calls every pairing route as every role, with a
// user's access token and with an API key: admins and owners only, reads
// included (a token list says who may join hosts to the tenant); editors
// and viewers get 403 and change nothing; no credentials is 401.
func TestPairingRoleMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.populate(e.signup("Pairing roles"))
	own := o.owner
	n := 0
	uniq := func(prefix string) string { n++; return fmt.Sprintf("%s%d", prefix, n) }
	// Each cell builds its own target (as the owner), so cells do not
	// disturb each other.
	newProfile := func() string { return e.pairingProfile(own, profileBody(uniq("p"))) }
	type req = accessReq
	cells := []accessCell{
		{"list profiles", 200, func() req { return req{"GET", api("pairing-profiles"), nil} }},
		{"create profile", 201, func() req { return req{"POST", api("pairing-profiles"), profileBody(uniq("new"))} }},
		{"get profile", 200, func() req { return req{"GET", profilePath(newProfile()), nil} }},
		{"replace profile", 200, func() req { return req{"PUT", profilePath(newProfile()), profileBody(uniq("put"))} }},
		{"delete profile", 204, func() req { return req{"DELETE", profilePath(newProfile()), nil} }},
		{"list tokens", 200, func() req { return req{"GET", profilePath(newProfile(), "tokens"), nil} }},
		{"mint token", 201, func() req { return req{"POST", profilePath(newProfile(), "tokens"), nil} }},
		{"revoke token", 200, func() req {
			p := newProfile()
			return req{"POST", profilePath(p, "tokens", e.mintToken(own, p).ID, "revoke"), nil}
		}},
	}
	e.adminOnlyMatrix(t, o, cells)

	// The refused cells left no trace: only the owner's targets and the
	// admins' and owners' own writes exist. Each successful create or
	// mint is counted; a refused one would show as one too many.
	ps := decode[page[profileOut]](t, e.must(200, "GET", api("pairing-profiles?limit=200"), own, nil)).Items
	var names, replaced, tokens int
	for _, p := range ps {
		switch {
		case strings.HasPrefix(p.Name, "new"):
			names++
		case strings.HasPrefix(p.Name, "put"):
			replaced++
		}
		tokens += int(*p.Tokens)
	}
	// 2 credential kinds × 2 roles allowed (admin, owner).
	if names != 4 || replaced != 4 {
		t.Errorf("%d created and %d replaced profiles, want 4 and 4", names, replaced)
	}
	// Minted by the mint cells (4) and by each revoke cell's setup (2 kinds ×
	// 5 callers: 4 roles and anonymous).
	if tokens != 4+10 {
		t.Errorf("%d tokens, want %d", tokens, 4+10)
	}
}

// TestPairingIsolation: tenant B's owner, by access token and by API key,
// gets 404 on every pairing route naming tenant A's profiles and tokens —
// the answer for ids that do not exist — sees none of them in lists, and
// cannot give a profile A's labels. A's profiles and tokens are unchanged.
func TestPairingIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.signup("Alpha"), e.signup("Bravo")
	aWeb := e.label(a.owner, "role", "web")
	ap := e.pairingProfile(a.owner, profileBody("alpha-linux", aWeb))
	aTok := e.mintToken(a.owner, ap)
	aTag := etagOf(t, e.must(200, "GET", profilePath(ap), a.owner, nil))
	_, aTokens := e.pairingTokens(a.owner, ap)

	bKey := decode[struct{ Secret string }](t, e.must(201, "POST", api("api-keys"), b.owner, obj{"name": "ci", "role": "owner"})).Secret
	bp := e.pairingProfile(b.owner, profileBody("bravo-linux"))
	bt := e.mintToken(b.owner, bp)
	noLeak := func(t *testing.T, r resp) {
		t.Helper()
		for _, s := range []string{"alpha-linux", "role"} {
			if strings.Contains(string(r.body), s) {
				t.Errorf("tenant A's %q shows in tenant B's answer: %s", s, r.body)
			}
		}
	}
	for credName, cred := range map[string]string{"jwt": b.owner, "api key": bKey} {
		t.Run(credName, func(t *testing.T) {
			e := e.on(t)
			// Each attempt, then the same with made-up ids: the answers
			// must not differ.
			made := newID()
			for _, at := range []struct {
				method, path, madeUp string
				body                 any
			}{
				{"GET", profilePath(ap), profilePath(made), nil},
				{"PUT", profilePath(ap), profilePath(made), profileBody("stolen")},
				{"DELETE", profilePath(ap), profilePath(made), nil},
				{"GET", profilePath(ap, "tokens"), profilePath(made, "tokens"), nil},
				{"POST", profilePath(ap, "tokens"), profilePath(made, "tokens"), nil},
				{"POST", profilePath(ap, "tokens", aTok.ID, "revoke"), profilePath(made, "tokens", made, "revoke"), nil},
				{"POST", profilePath(bp, "tokens", aTok.ID, "revoke"), profilePath(bp, "tokens", made, "revoke"), nil}, // A's token under B's profile
			} {
				r := e.call(at.method, at.path, cred, at.body)
				wantProblem(t, r, 404, "")
				noLeak(t, r)
				if got, want := decode[problem](t, r), decode[problem](t, e.call(at.method, at.madeUp, cred, at.body)); got.Detail != want.Detail {
					t.Errorf("%s %s: %q, but %q for made-up ids", at.method, at.path, got.Detail, want.Detail)
				}
			}
			r := e.call("POST", api("pairing-profiles"), cred, profileBody("with A's label", aWeb))
			wantProblem(t, r, 422, "labels[0]")
			for _, r := range []resp{e.must(200, "GET", api("pairing-profiles"), cred, nil), e.must(200, "GET", profilePath(bp, "tokens"), cred, nil)} {
				noLeak(t, r)
				if strings.Contains(string(r.body), ap) || strings.Contains(string(r.body), aTok.ID) {
					t.Errorf("tenant A's ids in tenant B's list: %s", r.body)
				}
			}
			if ps := decode[page[profileOut]](t, e.must(200, "GET", api("pairing-profiles"), cred, nil)).Items; len(ps) != 1 || ps[0].ID != bp {
				t.Errorf("tenant B's profiles: %+v", ps)
			}
			if ts, r := e.pairingTokens(cred, bp); len(ts) != 1 || ts[0].ID != bt.ID {
				t.Errorf("tenant B's tokens: %s", r.body)
			}
		})
	}

	// A's profile and token are as they were.
	if got := etagOf(t, e.must(200, "GET", profilePath(ap), a.owner, nil)); got != aTag {
		t.Errorf("tenant A's profile changed: ETag %s → %s", aTag, got)
	}
	if _, r := e.pairingTokens(a.owner, ap); string(r.body) != string(aTokens.body) {
		t.Errorf("tenant A's tokens changed:\n%s\n%s", aTokens.body, r.body)
	}
}
