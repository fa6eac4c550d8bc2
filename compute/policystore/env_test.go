package policystore_test

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/usererr"
	"github.com/remora-sec/remora/tenants"
	"github.com/remora-sec/remora/tenants/tenanttest"
)

// env is a policy store on a fresh database with one signed-up tenant.
type env struct {
	t       testing.TB
	ctx     context.Context
	store   *policystore.Store
	tenants *tenants.Store
	tenant  ids.TenantID
	user    ids.UserID
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ts := tenanttest.NewStore(t)
	e := &env{t: t, ctx: context.Background(), store: policystore.New(ts), tenants: ts}
	e.tenant, e.user = e.signup()
	return e
}

// signup adds a tenant and returns it and its owner.
func (e *env) signup() (ids.TenantID, ids.UserID) {
	e.t.Helper()
	return tenanttest.Signup(e.t, e.tenants)
}

func (e *env) label(key, value string) policy.LabelID {
	e.t.Helper()
	l, err := e.store.CreateLabel(e.ctx, e.tenant, key, value)
	if err != nil {
		e.t.Fatalf("create label %s=%s: %v", key, value, err)
	}
	return l.ID
}

func (e *env) workload(name string, mode policy.Mode, addr string, labels ...policy.LabelID) policy.WorkloadID {
	e.t.Helper()
	ws, err := e.store.CreateWorkloads(e.ctx, e.tenant, []policy.Workload{{Name: name, Mode: mode, Labels: labels,
		Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{addr}}}}}, "")
	if err != nil {
		e.t.Fatalf("create workload %s: %v", name, err)
	}
	return ws[0].ID
}

func (e *env) author() policystore.Author { return policystore.Author{User: e.user} }

// Tiny literal helpers. The create helpers fail the test on any error, so a
// typo in a fixture fails loudly instead of testing something else.

func ptr[T any](v T) *T { return &v }

// key names a versioned object.
func key[I ~string](k policy.Kind, id I) policystore.ObjectKey {
	return policystore.ObjectKey{Kind: k, ID: string(id)}
}

// ref is an object as a diff lists it.
func ref[I ~string](k policy.Kind, id I, name string) policystore.ObjectRef {
	return policystore.ObjectRef{ObjectKey: key(k, id), Name: name}
}

// changes builds a want value for Changes; nil lists read as empty.
func changes(added, changed, removed []policystore.ObjectRef) policystore.Changes {
	nonNil := func(l []policystore.ObjectRef) []policystore.ObjectRef {
		if l == nil {
			return []policystore.ObjectRef{}
		}
		return l
	}
	return policystore.Changes{Added: nonNil(added), Changed: nonNil(changed), Removed: nonNil(removed)}
}

func refs(r ...policystore.ObjectRef) []policystore.ObjectRef { return r }

func tcp(port int) policy.ServiceRef {
	return policy.ServiceRef{Port: policy.Port{Proto: policy.ProtoTCP, Port: port}}
}

func named(id policy.ServiceID) policy.ServiceRef { return policy.ServiceRef{Service: id} }

func byLabel(id policy.LabelID) policy.Actor      { return policy.Actor{Label: id} }
func byGroup(id policy.LabelGroupID) policy.Actor { return policy.Actor{LabelGroup: id} }
func byIPList(id policy.IPListID) policy.Actor    { return policy.Actor{IPList: id} }
func actors(a ...policy.Actor) []policy.Actor     { return a }

func scope(labels ...policy.LabelID) (s policy.Scope) {
	for _, id := range labels {
		s = append(s, policy.LabelRef{Label: id})
	}
	return s
}

// allowRS is an unscoped ruleset of one rule letting consumers reach
// providers on services.
func allowRS(name string, providers, consumers []policy.Actor, services ...policy.ServiceRef) policy.Ruleset {
	return policy.Ruleset{Name: name, Rules: []policy.Rule{{Action: policy.Allow, Providers: providers, Consumers: consumers, Services: services}}}
}

