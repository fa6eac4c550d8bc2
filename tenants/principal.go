package tenants

import "github.com/remora-sec/remora/infra/ids"

// Principal is who is making a request, as established by Authenticate:
// a user (through an access token of a live session) or an API key.
type Principal struct {
	Tenant  ids.TenantID
	User    ids.UserID    // empty for an API key
	Session ids.SessionID // empty for an API key
	APIKey  ids.APIKeyID  // empty for a user
	Role    Role          // the current role, read at authentication
}
