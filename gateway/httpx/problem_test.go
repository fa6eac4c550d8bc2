package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/remora-sec/remora/infra/usererr"
)

func TestWriteError(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		err      error
		status   int
		body     string // substring of the response
		notBody  string // must not appear in the response
		logLevel string // substring of the log, "" for none
	}{
		{"user error", context.Background(), fmt.Errorf("wrap: %w", usererr.Field(usererr.Invalid, "email", "bad")), 422, `"field":"email"`, "wrap", ""},
		{"internal error hides detail", context.Background(), errors.New("pq: password for db-admin is hunter2"), 500, "internal error", "hunter2", `"level":"ERROR"`},
		{"client gone", canceled, fmt.Errorf("query: %w", context.Canceled), StatusClientClosedRequest, "", "internal", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/x", nil).WithContext(tt.ctx)
			WriteError(w, r, log, tt.err)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d", w.Code, tt.status)
			}
			if !strings.Contains(w.Body.String(), tt.body) || tt.notBody != "" && strings.Contains(w.Body.String(), tt.notBody) {
				t.Errorf("body %q: want %q, not %q", w.Body, tt.body, tt.notBody)
			}
			if tt.logLevel == "" && logs.Len() > 0 || tt.logLevel != "" && !strings.Contains(logs.String(), tt.logLevel) {
				t.Errorf("log %q, want %q", logs.String(), tt.logLevel)
			}
		})
	}
}
