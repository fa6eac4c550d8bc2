package venapi

import "github.com/remora-sec/remora/infra/ids"

// Wait exposes Waiters.wait to the external tests.
func Wait(w *Waiters, tenant ids.TenantID, workload string) (chan struct{}, func()) {
	return w.wait(tenant, workload)
}
