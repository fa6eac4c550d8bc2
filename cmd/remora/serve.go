package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/gateway"
	"github.com/remora-sec/remora/gateway/webhook/backoff"
	"github.com/remora-sec/remora/infra/config"
	"github.com/remora-sec/remora/infra/logging"
	"github.com/remora-sec/remora/infra/metrics"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/tlsutil"
)

// serve runs the PCE until ctx ends, then drains in-flight requests.
func serve(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(fs, args, os.Getenv)
	if err != nil {
		return err
	}
	if err := cfg.EnsureJWTSecret(); err != nil {
		return err
	}
	schedule, err := backoff.Parse(cfg.WebhookSchedule)
	if err != nil {
		return fmt.Errorf("REMORA_WEBHOOK_SCHEDULE: %w", err)
	}
	log := logging.New(stderr, cfg.LogLevel)

	store, rdb, closeAll, err := open(ctx, cfg, cfg.JWTSecret)
	if err != nil {
		return err
	}
	defer closeAll()

	certFile, keyFile := cfg.TLSCert, cfg.TLSKey
	if certFile == "" {
		certFile, keyFile = filepath.Join(cfg.DataDir, "tls", "cert.pem"), filepath.Join(cfg.DataDir, "tls", "key.pem")
	}
	cert, created, err := tlsutil.LoadOrCreate(certFile, keyFile, nil)
	if err != nil {
		return err
	}
	fingerprint, pin := tlsutil.Fingerprint(cert), tlsutil.PublicKeyPin(cert)

	computeCtx, stopCompute := context.WithCancel(ctx)
	q := queue.New(rdb, cfg.RedisPrefix)
	reg := metrics.NewRegistry()
	waitCompute := startCompute(computeCtx, cfg, cfg.Workers, store, q, log, reg)
	defer waitCompute()
	guard := webhookGuard(cfg)
	waitWebhooks := startWebhooks(computeCtx, cfg, schedule, guard, store, log)
	defer waitWebhooks()
	defer stopCompute()

	ven, stopVEN, err := startVENChannel(computeCtx, cfg, store, rdb, q, log)
	if err != nil {
		return err
	}
	defer stopVEN()

	pruned := make(chan struct{})
	go func() {
		defer close(pruned)
		p := &outbox.Pruner{Tenants: store, Retention: cfg.EventRetention, Log: log}
		p.Run(outbox.WithActor(computeCtx, outbox.System), time.Hour)
	}()
	defer func() { <-pruned }()

	handler := gateway.New(gateway.Deps{
		Tenants: store, Redis: rdb, Log: log, Registry: reg, Queue: q, VEN: ven, WebhookGuard: guard,
		Limits: gateway.Limits{Window: cfg.RateWindow, PerAddress: cfg.RatePerAddress, PerAccount: cfg.RatePerAccount, KeyPrefix: cfg.RedisPrefix + "rl:"},
	})
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		TLSConfig:         tlsutil.ServerConfig(cert),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// net/http's own complaints (TLS handshake errors, bad requests it
		// answers itself) join the JSON log instead of interleaving text.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("serving", "addr", ln.Addr().String(), "tls_cert", certFile, "tls_cert_created", created,
		"tls_fingerprint_sha256", fingerprint, "tls_pubkey_pin", pin, "version", version)
	if cfg.Dev {
		printQuickStart(stdout, ln.Addr().(*net.TCPAddr).Port, certFile, fingerprint, pin)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// printQuickStart tells a developer who just ran `make run` how to talk to
// the PCE; it mirrors the README's quick start.
func printQuickStart(w io.Writer, port int, certFile, fingerprint, pin string) {
	rel := certFile
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, certFile); err == nil && !strings.HasPrefix(r, "..") {
			rel = r
		}
	}
	fmt.Fprintf(w, `
Remora PCE is up at https://localhost:%d
TLS certificate: %s
SHA-256 fingerprint (agents pin it when pairing): %s

Quick start, in another shell from this directory (see README.md):
  export PCE=https://localhost:%d CACERT=%s
  curl -s --cacert $CACERT $PCE/readyz
  curl -s --cacert $CACERT $PCE/api/v1/signup -H 'Content-Type: application/json' \
    -d '{"organization":"Acme","email":"alice@acme.example","password":"correct horse battery"}'

Pair a host (README "Pair a host"; TOKEN from POST /api/v1/pairing-profiles/{id}/tokens):
  curl -fsSk --pinnedpubkey 'sha256//%s' https://PCE-HOST:%d/install.sh | sudo sh -s -- --token TOKEN --pce-fingerprint %s

Stop with Ctrl-C.
`, port, certFile, fingerprint, port, rel, pin, port, fingerprint)
}
