package gateway

import (
	"net/http"
	"os"

	"github.com/remora-sec/remora/infra/packaging"
	"github.com/remora-sec/remora/infra/usererr"
)

// installScript serves the VEN install script for this PCE, as the host
// reached it.
func (a *api) installScript(w http.ResponseWriter, r *http.Request) error {
	body, err := packaging.InstallScript("https://" + r.Host)
	if err != nil {
		return usererr.Field(usererr.BadRequest, "Host", "is not a host name or address")
	}
	w.Header().Set("Content-Type", "text/x-shellscript; charset=utf-8")
	w.Write(body)
	return nil
}

// agentBinary serves the remora-ven binary the install script downloads.
func (a *api) agentBinary(w http.ResponseWriter, r *http.Request) error {
	if a.Deps.VEN == nil || a.Deps.VEN.AgentBinary == "" {
		return usererr.New(usererr.NotFound, "this server has no VEN agent to hand out")
	}
	f, err := os.Open(a.Deps.VEN.AgentBinary)
	if os.IsNotExist(err) {
		return usererr.New(usererr.NotFound, "the VEN agent binary is not installed next to remora (build it with make build)")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "remora-ven", st.ModTime(), f)
	return nil
}

// agentUnit serves the VEN's systemd unit.
func (a *api) agentUnit(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(packaging.Unit)
	return nil
}
