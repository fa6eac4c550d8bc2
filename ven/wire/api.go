package wire

// The VEN channel's messages. Pairing is the one call made outside the
// tunnel, over HTTPS to the PCE; every other call goes over the WireGuard
// tunnel, as plain HTTP to the hub's tunnel address, where the packet's
// source address identifies the VEN (WireGuard accepted it only from the
// key that owns that address).
//
//	POST https://<pce>/api/v1/ven/pair           PairRequest → PairResponse
//	POST http://<hub>:<port>/ven/v1/heartbeat    Heartbeat → HeartbeatReply
//	GET  http://<hub>:<port>/ven/v1/policy?have=<generation>
//	     → 200 Document as soon as one newer than have exists; 304 after
//	       about PollTimeout if none; 404 while none is compiled yet
//	POST http://<hub>:<port>/ven/v1/goodbye      → 204: the VEN unpairs
//
// Errors are RFC 9457 problem+json, as on the REST API.

// Paths of the VEN API on the hub's tunnel address.
const (
	PairPath      = "/api/v1/ven/pair"
	HeartbeatPath = "/ven/v1/heartbeat"
	PolicyPath    = "/ven/v1/policy"
	GoodbyePath   = "/ven/v1/goodbye"
)

// Interface is one network interface of the host and its addresses
// (plain IPs, v4 or v6).
type Interface struct {
	Name      string   `json:"name"`
	Addresses []string `json:"addresses"`
}

// PairRequest asks to pair a host with an install token.
type PairRequest struct {
	Token      string      `json:"token"`
	PublicKey  string      `json:"wg_public_key"` // base64, as wg(8) prints it
	Hostname   string      `json:"hostname"`
	OS         string      `json:"os"`
	Interfaces []Interface `json:"interfaces"`
}

// PairResponse is what the VEN needs to bring its tunnel up and find the
// VEN API.
type PairResponse struct {
	VEN           string `json:"ven_id"`
	Workload      string `json:"workload_id"`
	TunnelAddress string `json:"tunnel_address"`     // the VEN's own, e.g. 100.64.0.7/32
	HubPublicKey  string `json:"hub_public_key"`     // base64
	HubEndpoint   string `json:"hub_endpoint"`       // host:port of the hub's UDP socket
	HubAddress    string `json:"hub_tunnel_address"` // e.g. 100.64.0.1
	APIPort       int    `json:"api_port"`           // of the VEN API on HubAddress

	HeartbeatSeconds int `json:"heartbeat_seconds"`
}

// Counters are the enforcement counters a VEN reports.
type Counters struct {
	Rules     int    `json:"rules"`      // rules programmed
	Drops     uint64 `json:"drops"`      // packets dropped
	WouldDrop uint64 `json:"would_drop"` // packets that visibility or selective mode let through but full would drop
}

// Heartbeat is the VEN's periodic report.
type Heartbeat struct {
	Hostname     string `json:"hostname"`
	OS           string `json:"os"`
	AgentVersion string `json:"agent_version"`
	// Interfaces null means the agent could not list them: the PCE keeps
	// what it had. An empty list means the host has no addresses.
	Interfaces         []Interface `json:"interfaces"`
	EnforcedGeneration uint64      `json:"enforced_generation"`
	EnforcedHash       string      `json:"enforced_hash,omitempty"`
	Counters           Counters    `json:"counters"`
	// Tampered counts the times since the last heartbeat that the VEN
	// found its firewall changed by someone else and restored it.
	Tampered int `json:"tampered,omitempty"`
}

// HeartbeatReply answers a heartbeat.
type HeartbeatReply struct {
	Workload         string `json:"workload_id"`
	Generation       uint64 `json:"generation"` // of the newest document for this VEN
	HeartbeatSeconds int    `json:"heartbeat_seconds"`
}
