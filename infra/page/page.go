// Package page implements the API's cursor pagination. A cursor is an
// opaque, URL-safe encoding of the sort key of the last item returned
// (creation time, then id), so pages stay stable while rows are added and a
// client cannot make the server skip or scan arbitrarily.
package page

import (
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// DefaultLimit and MaxLimit bound a page's size.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Key is the position after which a page starts.
type Key struct {
	Time time.Time
	ID   string
}

// Request is one page request: at most Limit items after After (nil: from
// the start).
type Request struct {
	Limit int
	After *Key
}

// Size is Limit clamped to 1..MaxLimit, DefaultLimit when unset: what a
// store actually returns, whoever built the request.
func (r Request) Size() int {
	switch {
	case r.Limit < 1:
		return DefaultLimit
	case r.Limit > MaxLimit:
		return MaxLimit
	}
	return r.Limit
}

// Encode returns the cursor naming k.
func (k Key) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(k.Time.UTC().Format(time.RFC3339Nano) + "|" + k.ID))
}

// Decode parses a cursor made by Encode.
func Decode(cursor string) (Key, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return Key{}, errors.New("not a cursor returned by this API")
	}
	ts, id, ok := strings.Cut(string(b), "|")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || err != nil || id == "" {
		return Key{}, errors.New("not a cursor returned by this API")
	}
	return Key{Time: t, ID: id}, nil
}

// Of returns the first Limit items and the cursor of the next page. Stores
// query Limit+1 rows, so a next page is announced only when one exists.
func Of[T any](items []T, limit int, key func(T) Key) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, key(items[limit-1]).Encode()
}
