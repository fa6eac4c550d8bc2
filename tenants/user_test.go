package tenants

import (
	"testing"

	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/usererr"
)

func ptr[T any](v T) *T { return &v }

func TestUserRoles(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	alice := signup(t, s, "Acme", "alice@acme.example").User
	admin := as(addUser(t, s, as(alice), "adam@acme.example", Admin))

	// Admins add users up to their own role.
	ed := addUser(t, s, admin, "ed@acme.example", Editor)
	_, err := s.CreateUser(ctx, admin, NewUser{Email: "olga@acme.example", Password: testPassword, Role: Owner})
	wantErr(t, err, usererr.Forbidden)
	_, err = s.CreateUser(ctx, as(ed), NewUser{Email: "vic@acme.example", Password: testPassword, Role: Admin})
	wantErr(t, err, usererr.Forbidden)

	// Only owners change roles; admins may edit non-owners' emails only.
	_, err = s.UpdateUser(ctx, admin, ed.ID, UserChange{Role: ptr(Viewer)})
	wantErr(t, err, usererr.Forbidden)
	if u, err := s.UpdateUser(ctx, admin, ed.ID, UserChange{Email: ptr("edward@acme.example")}); err != nil || u.Email != "edward@acme.example" || u.Role != Editor {
		t.Errorf("admin edits editor's email: %+v, %v", u, err)
	}
	_, err = s.UpdateUser(ctx, admin, alice.ID, UserChange{Email: ptr("mallory@acme.example")})
	wantErr(t, err, usererr.Forbidden)
	_, err = s.UpdateUser(ctx, admin, alice.ID, UserChange{Role: ptr(Viewer)})
	wantErr(t, err, usererr.Forbidden)
	wantErr(t, s.DeleteUser(ctx, admin, alice.ID), usererr.Forbidden)
	if u, err := s.GetUser(ctx, alice.Tenant, alice.ID); err != nil || u.Role != Owner || u.Email != alice.Email {
		t.Fatalf("owner after refused changes: %+v, %v", u, err)
	}

	// The last owner can be neither demoted nor deleted...
	_, err = s.UpdateUser(ctx, as(alice), alice.ID, UserChange{Role: ptr(Admin)})
	wantErr(t, err, usererr.Conflict)
	wantErr(t, s.DeleteUser(ctx, as(alice), alice.ID), usererr.Conflict)

	// ...until there is a second one.
	ed, err = s.UpdateUser(ctx, as(alice), ed.ID, UserChange{Role: ptr(Owner)})
	if err != nil || ed.Role != Owner {
		t.Fatalf("promote to owner: %+v, %v", ed, err)
	}
	alice, err = s.UpdateUser(ctx, as(alice), alice.ID, UserChange{Role: ptr(Admin)})
	if err != nil || alice.Role != Admin {
		t.Fatalf("demote an owner who is not the last: %+v, %v", alice, err)
	}
	_, err = s.UpdateUser(ctx, as(ed), ed.ID, UserChange{Role: ptr(Viewer)})
	wantErr(t, err, usererr.Conflict)
	wantErr(t, s.DeleteUser(ctx, as(ed), ed.ID), usererr.Conflict)

	alice, err = s.UpdateUser(ctx, as(ed), alice.ID, UserChange{Role: ptr(Owner)})
	noErr(t, err)
	noErr(t, s.DeleteUser(ctx, as(ed), ed.ID))
	if _, err := s.GetUser(ctx, alice.Tenant, ed.ID); !usererr.Is(err, usererr.NotFound) {
		t.Errorf("deleted owner: GetUser = %v", err)
	}
	if n := count(t, s.Pool(), `SELECT count(*) FROM remora.users WHERE tenant_id = $1 AND role = 'owner'`, alice.Tenant); n != 1 {
		t.Errorf("owners = %d, want 1", n)
	}

	// Admins may remove non-owners.
	noErr(t, s.DeleteUser(ctx, as(alice), admin.User))
	wantErr(t, s.DeleteUser(ctx, as(alice), admin.User), usererr.NotFound)
}

