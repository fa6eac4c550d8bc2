package policy

import "testing"

func TestValidateService(t *testing.T) {
	ports := func(specs ...string) []Port {
		var out []Port
		for _, s := range specs {
			out = append(out, port(s))
		}
		return out
	}
	many := func(n int) []Port {
		out := make([]Port, n)
		for i := range out {
			out[i] = Port{Proto: ProtoTCP, Port: i + 1}
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		ports []Port
		errs  []string
		msg   string
	}{
		{name: "valid tcp", ports: ports("tcp/80")},
		{name: "valid every kind", ports: ports("tcp", "tcp/1-65535", "tcp/65535", "udp/53", "udp/0", "icmp", "icmp/0/0", "icmp/8", "icmpv6/128/0", "icmp/255/255", "any")},
		{name: "valid range of one", ports: ports("tcp/80-80")},
		{name: "valid 256 ports", ports: many(256)},
		{name: "no ports", ports: nil, errs: []string{"ports"}, msg: "must have 1 to 256 entries"},
		{name: "257 ports", ports: many(257), errs: []string{"ports"}},
		{name: "proto missing", ports: []Port{{Port: 80}}, errs: []string{"ports[0].proto"}, msg: "must be one of tcp, udp, icmp, icmpv6, any"},
		{name: "proto unknown", ports: ports("tcp/80", "sctp"), errs: []string{"ports[1].proto"}, msg: `got "sctp"`},
		{name: "proto upper case", ports: []Port{{Proto: "TCP", Port: 80}}, errs: []string{"ports[0].proto"}},
		{name: "port too high", ports: ports("tcp/65536"), errs: []string{"ports[0].port"}, msg: "must be 0 to 65535, got 65536"},
		{name: "port negative", ports: []Port{{Proto: ProtoUDP, Port: -1}}, errs: []string{"ports[0].port"}},
		{name: "to_port below port", ports: ports("tcp/90-80"), errs: []string{"ports[0].to_port"}, msg: "must be at least port (90), got 80"},
		{name: "to_port too high", ports: ports("tcp/80-65536"), errs: []string{"ports[0].to_port"}},
		{name: "to_port negative", ports: []Port{{Proto: ProtoTCP, Port: 80, ToPort: -5}}, errs: []string{"ports[0].to_port"}},
		{name: "to_port without port", ports: []Port{{Proto: ProtoTCP, ToPort: 80}}, errs: []string{"ports[0].to_port"}, msg: "needs port"},
		{name: "tcp with icmp type", ports: []Port{{Proto: ProtoTCP, Port: 80, ICMPType: intp(8)}}, errs: []string{"ports[0].icmp_type"}, msg: "only for proto icmp"},
		{name: "udp with icmp code", ports: []Port{{Proto: ProtoUDP, ICMPCode: intp(0)}}, errs: []string{"ports[0].icmp_code"}},
		{name: "icmp type too high", ports: ports("icmp/256"), errs: []string{"ports[0].icmp_type"}, msg: "must be 0 to 255"},
		{name: "icmp type negative", ports: []Port{{Proto: ProtoICMP, ICMPType: intp(-1)}}, errs: []string{"ports[0].icmp_type"}},
		{name: "icmpv6 code too high", ports: ports("icmpv6/1/256"), errs: []string{"ports[0].icmp_code"}},
		{name: "icmp code without type", ports: []Port{{Proto: ProtoICMP, ICMPCode: intp(0)}}, errs: []string{"ports[0].icmp_code"}, msg: "needs icmp_type"},
		{name: "icmp with port", ports: []Port{{Proto: ProtoICMP, Port: 8}}, errs: []string{"ports[0].port"}, msg: "only for proto tcp and udp"},
		{name: "icmpv6 with to_port", ports: []Port{{Proto: ProtoICMPv6, ToPort: 8}}, errs: []string{"ports[0].to_port"}},
		{name: "any with port", ports: []Port{{Proto: ProtoAny, Port: 80}}, errs: []string{"ports[0].port"}, msg: "must not be set with proto any"},
		{name: "any with everything", ports: []Port{{Proto: ProtoAny, Port: 1, ToPort: 2, ICMPType: intp(0), ICMPCode: intp(0)}},
			errs: []string{"ports[0].port", "ports[0].to_port", "ports[0].icmp_type", "ports[0].icmp_code"}},
		{name: "every error at once", ports: []Port{port("tcp/80"), {Proto: ProtoTCP, Port: 70000}, {Proto: "x"}, {Proto: ProtoICMP, Port: 1, ICMPCode: intp(300)}},
			errs: []string{"ports[1].port", "ports[2].proto", "ports[3].port", "ports[3].icmp_code"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateService(&Service{Name: "svc", Ports: tc.ports})
			checkFindings(t, err, nil, tc.errs, nil, tc.msg)
		})
	}
}
