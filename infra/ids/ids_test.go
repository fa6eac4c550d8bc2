package ids

import (
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"0b0e5f6a-1c2d-4e3f-8a9b-0c1d2e3f4a5b", true},
		{"0B0E5F6A-1C2D-4E3F-8A9B-0C1D2E3F4A5B", false}, // canonical form only
		{"0b0e5f6a1c2d4e3f8a9b0c1d2e3f4a5b", false},
		{"0b0e5f6a-1c2d-4e3f-8a9b-0c1d2e3f4a5", false},
		{"0b0e5f6a-1c2d-4e3f-8a9b-0c1d2e3f4a5g", false},
		{"0b0e5f6a_1c2d-4e3f-8a9b-0c1d2e3f4a5b", false},
		{"'; drop schema remora; --xxxxxxxxxxxx", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := Valid(tt.in); got != tt.want {
			t.Errorf("Valid(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSchema(t *testing.T) {
	got, err := TenantID("0b0e5f6a-1c2d-4e3f-8a9b-0c1d2e3f4a5b").Schema()
	if err != nil || got != "t_0b0e5f6a1c2d4e3f8a9b0c1d2e3f4a5b" {
		t.Fatalf("Schema() = %q, %v", got, err)
	}
	if _, err := TenantID("x; drop").Schema(); err == nil {
		t.Fatal("Schema of an invalid id: want error")
	}
}

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := New()
		if !Valid(id) || id[14] != '4' || !strings.ContainsRune("89ab", rune(id[19])) {
			t.Fatalf("New() = %q: not a canonical version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("New() repeated %q", id)
		}
		seen[id] = true
	}
}
