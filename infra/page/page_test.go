package page

import (
	"testing"
	"time"
)

func TestCursorRoundTrip(t *testing.T) {
	k := Key{Time: time.Date(2026, 11, 26, 11, 0, 0, 123456000, time.UTC), ID: "0b0e5f6a-1c2d-4e3f-8a9b-0c1d2e3f4a5b"}
	got, err := Decode(k.Encode())
	if err != nil || !got.Time.Equal(k.Time) || got.ID != k.ID {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "!!!", "bm90LWEtY3Vyc29y", Key{ID: ""}.Encode()} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("Decode(%q): want error", bad)
		}
	}
}

func TestOf(t *testing.T) {
	key := func(i int) Key { return Key{Time: time.Unix(int64(i), 0), ID: "x"} }
	items, next := Of([]int{1, 2, 3}, 2, key)
	if len(items) != 2 || next == "" {
		t.Fatalf("Of over limit: %v %q", items, next)
	}
	items, next = Of([]int{1, 2}, 2, key)
	if len(items) != 2 || next != "" {
		t.Fatalf("Of at limit: %v %q", items, next)
	}
}

func TestSize(t *testing.T) {
	for _, tt := range []struct{ limit, want int }{{0, DefaultLimit}, {-3, DefaultLimit}, {1, 1}, {200, 200}, {201, MaxLimit}} {
		if got := (Request{Limit: tt.limit}).Size(); got != tt.want {
			t.Errorf("Size(%d) = %d, want %d", tt.limit, got, tt.want)
		}
	}
}
