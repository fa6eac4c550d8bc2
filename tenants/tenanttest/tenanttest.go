// Package tenanttest gives other packages' tests a tenants.Store on a
// fresh, migrated database, and tenants signed up on it.
package tenanttest

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/pg/pgtest"
	"github.com/remora-sec/remora/tenants"
)

// NewStore returns a store on a database of the test's own, migrated to
// the latest schema and dropped when the test ends.
func NewStore(t testing.TB) *tenants.Store {
	t.Helper()
	pool, _ := pgtest.NewPool(t)
	if _, err := tenants.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	s, err := tenants.NewStore(pool, tenants.Options{JWTSecret: []byte("0123456789abcdef0123456789abcdef-test")})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Signup adds a tenant with a random name and owner, and returns both.
func Signup(t testing.TB, s *tenants.Store) (ids.TenantID, ids.UserID) {
	t.Helper()
	res, err := s.Signup(context.Background(), tenants.SignupRequest{Organization: "Org " + rand.Text()[:8],
		Email: "o-" + rand.Text()[:10] + "@example.com", Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	return res.Tenant.ID, res.User.ID
}
