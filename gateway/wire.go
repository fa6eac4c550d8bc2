package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/gateway/httpx"
)

// withMeta encodes v (a JSON object) with the fields of meta added: how
// a stored object is answered with its metadata while the object's own
// type stays the one shared with compute/policy.
func withMeta(v any, meta map[string]any) (json.RawMessage, error) {
	obj, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode object: %w", err)
	}
	m, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	if len(obj) < 2 || obj[0] != '{' || len(m) <= 2 {
		return obj, nil
	}
	if len(obj) == 2 { // "{}"
		return m, nil
	}
	out := make([]byte, 0, len(obj)+len(m))
	out = append(out, obj[:len(obj)-1]...)
	out = append(out, ',')
	return append(out, m[1:]...), nil
}

// stamped is the metadata of a stored row: its times, and the warnings of
// the write that produced it (nil on reads, which leave them out).
func stamped(created, updated time.Time, warnings []policy.Warning) map[string]any {
	m := map[string]any{"created_at": created.UTC(), "updated_at": updated.UTC()}
	if warnings != nil {
		m["warnings"] = warnings
	}
	return m
}

// writeStored answers one stored row with its ETag.
func writeStored(w http.ResponseWriter, status int, rev int64, v any, meta map[string]any) error {
	body, err := withMeta(v, meta)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", policystore.ETag(rev))
	httpx.WriteJSON(w, status, body)
	return nil
}

// list is a page of items.
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor,omitempty"`
}

// writeList answers a page of stored rows, each with its metadata, with
// status (200 unless given).
func writeList[T any](w http.ResponseWriter, items []T, next string, enc func(T) (json.RawMessage, error), status ...int) error {
	out := list[json.RawMessage]{Items: make([]json.RawMessage, len(items)), NextCursor: cursor(next)}
	for i, it := range items {
		var err error
		if out.Items[i], err = enc(it); err != nil {
			return err
		}
	}
	code := http.StatusOK
	if len(status) > 0 {
		code = status[0]
	}
	httpx.WriteJSON(w, code, out)
	return nil
}
