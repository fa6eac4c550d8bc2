package gateway

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/web-openapi/apitypes"
)

// Pairing profiles and install tokens: admin routes over policystore's
// pairing_*.go. Consuming a token is pairing's business, not these routes'.

func profileID(r *http.Request) string { return chi.URLParam(r, "profileId") }

func pairingInput(in apitypes.PairingProfileInput) policystore.PairingProfileInput {
	out := policystore.PairingProfileInput{Name: in.Name, MaxUses: in.MaxUses, Lifetime: in.Lifetime}
	if in.Labels != nil {
		out.Labels = make([]policy.LabelID, len(*in.Labels))
		for i, l := range *in.Labels {
			out.Labels[i] = policy.LabelID(l)
		}
	}
	if in.EnforcementMode != nil {
		out.Mode = policy.Mode(*in.EnforcementMode)
	}
	if in.Unlimited != nil {
		out.Unlimited = *in.Unlimited
	}
	return out
}

func apiPairingProfile(p policystore.PairingProfile) apitypes.PairingProfile {
	labels := make([]string, len(p.Labels))
	for i, l := range p.Labels {
		labels[i] = string(l)
	}
	return apitypes.PairingProfile{ID: string(p.ID), Name: p.Name, Labels: labels, EnforcementMode: apitypes.EnforcementMode(p.Mode),
		MaxUses: p.MaxUses, Unlimited: p.MaxUses == nil, Lifetime: p.Lifetime.String(), LifetimeSeconds: int(p.Lifetime / time.Second),
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
}

func apiPairingSummary(s policystore.PairingProfileSummary) apitypes.PairingProfileSummary {
	p := apiPairingProfile(s.PairingProfile)
	return apitypes.PairingProfileSummary{ID: p.ID, Name: p.Name, Labels: p.Labels, EnforcementMode: p.EnforcementMode,
		MaxUses: p.MaxUses, Unlimited: p.Unlimited, Lifetime: p.Lifetime, LifetimeSeconds: p.LifetimeSeconds,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Tokens: s.Tokens, Uses: s.Uses}
}

// apiPairingToken renders t with its state at now.
func apiPairingToken(t policystore.PairingToken, now time.Time) apitypes.PairingToken {
	return apitypes.PairingToken{ID: string(t.ID), ProfileID: string(t.Profile), MaxUses: t.MaxUses, Unlimited: t.MaxUses == nil,
		Uses: t.Uses, ExpiresAt: t.ExpiresAt.UTC(), RevokedAt: utc(t.RevokedAt), CreatedAt: t.CreatedAt.UTC(),
		CreatedBy: nonEmpty(string(t.CreatedBy.User)), CreatedByAPIKey: nonEmpty(string(t.CreatedBy.APIKey)),
		LastUsedAt: utc(t.LastUsedAt), State: apitypes.PairingTokenState(t.State(now))}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func writePairingProfile(w http.ResponseWriter, status int, p policystore.PairingProfile) error {
	w.Header().Set("ETag", policystore.ETag(p.Revision))
	httpx.WriteJSON(w, status, apiPairingProfile(p))
	return nil
}

func (a *api) listPairingProfiles(w http.ResponseWriter, r *http.Request) error {
	pr, err := httpx.PageRequest(r)
	if err != nil {
		return err
	}
	ps, next, err := a.policy.ListPairingProfiles(r.Context(), principal(r).Tenant, pr)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, apitypes.PairingProfileList{Items: mapSlice(ps, apiPairingSummary), NextCursor: cursor(next)})
	return nil
}

func (a *api) createPairingProfile(w http.ResponseWriter, r *http.Request) error {
	var in apitypes.PairingProfileInput
	if err := httpx.Decode(w, r, &in); err != nil {
		return err
	}
	p, err := a.policy.CreatePairingProfile(r.Context(), principal(r).Tenant, pairingInput(in))
	if err != nil {
		return err
	}
	return writePairingProfile(w, http.StatusCreated, p)
}

func (a *api) getPairingProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := a.policy.GetPairingProfile(r.Context(), principal(r).Tenant, profileID(r))
	if err != nil {
		return err
	}
	return writePairingProfile(w, http.StatusOK, p)
}

func (a *api) updatePairingProfile(w http.ResponseWriter, r *http.Request) error {
	var in apitypes.PairingProfileInput
	if err := httpx.Decode(w, r, &in); err != nil {
		return err
	}
	p, err := a.policy.UpdatePairingProfile(r.Context(), principal(r).Tenant, profileID(r), pairingInput(in), r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	return writePairingProfile(w, http.StatusOK, p)
}

func (a *api) deletePairingProfile(w http.ResponseWriter, r *http.Request) error {
	if err := a.policy.DeletePairingProfile(r.Context(), principal(r).Tenant, profileID(r), r.Header.Get("If-Match")); err != nil {
		return err
	}
	return noContent(w)
}

// emptyBody accepts no body or an empty JSON object, and refuses anything
// else as Decode does.
func emptyBody(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength == 0 {
		return nil
	}
	var req apitypes.PairingTokenRequest
	return httpx.Decode(w, r, &req)
}

func (a *api) createPairingToken(w http.ResponseWriter, r *http.Request) error {
	if err := emptyBody(w, r); err != nil {
		return err
	}
	t, token, err := a.policy.CreatePairingToken(r.Context(), principal(r).Tenant, profileID(r), author(r))
	if err != nil {
		return err
	}
	v := apiPairingToken(t, time.Now())
	httpx.WriteJSON(w, http.StatusCreated, apitypes.PairingTokenCreated{ID: v.ID, ProfileID: v.ProfileID, MaxUses: v.MaxUses,
		Unlimited: v.Unlimited, Uses: v.Uses, ExpiresAt: v.ExpiresAt, RevokedAt: v.RevokedAt, CreatedAt: v.CreatedAt,
		CreatedBy: v.CreatedBy, CreatedByAPIKey: v.CreatedByAPIKey, LastUsedAt: v.LastUsedAt, State: v.State, Token: token})
	return nil
}

func (a *api) listPairingTokens(w http.ResponseWriter, r *http.Request) error {
	pr, err := httpx.PageRequest(r)
	if err != nil {
		return err
	}
	ts, next, err := a.policy.ListPairingTokens(r.Context(), principal(r).Tenant, profileID(r), pr)
	if err != nil {
		return err
	}
	now := time.Now()
	items := make([]apitypes.PairingToken, len(ts))
	for i, t := range ts {
		items[i] = apiPairingToken(t, now)
	}
	httpx.WriteJSON(w, http.StatusOK, apitypes.PairingTokenList{Items: items, NextCursor: cursor(next)})
	return nil
}

func (a *api) revokePairingToken(w http.ResponseWriter, r *http.Request) error {
	if err := emptyBody(w, r); err != nil {
		return err
	}
	t, err := a.policy.RevokePairingToken(r.Context(), principal(r).Tenant, profileID(r), chi.URLParam(r, "tokenId"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, apiPairingToken(t, time.Now()))
	return nil
}
