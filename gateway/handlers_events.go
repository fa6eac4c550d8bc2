package gateway

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/usererr"
)

// eventParams are the query parameters GET /api/v1/events knows. Any
// other is refused: a misspelt filter would otherwise silently select
// every event.
var eventParams = []string{"type", "resource_type", "resource_id", "actor_type", "actor_id", "since", "until", "limit", "cursor"}

// listEvents answers one page of the caller's tenant's events, oldest
// first. Every bad parameter is reported at once, as a 422 naming it.
func (a *api) listEvents(w http.ResponseWriter, r *http.Request) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return usererr.Field(usererr.Invalid, "query", "malformed query string: "+err.Error())
	}
	var fs usererr.Fields
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(eventParams, name) {
			fs.Add(name, "is not a parameter of this list; filters are "+strings.Join(eventParams[:7], ", "))
		}
	}
	pr, err := httpx.PageRequest(r)
	if ue, ok := usererr.As(err); ok {
		fs = append(fs, ue.Fields...)
	} else if err != nil {
		return err
	}
	f := outbox.Filter{ResourceType: q.Get("resource_type"), ResourceID: q.Get("resource_id"),
		ActorType: q.Get("actor_type"), ActorID: q.Get("actor_id")}
	for _, v := range q["type"] {
		for g := range strings.SplitSeq(v, ",") {
			f.Types = append(f.Types, strings.TrimSpace(g))
		}
	}
	f.Since = eventTime(&fs, q, "since")
	f.Until = eventTime(&fs, q, "until")
	fs = append(fs, f.Problems()...)
	if err := fs.Err(); err != nil {
		return err
	}
	evs, next, err := outbox.List(r.Context(), a.Tenants, principal(r).Tenant, f, pr)
	if err != nil {
		return err
	}
	return writeList(w, evs, next, func(ev outbox.Event) (json.RawMessage, error) {
		ev.CreatedAt = ev.CreatedAt.UTC()
		return json.Marshal(ev)
	})
}

// eventTime reads an RFC 3339 time; absent is the zero time.
func eventTime(fs *usererr.Fields, q url.Values, name string) time.Time {
	s := q.Get(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if len(s) > 64 {
			s = s[:64] + "…"
		}
		fs.Add(name, fmt.Sprintf("must be an RFC 3339 time such as 2025-01-31T23:59:00Z, not %q", s))
	}
	return t
}
