package policystore_test

import (
	"fmt"
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/usererr"
)

// resource is one editable thing under If-Match: its current ETag, and an
// update and a delete taking an If-Match value.
type resource struct {
	etag   func() string
	update func(ifMatch string) error
	delete func(ifMatch string) error
}

func TestIfMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := 0
	kinds := []struct {
		name string
		make func() resource
	}{
		{"service", func() resource {
			n++
			id := string(e.service(fmt.Sprintf("s%d", n), 1))
			o := e.store.Services()
			return resource{
				etag: func() string { return policystore.ETag(get(e, o, id, policystore.Draft).Revision) },
				update: func(m string) error {
					n++
					_, err := o.Update(e.ctx, e.tenant, id, svc(fmt.Sprintf("s%d", n), n), m)
					return err
				},
				delete: func(m string) error { return o.Delete(e.ctx, e.tenant, id, m) },
			}
		}},
		{"ruleset", func() resource {
			n++
			web := e.label("role", fmt.Sprintf("web%d", n))
			id := string(e.ruleset(allowRS(fmt.Sprintf("r%d", n), actors(byLabel(web)), actors(byLabel(web)), tcp(1))))
			o := e.store.Rulesets()
			return resource{
				etag: func() string { return policystore.ETag(get(e, o, id, policystore.Draft).Revision) },
				update: func(m string) error {
					n++
					_, err := o.Update(e.ctx, e.tenant, id, allowRS(fmt.Sprintf("r%d", n), actors(byLabel(web)), actors(byLabel(web)), tcp(n)), m)
					return err
				},
				delete: func(m string) error { return o.Delete(e.ctx, e.tenant, id, m) },
			}
		}},
		{"label", func() resource {
			n++
			id := string(e.label("app", fmt.Sprintf("a%d", n)))
			return resource{
				etag: func() string {
					l, err := e.store.GetLabel(e.ctx, e.tenant, id)
					if err != nil {
						t.Fatal(err)
					}
					return policystore.ETag(l.Revision)
				},
				update: func(m string) error {
					n++
					_, err := e.store.UpdateLabel(e.ctx, e.tenant, id, "app", fmt.Sprintf("a%d", n), m)
					return err
				},
				delete: func(m string) error { return e.store.DeleteLabel(e.ctx, e.tenant, id, m) },
			}
		}},
		{"workload", func() resource {
			n++
			id := e.workload(fmt.Sprintf("w%d", n), policy.Full, "10.0.0.1")
			return resource{
				etag: func() string {
					w, err := e.store.GetWorkload(e.ctx, e.tenant, string(id))
					if err != nil {
						t.Fatal(err)
					}
					return policystore.ETag(w.Revision)
				},
				update: func(m string) error {
					n++
					w := wl(fmt.Sprintf("w%d", n), "10.0.0.1")
					w.ID = id
					_, err := e.store.UpdateWorkloads(e.ctx, e.tenant, []policy.Workload{w}, "", m)
					return err
				},
				delete: func(m string) error { return e.store.DeleteWorkloads(e.ctx, e.tenant, []string{string(id)}, "", m) },
			}
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			r := k.make()
			stale := r.etag()
			if err := r.update(""); err != nil {
				t.Fatalf("update without If-Match: %v", err)
			}
			cur := r.etag()
			if cur == stale {
				t.Fatalf("ETag %s did not change on update", cur)
			}
			for _, m := range []string{stale, "W/" + cur, `"0"`, stale + ", " + `"0"`} {
				wantErr(t, r.update(m), usererr.PreconditionFailed, "If-Match")
				wantErr(t, r.delete(m), usererr.PreconditionFailed, "If-Match")
				if got := r.etag(); got != cur {
					t.Fatalf("If-Match %s was refused but the ETag moved from %s to %s", m, cur, got)
				}
			}
			for _, m := range []func() string{r.etag, func() string { return "*" }, func() string { return stale + ", " + r.etag() }} {
				if err := r.update(m()); err != nil {
					t.Errorf("update with If-Match %s: %v", m(), err)
				}
			}
			if err := r.delete(r.etag()); err != nil {
				t.Errorf("delete with the current ETag: %v", err)
			}
			if err := r.delete("*"); !usererr.Is(err, usererr.NotFound) {
				t.Errorf("second delete: %v, want NotFound", err)
			}
			if err := k.make().delete("*"); err != nil {
				t.Errorf("delete with If-Match *: %v", err)
			}
		})
	}
}
