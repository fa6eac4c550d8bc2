package queue

import (
	"encoding/json"
	"fmt"

	"github.com/remora-sec/remora/infra/ids"
)

// Notification says a tenant's results for a generation are stored, and
// whose documents changed: only those agents need waking. All replaces the
// list when it would be too long to publish (a policy change touching
// most of a large tenant): then every agent of the tenant checks.
type Notification struct {
	Tenant     ids.TenantID `json:"tenant"`
	Generation int64        `json:"generation"`
	Workloads  []string     `json:"workloads,omitempty"`
	All        bool         `json:"all,omitempty"`
}

// maxNamed bounds the workloads a notification names (about 370 KB of
// ids); past it the notification says All.
const maxNamed = 10_000

// Parse reads a notification published by Done.
func Parse(payload string) (Notification, error) {
	var n Notification
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		return n, fmt.Errorf("parse notification: %w", err)
	}
	if !ids.Valid(string(n.Tenant)) {
		return n, fmt.Errorf("parse notification: bad tenant %q", n.Tenant)
	}
	return n, nil
}
