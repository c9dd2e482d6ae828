package olsim

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"
)

// Faults injects trouble. Counters (Burst429, TokenHTML429, ConnResets) count
// down as they fire. Random draws use a RNG seeded from Options.Seed, so a
// run with the same seed and request order fails the same way.
//
// "Resource calls" are every routed call except the token endpoints
// (/auth/oauth2/v2/token, /auth/oauth2/token, /auth/oauth2/revoke).
type Faults struct {
	Latency time.Duration `json:"latency"` // added to every routed call
	Jitter  time.Duration `json:"jitter"`  // plus a uniform random extra in [0, Jitter)

	ErrorRate      float64  `json:"error_rate"`      // probability that a resource call fails with a 5xx
	ErrorStatuses  []int    `json:"error_statuses"`  // drawn uniformly; default 500, 502, 503
	ErrorEndpoints []string `json:"error_endpoints"` // if set, ErrorRate applies only to these endpoint keys

	Burst429     int `json:"burst_429"`      // the next N resource calls answer 429 with rate-limit headers
	TokenHTML429 int `json:"token_html_429"` // the next N token calls answer HAProxy's HTML 429
	ConnResets   int `json:"conn_resets"`    // the next N resource calls are cut mid-body

	FailAfter []FailAfter `json:"fail_after"`
}

// FailAfter fails an endpoint after it has served Count requests, counted
// from when the rule was installed: request Count+1 (and the following ones,
// up to Times) fail. Use it for "the last page fails" tests.
type FailAfter struct {
	Endpoint string `json:"endpoint"` // endpoint key, e.g. "GET /api/2/users"
	Count    int    `json:"count"`    // requests let through first
	Status   int    `json:"status"`   // answer status; default 500
	Times    int    `json:"times"`    // how many requests fail; 0 means 1, negative means all
	Reset    bool   `json:"reset"`    // cut the connection mid-body instead of answering Status
}

type faultState struct {
	cfg  Faults
	seen []int // per FailAfter rule: matching requests so far
}

func (f *faultState) set(cfg Faults) {
	cfg.ErrorStatuses = slices.Clone(cfg.ErrorStatuses)
	cfg.ErrorEndpoints = slices.Clone(cfg.ErrorEndpoints)
	cfg.FailAfter = slices.Clone(cfg.FailAfter)
	f.cfg, f.seen = cfg, make([]int, len(cfg.FailAfter))
}

// SetFaults replaces the fault configuration (and restarts FailAfter counts).
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.set(f)
}

// Faults returns the current configuration, counters as they stand now.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults.cfg
	f.ErrorStatuses, f.ErrorEndpoints, f.FailAfter = slices.Clone(f.ErrorStatuses), slices.Clone(f.ErrorEndpoints), slices.Clone(f.FailAfter)
	return f
}

// countAndDelay counts the request and draws its latency.
func (s *Server) countAndDelay(key string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[key]++
	d := s.faults.cfg.Latency
	if j := s.faults.cfg.Jitter; j > 0 {
		d += time.Duration(s.rng.Int64N(int64(j)))
	}
	return d
}

// injectFault decides, under the lock, whether this call fails. It returns a
// replacement response, or reset=true to cut the real response short.
func (s *Server) injectFault(c *call) (resp *response, reset bool) {
	f := &s.faults.cfg
	key, token := c.rt.key, c.rt.version == apiToken
	if token && f.TokenHTML429 > 0 {
		f.TokenHTML429--
		r := htmlResponse(429, haproxy429)
		r.header.Set("Connection", "close")
		return r, false
	}
	for i, rule := range f.FailAfter {
		if rule.Endpoint != key {
			continue
		}
		s.faults.seen[i]++
		n := s.faults.seen[i] - rule.Count
		times := rule.Times
		if times == 0 {
			times = 1
		}
		if n > 0 && (times < 0 || n <= times) {
			if rule.Reset {
				return nil, true
			}
			return s.faultStatus(c, cmp.Or(rule.Status, 500)), false
		}
	}
	if token {
		return nil, false
	}
	if f.Burst429 > 0 {
		f.Burst429--
		return s.faultStatus(c, 429), false
	}
	if f.ConnResets > 0 {
		f.ConnResets--
		return nil, true
	}
	if f.ErrorRate > 0 && (len(f.ErrorEndpoints) == 0 || slices.Contains(f.ErrorEndpoints, key)) && s.rng.Float64() < f.ErrorRate {
		statuses := f.ErrorStatuses
		if len(statuses) == 0 {
			statuses = []int{500, 502, 503}
		}
		return s.faultStatus(c, statuses[s.rng.IntN(len(statuses))]), false
	}
	return nil, false
}

// faultStatus renders an injected failure the way its source would: 429 as
// a rate-limit answer with headers, 502/503/504 as a gateway's HTML page,
// anything else as an API error of the route's version.
func (s *Server) faultStatus(c *call, status int) *response {
	switch status {
	case 429:
		return s.rateLimited(c)
	case 502, 503, 504:
		return gatewayPage(status)
	}
	if c.rt.version == apiToken {
		return v1Err(status, defaultMessage(apiV1, status))
	}
	return c.fail(status, "")
}

// writeReset writes the status line, headers and half the body, then drops
// the connection (with RST where possible). A client sees a truncated body
// or a connection reset.
func writeReset(w http.ResponseWriter, resp *response) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2 or a recorder: abort the stream
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	writePartial(buf.Writer, w.Header(), resp)
	_ = buf.Flush()
}

func writePartial(bw *bufio.Writer, base http.Header, resp *response) {
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", resp.status, http.StatusText(resp.status))
	if len(resp.body) == 0 {
		return // cut inside the header block
	}
	h := base.Clone()
	for k, v := range resp.header {
		h[k] = v
	}
	h.Set("Content-Length", fmt.Sprint(len(resp.body)))
	_ = h.Write(bw)
	_, _ = bw.WriteString("\r\n")
	_, _ = bw.Write(resp.body[:len(resp.body)/2])
}

// MarshalJSON renders durations as strings ("150ms") for the admin API.
func (f Faults) MarshalJSON() ([]byte, error) {
	type plain Faults
	return json.Marshal(struct {
		plain
		Latency string `json:"latency"`
		Jitter  string `json:"jitter"`
	}{plain(f), f.Latency.String(), f.Jitter.String()})
}

// UnmarshalJSON accepts durations as strings ("150ms") or nanoseconds.
func (f *Faults) UnmarshalJSON(b []byte) error {
	type plain Faults
	var v struct {
		plain
		Latency json.RawMessage `json:"latency"`
		Jitter  json.RawMessage `json:"jitter"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Faults(v.plain)
	for _, d := range []struct {
		raw json.RawMessage
		dst *time.Duration
	}{{v.Latency, &f.Latency}, {v.Jitter, &f.Jitter}} {
		if len(d.raw) == 0 || string(d.raw) == "null" {
			continue
		}
		var str string
		if json.Unmarshal(d.raw, &str) == nil {
			dur, err := time.ParseDuration(str)
			if err != nil {
				return err
			}
			*d.dst = dur
		} else if err := json.Unmarshal(d.raw, (*int64)(d.dst)); err != nil {
			return err
		}
	}
	return nil
}
