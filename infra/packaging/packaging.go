// Package packaging holds what the PCE hands to hosts it does not run on:
// the VEN install script (a template of the PCE's address) and the VEN's
// systemd unit. The gateway serves both, with the agent binary.
package packaging

import (
	_ "embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed install.sh.tmpl
var installTmpl string

//go:embed remora-ven.service
var Unit []byte

var install = template.Must(template.New("install.sh").Parse(installTmpl))

// InstallScript returns the install script for a PCE reached at pce
// ("https://host:port"). pce must not hold a quote: it lands in a shell
// string.
func InstallScript(pce string) ([]byte, error) {
	if strings.ContainsAny(pce, "'\\\"`$\n") {
		return nil, fmt.Errorf("install script: PCE address %q has shell metacharacters", pce)
	}
	var b strings.Builder
	if err := install.Execute(&b, struct{ PCE string }{pce}); err != nil {
		return nil, fmt.Errorf("install script: %w", err)
	}
	return []byte(b.String()), nil
}
