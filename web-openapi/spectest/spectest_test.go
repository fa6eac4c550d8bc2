package spectest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	webopenapi "github.com/remora-sec/remora/web-openapi"
)

// recorder is a testing.TB that keeps Check's complaints instead of failing,
// so the test can assert that bad exchanges are caught.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// server answers like a tiny PCE: good and bad variants picked by ?bad=.
func server(t *testing.T) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("bad") != "noid" {
			w.Header().Set("X-Request-Id", "req-1")
		}
		switch {
		case r.URL.Path == "/healthz" && r.URL.Query().Get("bad") == "body":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"status":"broken"}`)
		case r.URL.Path == "/healthz" && r.URL.Query().Get("bad") == "status":
			w.WriteHeader(http.StatusTeapot)
		case r.URL.Path == "/healthz":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"status":"ok"}`)
		case r.URL.Path == "/api/v1/openapi.yaml":
			w.Header().Set("Content-Type", "application/yaml")
			w.Write(webopenapi.Spec)
		case r.Method == http.MethodDelete && r.URL.Query().Get("bad") == "body":
			w.WriteHeader(http.StatusNoContent)
			io.WriteString(w, "{}") // net/http drops it; Check sees what the test passes.
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"type":"about:blank","title":"Not Found","status":404}`)
		}
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestCheck(t *testing.T) {
	v := New(t)
	srv := server(t)
	cases := []struct {
		method, path string
		body         string // overrides the server's body when set
		wantErr      string // "" means the exchange must pass
	}{
		{"GET", "/healthz", "", ""},
		{"GET", "/healthz?bad=body", "", `doesn't match schema #/components/schemas/Health`},
		{"GET", "/healthz?bad=status", "", "status not declared; openapi.yaml lists [200 500]"},
		{"GET", "/healthz?bad=noid", "", `"X-Request-Id" missing`},
		{"GET", "/api/v1/openapi.yaml", "", ""},
		{"DELETE", "/api/v1/api-keys/7b0f4b7e-2f5e-4a8c-9a55-5b9f1c3d2e10", "", ""},
		{"DELETE", "/api/v1/api-keys/7b0f4b7e-2f5e-4a8c-9a55-5b9f1c3d2e10?bad=body", "{}", "declares no body"},
		{"GET", "/nowhere", "", ""},
		{"PUT", "/api/v1/users/7b0f4b7e-2f5e-4a8c-9a55-5b9f1c3d2e10", "", "want 405, got 404"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			req, err := http.NewRequest(c.method, srv.URL+c.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if c.body != "" {
				body = []byte(c.body)
			}
			rec := &recorder{TB: t}
			v.Check(rec, req, resp.StatusCode, resp.Header, body)
			got := strings.Join(rec.errs, "\n")
			if got != "" {
				t.Log(got) // shows what a failing test would print
			}
			switch {
			case c.wantErr == "" && got != "":
				t.Errorf("valid exchange rejected:\n%s", got)
			case c.wantErr != "" && !strings.Contains(got, c.wantErr):
				t.Errorf("want an error containing %q, got:\n%s", c.wantErr, got)
			}
		})
	}
}

func TestOperations(t *testing.T) {
	ops := New(t).Operations()
	doc, err := webopenapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, item := range doc.Paths.Map() {
		n += len(item.Operations())
	}
	if len(ops) != n || !slices.IsSorted(ops) || !slices.Contains(ops, "GET /api/v1/users/{userId}") {
		t.Errorf("Operations() = %q, want the spec's %d operations, sorted", ops, n)
	}
}
