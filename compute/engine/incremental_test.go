package engine

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/ven/wire"
)

// applyDelta replays a delta's set changes on a copy of sets.
func applyDelta(sets map[string][]netip.Prefix, d Delta) map[string][]netip.Prefix {
	out := make(map[string][]netip.Prefix, len(sets))
	for id, ps := range sets {
		out[id] = slices.Clone(ps)
	}
	for _, sd := range d.Sets {
		ps := slices.DeleteFunc(out[sd.ID], func(p netip.Prefix) bool { return slices.Contains(sd.Removed, p) })
		out[sd.ID] = append(ps, sd.Added...)
	}
	for id, ps := range out {
		if len(ps) == 0 {
			delete(out, id)
		} else {
			slices.SortFunc(ps, comparePrefixes)
		}
	}
	return out
}

func comparePrefixes(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

func nonEmpty(sets map[string][]netip.Prefix) map[string][]netip.Prefix {
	out := map[string][]netip.Prefix{}
	for id, ps := range sets {
		if len(ps) > 0 {
			out[id] = ps
		}
	}
	return out
}

// TestIncrementalEqualsFull: after every step of a random sequence of
// changes (workloads born, relabelled, readdressed, switched mode, gone;
// a new policy activated), the incrementally maintained engine gives the
// same documents as a full compile of the resulting state, its deltas
// replayed on the previous sets give the new sets, and every workload
// whose document changed is named by the delta.
func TestIncrementalEqualsFull(t *testing.T) {
	for seed := range uint64(60) {
		g := &gen{r: rand.New(rand.NewPCG(seed, 13))}
		p := g.policy()
		ws := map[policy.WorkloadID]policy.Workload{}
		for _, w := range g.workloads(p, 15) {
			ws[w.ID] = w
		}
		e := New(p, slices.Collect(maps.Values(ws)))
		for step := range 60 {
			before, named := e.sets(), e.SetIDs()
			docs := map[policy.WorkloadID]string{}
			for id := range ws {
				docs[id] = e.Document(id, 1).Hash
			}
			var d Delta
			var what string
			switch op := g.r.IntN(11); {
			case op < 4: // born, or changed entirely
				w := g.workload(p, g.r.IntN(30))
				what = fmt.Sprintf("upsert %s", w.Name)
				ws[w.ID] = w
				d = e.UpsertWorkload(w)
			case op < 6: // relabelled or mode switched, addresses kept
				if len(ws) == 0 {
					continue
				}
				ids := slices.Sorted(maps.Keys(ws))
				w := ws[ids[g.r.IntN(len(ids))]]
				n := g.workload(p, 0)
				w.Labels, w.Mode = n.Labels, n.Mode
				what = fmt.Sprintf("relabel %s", w.Name)
				ws[w.ID] = w
				d = e.UpsertWorkload(w)
			case op < 8:
				if len(ws) == 0 {
					continue
				}
				ids := slices.Sorted(maps.Keys(ws))
				id := ids[g.r.IntN(len(ids))]
				what = fmt.Sprintf("remove %s", ws[id].Name)
				delete(ws, id)
				d = e.RemoveWorkload(id)
			case op < 9: // rulesets edited, added or removed; nothing else
				np := *p
				np.Rulesets = slices.Clone(p.Rulesets)
				switch i := g.r.IntN(len(np.Rulesets) + 1); {
				case i == len(np.Rulesets):
					np.Rulesets = append(np.Rulesets, g.ruleset(p, i))
					what = "add ruleset"
				case g.r.IntN(3) == 0 && len(np.Rulesets) > 1:
					np.Rulesets = slices.Delete(np.Rulesets, i, i+1)
					what = "remove ruleset"
				default:
					edited := g.ruleset(p, i)
					edited.ID = np.Rulesets[i].ID
					np.Rulesets[i] = edited
					what = "edit ruleset"
				}
				p = &np
				d = e.SetPolicy(p)
			default:
				np := g.policy()
				np.Labels = p.Labels // labels are shared by every version
				p = np
				what = "new policy"
				d = e.SetPolicy(p)
			}
			if err := e.checkInvariants(); err != nil {
				t.Fatalf("seed %d step %d (%s): %v", seed, step, what, err)
			}
			full := New(p, slices.Collect(maps.Values(ws)))
			for id := range ws {
				got, want := e.Document(id, 1), full.Document(id, 1)
				if got.Hash != want.Hash {
					t.Fatalf("seed %d step %d (%s): workload %s: incremental document differs from a full compile:\n%+v\n%+v", seed, step, what, id, got, want)
				}
				if docs[id] != got.Hash && !slices.Contains(d.Workloads, id) && !touchesSets(d, got.Sets) {
					t.Fatalf("seed %d step %d (%s): workload %s changed but the delta names neither it nor its sets", seed, step, what, id)
				}
			}
			for id := range mergeKeys(full.selectors, e.users) {
				if got, want := e.Users(id), full.Users(id); !slices.Equal(got, want) {
					t.Fatalf("seed %d step %d (%s): users of set %s: %v, want %v", seed, step, what, id, got, want)
				}
			}
			for _, s := range d.Named {
				if slices.Contains(named, s) {
					t.Fatalf("seed %d step %d (%s): set %s reported named, but it already was", seed, step, what, s)
				}
				named = append(named, s)
			}
			for _, s := range d.Unnamed {
				if !slices.Contains(named, s) {
					t.Fatalf("seed %d step %d (%s): set %s reported unnamed, but it was not named", seed, step, what, s)
				}
				named = slices.DeleteFunc(named, func(x string) bool { return x == s })
			}
			if slices.Sort(named); !slices.Equal(named, full.SetIDs()) {
				t.Fatalf("seed %d step %d (%s): named sets after the delta %v, a full compile names %v", seed, step, what, named, full.SetIDs())
			}
			if got, want := nonEmpty(applyDelta(before, d)), nonEmpty(full.sets()); !maps.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("seed %d step %d (%s): sets after the delta differ from a full compile:\n%v\n%v", seed, step, what, got, want)
			}
		}
	}
}

func touchesSets(d Delta, sets []wire.Set) bool {
	for _, sd := range d.Sets {
		for _, s := range sets {
			if s.ID == sd.ID {
				return true
			}
		}
	}
	return false
}

func mergeKeys[A, B any](a map[string]A, b map[string]B) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