func TestUserValidation(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	owner := as(signup(t, s, "Acme", "alice@acme.example").User)
	signup(t, s, "Globex", "hank@globex.example")
	bob := addUser(t, s, owner, "bob@acme.example", Viewer)

	updates := []struct {
		name   string
		id     ids.UserID
		change UserChange
		kind   usererr.Kind
		field  string
	}{
		{"empty change", bob.ID, UserChange{}, usererr.Invalid, "body"},
		{"bad email", bob.ID, UserChange{Email: ptr("bad")}, usererr.Invalid, "email"},
		{"empty email", bob.ID, UserChange{Email: ptr("")}, usererr.Invalid, "email"},
		{"unknown role", bob.ID, UserChange{Role: ptr(Role("root"))}, usererr.Invalid, "role"},
		{"email of a colleague", bob.ID, UserChange{Email: ptr("alice@acme.example")}, usererr.Conflict, "email"},
		{"email of a colleague, other case", bob.ID, UserChange{Email: ptr("Alice@ACME.example")}, usererr.Conflict, "email"},
		{"email of another tenant's user", bob.ID, UserChange{Email: ptr("hank@globex.example")}, usererr.Conflict, "email"},
		{"unknown user", unknownID, UserChange{Email: ptr("x@acme.example")}, usererr.NotFound, ""},
		{"malformed id", "not-a-uuid", UserChange{Email: ptr("x@acme.example")}, usererr.NotFound, ""},
	}
	for _, tt := range updates {
		t.Run("update "+tt.name, func(t *testing.T) {
			_, err := s.UpdateUser(ctx, owner, tt.id, tt.change)
			if tt.field == "" {
				wantErr(t, err, tt.kind)
			} else {
				wantErr(t, err, tt.kind, tt.field)
			}
		})
	}
	if u, err := s.GetUser(ctx, owner.Tenant, bob.ID); err != nil || u.Email != "bob@acme.example" {
		t.Errorf("bob after refused updates: %+v, %v", u, err)
	}
	// Changing only the case of one's own email is no conflict.
	if u, err := s.UpdateUser(ctx, owner, bob.ID, UserChange{Email: ptr("Bob@acme.example")}); err != nil || u.Email != "Bob@acme.example" {
		t.Errorf("recase own email: %+v, %v", u, err)
	}

	_, err := s.CreateUser(ctx, owner, NewUser{Email: "ALICE@acme.example", Password: testPassword, Role: Viewer})
	wantErr(t, err, usererr.Conflict, "email")
	_, err = s.CreateUser(ctx, owner, NewUser{Email: "a@b", Password: "short", Role: "root"})
	wantErr(t, err, usererr.Invalid, "email", "password", "role")
	wantErr(t, s.DeleteUser(ctx, owner, unknownID), usererr.NotFound)
	wantErr(t, s.DeleteUser(ctx, owner, "not-a-uuid"), usererr.NotFound)
	if n := count(t, s.Pool(), `SELECT count(*) FROM remora.users WHERE tenant_id = $1`, owner.Tenant); n != 2 {
		t.Errorf("users = %d, want 2", n)
	}
}

func TestListUsersPagination(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	alice := signup(t, s, "Acme", "alice@acme.example").User
	want := []ids.UserID{alice.ID}
	for _, email := range []string{"b@acme.example", "c@acme.example", "d@acme.example", "e@acme.example"} {
		want = append(want, addUser(t, s, as(alice), email, Viewer).ID)
	}
	wantPages(t, 2, func(pr page.Request) ([]User, string, error) { return s.ListUsers(t.Context(), alice.Tenant, pr) },
		func(u User) ids.UserID { return u.ID }, []int{2, 2, 1}, want)
}
