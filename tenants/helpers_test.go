package tenants

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/remora-sec/remora/infra/migrate"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/pg/pgtest"
	"github.com/remora-sec/remora/infra/usererr"
)

const testPassword = "correct horse battery staple"

var testJWTSecret = []byte("remora-test-jwt-secret-0123456789abcdef")

// fakeClock is the Store's clock in tests: it moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newStore returns a Store on a fresh, migrated database and its clock. The
// clock starts at a whole second, so times read back from Postgres
// (microseconds) compare equal to it.
func newStore(t *testing.T) (*Store, *fakeClock) {
	t.Helper()
	pool, _ := pgtest.NewPool(t)
	if _, err := Migrate(t.Context(), pool); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	clock := &fakeClock{now: time.Now().UTC().Truncate(time.Second)}
	s, err := NewStore(pool, Options{JWTSecret: testJWTSecret, Now: clock.Now})
	if err != nil {
		t.Fatalf("NewStore: %v", err)
	}
	return s, clock
}

// signup creates a tenant whose owner has testPassword.
func signup(t *testing.T, s *Store, org, email string) SignupResult {
	t.Helper()
	res, err := s.Signup(t.Context(), SignupRequest{Organization: org, Email: email, Password: testPassword})
	if err != nil {
		t.Fatalf("Signup(%q, %q): %v", org, email, err)
	}
	return res
}

// addUser creates a user with testPassword in actor's tenant.
func addUser(t *testing.T, s *Store, actor Principal, email string, role Role) User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), actor, NewUser{Email: email, Password: testPassword, Role: role})
	if err != nil {
		t.Fatalf("CreateUser(%q, %s): %v", email, role, err)
	}
	return u
}

// addKey creates an API key in actor's tenant and returns it with its secret.
func addKey(t *testing.T, s *Store, actor Principal, name string, role Role) (APIKey, string) {
	t.Helper()
	k, secret, err := s.CreateAPIKey(t.Context(), actor, NewAPIKey{Name: name, Role: role})
	if err != nil {
		t.Fatalf("CreateAPIKey(%q, %s): %v", name, role, err)
	}
	return k, secret
}

func login(t *testing.T, s *Store, email string) Tokens {
	t.Helper()
	tok, err := s.Login(t.Context(), email, testPassword)
	if err != nil {
		t.Fatalf("Login(%q): %v", email, err)
	}
	return tok
}

// as is the principal the gateway would build for u from a fresh token.
func as(u User) Principal { return Principal{Tenant: u.Tenant, User: u.ID, Role: u.Role} }

// authenticate returns the principal of a credential that must be accepted.
func authenticate(t *testing.T, s *Store, bearer string) Principal {
	t.Helper()
	p, err := s.Authenticate(t.Context(), bearer)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return p
}

// refused checks that a credential is refused as Unauthenticated.
func refused(t *testing.T, s *Store, bearer string) {
	t.Helper()
	p, err := s.Authenticate(t.Context(), bearer)
	if !usererr.Is(err, usererr.Unauthenticated) {
		t.Fatalf("Authenticate = %+v, %v; want Unauthenticated", p, err)
	}
}

var kindNames = map[usererr.Kind]string{
	usererr.BadRequest: "BadRequest", usererr.Unauthenticated: "Unauthenticated",
	usererr.Forbidden: "Forbidden", usererr.NotFound: "NotFound", usererr.Conflict: "Conflict",
	usererr.PreconditionFailed: "PreconditionFailed", usererr.TooLarge: "TooLarge",
	usererr.UnsupportedMedia: "UnsupportedMedia", usererr.Invalid: "Invalid",
}

// wantErr checks that err is a user error of kind naming at least fields.
func wantErr(t *testing.T, err error, kind usererr.Kind, fields ...string) {
	t.Helper()
	if !usererr.Is(err, kind) {
		t.Fatalf("err = %v; want %s", err, kindNames[kind])
	}
	ue, _ := usererr.As(err)
	var got []string
	for _, f := range ue.Fields {
		got = append(got, f.Field)
	}
	for _, f := range fields {
		if !slices.Contains(got, f) {
			t.Fatalf("err = %v names fields %q; want %q", err, got, fields)
		}
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// count runs a SELECT count(*) query.
func count(t *testing.T, q migrate.Querier, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := q.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func schemaExists(t *testing.T, s *Store, schema string) bool {
	t.Helper()
	return count(t, s.Pool(), `SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1`, schema) == 1
}

// allPages reads every page of list with limit, returning each page's size
// and all items in order.
func allPages[T any](t *testing.T, limit int, list func(page.Request) ([]T, string, error)) ([]int, []T) {
	t.Helper()
	var sizes []int
	var all []T
	var after *page.Key
	for range 20 {
		items, next, err := list(page.Request{Limit: limit, After: after})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		sizes = append(sizes, len(items))
		all = append(all, items...)
		if next == "" {
			return sizes, all
		}
		k, err := page.Decode(next)
		if err != nil {
			t.Fatalf("cursor %q: %v", next, err)
		}
		after = &k
	}
	t.Fatal("pagination does not end")
	return nil, nil
}

// wantPages lists with page size limit and checks the page sizes and that
// the items, by id, are want in order (creation order).
func wantPages[T any, I comparable](t *testing.T, limit int, list func(page.Request) ([]T, string, error), id func(T) I, wantSizes []int, want []I) {
	t.Helper()
	sizes, items := allPages(t, limit, list)
	if !slices.Equal(sizes, wantSizes) {
		t.Errorf("limit %d: page sizes = %v, want %v", limit, sizes, wantSizes)
	}
	var got []I
	for _, it := range items {
		got = append(got, id(it))
	}
	if !slices.Equal(got, want) {
		t.Errorf("limit %d: items = %v, want %v (creation order)", limit, got, want)
	}
}
