package httpx

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/remora-sec/remora/infra/usererr"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string               `json:"type"`
	Title     string               `json:"title"`
	Status    int                  `json:"status"`
	Detail    string               `json:"detail,omitempty"`
	Instance  string               `json:"instance,omitempty"`
	RequestID string               `json:"request_id,omitempty"`
	Errors    []usererr.FieldError `json:"errors,omitempty"`
}

var kindStatus = map[usererr.Kind]int{
	usererr.BadRequest:         http.StatusBadRequest,
	usererr.Unauthenticated:    http.StatusUnauthorized,
	usererr.Forbidden:          http.StatusForbidden,
	usererr.NotFound:           http.StatusNotFound,
	usererr.Conflict:           http.StatusConflict,
	usererr.PreconditionFailed: http.StatusPreconditionFailed,
	usererr.TooLarge:           http.StatusRequestEntityTooLarge,
	usererr.UnsupportedMedia:   http.StatusUnsupportedMediaType,
	usererr.Invalid:            http.StatusUnprocessableEntity,
}

// StatusClientClosedRequest records, in logs and metrics, a request whose
// client left before it was answered.
const StatusClientClosedRequest = 499

// WriteProblem sends a problem with status and detail.
func WriteProblem(w http.ResponseWriter, r *http.Request, status int, detail string, fields ...usererr.FieldError) {
	p := Problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.Path,
		RequestID: RequestID(r.Context()),
		Errors:    fields,
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="remora"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

// WriteError answers err: a user-facing error becomes its problem; any
// other error is logged with its whole chain and answered with a bare 500
// carrying only the request id, so internals never reach the client.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if ue, ok := usererr.As(err); ok {
		WriteProblem(w, r, kindStatus[ue.Kind], ue.Msg, ue.Fields...)
		return
	}
	if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
		// The client went away: nothing failed on our side, and nobody is
		// left to read an answer. 499 (nginx's "client closed request")
		// keeps these out of the 5xx counts.
		log.DebugContext(r.Context(), "client closed request", "err", err, "request_id", RequestID(r.Context()))
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	log.ErrorContext(r.Context(), "request failed", "err", err, "request_id", RequestID(r.Context()),
		"method", r.Method, "path", r.URL.Path)
	WriteProblem(w, r, http.StatusInternalServerError, "internal error; quote the request id when reporting it")
}

// WriteJSON sends v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
