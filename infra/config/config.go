// Package config reads the PCE's settings from REMORA_* environment
// variables, each overridable by a command-line flag, and validates them all
// before anything starts: a bad setting is one clear line and a non-zero
// exit, never a half-started server.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything `remora` needs to run.
type Config struct {
	DatabaseURL string // REMORA_DATABASE_URL
	RedisURL    string // REMORA_REDIS_URL
	HTTPAddr    string // REMORA_HTTP_ADDR
	JWTSecret   string // REMORA_JWT_SECRET; generated under DataDir in dev mode
	DataDir     string // REMORA_DATA_DIR: secrets, self-signed certificate
	TLSCert     string // REMORA_TLS_CERT
	TLSKey      string // REMORA_TLS_KEY
	Dev         bool   // REMORA_DEV / --dev: development mode (make run)
	LogLevel    string // REMORA_LOG_LEVEL: debug, info, warn, error

	// Rate limits on the unauthenticated endpoints, per client address and
	// per account, each per RateWindow.
	RateWindow     time.Duration // REMORA_RATE_WINDOW
	RatePerAddress int           // REMORA_RATE_PER_ADDRESS
	RatePerAccount int           // REMORA_RATE_PER_ACCOUNT

	// Workers is how many compute workers `serve` runs in-process (0: none,
	// run `remora worker` instead); `remora worker` runs this many, at least 1.
	Workers int // REMORA_WORKERS

	// ComputeCache is how many tenants' compiled graphs a process keeps in
	// memory between recomputes (least recently used go first); a tenant
	// not held is rebuilt from Postgres on its next change.
	ComputeCache int // REMORA_COMPUTE_CACHE

	// RedisPrefix starts every Redis key the PCE uses (queue, rate limits):
	// deployments sharing one Redis keep apart by it.
	RedisPrefix string // REMORA_REDIS_PREFIX

	// The VEN channel: the WireGuard hub's UDP address, the endpoint VENs
	// are told to reach it at ("" : the host they paired through, with the
	// listen port), the tunnel range, the hub's UAPI name for wg(8) (""
	// : none), how long a policy poll waits, and the heartbeat interval
	// asked of VENs.
	WGListen     netip.AddrPort // REMORA_WG_LISTEN
	WGEndpoint   string         // REMORA_WG_ENDPOINT
	WGPrefix     netip.Prefix   // REMORA_WG_PREFIX
	WGUAPI       string         // REMORA_WG_UAPI
	VENPoll      time.Duration  // REMORA_VEN_POLL_TIMEOUT
	VENHeartbeat time.Duration  // REMORA_VEN_HEARTBEAT
	VENOffline   time.Duration  // REMORA_VEN_OFFLINE_TIMEOUT

	// Webhook delivery: whether plain http targets are allowed (local use
	// and tests), the address ranges webhooks may target although the
	// SSRF guard blocks them by default, the retry schedule (comma-
	// separated delays, parsed by gateway/webhook/backoff when serve
	// starts: config sits below gateway), and how many deliveries this
	// process sends at once (0: none, another replica delivers).
	WebhookAllowHTTP bool           // REMORA_WEBHOOK_ALLOW_HTTP
	WebhookAllow     []netip.Prefix // REMORA_WEBHOOK_ALLOW
	WebhookSchedule  string         // REMORA_WEBHOOK_SCHEDULE
	WebhookWorkers   int            // REMORA_WEBHOOK_WORKERS
	// EventRetention is how long events (the audit log) are kept; `serve`
	// deletes older ones every hour.
	EventRetention time.Duration // REMORA_EVENT_RETENTION
}

