package agent

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/remora-sec/remora/ven/wire"
)

// venAPIStub is a protocol stub of the VEN API (not the PCE): it speaks the
// documented protocol of ven/wire just enough to drive the agent's own
// loops. Each policy GET takes the next answer of a script and records its
// `have`; once the script is spent a GET is held until the client gives up,
// as a long-poll with nothing new is. The next drop requests, whatever
// they are, get their connection closed without an answer, as from a PCE
// going away. Each heartbeat is recorded and
// answered from its own script (200 with hbReply once that is spent). The
// real PCE is tested end to end elsewhere.
type venAPIStub struct {
	srv *httptest.Server

	mu         sync.Mutex
	policy     []stubAnswer
	haves      []uint64
	beats      []wire.Heartbeat
	beatStatus []int
	hbReply    wire.HeartbeatReply
	drop       int
}

type stubAnswer struct {
	status int
	body   []byte
}

func newVENAPIStub(t *testing.T) *venAPIStub {
	s := &venAPIStub{hbReply: wire.HeartbeatReply{Workload: "wl-1"}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *venAPIStub) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	drop := s.drop > 0
	if drop {
		s.drop--
	}
	s.mu.Unlock()
	if drop {
		if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
			c.Close()
		}
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == wire.PolicyPath:
		have, err := strconv.ParseUint(r.URL.Query().Get("have"), 10, 64)
		if err != nil {
			http.Error(w, "have: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.haves = append(s.haves, have)
		if len(s.policy) == 0 {
			s.mu.Unlock()
			<-r.Context().Done()
			return
		}
		a := s.policy[0]
		s.policy = s.policy[1:]
		s.mu.Unlock()
		if a.status == http.StatusOK {
			w.Header().Set("Content-Type", "application/json")
		}
		if a.status >= 400 {
			w.Header().Set("Content-Type", "application/problem+json")
		}
		w.WriteHeader(a.status)
		w.Write(a.body)
	case r.Method == http.MethodPost && r.URL.Path == wire.HeartbeatPath:
		var hb wire.Heartbeat
		if err := json.NewDecoder(r.Body).Decode(&hb); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.beats = append(s.beats, hb)
		status := http.StatusOK
		if len(s.beatStatus) > 0 {
			status, s.beatStatus = s.beatStatus[0], s.beatStatus[1:]
		}
		reply := s.hbReply
		s.mu.Unlock()
		if status != http.StatusOK {
			http.Error(w, "scripted failure", status)
			return
		}
		json.NewEncoder(w).Encode(reply)
	default:
		http.NotFound(w, r)
	}
}

// answer appends policy answers to the script.
func (s *venAPIStub) answer(as ...stubAnswer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policy = append(s.policy, as...)
}

func (s *venAPIStub) polled() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint64(nil), s.haves...)
}

func (s *venAPIStub) heartbeats() []wire.Heartbeat {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]wire.Heartbeat(nil), s.beats...)
}

func ok(body []byte) stubAnswer { return stubAnswer{http.StatusOK, body} }

var (
	notModified = stubAnswer{status: http.StatusNotModified}
	notFound    = stubAnswer{http.StatusNotFound, []byte(`{"title":"Not Found","status":404}`)}
	serverError = stubAnswer{http.StatusInternalServerError, []byte(`{"title":"Internal Server Error","status":500}`)}
)

// recordingClock is a Clock whose waits end at once; it records how long
// each was asked to be, which is what the loops' tests check.
type recordingClock struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (c *recordingClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- time.Now()
	return ch
}

func (c *recordingClock) recorded() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}
