// Package hub is the PCE's end of the VEN channel: a userspace WireGuard
// device (wireguard-go over a gVisor netstack) whose peers are the paired
// VENs. It needs neither root nor a kernel module: the tunnel's IP stack
// lives in this process, and the VEN API is served with net/http on a
// listener of that stack (Listen).
//
// WireGuard's cryptokey routing is what makes the channel an identity: the
// hub decrypts a packet only with the key of the peer that sent it, and drops
// it unless its source address is in that peer's AllowedIPs, which SetPeer
// sets to exactly the VEN's tunnel address. So the source address of a
// connection accepted by Listen names the VEN that opened it, and handlers
// read it with PeerAddr (or RemoteAddr on the connection). PeerAddr trusts
// only connections that Listen accepted, never a request's RemoteAddr string,
// which a middleware such as a real-IP rewriter may have changed; serve with
//
//	srv := &http.Server{Handler: h, ConnContext: hub.ConnContext}
//	srv.Serve(l)
//
// What the hub leaves to others: which key gets which address (pairing, in
// the database), the VEN API itself, and persistence: peers live in memory,
// and the PCE re-adds them from its store at start.
package hub
