package policystore

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

// FlowQuery is one flow to decide, as a client asks: Source is a workload
// id or an IP address, Destination a workload id.
type FlowQuery struct {
	Source      string
	Destination string
	Proto       string
	Port        *int
	ICMPType    *int
	ICMPCode    *int
}

// MaxFlows is the most flows one batch check may carry.
const MaxFlows = 1000

// Check decides each flow with the reference evaluator against state sel
// (the active version, or the draft: "what would my change do"). It
// returns the decisions in order and the state they answer. Field errors
// name prefix[i].field, or field alone when prefix is "".
func (s *Store) Check(ctx context.Context, tenant ids.TenantID, sel Selector, qs []FlowQuery, prefix string) ([]policy.Decision, string, error) {
	flows, err := parseFlows(qs, prefix)
	if err != nil {
		return nil, "", err
	}
	var (
		out []policy.Decision
		at  string
	)
	err = s.tenants.InTenantRead(ctx, tenant, func(tx pgx.Tx) error {
		st, err := sel.resolve(ctx, tx)
		if err != nil {
			return err
		}
		at = st.String()
		p, err := loadPolicy(ctx, tx, st)
		if err != nil {
			return err
		}
		ws, err := flowWorkloads(ctx, tx, flows)
		if err != nil {
			return err
		}
		known := map[policy.WorkloadID]bool{}
		for _, w := range ws {
			known[w.ID] = true
		}
		var f usererr.Fields
		for i, fl := range flows {
			if !known[fl.Destination] {
				f.Add(itemPath(prefix, i, "destination"), fmt.Sprintf("workload %q not found", fl.Destination))
			}
			if fl.Source.Workload != "" && !known[fl.Source.Workload] {
				f.Add(itemPath(prefix, i, "source"), fmt.Sprintf("workload %q not found", fl.Source.Workload))
			}
		}
		if err := f.Err(); err != nil {
			return err
		}
		out = make([]policy.Decision, len(flows))
		ev := policy.NewEvaluator(p, ws)
		for i, fl := range flows {
			if err := ctx.Err(); err != nil {
				return err // the client left: stop spending CPU on it
			}
			if out[i], err = ev.Decide(fl); err != nil {
				return fmt.Errorf("decide flow %d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("check: %w", err)
	}
	return out, at, nil
}

// parseFlows turns client queries into flows, reporting every bad field.
func parseFlows(qs []FlowQuery, prefix string) ([]policy.Flow, error) {
	var f usererr.Fields
	out := make([]policy.Flow, len(qs))
	for i, q := range qs {
		path := func(field string) string { return itemPath(prefix, i, field) }
		fl := &out[i]
		if ip, err := netip.ParseAddr(q.Source); err == nil && ip.Zone() == "" {
			fl.Source.IP = ip.Unmap()
		} else if ids.Valid(q.Source) {
			fl.Source.Workload = policy.WorkloadID(q.Source)
		} else {
			f.Add(path("source"), fmt.Sprintf("must be a workload id or an IP address, not %q", q.Source))
		}
		if !ids.Valid(q.Destination) {
			f.Add(path("destination"), fmt.Sprintf("must be a workload id, not %q", q.Destination))
		}
		fl.Destination = policy.WorkloadID(q.Destination)
		fl.Proto = policy.Proto(q.Proto)
		switch fl.Proto {
		case policy.ProtoTCP, policy.ProtoUDP:
			if q.Port == nil || *q.Port < 1 || *q.Port > 65535 {
				f.Add(path("port"), "is required for tcp and udp: a port from 1 to 65535")
			} else {
				fl.Port = *q.Port
			}
			if q.ICMPType != nil || q.ICMPCode != nil {
				f.Add(path("icmp_type"), "applies to icmp and icmpv6 only")
			}
		case policy.ProtoICMP, policy.ProtoICMPv6:
			if q.Port != nil {
				f.Add(path("port"), "applies to tcp and udp only")
			}
			checkByte := func(field string, v *int) {
				if v != nil && (*v < 0 || *v > 255) {
					f.Add(path(field), "must be from 0 to 255")
				}
			}
			checkByte("icmp_type", q.ICMPType)
			checkByte("icmp_code", q.ICMPCode)
			if q.ICMPCode != nil && q.ICMPType == nil {
				f.Add(path("icmp_code"), "needs icmp_type")
			}
			fl.ICMPType, fl.ICMPCode = q.ICMPType, q.ICMPCode
		default:
			f.Add(path("proto"), fmt.Sprintf("must be one of tcp, udp, icmp, icmpv6, not %q", q.Proto))
		}
	}
	return out, f.Err()
}

// flowWorkloads loads the workloads the flows name: destinations, source
// workloads, and every workload holding a source address.
func flowWorkloads(ctx context.Context, tx pgx.Tx, flows []policy.Flow) ([]policy.Workload, error) {
	var idList, addrs []string
	for _, fl := range flows {
		idList = append(idList, string(fl.Destination))
		if fl.Source.Workload != "" {
			idList = append(idList, string(fl.Source.Workload))
		} else {
			addrs = append(addrs, fl.Source.IP.String())
		}
	}
	rows, err := tx.Query(ctx, workloadSelect+` WHERE w.id = ANY($1::uuid[])
		OR w.id IN (SELECT workload_id FROM workload_addresses WHERE addr = ANY($2::inet[]))`, idList, addrs)
	if err != nil {
		return nil, fmt.Errorf("load workloads: %w", err)
	}
	recs, err := pgx.CollectRows(rows, collectWorkload)
	if err != nil {
		return nil, fmt.Errorf("load workloads: %w", err)
	}
	ws := make([]policy.Workload, len(recs))
	for i, r := range recs {
		ws[i] = r.Workload
	}
	return ws, nil
}
