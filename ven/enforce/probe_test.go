package enforce

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// probeTimeout is how long a probe waits: on a veth pair an allowed
// exchange takes well under a millisecond, so a dropped one is known fast.
const probeTimeout = 300 * time.Millisecond

// Ports the namespaces listen on.
var (
	tcpPorts = []int{22, 80, 443, 8080}
	udpPorts = []int{53, 5353, 51820}
)

// services are a namespace's listeners: TCP that accepts and closes, UDP
// that answers "ping:<token>" with "pong:<token>" and hands pongs it
// receives to the probe waiting for them. UDP sockets are bound to each
// address, so an answer leaves from the address the request came to (a
// wildcard socket lets the kernel pick another source, which conntrack
// would not see as a reply).
type services struct {
	ns  *netns
	udp map[netip.AddrPort]*net.UDPConn

	mu    sync.Mutex
	pongs map[string]chan struct{}
}

func serve(t testing.TB, ns *netns, addrs ...string) *services {
	t.Helper()
	s := &services{ns: ns, udp: map[netip.AddrPort]*net.UDPConn{}, pongs: map[string]chan struct{}{}}
	err := ns.do(func() error {
		for _, port := range tcpPorts {
			l, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
			if err != nil {
				return err
			}
			t.Cleanup(func() { l.Close() })
			go func() {
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					c.Close()
				}
			}()
		}
		for _, a := range addrs {
			for _, port := range udpPorts {
				ap := netip.AddrPortFrom(netip.MustParseAddr(a), uint16(port))
				c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
				if err != nil {
					return err
				}
				t.Cleanup(func() { c.Close() })
				s.udp[ap] = c
				go s.echo(c)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("serve in %s: %v", ns.name, err)
	}
	return s
}

func (s *services) echo(c *net.UDPConn) {
	buf := make([]byte, 512)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		msg := string(buf[:n])
		if tok, ok := strings.CutPrefix(msg, "ping:"); ok {
			_, _ = c.WriteToUDPAddrPort([]byte("pong:"+tok), from)
		} else if tok, ok := strings.CutPrefix(msg, "pong:"); ok {
			s.mu.Lock()
			if ch := s.pongs[tok]; ch != nil {
				close(ch)
				delete(s.pongs, tok)
			}
			s.mu.Unlock()
		}
	}
}

// probe is one exchange between the namespaces. Inbound probes start at
// the client (the server's input chain judges them), outbound ones at the
// server (its output chain).
type probe struct {
	out   bool
	proto string // tcp, udp or icmp (icmpv6 when the addresses are IPv6)
	from  string // client address: the peer of the server's rules
	port  int    // tcp or udp destination port
	sport int    // udp source port from the sender's echo socket; 0 = ephemeral
}

func (p probe) String() string {
	dir := "in"
	if p.out {
		dir = "out"
	}
	s := fmt.Sprintf("%s %s %s", dir, p.proto, p.from)
	if p.proto != "icmp" {
		s += fmt.Sprintf(" port %d", p.port)
	}
	if p.sport != 0 {
		s += fmt.Sprintf(" sport %d", p.sport)
	}
	return s
}

// packet is the probe as Document.Match sees it, from the server.
func (p probe) packet() (netip.Addr, string, int, *int) {
	peer := netip.MustParseAddr(p.from)
	switch {
	case p.proto == "icmp" && peer.Is4():
		return peer, "icmp", 0, ptr(8)
	case p.proto == "icmp":
		return peer, "icmpv6", 0, ptr(128)
	}
	return peer, p.proto, p.port, nil
}

// serverAddr is the server's address on the client's network.
func serverAddr(client string) string {
	switch client {
	case cli4, cliOther4:
		return srv4
	case cli6, cliOther6:
		return srv6
	case cliTun:
		return srvTun
	}
	panic("no server address for " + client)
}

// exchange runs the probe and reports whether it got through (and its
// answer came back).
func exchange(srv, cli *services, p probe) (bool, error) {
	src, from, dst := cli, p.from, serverAddr(p.from)
	if p.out {
		src, from, dst = srv, serverAddr(p.from), p.from
	}
	var ok bool
	err := src.ns.do(func() error {
		var err error
		switch p.proto {
		case "tcp":
			ok, err = tcpProbe(from, dst, p.port)
		case "udp":
			ok, err = src.udpProbe(from, dst, p.port, p.sport)
		case "icmp":
			ok, err = icmpProbe(from, dst)
		default:
			err = fmt.Errorf("unknown proto %q", p.proto)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("probe %v: %w", p, err)
	}
	return ok, nil
}

func tcpProbe(from, to string, port int) (bool, error) {
	d := net.Dialer{Timeout: probeTimeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", net.JoinHostPort(to, fmt.Sprint(port)))
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || isRefusal(err) {
			return false, nil
		}
		return false, err
	}
	c.Close()
	return true, nil
}

// isRefusal is how a drop in the output chain shows: connect fails with
// EPERM at once.
func isRefusal(err error) bool { return strings.Contains(err.Error(), "operation not permitted") }

func (s *services) udpProbe(from, to string, port, sport int) (bool, error) {
	tok := fmt.Sprint(rand.Uint64())
	dst := net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(to), uint16(port)))
	if sport != 0 {
		c := s.udp[netip.AddrPortFrom(netip.MustParseAddr(from), uint16(sport))]
		if c == nil {
			return false, fmt.Errorf("no echo socket on %s port %d", from, sport)
		}
		ch := make(chan struct{})
		s.mu.Lock()
		s.pongs[tok] = ch
		s.mu.Unlock()
		if _, err := c.WriteToUDP([]byte("ping:"+tok), dst); err != nil {
			return false, nil // a drop in the output chain: EPERM
		}
		select {
		case <-ch:
			return true, nil
		case <-time.After(probeTimeout):
			return false, nil
		}
	}
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(from)}, dst)
	if err != nil {
		return false, err
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping:" + tok)); err != nil {
		if isRefusal(err) {
			return false, nil
		}
		return false, err
	}
	_ = c.SetReadDeadline(time.Now().Add(probeTimeout))
	buf := make([]byte, 64)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return false, nil // timeout, or an ICMP error from a refused port
		}
		if string(buf[:n]) == "pong:"+tok {
			return true, nil
		}
	}
}

