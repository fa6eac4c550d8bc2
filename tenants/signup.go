package tenants

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/usererr"
)

// Tenant is an organization using Remora.
type Tenant struct {
	ID            ids.TenantID
	Name          string
	CreatedAt     time.Time
	SchemaVersion int
}

// SignupRequest is what a new organization gives.
type SignupRequest struct {
	Organization, Email, Password string
}

// SignupResult is the new tenant, its owner, and a logged-in session.
type SignupResult struct {
	Tenant Tenant
	User   User
	Tokens Tokens
}

// Signup creates a tenant, its schema at the latest version, and its owner,
// and logs the owner in — all in one transaction, so a failure at any step
// leaves no tenant, no schema and no user behind.
func (s *Store) Signup(ctx context.Context, req SignupRequest) (SignupResult, error) {
	var f usererr.Fields
	checkName(&f, "organization", req.Organization)
	checkEmail(&f, "email", req.Email)
	checkPassword(&f, "password", req.Password)
	if err := f.Err(); err != nil {
		return SignupResult{}, err
	}
	hash, err := hashPassword(req.Password)
	if err != nil {
		return SignupResult{}, err
	}
	var res SignupResult
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		t := &res.Tenant
		if err := tx.QueryRow(ctx, `INSERT INTO remora.tenants (name) VALUES ($1) RETURNING id, name, created_at`,
			req.Organization).Scan(&t.ID, &t.Name, &t.CreatedAt); err != nil {
			return fmt.Errorf("insert tenant: %w", err)
		}
		schema, err := t.ID.Schema()
		if err != nil {
			return err
		}
		if _, t.SchemaVersion, err = tenantMigrations.Apply(ctx, tx, schema); err != nil {
			return fmt.Errorf("provision tenant schema: %w", err)
		}
		if res.User, err = insertUser(ctx, tx, t.ID, req.Email, hash, Owner); err != nil {
			return err
		}
		if res.Tokens, err = s.startSession(ctx, tx, res.User); err != nil {
			return err
		}
		res.User = res.Tokens.User // with the login recorded
		// Nobody was signed in to make the request: its actor is the owner
		// it creates. Apply left tx in the new tenant's schema.
		actx := outbox.WithActor(ctx, userActor(res.User.ID))
		if err := emit(actx, tx, t.ID, "tenant.created", outbox.Resource{Type: "tenant", ID: string(t.ID)},
			map[string]any{"name": t.Name}); err != nil {
			return err
		}
		return emit(actx, tx, t.ID, "user.created", userResource(res.User.ID), userData(res.User))
	})
	if err != nil {
		return SignupResult{}, fmt.Errorf("signup: %w", err)
	}
	return res, nil
}

// insertUser adds a user; an email already registered anywhere is a
// Conflict on the email field.
func insertUser(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, email, hash string, role Role) (User, error) {
	u := User{Tenant: tenant, Email: email, Role: role}
	err := tx.QueryRow(ctx, `INSERT INTO remora.users (tenant_id, email, password_hash, role)
		VALUES ($1, $2, $3, $4) RETURNING id, created_at`, tenant, email, hash, role).Scan(&u.ID, &u.CreatedAt)
	if pg.IsUniqueViolation(err, "users_email_key") {
		return User{}, emailTaken()
	}
	if err != nil {
		return User{}, fmt.Errorf("insert user: %w", err)
	}
	return u, nil
}

func emailTaken() error {
	return &usererr.Error{Kind: usererr.Conflict, Msg: "email already registered",
		Fields: []usererr.FieldError{{Field: "email", Message: "is already registered"}}}
}
