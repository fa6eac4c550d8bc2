package tenants

// Role is a user's or API key's level of authority within its tenant.
// Each role can do everything the roles below it can.
type Role string

const (
	Viewer Role = "viewer" // reads everything
	Editor Role = "editor" // also edits policy drafts
	Admin  Role = "admin"  // also provisions, manages users, keys, tokens, webhooks
	Owner  Role = "owner"  // also changes roles and deletes the tenant
)

// Roles lists every role, lowest first.
var Roles = []Role{Viewer, Editor, Admin, Owner}

func (r Role) rank() int {
	for i, x := range Roles {
		if x == r {
			return i + 1
		}
	}
	return 0 // unknown roles can do nothing
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r includes everything min may do.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.rank() >= min.rank() }
