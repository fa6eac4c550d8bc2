package gateway

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/remora-sec/remora/compute/fleet"
	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/gateway/venapi"
	"github.com/remora-sec/remora/infra/usererr"
	"github.com/remora-sec/remora/ven/wire"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// VEN is what the gateway needs of the VEN channel to pair hosts.
type VEN struct {
	Fleet            *fleet.Store
	Peers            *venapi.Peers
	HubKey           wgtypes.Key // public
	Endpoint         string      // host:port told to VENs; "" : the host they paired through
	ListenPort       int         // the hub's UDP port, for a derived endpoint
	APIPort          int         // of the VEN API on the hub's tunnel address
	HeartbeatSeconds int
	AgentBinary      string // the remora-ven binary /download/remora-ven serves; "" : none
}

// pairVEN is the one VEN call outside the tunnel: an install token
// consumed, the host's workload and VEN created, the hub told.
func (a *api) pairVEN(w http.ResponseWriter, r *http.Request) error {
	if a.Deps.VEN == nil {
		return usererr.New(usererr.Forbidden, "this server does not pair VENs")
	}
	var req wire.PairRequest
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	v, err := a.Deps.VEN.Fleet.Pair(r.Context(), req)
	if err != nil {
		return err
	}
	ctx := context.WithoutCancel(r.Context())
	if err := a.Queue.Enqueue(ctx, v.Tenant, "ven paired"); err != nil {
		a.Log.Warn("recompute wake-up not sent; the reconciler will catch up", "tenant", v.Tenant, "err", err)
	}
	if err := a.Deps.VEN.Peers.Added(ctx, v); err != nil {
		a.Log.Warn("hub peer not announced to other replicas; their periodic sync will add it", "ven", v.ID, "err", err)
	}
	endpoint := a.Deps.VEN.Endpoint
	if endpoint == "" {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = strings.TrimSuffix(strings.TrimPrefix(r.Host, "["), "]") // no port: a name, an IPv4 or a bracketed IPv6
		}
		endpoint = net.JoinHostPort(host, strconv.Itoa(a.Deps.VEN.ListenPort))
	}
	httpx.WriteJSON(w, http.StatusCreated, wire.PairResponse{
		VEN: v.ID, Workload: v.Workload, TunnelAddress: v.Address.String() + "/" + strconv.Itoa(v.Address.BitLen()),
		HubPublicKey: a.Deps.VEN.HubKey.String(), HubEndpoint: endpoint, HubAddress: a.Deps.VEN.Fleet.HubAddress().String(),
		APIPort: a.Deps.VEN.APIPort, HeartbeatSeconds: a.Deps.VEN.HeartbeatSeconds,
	})
	return nil
}

func (a *api) listVENs(w http.ResponseWriter, r *http.Request) error {
	if a.Deps.VEN == nil {
		return writeList(w, []fleet.VEN{}, "", jsonOf[fleet.VEN])
	}
	pr, err := httpx.PageRequest(r)
	if err != nil {
		return err
	}
	vens, next, err := a.Deps.VEN.Fleet.List(r.Context(), principal(r).Tenant, pr)
	if err != nil {
		return err
	}
	return writeList(w, vens, next, jsonOf[fleet.VEN])
}

func (a *api) getVEN(w http.ResponseWriter, r *http.Request) error {
	if a.Deps.VEN == nil {
		return usererr.New(usererr.NotFound, "VEN not found")
	}
	v, err := a.Deps.VEN.Fleet.Get(r.Context(), principal(r).Tenant, chi.URLParam(r, "venId"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, v)
	return nil
}

func jsonOf[T any](v T) (json.RawMessage, error) { return json.Marshal(v) }

// unpairVEN is an admin's unpairing, for a host that cannot say goodbye
// (gone, re-imaged): its VEN and workload are deleted and the hub drops
// its key, so the host, if it comes back, is refused until paired again.
func (a *api) unpairVEN(w http.ResponseWriter, r *http.Request) error {
	if a.Deps.VEN == nil {
		return usererr.New(usererr.NotFound, "VEN not found")
	}
	v, err := a.Deps.VEN.Fleet.Get(r.Context(), principal(r).Tenant, chi.URLParam(r, "venId"))
	if err != nil {
		return err
	}
	if err := a.Deps.VEN.Fleet.Unpair(r.Context(), v); err != nil {
		return err
	}
	a.recompute(r, "ven unpaired by an admin")
	if err := a.Deps.VEN.Peers.Removed(context.WithoutCancel(r.Context()), v); err != nil {
		a.Log.Warn("hub peer removal not announced; the periodic sync will drop it", "ven", v.ID, "err", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