func svc(name string, port int) policy.Service {
	return policy.Service{Name: name, Ports: []policy.Port{{Proto: policy.ProtoTCP, Port: port}}}
}

// create adds v to the draft through o.
func create[T any](e *env, o policystore.Objects[T], v T) policystore.Object[T] {
	e.t.Helper()
	obj, err := o.Create(e.ctx, e.tenant, v)
	if err != nil {
		e.t.Fatalf("create %+v: %v", v, err)
	}
	return obj
}

// update replaces the draft object id with v.
func update[T any](e *env, o policystore.Objects[T], id string, v T) policystore.Object[T] {
	e.t.Helper()
	obj, err := o.Update(e.ctx, e.tenant, id, v, "")
	if err != nil {
		e.t.Fatalf("update %s: %v", id, err)
	}
	return obj
}

// get reads object id in state sel.
func get[T any](e *env, o policystore.Objects[T], id string, sel policystore.Selector) policystore.Object[T] {
	e.t.Helper()
	obj, err := o.Get(e.ctx, e.tenant, id, sel)
	if err != nil {
		e.t.Fatalf("get %s in %s: %v", id, sel, err)
	}
	return obj
}

func (e *env) service(name string, port int) policy.ServiceID {
	e.t.Helper()
	return create(e, e.store.Services(), svc(name, port)).Value.ID
}

func (e *env) ipList(name string, ranges ...string) policy.IPListID {
	e.t.Helper()
	return create(e, e.store.IPLists(), policy.IPList{Name: name, Ranges: ranges}).Value.ID
}

func (e *env) group(name, key string, labels ...policy.LabelID) policy.LabelGroupID {
	e.t.Helper()
	return create(e, e.store.LabelGroups(), policy.LabelGroup{Name: name, Key: key, Labels: labels}).Value.ID
}

func (e *env) ruleset(rs policy.Ruleset) policy.RulesetID {
	e.t.Helper()
	return create(e, e.store.Rulesets(), rs).Value.ID
}

func (e *env) provision(note string, objects ...policystore.ObjectKey) policystore.Version {
	e.t.Helper()
	v, err := e.store.Provision(e.ctx, e.tenant, e.author(), note, objects)
	if err != nil {
		e.t.Fatalf("provision %q: %v", note, err)
	}
	return v
}

func (e *env) export(sel policystore.Selector) *policy.Policy {
	e.t.Helper()
	p, err := e.store.Export(e.ctx, e.tenant, sel)
	if err != nil {
		e.t.Fatalf("export %s: %v", sel, err)
	}
	return p
}

func (e *env) diff(from, to policystore.Selector) policystore.Diff {
	e.t.Helper()
	d, err := e.store.Diff(e.ctx, e.tenant, from, to)
	if err != nil {
		e.t.Fatalf("diff %s..%s: %v", from, to, err)
	}
	return d
}

func (e *env) check(sel policystore.Selector, flows ...policystore.FlowQuery) []policy.Decision {
	e.t.Helper()
	ds, _, err := e.store.Check(e.ctx, e.tenant, sel, flows, "flows")
	if err != nil {
		e.t.Fatalf("check %s: %v", sel, err)
	}
	return ds
}

