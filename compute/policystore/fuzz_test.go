package policystore_test

import (
	"encoding/json"
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/usererr"
)

// FuzzImport feeds arbitrary documents to Import: whatever the input, it
// must never panic and never fail with anything but a user error (which
// the gateway answers 4xx; any other error would be a 500). Every second
// input is imported for real, so later inputs meet a non-empty draft.
// `make fuzz` runs it for a minute; `make test` runs the seeds below.
func FuzzImport(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"labels":[],"label_groups":[],"services":[],"ip_lists":[],"rulesets":[]}`,
		`{"labels":[{"id":"6c29c159-7655-4cf0-ade8-0a6d0f92921c","key":"role","value":"web"}]}`,
		`{"labels":[{"id":"6c29c159-7655-4cf0-ade8-0a6d0f92921c","key":"role","value":"web"},{"id":"99bf8952-5173-45cf-805b-694e0dccdf51","key":"env","value":"prod"}],
		  "label_groups":[{"id":"0ab47cd9-93cb-4586-9d67-e7a617428c1f","name":"g","key":"env","labels":["99bf8952-5173-45cf-805b-694e0dccdf51"],"groups":[]}],
		  "services":[{"id":"f1052dba-9dd4-48b0-ba17-13eac24eabe8","name":"pg","ports":[{"proto":"tcp","port":5432}]}],
		  "ip_lists":[{"id":"b0b09008-ad91-4a9c-bcb1-6059570b20a2","name":"corp","ranges":["10.0.0.0/8","2001:db8::-2001:db8::ff"],"exclusions":["10.1.0.0/16"]}],
		  "rulesets":[{"id":"350264ac-3ed4-4420-8770-7646cbc0a4fd","name":"prod","scopes":[[{"label_group":"0ab47cd9-93cb-4586-9d67-e7a617428c1f"}]],
		    "rules":[{"action":"allow","providers":[{"label":"6c29c159-7655-4cf0-ade8-0a6d0f92921c"}],"consumers":[{"ip_list":"b0b09008-ad91-4a9c-bcb1-6059570b20a2"}],
		      "unscoped_consumers":true,"services":[{"service":"f1052dba-9dd4-48b0-ba17-13eac24eabe8"},{"proto":"icmp","icmp_type":8}]}]}]}`,
		`{"labels":[{"id":"x","key":"ROLE","value":""}],"rulesets":[{"id":"","name":"","rules":[{"id":"dup"},{"id":"dup"}]}]}`,
		`{"label_groups":[{"id":"0ab47cd9-93cb-4586-9d67-e7a617428c1f","name":"a","key":"env","labels":[],"groups":["0ab47cd9-93cb-4586-9d67-e7a617428c1f"]}]}`,
		`{"labels":[{"id":"6c29c159-7655-4cf0-ade8-0a6d0f92921c","key":"k0","value":"v"},{"id":"99bf8952-5173-45cf-805b-694e0dccdf51","key":"k1","value":"v"}]}`,
		`{"ip_lists":[{"id":"b0b09008-ad91-4a9c-bcb1-6059570b20a2","name":"x","ranges":["10.0.0.1/8","::1-10.0.0.1","fe80::1%eth0"],"exclusions":null}]}`,
	} {
		f.Add([]byte(seed))
	}
	e := newEnv(f)
	n := 0
	f.Fuzz(func(t *testing.T, b []byte) {
		var doc policy.Policy
		if json.Unmarshal(b, &doc) != nil {
			return // the gateway answers 400 before the store sees it
		}
		n++
		_, err := e.store.Import(e.ctx, e.tenant, &doc, n%2 == 0)
		if err != nil && !isUserError(err) {
			t.Fatalf("import %s: internal error: %v", b, err)
		}
	})
}

func isUserError(err error) bool {
	_, ok := usererr.As(err)
	return ok
}
