package policy

// Catalog resolves references during validation. The store implements it
// over the tenant's draft, Policy.Catalog over one document; validators ask
// only these questions, so they never need the whole tenant in memory.
type Catalog interface {
	Label(LabelID) (Label, bool)
	LabelGroup(LabelGroupID) (LabelGroup, bool)
	HasService(ServiceID) bool
	HasIPList(IPListID) bool
	HasWorkload(WorkloadID) bool
}

// index is a Policy's objects by id. It is the Catalog Policy.Catalog
// returns and the lookup Decide uses. When an id repeats, the first object
// wins; Validate refuses such documents anyway.
type index struct {
	labels      map[LabelID]Label
	groups      map[LabelGroupID]*LabelGroup
	services    map[ServiceID]*Service
	ipLists     map[IPListID]*IPList
	hasWorkload func(WorkloadID) bool
	// Decide's memos, filled on first use. Keys are addresses inside the
	// Policy, which must not change while the index is in use.
	ipSets map[IPListID]ipSet
	sides  map[*Actor]side // by the address of a side's first actor
	scopes map[*Scope]labelSet
}

// ipSet returns IP list id parsed, parsing it once per index.
func (ix *index) ipSet(id IPListID) (ipSet, bool) {
	if s, ok := ix.ipSets[id]; ok {
		return s, true
	}
	l := ix.ipLists[id]
	if l == nil {
		return ipSet{}, false
	}
	if ix.ipSets == nil {
		ix.ipSets = make(map[IPListID]ipSet)
	}
	s := compileIPList(l)
	ix.ipSets[id] = s
	return s, true
}

// Catalog returns a Catalog over p's objects. Workloads are not part of a
// policy, so hasWorkload answers for them; nil means every workload id
// exists (an import document is checked before its workloads are known).
// The Catalog reads p's slices: do not change p while using it.
func (p *Policy) Catalog(hasWorkload func(WorkloadID) bool) Catalog {
	return p.index(hasWorkload)
}

func (p *Policy) index(hasWorkload func(WorkloadID) bool) *index {
	ix := &index{
		labels:      make(map[LabelID]Label, len(p.Labels)),
		groups:      make(map[LabelGroupID]*LabelGroup, len(p.LabelGroups)),
		services:    make(map[ServiceID]*Service, len(p.Services)),
		ipLists:     make(map[IPListID]*IPList, len(p.IPLists)),
		hasWorkload: hasWorkload,
	}
	for _, l := range p.Labels {
		if _, dup := ix.labels[l.ID]; !dup {
			ix.labels[l.ID] = l
		}
	}
	for i := range p.LabelGroups {
		addFirst(ix.groups, p.LabelGroups[i].ID, &p.LabelGroups[i])
	}
	for i := range p.Services {
		addFirst(ix.services, p.Services[i].ID, &p.Services[i])
	}
	for i := range p.IPLists {
		addFirst(ix.ipLists, p.IPLists[i].ID, &p.IPLists[i])
	}
	return ix
}

func addFirst[K comparable, V any](m map[K]*V, k K, v *V) {
	if _, dup := m[k]; !dup {
		m[k] = v
	}
}

func (ix *index) Label(id LabelID) (Label, bool) {
	l, ok := ix.labels[id]
	return l, ok
}

func (ix *index) LabelGroup(id LabelGroupID) (LabelGroup, bool) {
	if g, ok := ix.groups[id]; ok {
		return *g, true
	}
	return LabelGroup{}, false
}

func (ix *index) HasService(id ServiceID) bool { return ix.services[id] != nil }
func (ix *index) HasIPList(id IPListID) bool   { return ix.ipLists[id] != nil }

func (ix *index) HasWorkload(id WorkloadID) bool {
	return ix.hasWorkload == nil || ix.hasWorkload(id)
}