// Env lists each setting's variable, default and meaning; it drives both the
// flags and the README's table, so they cannot drift apart.
var Env = []struct {
	Name, Flag, Default, Usage string
	Bool                       bool // a switch: --dev alone means true
}{
	{"REMORA_DATABASE_URL", "database-url", "postgres://localhost:5432/remora?sslmode=disable", "Postgres connection URL", false},
	{"REMORA_REDIS_URL", "redis-url", "redis://localhost:6379/0", "Redis connection URL", false},
	{"REMORA_REDIS_PREFIX", "redis-prefix", "remora:", "prefix of every Redis key (deployments sharing a Redis need distinct ones)", false},
	{"REMORA_HTTP_ADDR", "http-addr", ":8080", "address the API listens on", false},
	{"REMORA_JWT_SECRET", "jwt-secret", "", "HMAC key for access tokens, at least 32 bytes (required unless --dev)", false},
	{"REMORA_DATA_DIR", "data-dir", "/var/lib/remora", "directory for generated secrets and the self-signed certificate", false},
	{"REMORA_TLS_CERT", "tls-cert", "", "PEM certificate to serve HTTPS with (default: self-signed under the data dir)", false},
	{"REMORA_TLS_KEY", "tls-key", "", "PEM private key of --tls-cert", false},
	{"REMORA_DEV", "dev", "false", "development mode: generate a JWT secret under the data dir, print the quick start", true},
	{"REMORA_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", false},
	{"REMORA_RATE_WINDOW", "rate-window", "1m", "window of the signup/login/refresh rate limits", false},
	{"REMORA_RATE_PER_ADDRESS", "rate-per-address", "30", "signup/login/refresh requests per window per client address", false},
	{"REMORA_RATE_PER_ACCOUNT", "rate-per-account", "10", "login/refresh attempts per window per account", false},
	{"REMORA_WORKERS", "workers", "1", "compute workers to run in this process (serve: 0 for none, then run `remora worker`)", false},
	{"REMORA_WG_LISTEN", "wg-listen", "[::]:51820", "UDP address of the WireGuard hub VENs connect to", false},
	{"REMORA_WG_ENDPOINT", "wg-endpoint", "", "host:port VENs are told to reach the hub at (default: the host they paired through, with the listen port)", false},
	{"REMORA_WG_PREFIX", "wg-prefix", "100.64.0.0/10", "tunnel address range: the hub takes the first address, VENs the ones after", false},
	{"REMORA_WG_UAPI", "wg-uapi", "", "name of the hub's UAPI socket in /var/run/wireguard, so `wg show NAME` works (needs root; empty: none)", false},
	{"REMORA_VEN_POLL_TIMEOUT", "ven-poll-timeout", "30s", "how long a VEN's policy poll waits for a newer document before answering 304", false},
	{"REMORA_VEN_HEARTBEAT", "ven-heartbeat", "30s", "heartbeat interval asked of VENs", false},
	{"REMORA_VEN_OFFLINE_TIMEOUT", "ven-offline-timeout", "1h", "a VEN silent this long is offline: its workload's addresses leave every set", false},
	{"REMORA_COMPUTE_CACHE", "compute-cache", "64", "tenants whose compiled graphs a process keeps in memory between recomputes", false},
	{"REMORA_WEBHOOK_ALLOW_HTTP", "webhook-allow-http", "false", "let webhooks target plain http URLs (local use and tests; https only otherwise)", true},
	{"REMORA_WEBHOOK_ALLOW", "webhook-allow", "", "comma-separated CIDRs webhooks may target although loopback, private, link-local, CGNAT or metadata (default: none)", false},
	{"REMORA_WEBHOOK_SCHEDULE", "webhook-schedule", "5s,5m,30m,2h,5h,10h,10h", "delays before each retry of a failed webhook delivery; after the last, it has failed", false},
	{"REMORA_WEBHOOK_WORKERS", "webhook-workers", "2", "webhook deliveries this process sends at once (0: none; replicas share the queue)", false},
	{"REMORA_EVENT_RETENTION", "event-retention", "2160h", "how long events (the audit log) are kept; older ones are deleted every hour", false},
}

