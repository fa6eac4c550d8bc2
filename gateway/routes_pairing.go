package gateway

import (
	"net/http"

	"github.com/remora-sec/remora/tenants"
)

// pairingRoutes manage pairing profiles and their install tokens: admins
// only, reads included, since a token list tells who may join hosts to
// the tenant.
func (a *api) pairingRoutes() []route {
	const (
		profiles = "/api/v1/pairing-profiles"
		profile  = profiles + "/{profileId}"
		tokens   = profile + "/tokens"
	)
	return []route{
		{method: http.MethodGet, pattern: profiles, role: tenants.Admin, h: a.listPairingProfiles},
		{method: http.MethodPost, pattern: profiles, role: tenants.Admin, h: a.createPairingProfile},
		{method: http.MethodGet, pattern: profile, role: tenants.Admin, h: a.getPairingProfile},
		{method: http.MethodPut, pattern: profile, role: tenants.Admin, h: a.updatePairingProfile},
		{method: http.MethodDelete, pattern: profile, role: tenants.Admin, h: a.deletePairingProfile},
		{method: http.MethodGet, pattern: tokens, role: tenants.Admin, h: a.listPairingTokens},
		{method: http.MethodPost, pattern: tokens, role: tenants.Admin, h: a.createPairingToken},
		{method: http.MethodPost, pattern: tokens + "/{tokenId}/revoke", role: tenants.Admin, h: a.revokePairingToken},
	}
}
