package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestWebhookSettings(t *testing.T) {
	c, err := load(t, nil, "--dev")
	if err != nil {
		t.Fatal(err)
	}
	if c.WebhookAllowHTTP || c.WebhookAllow != nil || c.WebhookSchedule != "5s,5m,30m,2h,5h,10h,10h" || c.WebhookWorkers != 2 {
		t.Errorf("defaults: http %v, allow %v, schedule %q, workers %d", c.WebhookAllowHTTP, c.WebhookAllow, c.WebhookSchedule, c.WebhookWorkers)
	}
	c, err = load(t, map[string]string{"REMORA_DEV": "1", "REMORA_WEBHOOK_ALLOW": " 10.1.0.0/16, 127.0.0.1 ,fd00::/8,"},
		"--webhook-allow-http", "--webhook-workers", "0", "--webhook-schedule", "1s,2s")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("fd00::/8")}
	if !c.WebhookAllowHTTP || !slices.Equal(c.WebhookAllow, want) || c.WebhookWorkers != 0 || c.WebhookSchedule != "1s,2s" {
		t.Errorf("set: http %v, allow %v, schedule %q, workers %d", c.WebhookAllowHTTP, c.WebhookAllow, c.WebhookSchedule, c.WebhookWorkers)
	}
	for env, want := range map[string]string{
		"REMORA_WEBHOOK_ALLOW_HTTP=yes":         "REMORA_WEBHOOK_ALLOW_HTTP: want true or false",
		"REMORA_WEBHOOK_ALLOW=10.0.0.0/33":      "REMORA_WEBHOOK_ALLOW: want CIDR prefixes",
		"REMORA_WEBHOOK_ALLOW=example.com":      "REMORA_WEBHOOK_ALLOW: want CIDR prefixes",
		"REMORA_WEBHOOK_ALLOW=10.1.2.3/8":       `"10.1.2.3/8" has host bits set; did you mean 10.0.0.0/8?`,
		"REMORA_WEBHOOK_SCHEDULE= ":             "REMORA_WEBHOOK_SCHEDULE",
		"REMORA_WEBHOOK_WORKERS=65":             "REMORA_WEBHOOK_WORKERS: want a number from 0 to 64",
		"REMORA_WEBHOOK_WORKERS=-1":             "REMORA_WEBHOOK_WORKERS",
		"REMORA_WEBHOOK_ALLOW=fe80::1%eth0/128": "REMORA_WEBHOOK_ALLOW",
	} {
		name, value, _ := strings.Cut(env, "=")
		if _, err := load(t, map[string]string{"REMORA_DEV": "1", name: value}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want it to contain %q", env, err, want)
		}
	}
}