// icmpProbe sends one echo request and waits for its reply, over a raw
// socket (no ping binary needed).
func icmpProbe(from, to string) (bool, error) {
	v6 := strings.Contains(to, ":")
	network, req, rep := "ip4:icmp", byte(8), byte(0)
	if v6 {
		network, req, rep = "ip6:ipv6-icmp", 128, 129
	}
	c, err := net.ListenPacket(network, from)
	if err != nil {
		return false, err
	}
	defer c.Close()
	id, seq := uint16(rand.Uint32()), uint16(rand.Uint32())
	msg := []byte{req, 0, 0, 0, 0, 0, 0, 0, 'r', 'm', 'r'}
	binary.BigEndian.PutUint16(msg[4:], id)
	binary.BigEndian.PutUint16(msg[6:], seq)
	if !v6 { // the kernel checksums ICMPv6 on raw sockets itself
		binary.BigEndian.PutUint16(msg[2:], checksum(msg))
	}
	if _, err := c.WriteTo(msg, &net.IPAddr{IP: net.ParseIP(to)}); err != nil {
		if isRefusal(err) {
			return false, nil
		}
		return false, err
	}
	_ = c.SetReadDeadline(time.Now().Add(probeTimeout))
	buf := make([]byte, 1500)
	for {
		n, addr, err := c.ReadFrom(buf)
		if err != nil {
			return false, nil
		}
		b := buf[:n]
		if len(b) >= 8 && b[0] == rep && addr.(*net.IPAddr).IP.Equal(net.ParseIP(to)) &&
			binary.BigEndian.Uint16(b[4:]) == id && binary.BigEndian.Uint16(b[6:]) == seq && bytes.HasSuffix(b, []byte("rmr")) {
			return true, nil
		}
	}
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// exchangeAll runs probes concurrently and returns which got through.
func exchangeAll(t testing.TB, srv, cli *services, ps []probe) []bool {
	t.Helper()
	got := make([]bool, len(ps))
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() { got[i], errs[i] = exchange(srv, cli, p) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return got
}

func ptr(v int) *int { return &v }
