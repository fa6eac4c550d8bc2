package tenants

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/migrate"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/usererr"
)

// User is a person who logs in to one tenant.
type User struct {
	ID          ids.UserID
	Tenant      ids.TenantID
	Email       string
	Role        Role
	CreatedAt   time.Time
	LastLoginAt *time.Time
}

const userColumns = "id, tenant_id, email, role, created_at, last_login_at"

func (u *User) fields() []any {
	return []any{&u.ID, &u.Tenant, &u.Email, &u.Role, &u.CreatedAt, &u.LastLoginAt}
}

func (u User) pageKey() page.Key { return page.Key{Time: u.CreatedAt, ID: string(u.ID)} }

// prefixed qualifies each of a comma-separated column list with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// ListUsers returns one page of the tenant's users, oldest first.
func (s *Store) ListUsers(ctx context.Context, tenant ids.TenantID, pr page.Request) ([]User, string, error) {
	return listPage(ctx, s, "users", `SELECT `+userColumns+` FROM remora.users WHERE tenant_id = $1`,
		tenant, pr, (*User).fields, User.pageKey)
}

// GetUser returns one of the tenant's users.
func (s *Store) GetUser(ctx context.Context, tenant ids.TenantID, id ids.UserID) (User, error) {
	return getUser(ctx, s.pool, tenant, id, "")
}

func getUser(ctx context.Context, q migrate.Querier, tenant ids.TenantID, id ids.UserID, lock string) (User, error) {
	if !ids.Valid(string(id)) {
		return User{}, errNotFound("user")
	}
	var u User
	err := q.QueryRow(ctx, `SELECT `+userColumns+` FROM remora.users WHERE id = $1 AND tenant_id = $2 `+lock,
		id, tenant).Scan(u.fields()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, errNotFound("user")
	}
	if err != nil {
		return User{}, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

// NewUser is a user an admin adds, with an initial password.
type NewUser struct {
	Email, Password string
	Role            Role
}

// CreateUser adds a user to the actor's tenant. Nobody grants a role above
// their own.
func (s *Store) CreateUser(ctx context.Context, actor Principal, nu NewUser) (User, error) {
	var f usererr.Fields
	checkEmail(&f, "email", nu.Email)
	checkPassword(&f, "password", nu.Password)
	checkRole(&f, "role", nu.Role)
	if err := f.Err(); err != nil {
		return User{}, err
	}
	if !actor.Role.AtLeast(nu.Role) {
		return User{}, usererr.New(usererr.Forbidden, "you cannot grant a role above your own")
	}
	hash, err := hashPassword(nu.Password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if u, err = insertUser(ctx, tx, actor.Tenant, nu.Email, hash, nu.Role); err != nil {
			return err
		}
		return emit(ctx, tx, actor.Tenant, "user.created", userResource(u.ID), userData(u))
	})
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// UserChange is a partial update; nil fields stay as they are.
type UserChange struct {
	Email *string
	Role  *Role
}

// UpdateUser changes a user's email or role. Admins may change emails of
// non-owners; only owners change roles; the tenant always keeps an owner.
func (s *Store) UpdateUser(ctx context.Context, actor Principal, id ids.UserID, ch UserChange) (User, error) {
	var f usererr.Fields
	if ch.Email == nil && ch.Role == nil {
		f.Add("body", "name at least one of email, role")
	}
	if ch.Email != nil {
		checkEmail(&f, "email", *ch.Email)
	}
	if ch.Role != nil {
		checkRole(&f, "role", *ch.Role)
	}
	if err := f.Err(); err != nil {
		return User{}, err
	}
	var u User
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		target, err := s.lockTarget(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if ch.Role != nil && *ch.Role != target.Role {
			if actor.Role != Owner {
				return usererr.New(usererr.Forbidden, "only owners change roles")
			}
			if target.Role == Owner {
				if err := keepAnOwner(ctx, tx, actor.Tenant, target.ID); err != nil {
					return err
				}
			}
		}
		email, role := target.Email, target.Role
		if ch.Email != nil {
			email = *ch.Email
		}
		if ch.Role != nil {
			role = *ch.Role
		}
		err = tx.QueryRow(ctx, `UPDATE remora.users SET email = $3, role = $4 WHERE id = $1 AND tenant_id = $2
			RETURNING `+userColumns, id, actor.Tenant, email, role).Scan(u.fields()...)
		if pg.IsUniqueViolation(err, "users_email_key") {
			return emailTaken()
		}
		if err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		data := userData(u)
		changed := map[string]any{}
		if u.Email != target.Email {
			changed["email"] = map[string]string{"from": target.Email, "to": u.Email}
		}
		if u.Role != target.Role {
			changed["role"] = map[string]Role{"from": target.Role, "to": u.Role}
		}
		data["changed"] = changed
		return emit(ctx, tx, actor.Tenant, "user.updated", userResource(u.ID), data)
	})
	if err != nil {
		return User{}, fmt.Errorf("update user: %w", err)
	}
	return u, nil
}

// DeleteUser removes a user and, with them, their sessions.
func (s *Store) DeleteUser(ctx context.Context, actor Principal, id ids.UserID) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		target, err := s.lockTarget(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if target.Role == Owner {
			if err := keepAnOwner(ctx, tx, actor.Tenant, target.ID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM remora.users WHERE id = $1 AND tenant_id = $2`, id, actor.Tenant); err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		return emit(ctx, tx, actor.Tenant, "user.deleted", userResource(id), userData(target))
	})
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}

// userData is what events say of u: never its password.
func userData(u User) map[string]any {
	return map[string]any{"email": u.Email, "role": u.Role}
}

// lockTarget serializes user changes per tenant and loads the target, which
// only an owner may change if it is an owner.
func (s *Store) lockTarget(ctx context.Context, tx pgx.Tx, actor Principal, id ids.UserID) (User, error) {
	if _, err := lockTenant(ctx, tx, actor.Tenant); err != nil {
		return User{}, err
	}
	target, err := getUser(ctx, tx, actor.Tenant, id, "FOR UPDATE")
	if err != nil {
		return User{}, err
	}
	if target.Role == Owner && actor.Role != Owner {
		return User{}, usererr.New(usererr.Forbidden, "only owners change or remove owners")
	}
	return target, nil
}

// keepAnOwner refuses to demote or remove owner unless another owner stays.
func keepAnOwner(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, owner ids.UserID) error {
	var others int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM remora.users WHERE tenant_id = $1 AND role = 'owner' AND id <> $2`,
		tenant, owner).Scan(&others); err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if others == 0 {
		return usererr.New(usererr.Conflict, "the tenant's last owner cannot be demoted or removed")
	}
	return nil
}
