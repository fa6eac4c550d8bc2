// Package e2e holds the end-to-end test of the product's promise: real
// `remora serve` and `remora-ven` binaries, hosts as network namespaces on
// a bridge, the VENs' tunnels to the PCE's userspace WireGuard hub, and
// real TCP connections allowed or dropped by the nftables the VENs
// program. It has no code of its own: only tests, run as root.
package e2e
