package ids

import "testing"

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
