package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/remora-sec/remora/ven/wire"
)

// Time limits of the calls over the tunnel. PollTimeout is above the ~30 s
// after which the PCE answers an unanswered long-poll with 304, so a
// healthy poll never times out on the client's side.
const (
	PollTimeout      = 45 * time.Second
	heartbeatTimeout = 15 * time.Second
	goodbyeTimeout   = 10 * time.Second
	// maxDocument bounds a policy document: 10,000 set elements are
	// about half a megabyte, so this leaves ample room without letting a
	// broken answer exhaust memory.
	maxDocument = 64 << 20
)

// NewAPIClient is the HTTP client for the VEN API over the tunnel. It never
// uses a proxy (the hub's tunnel address is reachable only through the
// tunnel) and keeps two connections, one for the long-poll and one for the
// heartbeat. Each call sets its own time limit.
func NewAPIClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     90 * time.Second,
	}}
}

// api speaks the VEN channel (see ven/wire) to base, the hub's
// http://<tunnel address>:<port>.
type api struct {
	hc   *http.Client
	base string
}

// policyAnswer is the outcome of one long-poll.
type policyAnswer struct {
	Status int    // 200, 304 or 404
	Raw    []byte // the document, with 200
}

// errUnreachable marks a call that got no HTTP answer at all (time-out,
// refused or reset connection): the tunnel may need a fresh handshake.
var errUnreachable = errors.New("PCE unreachable")

// policy long-polls for a document newer than have.
func (a api) policy(ctx context.Context, have uint64) (policyAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, PollTimeout)
	defer cancel()
	url := a.base + wire.PolicyPath + "?have=" + strconv.FormatUint(have, 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return policyAnswer{}, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.hc.Do(req)
	if err != nil {
		return policyAnswer{}, fmt.Errorf("%w: poll policy: %w", errUnreachable, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		raw, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
		if err != nil {
			return policyAnswer{}, fmt.Errorf("%w: read policy: %w", errUnreachable, err)
		}
		if len(raw) > maxDocument {
			return policyAnswer{}, fmt.Errorf("policy document over %d bytes: refused", maxDocument)
		}
		return policyAnswer{Status: resp.StatusCode, Raw: raw}, nil
	case http.StatusNotModified, http.StatusNotFound:
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody)) // keeps the connection reusable
		return policyAnswer{Status: resp.StatusCode}, nil
	}
	return policyAnswer{}, fmt.Errorf("poll policy: %w", readError(resp))
}

// heartbeat posts hb.
func (a api) heartbeat(ctx context.Context, hb wire.Heartbeat) (wire.HeartbeatReply, error) {
	var reply wire.HeartbeatReply
	resp, err := a.post(ctx, heartbeatTimeout, wire.HeartbeatPath, hb)
	if err != nil {
		return reply, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return reply, fmt.Errorf("heartbeat: %w", readError(resp))
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&reply); err != nil {
		return reply, fmt.Errorf("heartbeat: decode reply: %w", err)
	}
	return reply, nil
}

// goodbye tells the PCE this VEN unpairs.
func (a api) goodbye(ctx context.Context) error {
	resp, err := a.post(ctx, goodbyeTimeout, wire.GoodbyePath, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNoContent, http.StatusOK:
		return nil
	case http.StatusForbidden:
		// Through our own tunnel, this says no VEN is paired at our
		// address: an earlier goodbye whose answer was lost went through.
		return nil
	}
	return fmt.Errorf("goodbye: %w", readError(resp))
}

func (a api) post(ctx context.Context, timeout time.Duration, path string, v any) (*http.Response, error) {
	var body io.Reader = http.NoBody
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, body)
	if err != nil {
		cancel()
		return nil, err
	}
	if v != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%w: POST %s: %w", errUnreachable, path, err)
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

// cancelOnClose ends a request's context once its body is read and closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
