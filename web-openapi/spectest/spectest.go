// Package spectest checks HTTP exchanges against the embedded openapi.yaml, so
// handler and integration tests in any package prove that what the server
// answers is what the published contract promises.
package spectest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	webopenapi "github.com/remora-sec/remora/web-openapi"
)

// Validator matches requests to the spec's operations and checks responses.
// It is safe for concurrent use by parallel tests.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options
}

// New loads the embedded spec and builds a kin-openapi router for it. The
// spec's servers are dropped so requests to any host (an httptest server on
// 127.0.0.1:PORT, or a recorder's example.com) are routed by path alone.
func New(t testing.TB) *Validator {
	t.Helper()
	doc, err := webopenapi.Load()
	if err != nil {
		t.Fatalf("spectest: %v", err)
	}
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("spectest: build router: %v", err)
	}
	return &Validator{doc: doc, router: router, opts: &openapi3filter.Options{
		// Only responses are checked, so credentials never matter here.
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		// A status the operation does not list is a contract break too.
		IncludeResponseStatus: true,
		MultiError:            true,
		// kin checks no uuid or email format unless told; scoped to these calls.
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
			openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
		},
	}}
}

// Operations lists every operation in the spec as "METHOD /path/{template}",
// sorted, so tests can prove each one is exercised.
func (v *Validator) Operations() []string {
	var ops []string
	for path, item := range v.doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	slices.Sort(ops)
	return ops
}

// Check validates one exchange against the spec and reports every mismatch
// with t.Errorf. req only selects the operation (method and URL path; its
// body is not read and its parameters are not validated, so tests may send
// bad requests on purpose). The response must use a status the operation
// declares and match that response's headers, media type and schema. A
// request no operation matches must get a Problem with 404, or 405 when the
// path exists under another method.
func (v *Validator) Check(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if header == nil {
		header = http.Header{}
	}
	what := fmt.Sprintf("%s %s -> %d", req.Method, req.URL.Path, status)
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		v.checkUnrouted(t, what, req, status, header, body)
		return
	}
	what = fmt.Sprintf("%s %s (%s) -> %d", req.Method, route.Path, route.Operation.OperationID, status)
	if rs := route.Operation.Responses; rs.Status(status) == nil && rs.Default() == nil {
		declared := slices.Sorted(maps.Keys(rs.Map()))
		t.Errorf("spectest: %s: status not declared; openapi.yaml lists %v%s", what, declared, quote(body))
		return
	}
	opts := *v.opts
	if msg := checkRawBody(route.Operation, status, header, body, &opts); msg != "" {
		t.Errorf("spectest: %s: %s%s", what, msg, quote(body))
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route, Options: &opts,
		},
		Status:  status,
		Header:  header,
		Options: &opts,
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("spectest: %s: %v%s", what, err, quote(body))
	}
}

// checkRawBody covers what kin's body check cannot: a declared body-less
// response that has a body, and text bodies declared as `type: string`
// (kin would parse application/yaml into a map and then reject it). For the
// latter it checks the body itself and turns kin's body check off.
func checkRawBody(op *openapi3.Operation, status int, header http.Header, body []byte, opts *openapi3filter.Options) string {
	ref := op.Responses.Status(status)
	if ref == nil || ref.Value == nil {
		return "" // Only default matches; kin checks it.
	}
	if len(ref.Value.Content) == 0 {
		if len(body) > 0 {
			return "response declares no body but has one"
		}
		return ""
	}
	mt := ref.Value.Content.Get(header.Get("Content-Type"))
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil || !mt.Schema.Value.Type.Is(openapi3.TypeString) {
		return "" // kin checks the media type and schema.
	}
	opts.ExcludeResponseBody = true
	if err := mt.Schema.Value.VisitJSON(string(body)); err != nil {
		return "body doesn't match schema: " + err.Error()
	}
	if len(body) == 0 {
		return "empty body"
	}
	return ""
}

// checkUnrouted accepts only the router's own answers to a request outside the
// spec: 404 for an unknown path, 405 for a known path under another method.
func (v *Validator) checkUnrouted(t testing.TB, what string, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	want := http.StatusNotFound
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		r := req.Clone(context.Background())
		r.Method = m
		if _, _, err := v.router.FindRoute(r); err == nil {
			want = http.StatusMethodNotAllowed
			break
		}
	}
	if status != want {
		t.Errorf("spectest: %s: no operation in openapi.yaml for this request; want %d, got %d", what, want, status)
		return
	}
	if header.Get("X-Request-Id") == "" {
		t.Errorf("spectest: %s: response header \"X-Request-Id\" missing", what)
	}
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("spectest: %s: Content-Type %q, want application/problem+json", what, ct)
		return
	}
	value, err := openapi3filter.JSONBodyDecoder(io.NopCloser(bytes.NewReader(body)), header, nil, nil)
	if err == nil {
		err = v.doc.Components.Schemas["Problem"].Value.VisitJSON(value, openapi3.MultiErrors(), openapi3.VisitAsResponse())
	}
	if err != nil {
		t.Errorf("spectest: %s: body is not a Problem: %v%s", what, err, quote(body))
	}
}

// quote shows the start of a body after an error, enough to spot the cause.
func quote(body []byte) string {
	const limit = 512
	if len(body) > limit {
		return fmt.Sprintf("\nbody (first %d of %d bytes): %s", limit, len(body), body[:limit])
	}
	return fmt.Sprintf("\nbody: %s", body)
}
