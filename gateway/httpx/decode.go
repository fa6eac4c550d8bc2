package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/remora-sec/remora/infra/usererr"
)

// MaxBody is the largest request body accepted.
const MaxBody = 1 << 20

// Decode reads r's body, which must be one JSON value of v's shape and
// nothing else: unknown fields, wrong types, trailing data, a body over
// MaxBody or not declared as JSON are each refused with the field named.
// On error v may be partly filled and must not be used.
func Decode(w http.ResponseWriter, r *http.Request, v any) error {
	return DecodeMax(w, r, v, MaxBody)
}

// DecodeMax is Decode with a body limit of max bytes, for the few requests
// that carry whole documents (a policy import).
func DecodeMax(w http.ResponseWriter, r *http.Request, v any, max int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return usererr.New(usererr.UnsupportedMedia, fmt.Sprintf("Content-Type must be application/json, got %q", ct))
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, max, reflect.TypeOf(v))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeError(err, max, nil)
		}
		return usererr.Field(usererr.BadRequest, "body", "must hold exactly one JSON object")
	}
	return nil
}

// decodeError turns encoding/json's errors into user errors naming where
// the request went wrong; t is the type decoded into.
func decodeError(err error, max int64, t reflect.Type) error {
	var (
		syn  *json.SyntaxError
		typ  *json.UnmarshalTypeError
		mbe  *http.MaxBytesError
		body = func(msg string) error { return usererr.Field(usererr.BadRequest, "body", msg) }
	)
	switch {
	case errors.As(err, &mbe):
		return &usererr.Error{Kind: usererr.TooLarge, Msg: "request body too large",
			Fields: []usererr.FieldError{{Field: "body", Message: fmt.Sprintf("must be at most %d bytes", max)}}}
	case errors.Is(err, io.EOF):
		return body("is required: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return body("malformed JSON: unexpected end")
	case errors.As(err, &syn):
		return body(fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return body(fmt.Sprintf("must be a JSON object, not %s", typ.Value))
		}
		return usererr.Field(usererr.BadRequest, clientPath(t, field), fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return usererr.Field(usererr.BadRequest, strings.Trim(name, `"`), "is not a known field")
	}
	// Values whose own UnmarshalJSON failed, such as a malformed time.
	return body(strings.TrimPrefix(err.Error(), "json: "))
}

// clientPath rewrites encoding/json's path of a mistyped field (dotted,
// without array indices) into the names the client wrote: encoding/json
// also names each embedded struct it passes through by its Go type
// ("flowIn.port", "rules.services.Port.port"), which means nothing to a
// client and shows an internal name. Those segments are dropped.
func clientPath(t reflect.Type, path string) string {
	var out []string
	for _, seg := range strings.Split(path, ".") {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			t = nil
			out = append(out, seg)
			continue
		}
		if f, ok := t.FieldByName(seg); ok && f.Anonymous && f.Tag.Get("json") == "" {
			t = f.Type
			continue
		}
		t = jsonField(t, seg)
		out = append(out, seg)
	}
	return strings.Join(out, ".")
}

// jsonField returns the type of struct t's field that decodes the JSON
// key name (promoted fields included), or nil.
func jsonField(t reflect.Type, name string) reflect.Type {
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if key == "" {
			key = f.Name
		}
		if strings.EqualFold(key, name) {
			return f.Type
		}
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a number"
}