func (e *env) labels() []policystore.LabelRecord {
	e.t.Helper()
	ls, _, err := e.store.ListLabels(e.ctx, e.tenant, "", page.Request{Limit: page.MaxLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	return ls
}

// flow asks about src reaching the workload dst on tcp port.
func flow[S, D ~string](src S, dst D, port int) policystore.FlowQuery {
	return policystore.FlowQuery{Source: string(src), Destination: string(dst), Proto: "tcp", Port: ptr(port)}
}

// verdicts are the decisions' verdicts, for short comparisons.
func verdicts(ds []policy.Decision) []policy.Verdict {
	out := make([]policy.Verdict, len(ds))
	for i, d := range ds {
		out[i] = d.Verdict
	}
	return out
}

// view is what one state of the policy answers: its export, every object's
// ETag as List and Get give it, and the decisions on some flows.
type view struct {
	Doc       *policy.Policy
	ETags     map[policystore.ObjectKey]string
	Decisions []policy.Decision
}

func (e *env) view(sel policystore.Selector, flows ...policystore.FlowQuery) view {
	e.t.Helper()
	v := view{Doc: e.export(sel), ETags: map[policystore.ObjectKey]string{}}
	etags(e, e.store.LabelGroups(), policy.KindLabelGroup, sel, func(g policy.LabelGroup) string { return string(g.ID) }, v.ETags)
	etags(e, e.store.Services(), policy.KindService, sel, func(s policy.Service) string { return string(s.ID) }, v.ETags)
	etags(e, e.store.IPLists(), policy.KindIPList, sel, func(l policy.IPList) string { return string(l.ID) }, v.ETags)
	etags(e, e.store.Rulesets(), policy.KindRuleset, sel, func(rs policy.Ruleset) string { return string(rs.ID) }, v.ETags)
	if len(flows) > 0 {
		v.Decisions = e.check(sel, flows...)
	}
	return v
}

// etags adds the ETag of each object of o in sel to into, failing if List
// and Get disagree.
func etags[T any](e *env, o policystore.Objects[T], k policy.Kind, sel policystore.Selector, id func(T) string, into map[policystore.ObjectKey]string) {
	e.t.Helper()
	list, _, err := o.List(e.ctx, e.tenant, sel, page.Request{Limit: page.MaxLimit})
	if err != nil {
		e.t.Fatalf("list %s in %s: %v", k, sel, err)
	}
	for _, obj := range list {
		got := get(e, o, id(obj.Value), sel)
		if got.Revision != obj.Revision || !reflect.DeepEqual(got.Value, obj.Value) {
			e.t.Errorf("%s %s in %s: Get gives revision %d, List %d", k, id(obj.Value), sel, got.Revision, obj.Revision)
		}
		into[key(k, id(obj.Value))] = policystore.ETag(obj.Revision)
	}
}

// same fails the test unless got equals want, printing the lines of their
// JSON forms that differ (-got +want).
func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
	pre := 0
	for pre < len(gl) && pre < len(wl) && gl[pre] == wl[pre] {
		pre++
	}
	suf := 0
	for suf < len(gl)-pre && suf < len(wl)-pre && gl[len(gl)-1-suf] == wl[len(wl)-1-suf] {
		suf++
	}
	var b strings.Builder
	for _, l := range gl[pre : len(gl)-suf] {
		b.WriteString("\n-" + l)
	}
	for _, l := range wl[pre : len(wl)-suf] {
		b.WriteString("\n+" + l)
	}
	t.Errorf("%s differs from line %d (-got +want):%s", what, pre+1, b.String())
}

// wantErr fails unless err is a user error of kind; when fields are given,
// the error's field paths must be exactly those (in any order, each once).
func wantErr(t *testing.T, err error, kind usererr.Kind, fields ...string) *usererr.Error {
	t.Helper()
	ue, ok := usererr.As(err)
	if !ok || ue.Kind != kind {
		t.Fatalf("got error %v, want a user error of kind %d", err, kind)
	}
	if fields != nil {
		got := map[string]bool{}
		for _, f := range ue.Fields {
			got[f.Field] = true
		}
		want := map[string]bool{}
		for _, f := range fields {
			want[f] = true
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("error %q names fields %v, want %v", err, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
	}
	return ue
}

// messages are the messages of ue's entries for field, in order.
func messages(ue *usererr.Error, field string) []string {
	var out []string
	for _, f := range ue.Fields {
		if f.Field == field {
			out = append(out, f.Message)
		}
	}
	return out
}

// newID returns a fresh object id, known to no tenant.
func newID() string { return ids.New() }
