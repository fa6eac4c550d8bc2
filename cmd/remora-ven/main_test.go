package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// asMainEnv, when set, makes the test binary remora-ven itself: the
// end-to-end test runs it inside network namespaces with `ip netns exec`,
// its arguments being the command line.
const asMainEnv = "REMORA_VEN_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string // in the error, or in stdout when the command succeeds
	}{
		{nil, "no command given"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"status", "--state-dir", dir}, "not paired"},
		{[]string{"status", "--state-dir", dir, "--json"}, `"paired": false`},
		{[]string{"status", "--state-dir", dir, "extra"}, `unexpected argument "extra"`},
		{[]string{"run", "--state-dir", dir, "--log-level", "loud"}, `--log-level "loud"`},
		{[]string{"run", "--state-dir", dir, "--check-interval", "0s"}, "--check-interval"},
		{[]string{"run", "--state-dir", dir}, "not paired"},
		{[]string{"unpair", "--state-dir", dir, "--restore", "ajar"}, `--restore "ajar"`},
		{[]string{"unpair", "--state-dir", dir}, "not paired"},
		{[]string{"pair", "--state-dir", dir, "--pce", "http://pce", "--token", "t"}, "https"},
		{[]string{"pair", "--state-dir", dir, "--pce", "https://pce", "--token", "t", "--pce-fingerprint", "xyz"}, "--pce-fingerprint"},
		{[]string{"pair", "--state-dir", dir, "--pce", "https://pce"}, "--token"},
		{[]string{"version"}, "remora-ven dev"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tt.args, &out, &errOut)
			got := out.String()
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q (err %v); want %q", got, err, tt.want)
			}
		})
	}
}
