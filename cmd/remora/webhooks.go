package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/remora-sec/remora/gateway/webhook/backoff"
	"github.com/remora-sec/remora/gateway/webhook/dispatch"
	"github.com/remora-sec/remora/gateway/webhook/ssrf"
	"github.com/remora-sec/remora/infra/config"
	"github.com/remora-sec/remora/tenants"
)

// webhookGuard is the SSRF guard of the server's settings: the API vets
// URLs with it when webhooks are saved, the dispatcher at each delivery.
func webhookGuard(cfg config.Config) *ssrf.Guard {
	return &ssrf.Guard{AllowHTTP: cfg.WebhookAllowHTTP, Allow: cfg.WebhookAllow}
}

// startWebhooks runs the webhook dispatcher with cfg.WebhookWorkers
// workers until ctx ends; wait returns once it has stopped. Every replica
// may run one: they share the delivery queue in Postgres.
func startWebhooks(ctx context.Context, cfg config.Config, schedule backoff.Schedule, guard *ssrf.Guard,
	store *tenants.Store, log *slog.Logger) (wait func()) {
	var wg sync.WaitGroup
	if cfg.WebhookWorkers == 0 {
		return wg.Wait
	}
	d := &dispatch.Dispatcher{Tenants: store, Guard: guard, Schedule: schedule, Workers: cfg.WebhookWorkers, Log: log}
	wg.Go(func() {
		if err := d.Run(ctx); err != nil {
			log.Error("webhook dispatcher did not start", "err", err)
		}
	})
	log.Info("webhook dispatcher started", "workers", cfg.WebhookWorkers, "allow_http", cfg.WebhookAllowHTTP,
		"allow", cfg.WebhookAllow, "schedule", cfg.WebhookSchedule)
	return wg.Wait
}