// Load registers every setting on fs, parses args, and validates the result.
// getenv supplies the environment (os.Getenv in production, a map in tests).
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	vals := make(map[string]*string, len(Env))
	for _, e := range Env {
		def := e.Default
		if v := getenv(e.Name); v != "" {
			def = v
		}
		v := &textValue{s: def, isBool: e.Bool}
		fs.Var(v, e.Flag, e.Usage+" ("+e.Name+")")
		vals[e.Name] = &v.s
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	get := func(name string) string { return strings.TrimSpace(*vals[name]) }

	c := Config{
		DatabaseURL: get("REMORA_DATABASE_URL"),
		RedisURL:    get("REMORA_REDIS_URL"),
		HTTPAddr:    get("REMORA_HTTP_ADDR"),
		JWTSecret:   *vals["REMORA_JWT_SECRET"],
		DataDir:     get("REMORA_DATA_DIR"),
		TLSCert:     get("REMORA_TLS_CERT"),
		TLSKey:      get("REMORA_TLS_KEY"),
		LogLevel:    get("REMORA_LOG_LEVEL"),
		RedisPrefix: get("REMORA_REDIS_PREFIX"),
	}
	var errs []error
	bad := func(name, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, a...)...))
	}
	var err error
	if c.Dev, err = strconv.ParseBool(get("REMORA_DEV")); err != nil {
		bad("REMORA_DEV", "want true or false, got %q", get("REMORA_DEV"))
	}
	checkURL(bad, "REMORA_DATABASE_URL", c.DatabaseURL, "postgres", "postgresql")
	checkURL(bad, "REMORA_REDIS_URL", c.RedisURL, "redis", "rediss")
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		bad("REMORA_HTTP_ADDR", "want host:port or :port, got %q", c.HTTPAddr)
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		bad("REMORA_JWT_SECRET", "must be at least 32 bytes, got %d", len(c.JWTSecret))
	}
	if c.RedisPrefix == "" || strings.ContainsAny(c.RedisPrefix, " \t\r\n*?[") {
		bad("REMORA_REDIS_PREFIX", "want a non-empty key prefix without spaces or glob characters, got %q", c.RedisPrefix)
	}
	if c.DataDir == "" {
		bad("REMORA_DATA_DIR", "must not be empty")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("REMORA_TLS_CERT", "REMORA_TLS_CERT and REMORA_TLS_KEY go together: set both or neither")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("REMORA_LOG_LEVEL", "want debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.RateWindow, err = time.ParseDuration(get("REMORA_RATE_WINDOW")); err != nil || c.RateWindow <= 0 {
		bad("REMORA_RATE_WINDOW", "want a positive duration such as 1m, got %q", get("REMORA_RATE_WINDOW"))
	}
	c.RatePerAddress = positiveInt(bad, "REMORA_RATE_PER_ADDRESS", get("REMORA_RATE_PER_ADDRESS"))
	c.RatePerAccount = positiveInt(bad, "REMORA_RATE_PER_ACCOUNT", get("REMORA_RATE_PER_ACCOUNT"))
	if c.Workers, err = strconv.Atoi(get("REMORA_WORKERS")); err != nil || c.Workers < 0 || c.Workers > 64 {
		bad("REMORA_WORKERS", "want a number from 0 to 64, got %q", get("REMORA_WORKERS"))
	}
	c.ComputeCache = positiveInt(bad, "REMORA_COMPUTE_CACHE", get("REMORA_COMPUTE_CACHE"))
	if c.WGListen, err = netip.ParseAddrPort(get("REMORA_WG_LISTEN")); err != nil {
		bad("REMORA_WG_LISTEN", "want address:port such as [::]:51820 or 0.0.0.0:51820, got %q", get("REMORA_WG_LISTEN"))
	}
	c.WGEndpoint = get("REMORA_WG_ENDPOINT")
	if _, port, err := net.SplitHostPort(c.WGEndpoint); c.WGEndpoint != "" && (err != nil || port == "") {
		bad("REMORA_WG_ENDPOINT", "want host:port, got %q", c.WGEndpoint)
	}
	if c.WGPrefix, err = netip.ParsePrefix(get("REMORA_WG_PREFIX")); err != nil || c.WGPrefix.Bits() > c.WGPrefix.Addr().BitLen()-2 {
		bad("REMORA_WG_PREFIX", "want a CIDR range with room for the hub and VENs, such as 100.64.0.0/10, got %q", get("REMORA_WG_PREFIX"))
	}
	c.WGUAPI = get("REMORA_WG_UAPI")
	if strings.ContainsAny(c.WGUAPI, "/ \t") || len(c.WGUAPI) > 15 {
		bad("REMORA_WG_UAPI", "want an interface-like name of at most 15 characters, got %q", c.WGUAPI)
	}
	if c.VENOffline, err = time.ParseDuration(get("REMORA_VEN_OFFLINE_TIMEOUT")); err != nil || c.VENOffline < 10*time.Second || c.VENOffline > 30*24*time.Hour {
		bad("REMORA_VEN_OFFLINE_TIMEOUT", "want a duration from 10s to 720h, got %q", get("REMORA_VEN_OFFLINE_TIMEOUT"))
	}
	for name, d := range map[string]*time.Duration{"REMORA_VEN_POLL_TIMEOUT": &c.VENPoll, "REMORA_VEN_HEARTBEAT": &c.VENHeartbeat} {
		if *d, err = time.ParseDuration(get(name)); err != nil || *d < time.Second || *d > time.Hour {
			bad(name, "want a duration from 1s to 1h, got %q", get(name))
		}
	}
	if c.WebhookAllowHTTP, err = strconv.ParseBool(get("REMORA_WEBHOOK_ALLOW_HTTP")); err != nil {
		bad("REMORA_WEBHOOK_ALLOW_HTTP", "want true or false, got %q", get("REMORA_WEBHOOK_ALLOW_HTTP"))
	}
	c.WebhookAllow = prefixes(bad, "REMORA_WEBHOOK_ALLOW", get("REMORA_WEBHOOK_ALLOW"))
	if c.WebhookSchedule = get("REMORA_WEBHOOK_SCHEDULE"); c.WebhookSchedule == "" {
		bad("REMORA_WEBHOOK_SCHEDULE", "want delays such as 5s,5m,30m,2h, got nothing")
	}
	if c.WebhookWorkers, err = strconv.Atoi(get("REMORA_WEBHOOK_WORKERS")); err != nil || c.WebhookWorkers < 0 || c.WebhookWorkers > 64 {
		bad("REMORA_WEBHOOK_WORKERS", "want a number from 0 to 64, got %q", get("REMORA_WEBHOOK_WORKERS"))
	}
	if c.EventRetention, err = time.ParseDuration(get("REMORA_EVENT_RETENTION")); err != nil || c.EventRetention < time.Hour || c.EventRetention > 10*8760*time.Hour {
		bad("REMORA_EVENT_RETENTION", "want a duration from 1h to 87600h (10 years), got %q", get("REMORA_EVENT_RETENTION"))
	}
	return c, errors.Join(errs...)
}

