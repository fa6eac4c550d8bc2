package policystore_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

// consume runs ConsumePairingToken in a transaction of its own.
func consume(e *env, id policystore.PairingTokenID, clear string) (policystore.PairingProfile, error) {
	var p policystore.PairingProfile
	err := e.tenants.InTenant(e.ctx, e.tenant, func(tx pgx.Tx) error {
		var err error
		p, err = policystore.ConsumePairingToken(e.ctx, tx, string(id), clear, time.Now())
		return err
	})
	return p, err
}

// exec runs one statement in the tenant's schema, as a test's shortcut
// to a state the API cannot reach at once (a token past its expiry).
func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if err := e.tenants.InTenant(e.ctx, e.tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(e.ctx, sql, args...)
		return err
	}); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// token reads token id back through the list of p's tokens.
func (e *env) token(p policystore.PairingProfile, id policystore.PairingTokenID) policystore.PairingToken {
	e.t.Helper()
	for _, t := range e.tokens(p) {
		if t.ID == id {
			return t
		}
	}
	e.t.Fatalf("token %s not listed", id)
	return policystore.PairingToken{}
}

// wantConsumeErr fails unless err is a user error of kind with message msg.
func wantConsumeErr(t *testing.T, err error, kind usererr.Kind, msg string) {
	t.Helper()
	ue := wantErr(t, err, kind)
	if ue.Msg != msg || len(ue.Fields) != 0 {
		t.Errorf("error %q (fields %v), want %q", ue.Msg, ue.Fields, msg)
	}
}

func TestConsumePairingToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	web, prod := e.label("role", "web"), e.label("env", "prod")
	p := e.profile(policystore.PairingProfileInput{Name: "web", Labels: []policy.LabelID{web, prod}, Mode: policy.Full, MaxUses: ptr(2), Lifetime: "1h"})
	tok, clear := e.mint(p)
	if tenant, id, ok := policystore.ParsePairingToken(clear); !ok || tenant != e.tenant || id != string(tok.ID) {
		t.Fatalf("ParsePairingToken(minted) = %q, %q, %v; want %q, %q", tenant, id, ok, e.tenant, tok.ID)
	}
	other, otherClear := e.mint(p)

	// Unknown: no such id, a malformed id, or the wrong secret for a real
	// id. One message for all, so ids cannot be probed; no use is spent.
	_, err := consume(e, policystore.PairingTokenID(ids.New()), clear)
	wantConsumeErr(t, err, usererr.Unauthenticated, "unknown install token")
	_, err = consume(e, "not-an-id", clear)
	wantConsumeErr(t, err, usererr.Unauthenticated, "unknown install token")
	_, err = consume(e, tok.ID, otherClear)
	wantConsumeErr(t, err, usererr.Unauthenticated, "unknown install token")
	_, err = consume(e, tok.ID, flipLast(clear))
	wantConsumeErr(t, err, usererr.Unauthenticated, "unknown install token")

	// Used: the profile comes back; uses and last_used_at are counted.
	before := time.Now()
	got, err := consume(e, tok.ID, clear)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "profile", []any{got.ID, got.Name, got.Labels, got.Mode}, []any{p.ID, "web", []policy.LabelID{prod, web}, policy.Full})
	if st := e.token(p, tok.ID); st.Uses != 1 || st.LastUsedAt == nil || st.LastUsedAt.Before(before.Add(-time.Second)) {
		t.Fatalf("after one use: %+v", st)
	}

	// A use whose transaction fails (the workload could not be created)
	// is not spent.
	boom := errors.New("workload not created")
	err = e.tenants.InTenant(e.ctx, e.tenant, func(tx pgx.Tx) error {
		if _, err := policystore.ConsumePairingToken(e.ctx, tx, string(tok.ID), clear, time.Now()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || e.token(p, tok.ID).Uses != 1 {
		t.Fatalf("rolled-back use: %v, uses %d", err, e.token(p, tok.ID).Uses)
	}

	// Exhausted after max_uses.
	if _, err := consume(e, tok.ID, clear); err != nil {
		t.Fatal(err)
	}
	_, err = consume(e, tok.ID, clear)
	wantConsumeErr(t, err, usererr.Forbidden, "install token has been used 2 of 2 times")
	if st := e.token(p, tok.ID); st.Uses != 2 || st.State(time.Now()) != policystore.TokenExhausted {
		t.Errorf("exhausted token: %+v", st)
	}

	// Expired: its expiry moved into the past.
	expiry := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	e.exec(`UPDATE pairing_tokens SET expires_at = $2 WHERE id = $1`, other.ID, expiry)
	_, err = consume(e, other.ID, otherClear)
	wantConsumeErr(t, err, usererr.Forbidden, "install token expired at 2024-05-06T07:08:09Z")
	// Exactly at the expiry is too late.
	err = e.tenants.InTenant(e.ctx, e.tenant, func(tx pgx.Tx) error {
		_, err := policystore.ConsumePairingToken(e.ctx, tx, string(other.ID), otherClear, expiry)
		return err
	})
	wantConsumeErr(t, err, usererr.Forbidden, "install token expired at 2024-05-06T07:08:09Z")
	err = e.tenants.InTenant(e.ctx, e.tenant, func(tx pgx.Tx) error {
		_, err := policystore.ConsumePairingToken(e.ctx, tx, string(other.ID), otherClear, expiry.Add(-time.Second))
		return err
	})
	if err != nil {
		t.Errorf("a second before the expiry: %v", err)
	}

	// Revoked wins over expired and exhausted.
	for _, tt := range []struct {
		id    policystore.PairingTokenID
		clear string
	}{{tok.ID, clear}, {other.ID, otherClear}} {
		if _, err := e.store.RevokePairingToken(e.ctx, e.tenant, string(p.ID), string(tt.id)); err != nil {
			t.Fatal(err)
		}
		_, err = consume(e, tt.id, tt.clear)
		wantConsumeErr(t, err, usererr.Forbidden, "install token was revoked")
	}
	fresh, freshClear := e.mint(p)
	if _, err := e.store.RevokePairingToken(e.ctx, e.tenant, string(p.ID), string(fresh.ID)); err != nil {
		t.Fatal(err)
	}
	_, err = consume(e, fresh.ID, freshClear)
	wantConsumeErr(t, err, usererr.Forbidden, "install token was revoked")

	// Another tenant's schema does not know the token.
	o := newEnv(t)
	_, err = consume(o, fresh.ID, freshClear)
	wantConsumeErr(t, err, usererr.Unauthenticated, "unknown install token")

	// Unlimited tokens count but never run out.
	u := e.profile(policystore.PairingProfileInput{Name: "any", Unlimited: true, Lifetime: "1h"})
	ut, uClear := e.mint(u)
	for range 5 {
		if _, err := consume(e, ut.ID, uClear); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.token(u, ut.ID); st.Uses != 5 || st.MaxUses != nil || st.State(time.Now()) != policystore.TokenActive {
		t.Errorf("unlimited token after 5 uses: %+v", st)
	}
}

// TestConsumePairingTokenRace: 20 pairings racing on a single-use token,
// each in its own transaction: the row lock lets exactly one through and
// the other 19 see it used up.
func TestConsumePairingTokenRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.profile(profileIn("once"))
	tok, clear := e.mint(p)

	const racers = 20
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			errs[i] = e.tenants.InTenant(e.ctx, e.tenant, func(tx pgx.Tx) error {
				if _, err := policystore.ConsumePairingToken(e.ctx, tx, string(tok.ID), clear, time.Now()); err != nil {
					return err
				}
				// The caller's work in the same transaction (creating the
				// workload) keeps it open a while: the racers must wait
				// for its outcome, not read the count from before it.
				_, err := tx.Exec(e.ctx, `SELECT pg_sleep(0.05)`)
				return err
			})
		})
	}
	close(start)
	wg.Wait()
	ok, exhausted := 0, 0
	for _, err := range errs {
		ue, isUser := usererr.As(err)
		switch {
		case err == nil:
			ok++
		case isUser && ue.Kind == usererr.Forbidden && ue.Msg == "install token has been used 1 of 1 times":
			exhausted++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || exhausted != racers-1 {
		t.Fatalf("%d pairings: %d succeeded and %d were refused as used up; want 1 and %d", racers, ok, exhausted, racers-1)
	}
	if st := e.token(p, tok.ID); st.Uses != 1 {
		t.Errorf("token uses %d, want 1", st.Uses)
	}
}

// flipLast changes a token's last character (to another valid one).
func flipLast(tok string) string {
	last := "A"
	if strings.HasSuffix(tok, "A") {
		last = "B"
	}
	return tok[:len(tok)-1] + last
}
