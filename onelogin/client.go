package onelogin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// maxBodyBytes bounds a response body read into memory. The largest real
// page (1000 apps) is far below it.
const maxBodyBytes = 32 << 20

// Client talks to one tenant's OneLogin API with one credential. It is safe
// for concurrent use; each tenant needs its own Client.
type Client struct {
	cfg    Config
	base   string
	tokens tokenSource
	rate   rateState
	calls  atomic.Int64
	// sleep waits between retries; tests replace it.
	sleep func(context.Context, time.Duration) error
}

// CallInfo describes one HTTP exchange, for metrics.
type CallInfo struct {
	// Endpoint is the call with ids elided, like "GET /api/2/users/:id".
	Endpoint string
	Status   int
	// Code is set when the exchange failed.
	Code     Code
	Duration time.Duration
	// Subdomain is the tenant's; the rate budget below belongs to its account.
	Subdomain string
	// RateLimit is the budget this response announced; nil when it carried
	// no X-RateLimit-* headers.
	RateLimit *RateLimit
}

// New checks and normalises cfg and returns a client. It makes no request.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.Normalize()
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, base: cfg.baseURL(), sleep: sleepCtx}
	if _, err := url.Parse(c.base); err != nil {
		return nil, invalidInput("base_url", "base URL is not a URL")
	}
	c.tokens.client = c
	return c, nil
}

// Subdomain is the normalised tenant subdomain.
func (c *Client) Subdomain() string { return c.cfg.Subdomain }

// Calls is the number of HTTP requests this client has sent, token calls
// included.
func (c *Client) Calls() int64 { return c.calls.Load() }

// request is one resource call. body is kept as bytes so the request can be
// rebuilt after a token refresh.
type request struct {
	method   string
	path     string
	endpoint string
	query    url.Values
	body     []byte
	// once marks a write that must not be sent again once it may have
	// reached OneLogin, although its method says it could be.
	once bool
}

// repeatable says whether sending the request twice has the effect of
// sending it once (retry.go).
func (r request) repeatable() bool {
	switch r.method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete:
		return !r.once
	}
	return false
}

func (r request) op() string { return r.method + " " + r.endpoint }

func jsonBody(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("onelogin: encode request: %w", err)
	}
	return b, nil
}

// do sends a resource call with the cached token, refreshes the token once on
// a 401 and sends the rebuilt request again, and decodes a 2xx body into out.
// Transient failures are tried again (retry.go).
func (c *Client) do(ctx context.Context, req request, out any) (http.Header, error) {
	var h http.Header
	err := c.withRetries(ctx, req.op(), req.repeatable(), func(ctx context.Context) (err error) {
		h, err = c.doOnce(ctx, req, out)
		return err
	})
	return h, err
}

func (c *Client) doOnce(ctx context.Context, req request, out any) (http.Header, error) {
	tok, fresh, err := c.tokens.get(ctx, nil)
	if err != nil {
		return nil, err
	}
	resp, raw, err := c.send(ctx, req, tok)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized && !fresh && !isInsufficientPermission(parseBody(resp.Header.Get("Content-Type"), raw).message) {
		// The token may have expired or been revoked: get another and rebuild.
		if tok, _, err = c.tokens.get(ctx, tok); err != nil {
			return nil, err
		}
		fresh = true
		if resp, raw, err = c.send(ctx, req, tok); err != nil {
			return nil, err
		}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, responseError(req.op(), kindResource, resp, raw, fresh, c.cfg.Now())
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, &Error{Code: CodeServerError, Status: resp.StatusCode, Op: req.op(),
				Message:   "response is not the JSON OneLogin documents: " + cleanMessage(err.Error()),
				RequestID: requestID(resp.Header), Err: err}
		}
	}
	return resp.Header, nil
}

func (c *Client) send(ctx context.Context, req request, tok *token) (*http.Response, []byte, error) {
	u := c.base + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	h := http.Header{}
	h.Set("Authorization", "bearer "+tok.access)
	if req.body != nil {
		h.Set("Content-Type", "application/json")
	}
	return c.exchange(ctx, kindResource, req.method, u, req.endpoint, h, req.body)
}

// exchange performs one HTTP round trip and reads the whole body. Every
// response feeds the rate-limit state, whatever its status. ctx bounds it
// (withRetries sets the timeout).
func (c *Client) exchange(ctx context.Context, kind endpointKind, method, u, endpoint string, h http.Header, body []byte) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, invalidInput("base_url", "cannot build request: "+cleanMessage(err.Error()))
	}
	for k, v := range h {
		hreq.Header[k] = v
	}
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", c.cfg.UserAgent)

	op := method + " " + endpoint
	release, err := holdRequestSlot(ctx)
	if err != nil {
		return nil, nil, context.Cause(ctx)
	}
	start := c.cfg.Now()
	c.calls.Add(1)
	countCall(ctx)
	resp, err := c.cfg.HTTPClient.Do(hreq)
	if err != nil {
		release()
		return nil, nil, c.failed(ctx, op, kind, start, err)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	_ = resp.Body.Close()
	release()
	if err != nil {
		return nil, nil, c.failed(ctx, op, kind, start, err)
	}
	info := CallInfo{Endpoint: op, Status: resp.StatusCode, Duration: c.cfg.Now().Sub(start)}
	if rl, ok := c.rate.observe(resp.Header, c.cfg.Now()); ok {
		info.RateLimit = &rl
	}
	c.report(info, resp.StatusCode)
	return resp, raw, nil
}

// failed turns a transport error into the caller's context error (so
// cancellation stays cancellation) or a classified network error.
func (c *Client) failed(ctx context.Context, op string, kind endpointKind, start time.Time, err error) error {
	parent := context.Cause(ctx)
	if parent != nil && !errors.Is(parent, context.DeadlineExceeded) {
		return parent
	}
	e := networkError(op, kind, err)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(parent, context.DeadlineExceeded) {
		e.Message = noAnswer
	}
	c.report(CallInfo{Endpoint: op, Code: e.Code, Duration: c.cfg.Now().Sub(start)}, 0)
	return e
}

func (c *Client) report(info CallInfo, status int) {
	if c.cfg.OnCall == nil {
		return
	}
	info.Subdomain = c.cfg.Subdomain
	if status == http.StatusTooManyRequests {
		info.Code = CodeRateLimited
	} else if status >= 400 && info.Code == "" {
		info.Code = classify(kindResource, status, parsedBody{}, false)
	}
	c.cfg.OnCall(info)
}

// pathID renders an id for a URL path.
func pathID(id int64) string { return fmt.Sprint(id) }

// joinPath builds a path from parts, escaping each.
func joinPath(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(p))
	}
	return b.String()
}
