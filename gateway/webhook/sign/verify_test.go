package sign

import (
	"bytes"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	other := bytes.Repeat([]byte{0xc}, 32)
	body := []byte(`{"type":"workload.created"}`)
	signed := func(secrets ...[]byte) http.Header { return Headers(secrets, "msg_1", now, body) }
	with := func(h http.Header, k, v string) http.Header {
		h = h.Clone()
		if v == "" {
			h.Del(k)
		} else {
			h.Set(k, v)
		}
		return h
	}
	tests := []struct {
		name    string
		secret  []byte
		h       http.Header
		body    string
		now     time.Time
		wantErr error // nil: valid; errOther: any other error
	}{
		{"valid", specKey, signed(specKey), string(body), now, nil},
		{"old secret during rotation", specKey, signed(other, specKey), string(body), now, nil},
		{"new secret during rotation", other, signed(other, specKey), string(body), now, nil},
		{"at the edge of tolerance", specKey, signed(specKey), string(body), now.Add(Tolerance), nil},
		{"unknown versions skipped", specKey, with(signed(specKey), HeaderSignature, "v2,abc v1a,x "+signed(specKey).Get(HeaderSignature)), string(body), now, nil},
		{"tampered body", specKey, signed(specKey), `{"type":"workload.deleted"}`, now, ErrNoMatch},
		{"wrong secret", other, signed(specKey), string(body), now, ErrNoMatch},
		{"empty secret", []byte{}, signed(specKey), string(body), now, ErrNoMatch},
		{"other id", specKey, with(signed(specKey), HeaderID, "msg_2"), string(body), now, ErrNoMatch},
		{"other timestamp", specKey, with(signed(specKey), HeaderTimestamp, "1777636801"), string(body), now, ErrNoMatch},
		{"only another version", specKey, with(signed(specKey), HeaderSignature, "v1a,"+signed(specKey).Get(HeaderSignature)[3:]), string(body), now, ErrNoMatch},
		{"too old", specKey, signed(specKey), string(body), now.Add(Tolerance + time.Second), ErrTimestamp},
		{"too new", specKey, signed(specKey), string(body), now.Add(-Tolerance - time.Second), ErrTimestamp},
		{"no id", specKey, with(signed(specKey), HeaderID, ""), string(body), now, ErrMissingHeader},
		{"no timestamp", specKey, with(signed(specKey), HeaderTimestamp, ""), string(body), now, ErrMissingHeader},
		{"no signature", specKey, with(signed(specKey), HeaderSignature, ""), string(body), now, ErrMissingHeader},
		{"timestamp not a number", specKey, with(signed(specKey), HeaderTimestamp, "soon"), string(body), now, errOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.h, []byte(tt.body), tt.now)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Verify = %v, want nil", err)
			case tt.wantErr == errOther && err == nil:
				t.Fatal("Verify = nil, want an error")
			case tt.wantErr != nil && tt.wantErr != errOther && !errors.Is(err, tt.wantErr):
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

var errOther = errors.New("any error")
