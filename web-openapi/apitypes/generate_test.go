package apitypes

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/remora-sec/remora/infra/testreq"
)

// outputLine is the config's output setting. oapi-codegen lets it win over
// -o, so the test points a copy of the config at a temp file rather than
// letting the generator overwrite the committed file it is checking.
var outputLine = regexp.MustCompile(`(?m)^output: .*$`)

// TestGeneratedUpToDate reruns oapi-codegen into a temp file and compares it
// with the committed types.gen.go, so a spec change without regeneration
// fails CI instead of silently shipping types that disagree with the contract.
func TestGeneratedUpToDate(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		testreq.Skip(t, "go command not in PATH; cannot rerun oapi-codegen")
	}
	cfg, err := os.ReadFile("oapi-codegen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(outputLine.FindAll(cfg, -1)); n != 1 {
		t.Fatalf("oapi-codegen.yaml: want one top-level output line, found %d", n)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "types.gen.go")
	tmpCfg := filepath.Join(dir, "oapi-codegen.yaml")
	cfg = outputLine.ReplaceAll(cfg, []byte("output: "+out))
	if err := os.WriteFile(tmpCfg, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goBin, "tool", "oapi-codegen", "-config", tmpCfg, "../openapi.yaml")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go tool oapi-codegen: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("types.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("types.gen.go is stale against ../openapi.yaml: run make generate " +
			"(or go generate ./web-openapi/...) and commit the result")
	}
}
