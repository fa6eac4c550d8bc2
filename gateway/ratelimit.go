package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/gateway/ratelimit"
)

// accountKey extracts, from a request body, the account a rate-limited
// route acts on ("" when there is none), so that guessing at one account
// from many addresses is limited too.
type accountKey func(body []byte) string

// noAccount limits by client address only.
func noAccount([]byte) string { return "" }

func loginAccount(body []byte) string {
	var v struct{ Email string }
	json.Unmarshal(body, &v)
	return strings.ToLower(v.Email)
}

func refreshAccount(body []byte) string {
	var v struct {
		RefreshToken string `json:"refresh_token"`
	}
	json.Unmarshal(body, &v)
	return v.RefreshToken
}

// charge is one budget a request draws on.
type charge struct {
	lim ratelimit.Limit
	key string
}

// rateLimited charges the request to its client address and, if the route
// names one, to its account, before the handler runs. If Redis cannot be
// asked, the request is refused (500): limits fail closed.
func (a *api) rateLimited(account accountKey, next http.Handler) http.Handler {
	perAddr := ratelimit.Limit{Name: "addr", Max: a.Limits.PerAddress, Window: a.Limits.Window}
	perAcct := ratelimit.Limit{Name: "account", Max: a.Limits.PerAccount, Window: a.Limits.Window}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := r.URL.Path + ":"
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		checks := []charge{{perAddr, route + host}}
		if account != nil {
			body, err := io.ReadAll(io.LimitReader(r.Body, httpx.MaxBody+1))
			if err != nil {
				httpx.WriteProblem(w, r, http.StatusBadRequest, "could not read the request body")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if acct := account(body); acct != "" {
				checks = append(checks, charge{perAcct, route + acct})
			}
		}
		for _, c := range checks {
			ok, retry, err := a.limiter.Allow(r.Context(), c.lim, c.key)
			if err != nil {
				httpx.WriteError(w, r, a.Log, fmt.Errorf("rate limit: %w", err))
				return
			}
			if !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())))
				httpx.WriteProblem(w, r, http.StatusTooManyRequests, "too many requests; retry after "+retry.String())
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
