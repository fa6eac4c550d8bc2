package backoff

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixed is a Rand that always returns its value.
type fixed float64

func (f fixed) Float64() float64 { return float64(f) }

func TestNext(t *testing.T) {
	s := Schedule{5 * time.Second, 5 * time.Minute, 10 * time.Hour}
	tests := []struct {
		attempt int
		rnd     Rand
		want    time.Duration
		wantOK  bool
	}{
		{-1, fixed(0.5), 0, true},
		{0, fixed(0.5), 0, true},
		{1, fixed(0.5), 5 * time.Second, true},
		{1, fixed(0), 4 * time.Second, true},            // -20%
		{1, fixed(0.75), 5500 * time.Millisecond, true}, // +10%
		{2, fixed(0.5), 5 * time.Minute, true},
		{2, fixed(0), 4 * time.Minute, true},
		{3, fixed(0.5), 10 * time.Hour, true},
		{3, fixed(0), 8 * time.Hour, true},
		{3, fixed(0.25), 9 * time.Hour, true},
		{4, fixed(0.5), 0, false},
		{100, fixed(0.5), 0, false},
	}
	for _, tt := range tests {
		got, ok := s.Next(tt.attempt, tt.rnd)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Next(%d, %v) = %s, %v; want %s, %v", tt.attempt, tt.rnd, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestNextJitterBounds draws many delays and checks they stay within ±20%
// and actually vary.
func TestNextJitterBounds(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, src := range []Rand{rnd, nil} {
		for attempt := 1; attempt <= len(Default); attempt++ {
			base := Default[attempt-1]
			lo, hi := time.Duration(float64(base)*0.8), time.Duration(float64(base)*1.2)
			seen := map[time.Duration]bool{}
			for range 200 {
				d, ok := Default.Next(attempt, src)
				if !ok || d < lo || d > hi {
					t.Fatalf("Next(%d) = %s, %v; want within [%s, %s]", attempt, d, ok, lo, hi)
				}
				seen[d] = true
			}
			if len(seen) < 100 {
				t.Fatalf("Next(%d) gave only %d distinct delays in 200 draws: no jitter?", attempt, len(seen))
			}
		}
	}
}

func TestDefault(t *testing.T) {
	want, err := Parse("5s,5m,30m,2h,5h,10h,10h")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(Default, want) {
		t.Fatalf("Default = %v, want %v", Default, want)
	}
	// Eight attempts in all, the last a little over a day after the first.
	if _, ok := Default.Next(7, nil); !ok {
		t.Fatal("no eighth attempt")
	}
	if _, ok := Default.Next(8, nil); ok {
		t.Fatal("a ninth attempt")
	}
	if got := Default.Total(); got < 24*time.Hour || got > 28*time.Hour {
		t.Fatalf("Default spans %s, want about a day", got)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Schedule
		wantErr string
	}{
		{"5s", Schedule{5 * time.Second}, ""},
		{"1m30s, 2h ,1h", Schedule{90 * time.Second, 2 * time.Hour, time.Hour}, ""},
		{"168h", Schedule{168 * time.Hour}, ""},
		{"", nil, "empty"},
		{"  ", nil, "empty"},
		{"5s,,5m", nil, `delay 2 is empty`},
		{"5s,", nil, `delay 2 is empty`},
		{"5s,1d", nil, `delay 2 "1d" is not a duration such as 30s, 5m or 2h`},
		{"10", nil, `delay 1 "10" is not a duration`},
		{"5s,0s", nil, `delay 2 "0s" must be positive`},
		{"-5m", nil, `delay 1 "-5m" must be positive`},
		{"169h", nil, `delay 1 "169h" is over 168h0m0s`},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.wantErr == "" {
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || got != nil {
			t.Errorf("Parse(%q) = %v, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
		}
	}
}
