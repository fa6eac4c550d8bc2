package policy

// ValidateService checks a service: its name and 1 to 256 valid ports.
func ValidateService(s *Service) error {
	_, err := validateService(s).result()
	return err
}

func validateService(s *Service) *report {
	r := new(report)
	checkName(r, "name", s.Name, maxNameLen)
	checkDescription(r, "description", s.Description)
	checkCount(r, "ports", len(s.Ports), 1, maxPorts)
	for i, p := range s.Ports {
		checkPort(r, at("ports", i), p)
	}
	return r
}

// checkPort checks one port entry, of a service or inline in a rule. Each
// protocol takes only its own fields: a stray field (a port on icmp, an
// icmp type on tcp) is refused rather than ignored, because whoever wrote
// it meant something the rule would silently not do.
func checkPort(r *report, path string, p Port) {
	switch p.Proto {
	case ProtoTCP, ProtoUDP:
		checkPortRange(r, path, p)
		notSet(r, path+".icmp_type", p.ICMPType != nil, "is only for proto icmp and icmpv6")
		notSet(r, path+".icmp_code", p.ICMPCode != nil, "is only for proto icmp and icmpv6")
	case ProtoICMP, ProtoICMPv6:
		checkByte(r, path+".icmp_type", p.ICMPType)
		if p.ICMPCode != nil && p.ICMPType == nil {
			r.fail(path+".icmp_code", "needs icmp_type: a code is meaningful only within a type")
		} else {
			checkByte(r, path+".icmp_code", p.ICMPCode)
		}
		notSet(r, path+".port", p.Port != 0, "is only for proto tcp and udp")
		notSet(r, path+".to_port", p.ToPort != 0, "is only for proto tcp and udp")
	case ProtoAny:
		const msg = "must not be set with proto any, which already matches every port"
		notSet(r, path+".port", p.Port != 0, msg)
		notSet(r, path+".to_port", p.ToPort != 0, msg)
		notSet(r, path+".icmp_type", p.ICMPType != nil, msg)
		notSet(r, path+".icmp_code", p.ICMPCode != nil, msg)
	default:
		r.failf(path+".proto", "must be one of tcp, udp, icmp, icmpv6, any, got %q", p.Proto)
	}
}

// checkPortRange checks port..to_port: port 0 alone means every port; a
// range needs a start.
func checkPortRange(r *report, path string, p Port) {
	if p.Port < 0 || p.Port > 65535 {
		r.failf(path+".port", "must be 0 to 65535, got %d", p.Port)
	}
	switch {
	case p.ToPort == 0:
	case p.ToPort < 0 || p.ToPort > 65535:
		r.failf(path+".to_port", "must be 0 to 65535, got %d", p.ToPort)
	case p.Port == 0:
		r.fail(path+".to_port", "needs port: a range runs from port to to_port")
	case p.ToPort < p.Port:
		r.failf(path+".to_port", "must be at least port (%d), got %d", p.Port, p.ToPort)
	}
}

func checkByte(r *report, path string, v *int) {
	if v != nil && (*v < 0 || *v > 255) {
		r.failf(path, "must be 0 to 255, got %d", *v)
	}
}

func notSet(r *report, path string, set bool, msg string) {
	if set {
		r.fail(path, msg)
	}
}
