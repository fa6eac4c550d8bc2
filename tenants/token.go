package tenants

import (
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/remora-sec/remora/infra/ids"
)

const jwtIssuer = "remora"

// accessClaims are the claims of an access token. The role is informative
// (clients may show it); authorization uses the role read from the database
// at each request, so a demotion takes effect at once.
type accessClaims struct {
	jwt.RegisteredClaims
	Tenant  ids.TenantID  `json:"tenant"`
	Role    Role          `json:"role"`
	Session ids.SessionID `json:"sid"`
}

// tokenIssuer signs and verifies access JWTs with HMAC-SHA256.
type tokenIssuer struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

func (ti tokenIssuer) issue(tenant ids.TenantID, user ids.UserID, session ids.SessionID, role Role) (string, error) {
	now := ti.now()
	jti, err := newSecret("")
	if err != nil {
		return "", err
	}
	c := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    jwtIssuer,
			Subject:   string(user),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ti.ttl)),
			ID:        jti[:22],
		},
		Tenant: tenant, Role: role, Session: session,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(ti.secret)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return s, nil
}

// verify checks signature, algorithm (pinned to HS256: "none" and key
// confusion are refused), issuer, expiry and the presence of every claim.
func (ti tokenIssuer) verify(tok string) (accessClaims, error) {
	var c accessClaims
	_, err := jwt.ParseWithClaims(tok, &c,
		func(*jwt.Token) (any, error) { return ti.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(jwtIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(ti.now),
	)
	if err != nil {
		return accessClaims{}, err
	}
	if !ids.Valid(c.Subject) || !ids.Valid(string(c.Tenant)) || !ids.Valid(string(c.Session)) || c.ID == "" {
		return accessClaims{}, fmt.Errorf("access token lacks claims")
	}
	return c, nil
}
