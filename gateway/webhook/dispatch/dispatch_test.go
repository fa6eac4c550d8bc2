package dispatch

import (
	"testing"
	"time"

	"github.com/remora-sec/remora/gateway/webhook/ssrf"
)

func TestDefaults(t *testing.T) {
	type tenants struct{ Tenants }
	c, err := (&Dispatcher{Tenants: tenants{}, Guard: &ssrf.Guard{}}).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.Workers != 2 || c.Timeout != 10*time.Second || c.Lease != time.Minute || c.Poll != time.Second ||
		c.DisableAfter != 5*24*time.Hour || len(c.Schedule) != 7 || c.Log == nil {
		t.Fatalf("defaults: %+v", c)
	}
	for _, bad := range []*Dispatcher{
		{Guard: &ssrf.Guard{}},
		{Tenants: tenants{}},
		{Tenants: tenants{}, Guard: &ssrf.Guard{}, Timeout: time.Second, Lease: time.Second},
	} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
