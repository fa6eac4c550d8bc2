package venapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/remora-sec/remora/compute/docstore"
	"github.com/remora-sec/remora/compute/fleet"
	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/gateway/hub"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/usererr"
	"github.com/remora-sec/remora/ven/wire"
)

// Server answers VENs over the tunnel.
type Server struct {
	Fleet            *fleet.Store
	Docs             *docstore.Store
	Queue            *queue.Queue // recompute wake-ups when a heartbeat moves a workload
	Waiters          *Waiters
	Peers            *Peers // told when a VEN says goodbye
	Log              *slog.Logger
	PollTimeout      time.Duration // how long a policy poll waits for news; default 30 s
	HeartbeatSeconds int           // what heartbeat replies ask for
}

// Handler is the VEN API. Serve it on a hub listener with
// http.Server{ConnContext: hub.ConnContext}: without that, every request
// is refused.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST "+wire.HeartbeatPath, s.identified(s.heartbeat))
	mux.Handle("GET "+wire.PolicyPath, s.identified(s.policy))
	mux.Handle("POST "+wire.GoodbyePath, s.identified(s.goodbye))
	return httpx.WithRequestID(mux)
}

type venHandler func(w http.ResponseWriter, r *http.Request, v fleet.VEN) error

// identified finds the VEN that sent r by its tunnel address. A request
// not from a hub listener, or from an address no VEN holds (unpaired a
// moment ago), is refused.
func (s *Server) identified(h venHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := func() error {
			addr, ok := hub.PeerAddr(r)
			if !ok {
				return usererr.New(usererr.Forbidden, "the VEN API answers only through the WireGuard tunnel")
			}
			v, err := s.Fleet.ByAddress(r.Context(), addr)
			if usererr.Is(err, usererr.NotFound) {
				return usererr.New(usererr.Forbidden, "no VEN is paired at "+addr.String())
			}
			if err != nil {
				return err
			}
			// The VEN is the actor of what its requests change.
			r = r.WithContext(outbox.WithActor(r.Context(), outbox.Actor{Type: outbox.ActorVEN, ID: v.ID}))
			return h(w, r, v)
		}()
		if err != nil {
			httpx.WriteError(w, r, s.Log, err)
		}
	})
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request, v fleet.VEN) error {
	var hb wire.Heartbeat
	if err := httpx.Decode(w, r, &hb); err != nil {
		return err
	}
	moved, err := s.Fleet.Heartbeat(r.Context(), v, hb)
	if err != nil {
		return err
	}
	if moved {
		s.recompute(r.Context(), v, "heartbeat: addresses changed")
	}
	reply := wire.HeartbeatReply{Workload: v.Workload, HeartbeatSeconds: s.HeartbeatSeconds}
	gen, err := s.Docs.Generation(r.Context(), v.Tenant, v.Workload)
	switch {
	case err == nil:
		reply.Generation = uint64(gen)
	case !usererr.Is(err, usererr.NotFound):
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, reply)
	return nil
}

// policy answers the VEN's document as soon as it is not the ?have
// generation, or 304 after PollTimeout. It registers its wait before reading,
// so a notification that lands between the read and the wait is not lost.
func (s *Server) policy(w http.ResponseWriter, r *http.Request, v fleet.VEN) error {
	have, err := strconv.ParseUint(r.URL.Query().Get("have"), 10, 64)
	if r.URL.Query().Get("have") == "" {
		have, err = 0, nil
	}
	if err != nil {
		return usererr.Field(usererr.BadRequest, "have", "must be a generation: a non-negative integer")
	}
	timeout := s.PollTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		woken, done := s.Waiters.wait(v.Tenant, v.Workload)
		d, err := s.Docs.Document(r.Context(), v.Tenant, v.Workload)
		switch {
		case err == nil && d.Generation != have:
			// Newer, or older than what the VEN holds (a restored
			// database): either way this is what it must enforce.
			done()
			httpx.WriteJSON(w, http.StatusOK, d)
			return nil
		case err != nil && !usererr.Is(err, usererr.NotFound):
			done()
			return err
		case err != nil && have == 0:
			done()
			return usererr.New(usererr.NotFound, "no policy compiled for this workload yet")
		}
		select {
		case <-woken:
			continue
		case <-deadline.C:
			done()
			w.WriteHeader(http.StatusNotModified)
			return nil
		case <-r.Context().Done():
			done()
			return nil
		}
	}
}

func (s *Server) goodbye(w http.ResponseWriter, r *http.Request, v fleet.VEN) error {
	if err := s.Fleet.Unpair(r.Context(), v); err != nil {
		return err
	}
	s.recompute(r.Context(), v, "ven unpaired")
	w.WriteHeader(http.StatusNoContent)
	// Removing the peer cuts its tunnel, and this answer with it: let the
	// answer reach the VEN first.
	time.AfterFunc(time.Second, func() {
		if err := s.Peers.Removed(context.Background(), v); err != nil {
			s.Log.Warn("hub peer removal not announced; the periodic sync will drop it", "ven", v.ID, "err", err)
		}
	})
	return nil
}

// recompute wakes the compute workers; a lost wake-up is caught by the
// reconciler, so it does not fail the request.
func (s *Server) recompute(ctx context.Context, v fleet.VEN, cause string) {
	if err := s.Queue.Enqueue(context.WithoutCancel(ctx), v.Tenant, cause); err != nil && !errors.Is(err, context.Canceled) {
		s.Log.Warn("recompute wake-up not sent; the reconciler will catch up", "tenant", v.Tenant, "cause", cause, "err", err)
	}
}
