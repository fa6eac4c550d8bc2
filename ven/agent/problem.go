package agent

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// PCEError is an error answer of the PCE, an RFC 9457 problem: what the PCE
// chose to tell the user (title, detail, one message per bad field), kept
// apart so that the command can print it as is.
type PCEError struct {
	Status int          `json:"status"`
	Title  string       `json:"title"`
	Detail string       `json:"detail,omitempty"`
	Fields []FieldError `json:"errors,omitempty"`
}

// FieldError is one bad field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *PCEError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "PCE answered %d", e.Status)
	if e.Title != "" {
		fmt.Fprintf(&b, " %s", e.Title)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return b.String()
}

// maxErrorBody bounds what is read of an error answer.
const maxErrorBody = 64 << 10

// readError turns a non-success answer into a *PCEError: the problem it
// carries, or for anything else (a proxy's HTML page) its status and the
// start of its body.
func readError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &PCEError{Status: resp.StatusCode}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/problem+json" || mt == "application/json" {
		if json.Unmarshal(body, e) == nil {
			e.Status = resp.StatusCode // the status line wins over the body's claim
			if e.Title == "" {
				e.Title = http.StatusText(resp.StatusCode)
			}
			return e
		}
	}
	e.Title = http.StatusText(resp.StatusCode)
	if s := strings.TrimSpace(string(body)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		e.Detail = s
	}
	return e
}
