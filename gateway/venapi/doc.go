// Package venapi serves the VEN channel inside the WireGuard tunnel:
// heartbeats, the policy long-poll and goodbye, on a listener of the hub's
// netstack. A request's identity is the source tunnel address of its
// packets (gateway/hub.PeerAddr), looked up in the fleet registry; there is
// no token to steal. It also keeps the hubs' peers in step with the
// registry on every replica, and wakes waiting polls when the compute
// workers announce new results.
package venapi
