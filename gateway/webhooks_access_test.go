package gateway_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestWebhookRoleMatrix calls every webhook route as every role, with a
// user's access token and with an API key: admins and owners only, reads
// included (a webhook URL is often its receiver's credential); editors
// and viewers get 403 and change nothing; no credentials is 401.
func TestWebhookRoleMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.populate(e.signup("Webhook roles"))
	own := o.owner
	n := 0
	uniq := func(prefix string) string { n++; return fmt.Sprintf("%s%d", prefix, n) }
	// Each cell builds its own target (as the owner), so cells do not
	// disturb each other. Targets listen to workload events only, so the
	// webhook events of the cells queue nothing for them.
	newHook := func() string { return e.webhook(own, hookBody(uniq("target"), "workload.*")).ID }
	type req = accessReq
	cells := []accessCell{
		{"list", 200, func() req { return req{"GET", api("webhooks"), nil} }},
		{"create", 201, func() req { return req{"POST", api("webhooks"), hookBody(uniq("new"), "workload.*")} }},
		{"get", 200, func() req { return req{"GET", hookPath(newHook()), nil} }},
		{"update", 200, func() req { return req{"PATCH", hookPath(newHook()), obj{"description": "patched"}} }},
		{"delete", 204, func() req { return req{"DELETE", hookPath(newHook()), nil} }},
		{"rotate secret", 200, func() req { return req{"POST", hookPath(newHook(), "rotate-secret"), nil} }},
		{"list deliveries", 200, func() req { return req{"GET", hookPath(newHook(), "deliveries"), nil} }},
		{"test", 202, func() req { return req{"POST", hookPath(newHook(), "test"), nil} }},
		{"redeliver", 202, func() req {
			h := newHook()
			return req{"POST", hookPath(h, "deliveries", e.ping(own, h).ID, "redeliver"), nil}
		}},
	}
	e.adminOnlyMatrix(t, o, cells)

	// The refused cells left no trace. Webhooks: one per create by an
	// admin or owner (2 kinds × 2 roles), plus the cells' targets, minus
	// the deleted ones; the refused changes changed nothing.
	hs := decode[page[webhookOut]](t, e.must(200, "GET", api("webhooks?limit=200"), own, nil)).Items
	var created, patched, rotated int
	for _, h := range hs {
		switch {
		case strings.Contains(h.URL, "/new"):
			created++
		case h.Description == "patched":
			patched++
		}
		if h.PreviousSecretUntil != nil {
			rotated++
		}
	}
	if created != 4 || patched != 4 || rotated != 4 {
		t.Errorf("%d created, %d patched, %d rotated webhooks; want 4 each", created, patched, rotated)
	}
	// 7 target-making cells × (2 kinds × 4 roles + 2 anonymous) targets,
	// 4 of the delete cells' gone.
	if want := 7*10 + 4 - 4; len(hs) != want {
		t.Errorf("%d webhooks, want %d", len(hs), want)
	}
	if evs := e.storedEvents(o.tenant, "webhook.%"); len(evs) != 7*10+4+4+4+4 {
		t.Errorf("%d webhook events, want one per target and per allowed write (%d)", len(evs), 7*10+16)
	}
}

// TestWebhookIsolation: tenant B's owner, by access token and by API key,
// gets 404 on every webhook route naming tenant A's webhooks and
// deliveries — the answer for ids that do not exist — and sees none of
// them in lists. A's webhook and deliveries are unchanged.
func TestWebhookIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.signup("Alpha"), e.signup("Bravo")
	ah := e.webhook(a.owner, hookBody("alpha-secret-path", "workload.*"))
	ad := e.ping(a.owner, ah.ID)
	aTag := etagOf(t, e.must(200, "GET", hookPath(ah.ID), a.owner, nil))
	aDeliveries := e.must(200, "GET", hookPath(ah.ID, "deliveries"), a.owner, nil)

	bKey := decode[struct{ Secret string }](t, e.must(201, "POST", api("api-keys"), b.owner, obj{"name": "ci", "role": "owner"})).Secret
	bh := e.webhook(b.owner, hookBody("bravo", "workload.*"))
	// noLeak checks an answer for A's URL, and for A's ids unless they
	// were in the request (a problem's instance is the request path).
	noLeak := func(t *testing.T, r resp, ids bool) {
		t.Helper()
		leaks := []string{"alpha-secret-path"}
		if ids {
			leaks = append(leaks, ah.ID, ad.ID)
		}
		for _, s := range leaks {
			if strings.Contains(string(r.body), s) {
				t.Errorf("tenant A's %q shows in tenant B's answer: %s", s, r.body)
			}
		}
	}
	for credName, cred := range map[string]string{"jwt": b.owner, "api key": bKey} {
		t.Run(credName, func(t *testing.T) {
			e := e.on(t)
			made := newID()
			for _, at := range []struct {
				method, path, madeUp string
				body                 any
			}{
				{"GET", hookPath(ah.ID), hookPath(made), nil},
				{"PATCH", hookPath(ah.ID), hookPath(made), obj{"description": "stolen"}},
				{"DELETE", hookPath(ah.ID), hookPath(made), nil},
				{"POST", hookPath(ah.ID, "rotate-secret"), hookPath(made, "rotate-secret"), nil},
				{"GET", hookPath(ah.ID, "deliveries"), hookPath(made, "deliveries"), nil},
				{"POST", hookPath(ah.ID, "test"), hookPath(made, "test"), nil},
				{"POST", hookPath(ah.ID, "deliveries", ad.ID, "redeliver"), hookPath(made, "deliveries", made, "redeliver"), nil},
				// A's delivery under B's own webhook.
				{"POST", hookPath(bh.ID, "deliveries", ad.ID, "redeliver"), hookPath(bh.ID, "deliveries", made, "redeliver"), nil},
			} {
				r := e.call(at.method, at.path, cred, at.body)
				wantProblem(t, r, 404, "")
				noLeak(t, r, false)
				if got, want := decode[problem](t, r), decode[problem](t, e.call(at.method, at.madeUp, cred, at.body)); got.Detail != want.Detail {
					t.Errorf("%s %s: %q, but %q for made-up ids", at.method, at.path, got.Detail, want.Detail)
				}
			}
			for _, r := range []resp{e.must(200, "GET", api("webhooks"), cred, nil), e.must(200, "GET", hookPath(bh.ID, "deliveries"), cred, nil)} {
				noLeak(t, r, true)
			}
			if hs := decode[page[webhookOut]](t, e.must(200, "GET", api("webhooks"), cred, nil)).Items; len(hs) != 1 || hs[0].ID != bh.ID {
				t.Errorf("tenant B's webhooks: %+v", hs)
			}
		})
	}
	if got := etagOf(t, e.must(200, "GET", hookPath(ah.ID), a.owner, nil)); got != aTag {
		t.Errorf("tenant A's webhook changed: ETag %s → %s", aTag, got)
	}
	if r := e.must(200, "GET", hookPath(ah.ID, "deliveries"), a.owner, nil); string(r.body) != string(aDeliveries.body) {
		t.Errorf("tenant A's deliveries changed:\n%s\n%s", aDeliveries.body, r.body)
	}
}
