// Package fleet keeps the paired VENs of every tenant: pairing (an install
// token consumed in the same transaction that creates the managed workload
// and the VEN), the hub's key, the registry the hub loads its peers from,
// heartbeats, and unpairing.
//
// The registry lives in the control schema, not the tenants': the WireGuard
// hub is shared, so a public key and a tunnel address must each name one
// VEN across the platform, and a packet's source tunnel address must lead
// to its tenant without knowing the tenant first.
package fleet
