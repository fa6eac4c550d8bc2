package tunnel

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// helperEnv, when set, makes the test binary a VEN helper instead of running
// tests: the tests start it inside a network namespace with
// `ip netns exec`, the value being its Config as JSON.
const helperEnv = "REMORA_TUNNEL_HELPER"

func TestMain(m *testing.M) {
	if cfg := os.Getenv(helperEnv); cfg != "" {
		os.Exit(runHelper(cfg, os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// TestHelperProcess is what the helper is started with -test.run for; it
// only runs (and passes) in a normal test run, since TestMain diverts the
// helper before any test.
func TestHelperProcess(t *testing.T) {}

// runHelper is the VEN side: it brings the tunnel up, answers "ready" (or
// "fail <error>"), then runs one command per input line, answering one line
// each, and takes the tunnel down at end of input:
//
//	get <timeout> <url>   ok <body> | timeout <error> | err <error>
//	stats                 ok <userspace> <handshake unix ns> <rx> <tx>
//	reset                 ok | err <error>
//	endpoint <ip:port>    ok | err <error>   (SetEndpoint)
//	address <prefix>      ok | err <error>   (Reconfigure with a new Address)
func runHelper(cfgJSON string, in io.Reader, out io.Writer) int {
	var cfg Config
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		fmt.Fprintf(out, "fail %s config: %v\n", helperEnv, err)
		return 1
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	t, err := Up(cfg)
	if err != nil {
		fmt.Fprintf(out, "fail %v\n", oneLine(err))
		return 1
	}
	fmt.Fprintln(out, "ready")
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		fmt.Fprintln(out, helperCommand(t, strings.Fields(sc.Text())))
	}
	if err := t.Down(); err != nil {
		fmt.Fprintf(os.Stderr, "down: %v\n", err)
		return 1
	}
	return 0
}

func helperCommand(t *Tunnel, args []string) string {
	answer := func(s string, err error) string {
		if err != nil {
			return "err " + oneLine(err)
		}
		return strings.TrimSpace("ok " + s)
	}
	switch {
	case len(args) == 3 && args[0] == "get":
		d, err := time.ParseDuration(args[1])
		if err != nil {
			return answer("", err)
		}
		body, err := httpGet(args[2], d)
		if errors.Is(err, context.DeadlineExceeded) {
			return "timeout " + oneLine(err)
		}
		return answer(body, err)
	case len(args) == 1 && args[0] == "stats":
		s, err := t.Stats()
		var hs int64
		if !s.LastHandshake.IsZero() {
			hs = s.LastHandshake.UnixNano()
		}
		return answer(fmt.Sprintf("%t %d %d %d", s.Userspace, hs, s.ReceiveBytes, s.TransmitBytes), err)
	case len(args) == 1 && args[0] == "reset":
		return answer("", t.Reset())
	case len(args) == 2 && args[0] == "endpoint":
		ep, err := netip.ParseAddrPort(args[1])
		if err == nil {
			err = t.SetEndpoint(ep)
		}
		return answer("", err)
	case len(args) == 2 && args[0] == "address":
		p, err := netip.ParsePrefix(args[1])
		if err == nil {
			cfg := t.Config()
			cfg.Address = p
			err = t.Reconfigure(cfg)
		}
		return answer("", err)
	}
	return fmt.Sprintf("err unknown command %q", args)
}

// httpGet is the VEN's request over the tunnel: a fresh connection each
// time, so that a failure says something about this request only.
func httpGet(url string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", resp.Status, b)
	}
	return string(b), nil
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " | ") }