// prefixes parses a comma-separated list of CIDR prefixes (a bare address
// stands for itself alone). A prefix with host bits set is refused: it
// usually means a different range than the one written.
func prefixes(bad func(string, string, ...any), name, raw string) []netip.Prefix {
	var out []netip.Prefix
	for _, f := range strings.Split(raw, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil || a.Zone() != "" {
				bad(name, "want CIDR prefixes such as 10.1.0.0/16,fd00::/8, got %q", f)
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p != p.Masked() {
			bad(name, "%q has host bits set; did you mean %s?", f, p.Masked())
			continue
		}
		out = append(out, p)
	}
	return out
}

func checkURL(bad func(string, string, ...any), name, raw string, schemes ...string) {
	u, err := url.Parse(raw)
	if err != nil {
		bad(name, "not a URL: %v", err)
		return
	}
	for _, s := range schemes {
		if u.Scheme == s && u.Host != "" {
			return
		}
	}
	bad(name, "want %s://host[:port]/..., got %q", schemes[0], raw)
}

func positiveInt(bad func(string, string, ...any), name, raw string) int {
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		bad(name, "want a positive integer, got %q", raw)
	}
	return n
}

// EnsureJWTSecret fills c.JWTSecret, in development mode only, from
// DataDir/jwt-secret, creating that file with 32 random bytes on first use so
// tokens survive restarts.
func (c *Config) EnsureJWTSecret() error {
	if c.JWTSecret != "" {
		return nil
	}
	if !c.Dev {
		return errors.New("REMORA_JWT_SECRET: required outside development mode")
	}
	path := filepath.Join(c.DataDir, "jwt-secret")
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		c.JWTSecret = strings.TrimSpace(string(b))
		if len(c.JWTSecret) < 32 {
			return fmt.Errorf("%s: secret shorter than 32 bytes; delete the file to regenerate it", path)
		}
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("read jwt secret: %w", err)
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return fmt.Errorf("generate jwt secret: %w", err)
	}
	secret := hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write jwt secret: %w", err)
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write jwt secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write jwt secret: %w", err)
	}
	c.JWTSecret = secret
	return nil
}

// textValue is a flag holding raw text, validated after parsing with the
// environment's value, so both sources get the same checks and messages.
type textValue struct {
	s      string
	isBool bool
}

func (v *textValue) String() string     { return v.s }
func (v *textValue) Set(s string) error { v.s = s; return nil }
func (v *textValue) IsBoolFlag() bool   { return v.isBool }
