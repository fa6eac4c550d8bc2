package httpx

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/usererr"
)

// PageRequest reads the `limit` and `cursor` query parameters.
func PageRequest(r *http.Request) (page.Request, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return page.Request{}, usererr.Field(usererr.BadRequest, "query", "malformed query string: "+err.Error())
	}
	pr := page.Request{Limit: page.DefaultLimit}
	var f usererr.Fields
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > page.MaxLimit {
			f.Add("limit", "must be an integer from 1 to 200")
		}
		pr.Limit = n
	}
	if s := q.Get("cursor"); s != "" {
		k, err := page.Decode(s)
		if err != nil {
			f.Add("cursor", err.Error())
		}
		pr.After = &k
	}
	if len(f) > 0 {
		return page.Request{}, &usererr.Error{Kind: usererr.BadRequest, Msg: "invalid query parameters", Fields: f}
	}
	return pr, nil
}
