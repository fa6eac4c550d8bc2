package policystore_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/usererr"
)

// wl is a workload literal with one interface.
func wl(name string, addr string, labels ...policy.LabelID) policy.Workload {
	return policy.Workload{Name: name, Mode: policy.Full, Labels: labels,
		Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{addr}}}}
}

// allWorkloads pages through the tenant's workloads.
func (e *env) allWorkloads() []policystore.WorkloadRecord {
	e.t.Helper()
	var out []policystore.WorkloadRecord
	for pr := (page.Request{Limit: page.MaxLimit}); ; {
		ws, next, err := e.store.ListWorkloads(e.ctx, e.tenant, "", pr)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, ws...)
		if next == "" {
			return out
		}
		k, err := page.Decode(next)
		if err != nil {
			e.t.Fatal(err)
		}
		pr.After = &k
	}
}

func TestWorkloadCRUD(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	app, prod, web, db := e.label("app", "shop"), e.label("env", "prod"), e.label("role", "web"), e.label("role", "db")

	ws, err := e.store.CreateWorkloads(e.ctx, e.tenant, []policy.Workload{{Name: "web-1", Hostname: "web-1.example.com",
		Labels:     []policy.LabelID{app, prod, web},
		Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{"10.0.0.1", "fd00::1"}}}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	created := ws[0]
	want := policy.Workload{ID: created.ID, Name: "web-1", Hostname: "web-1.example.com", Mode: policystore.DefaultMode,
		Labels:     []policy.LabelID{app, prod, web}, // ordered by key
		Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{"10.0.0.1", "fd00::1"}}}}
	same(t, "created", created.Workload, want)
	got, err := e.store.GetWorkload(e.ctx, e.tenant, string(created.ID))
	if err != nil {
		t.Fatal(err)
	}
	same(t, "got", got, created)

	upd := policy.Workload{ID: created.ID, Name: "db-1", Mode: policy.Selective, Labels: []policy.LabelID{db},
		Interfaces: []policy.Interface{{Name: "eth1", Addresses: []string{"10.0.0.2"}}}}
	ws, err = e.store.UpdateWorkloads(e.ctx, e.tenant, []policy.Workload{upd}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "updated", ws[0].Workload, upd)
	if ws[0].Revision <= created.Revision || !ws[0].CreatedAt.Equal(created.CreatedAt) {
		t.Errorf("update: revision %d → %d, created_at %v → %v", created.Revision, ws[0].Revision, created.CreatedAt, ws[0].CreatedAt)
	}
	got, _ = e.store.GetWorkload(e.ctx, e.tenant, string(created.ID))
	same(t, "got after update", got, ws[0])
	byLabel, _, err := e.store.ListWorkloads(e.ctx, e.tenant, string(db), page.Request{})
	if err != nil || len(byLabel) != 1 || byLabel[0].ID != created.ID {
		t.Errorf("workloads with role=db: %+v, %v", byLabel, err)
	}
	if byLabel, _, _ := e.store.ListWorkloads(e.ctx, e.tenant, string(web), page.Request{}); len(byLabel) != 0 {
		t.Errorf("workloads still listed under a label they lost: %+v", byLabel)
	}
	if err := e.store.DeleteWorkloads(e.ctx, e.tenant, []string{string(created.ID)}, "", ""); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		func() error { _, err := e.store.GetWorkload(e.ctx, e.tenant, string(created.ID)); return err }(),
		func() error {
			_, err := e.store.UpdateWorkloads(e.ctx, e.tenant, []policy.Workload{upd}, "", "")
			return err
		}(),
		e.store.DeleteWorkloads(e.ctx, e.tenant, []string{string(created.ID)}, "", ""),
		e.store.DeleteWorkloads(e.ctx, e.tenant, []string{"not-an-id"}, "", ""),
	} {
		wantErr(t, err, usererr.NotFound)
	}
}

func TestWorkloadValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	web, db := e.label("role", "web"), e.label("role", "db")
	for _, tc := range []struct {
		name   string
		w      policy.Workload
		fields []string
	}{
		{"two labels of one key", wl("w", "10.0.0.1", web, db), []string{"labels[1]"}},
		{"unknown label", wl("w", "10.0.0.1", policy.LabelID(newID())), []string{"labels[0]"}},
		{"bad address", wl("w", "10.0.0.256"), []string{"interfaces[0].addresses[0]"}},
		{"no name", wl("", "10.0.0.1"), []string{"name"}},
		{"bad mode", policy.Workload{Name: "w", Mode: "loud"}, []string{"enforcement_mode"}},
		{"id given", policy.Workload{ID: policy.WorkloadID(newID()), Name: "w"}, []string{"id"}},
		{"managed", policy.Workload{Name: "w", Managed: true}, []string{"managed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.store.CreateWorkloads(e.ctx, e.tenant, []policy.Workload{tc.w}, "")
			wantErr(t, err, usererr.Invalid, tc.fields...)
		})
	}
	if ws := e.allWorkloads(); len(ws) != 0 {
		t.Errorf("refused creates wrote %d workloads", len(ws))
	}
}

