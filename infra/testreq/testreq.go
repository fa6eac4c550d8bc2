// Package testreq lets a test say it cannot run here (no root, a tool
// missing) the way the project's rule wants: a skip on a developer's
// machine, a failure in CI (CI set in the environment), where whatever the
// tests need must have been installed.
package testreq

import (
	"fmt"
	"os"
	"testing"
)

// Skip skips t with why, or fails it in CI.
func Skip(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI must provide this: %s", why)
	}
	t.Skip(why)
}

// Skipf is Skip with a format.
func Skipf(t testing.TB, format string, a ...any) {
	t.Helper()
	Skip(t, fmt.Sprintf(format, a...))
}
