package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
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
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return usererr.New(usererr.UnsupportedMedia, fmt.Sprintf("Content-Type must be application/json, got %q", ct))
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeError(err)
		}
		return usererr.Field(usererr.BadRequest, "body", "must hold exactly one JSON object")
	}
	return nil
}

// decodeError turns encoding/json's errors into user errors naming where
// the request went wrong.
func decodeError(err error) error {
	var (
		syn  *json.SyntaxError
		typ  *json.UnmarshalTypeError
		mbe  *http.MaxBytesError
		body = func(msg string) error { return usererr.Field(usererr.BadRequest, "body", msg) }
	)
	switch {
	case errors.As(err, &mbe):
		return &usererr.Error{Kind: usererr.TooLarge, Msg: "request body too large",
			Fields: []usererr.FieldError{{Field: "body", Message: fmt.Sprintf("must be at most %d bytes", MaxBody)}}}
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
		return usererr.Field(usererr.BadRequest, field, fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return usererr.Field(usererr.BadRequest, strings.Trim(name, `"`), "is not a known field")
	}
	// Values whose own UnmarshalJSON failed, such as a malformed time.
	return body(strings.TrimPrefix(err.Error(), "json: "))
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