func TestWorkloadBulk(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	web := e.label("role", "web")

	batch := make([]policy.Workload, policystore.MaxBulk)
	for i := range batch {
		batch[i] = wl(fmt.Sprintf("w-%04d", i), fmt.Sprintf("10.1.%d.%d", i/256, i%256), web)
	}
	created, err := e.store.CreateWorkloads(e.ctx, e.tenant, batch, "items")
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != len(batch) {
		t.Fatalf("created %d workloads, want %d", len(created), len(batch))
	}
	for i, w := range created {
		if w.Name != batch[i].Name || len(w.Labels) != 1 || w.Labels[0] != web {
			t.Fatalf("created[%d] is %+v, want %s with role=web", i, w.Workload, batch[i].Name)
		}
	}
	if n := len(e.allWorkloads()); n != len(batch) {
		t.Fatalf("%d workloads listed, want %d", n, len(batch))
	}
	ds := e.check(policystore.Active, flow("10.1.3.231", created[999].ID, 80))
	if ds[0].Mode != policy.Full {
		t.Errorf("decision %+v", ds[0])
	}

	t.Run("create with bad items", func(t *testing.T) {
		bad := make([]policy.Workload, 10)
		for i := range bad {
			bad[i] = wl(fmt.Sprintf("bad-%d", i), "10.2.0.1")
		}
		bad[3].Name = ""
		bad[7].Labels = []policy.LabelID{policy.LabelID(newID())}
		bad[9].Interfaces[0].Addresses[0] = "10.2.0.999"
		_, err := e.store.CreateWorkloads(e.ctx, e.tenant, bad, "items")
		wantErr(t, err, usererr.Invalid, "items[3].name", "items[7].labels[0]", "items[9].interfaces[0].addresses[0]")
		if n := len(e.allWorkloads()); n != len(batch) {
			t.Errorf("%d workloads after a refused bulk create, want %d", n, len(batch))
		}
	})
	t.Run("update with an unknown id", func(t *testing.T) {
		items := []policy.Workload{created[0].Workload, created[1].Workload, created[2].Workload}
		items[0].Name, items[2].Name = "renamed-0", "renamed-2"
		items[1].ID = policy.WorkloadID(newID())
		_, err := e.store.UpdateWorkloads(e.ctx, e.tenant, items, "items", "")
		wantErr(t, err, usererr.Invalid, "items[1].id")
		for _, i := range []int{0, 2} {
			got, _ := e.store.GetWorkload(e.ctx, e.tenant, string(created[i].ID))
			same(t, "workload after a refused bulk update", got, created[i])
		}
	})
	t.Run("delete with an unknown id", func(t *testing.T) {
		idList := []string{string(created[0].ID), string(created[1].ID), newID(), "junk"}
		wantErr(t, e.store.DeleteWorkloads(e.ctx, e.tenant, idList, "ids", ""), usererr.Invalid, "ids[2]", "ids[3]")
		if n := len(e.allWorkloads()); n != len(batch) {
			t.Errorf("%d workloads after a refused bulk delete, want %d", n, len(batch))
		}
	})
	t.Run("delete", func(t *testing.T) {
		idList := make([]string, 500)
		for i := range idList {
			idList[i] = string(created[i].ID)
		}
		if err := e.store.DeleteWorkloads(e.ctx, e.tenant, idList, "ids", ""); err != nil {
			t.Fatal(err)
		}
		if n := len(e.allWorkloads()); n != len(batch)-500 {
			t.Errorf("%d workloads left, want %d", n, len(batch)-500)
		}
	})
}

// A workload created while its label is deleted: exactly one of them wins,
// and no workload ever points at a deleted label.
func TestDeleteLabelRacesWorkloadCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const rounds = 40
	var created, deleted int
	for i := range rounds {
		l := e.label("app", fmt.Sprintf("a%d", i))
		var (
			wg        sync.WaitGroup
			createErr error
			deleteErr error
			start     = make(chan struct{})
		)
		wg.Go(func() {
			<-start
			_, createErr = e.store.CreateWorkloads(e.ctx, e.tenant, []policy.Workload{wl(fmt.Sprintf("w%d", i), "10.3.0.1", l)}, "")
		})
		wg.Go(func() {
			<-start
			deleteErr = e.store.DeleteLabel(e.ctx, e.tenant, string(l), "")
		})
		close(start)
		wg.Wait()
		switch {
		case createErr == nil && deleteErr != nil:
			created++
			wantErr(t, deleteErr, usererr.Conflict)
		case createErr != nil && deleteErr == nil:
			deleted++
			wantErr(t, createErr, usererr.Invalid, "labels[0]")
		default:
			t.Fatalf("round %d: create %v, delete %v; want exactly one to succeed", i, createErr, deleteErr)
		}
	}
	t.Logf("%d rounds: the workload won %d, the delete %d", rounds, created, deleted)

	labels := map[policy.LabelID]bool{}
	for _, l := range e.labels() {
		labels[l.ID] = true
	}
	ws := e.allWorkloads()
	if len(ws) != created || len(labels) != created {
		t.Errorf("%d workloads and %d labels, want %d of each", len(ws), len(labels), created)
	}
	for _, w := range ws {
		if len(w.Labels) != 1 || !labels[w.Labels[0]] {
			t.Errorf("workload %s has labels %v; existing labels %v", w.Name, w.Labels, labels)
		}
	}
}
