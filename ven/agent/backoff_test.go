package agent

import (
	"slices"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	s := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	for _, tt := range []struct {
		name string
		rand float64
		want []time.Duration
	}{
		// The lower edge of the jitter: half of 1, 2, 4, 8, 16, then 30 s.
		{"low", 0, []time.Duration{s(0.5), s(1), s(2), s(4), s(8), s(15), s(15), s(15)}},
		// Close to the upper edge: the full delay, capped at 30 s.
		{"high", 0.999999, []time.Duration{s(1), s(2), s(4), s(8), s(16), s(30), s(30), s(30)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := Backoff{Min: time.Second, Max: 30 * time.Second, Rand: func() float64 { return tt.rand }}
			var got []time.Duration
			for range tt.want {
				got = append(got, b.Next().Round(time.Millisecond))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("delays %v\nwant   %v", got, tt.want)
			}
			b.Reset()
			if d := b.Next().Round(time.Millisecond); d != tt.want[0] {
				t.Errorf("after Reset: %v, want %v", d, tt.want[0])
			}
		})
	}
	var zero Backoff
	for range 100 {
		if d := zero.Next(); d < DefaultBackoffMin/2 || d > DefaultBackoffMax {
			t.Fatalf("default backoff gave %v", d)
		}
	}
}
