package gateway

import (
	"net/http"
	"time"

	"github.com/remora-sec/remora/tenants"
	"github.com/remora-sec/remora/web-openapi/apitypes"
)

func apiUser(u tenants.User) apitypes.User {
	return apitypes.User{ID: string(u.ID), Email: u.Email, Role: apitypes.Role(u.Role), CreatedAt: u.CreatedAt.UTC(), LastLoginAt: utc(u.LastLoginAt)}
}

func apiTenant(t tenants.Tenant) apitypes.Tenant {
	return apitypes.Tenant{ID: string(t.ID), Name: t.Name, CreatedAt: t.CreatedAt.UTC(), SchemaVersion: t.SchemaVersion}
}

func apiKey(k tenants.APIKey) apitypes.APIKey {
	var by *string
	if k.CreatedBy != nil {
		s := string(*k.CreatedBy)
		by = &s
	}
	return apitypes.APIKey{ID: string(k.ID), Name: k.Name, Prefix: k.Prefix, Role: apitypes.Role(k.Role), CreatedBy: by,
		CreatedAt: k.CreatedAt.UTC(), ExpiresAt: utc(k.ExpiresAt), LastUsedAt: utc(k.LastUsedAt)}
}

func apiTokens(t tenants.Tokens) apitypes.TokenResponse {
	return apitypes.TokenResponse{User: apiUser(t.User), AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		TokenType: apitypes.TokenResponseTokenTypeBearer, ExpiresIn: int(t.ExpiresIn.Seconds())}
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func cursor(next string) *string {
	if next == "" {
		return nil
	}
	return &next
}

// utc returns t in UTC, keeping nil: API times are always UTC.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}
