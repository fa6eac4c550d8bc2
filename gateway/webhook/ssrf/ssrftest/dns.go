package ssrftest

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// DNS is a tiny authoritative DNS server on 127.0.0.1 for tests: it
// answers A and AAAA queries from a table the test can change between two
// lookups, which is what DNS rebinding looks like from our side. Names not
// in the table get NXDOMAIN. It understands just enough of RFC 1035 for
// Go's resolver.
type DNS struct {
	conn net.PacketConn

	mu      sync.Mutex
	records map[string][]netip.Addr // lower-case name without the final dot
}

// NewDNS starts a server on 127.0.0.1, stopped when the test ends; it knows
// no names until Set.
func NewDNS(t testing.TB) *DNS {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &DNS{conn: conn, records: map[string][]netip.Addr{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.serve()
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
	})
	return s
}

// Set makes name resolve to addrs (literals) from now on.
func (s *DNS) Set(name string, addrs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[name] = nil
	for _, a := range addrs {
		s.records[name] = append(s.records[name], netip.MustParseAddr(a))
	}
}

// Resolver returns a resolver that asks only this server, never the
// machine's.
func (s *DNS) Resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", s.conn.LocalAddr().String())
		},
	}
}

func (s *DNS) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFrom(buf)
		if err != nil {
			return // closed
		}
		if resp, err := s.answer(buf[:n]); err == nil {
			s.conn.WriteTo(resp, from)
		}
	}
}

const (
	typeA    = 1
	typeAAAA = 28
)

// answer builds the response to one query message.
func (s *DNS) answer(q []byte) ([]byte, error) {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return nil, errors.New("want a header and exactly one question")
	}
	// The question: labels up to a zero byte, then type and class.
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if l > 63 || i+1+l > len(q) {
			return nil, errors.New("bad label")
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil, errors.New("short question")
	}
	question := q[12 : i+5]
	qtype := binary.BigEndian.Uint16(q[i+1 : i+3])

	s.mu.Lock()
	addrs, known := s.records[strings.ToLower(strings.Join(labels, "."))]
	s.mu.Unlock()

	var answers [][]byte
	for _, a := range addrs {
		if (qtype == typeA && a.Is4()) || (qtype == typeAAAA && a.Is6()) {
			answers = append(answers, a.AsSlice())
		}
	}
	flags := uint16(0x8000 | 0x0400 | 0x0080)         // response, authoritative, recursion available
	flags |= binary.BigEndian.Uint16(q[2:4]) & 0x0100 // echo "recursion desired"
	if !known {
		flags |= 3 // NXDOMAIN
	}
	resp := binary.BigEndian.AppendUint16(nil, binary.BigEndian.Uint16(q[0:2]))
	resp = binary.BigEndian.AppendUint16(resp, flags)
	resp = binary.BigEndian.AppendUint16(resp, 1)
	resp = binary.BigEndian.AppendUint16(resp, uint16(len(answers)))
	resp = append(resp, 0, 0, 0, 0) // no authority or additional records
	resp = append(resp, question...)
	for _, rdata := range answers {
		resp = append(resp, 0xc0, 12) // the name: a pointer to the question's
		resp = binary.BigEndian.AppendUint16(resp, qtype)
		resp = binary.BigEndian.AppendUint16(resp, 1) // class IN
		resp = binary.BigEndian.AppendUint32(resp, 0) // TTL: never cache
		resp = binary.BigEndian.AppendUint16(resp, uint16(len(rdata)))
		resp = append(resp, rdata...)
	}
	return resp, nil
}
