package onelogin

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var retryNow = time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC)

const testToken = `{"access_token":"t","created_at":"2026-11-28T10:00:00.000Z","expires_in":36000,"token_type":"bearer","account_id":7}`

// scripted answers resource calls from a per-endpoint script: the n-th
// request to a path gets script[n] (the last entry repeats). A nil entry
// answers 200 with body ok.
type scripted struct {
	mu     sync.Mutex
	script map[string][]func(w http.ResponseWriter)
	calls  map[string]int
	tokens []func(w http.ResponseWriter)
}

func status(code int, header ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"statusCode":` + strconv.Itoa(code) + `,"message":"boom"}`))
	}
}

func ok(body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}
}

// cut sends half a body and drops the connection.
func cut(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "100")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`{"id":`))
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

func hang(d time.Duration) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) { time.Sleep(d); ok(`{"id":1}`)(w) }
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	key := r.Method + " " + r.URL.Path
	n := s.calls[key]
	s.calls[key]++
	var step func(http.ResponseWriter)
	if r.URL.Path == tokenEndpoint {
		if len(s.tokens) > 0 {
			step = s.tokens[min(n, len(s.tokens)-1)]
		}
		if step == nil {
			step = ok(testToken)
		}
	} else if sc := s.script[key]; len(sc) > 0 {
		step = sc[min(n, len(sc)-1)]
	}
	s.mu.Unlock()
	if step == nil {
		step = ok(`{"id":1,"data":["https://link"]}`)
	}
	step(w)
}

func (s *scripted) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[key]
}

// retryClient serves script and records the waits between retries
// instead of sleeping.
func retryClient(t *testing.T, s *scripted, mutate ...func(*Config)) (*Client, *[]time.Duration) {
	t.Helper()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, append([]func(*Config){func(cfg *Config) { cfg.Now = func() time.Time { return retryNow } }}, mutate...)...)
	var mu sync.Mutex
	waits := &[]time.Duration{}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return c, waits
}

const getUser = "GET /api/2/users/7"

func TestRetriesAbsorbTransientFailuresOfReads(t *testing.T) {
	t.Parallel()
	for name, steps := range map[string][]func(http.ResponseWriter){
		"500 then 502":             {status(500), status(502), nil},
		"503 gateway page":         {status(503), nil},
		"connection cut mid-body":  {cut, nil},
		"truncated JSON in a 2xx":  {ok(`{"id":`), nil},
		"one try hangs past limit": {hang(300 * time.Millisecond), nil},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := &scripted{script: map[string][]func(http.ResponseWriter){getUser: steps}}
			c, waits := retryClient(t, s, func(cfg *Config) { cfg.AttemptTimeout = 100 * time.Millisecond })
			u, err := c.GetUser(context.Background(), 7)
			require.NoError(t, err)
			assert.EqualValues(t, 1, u.ID)
			assert.Equal(t, len(steps), s.count(getUser), "every failure was tried again once")
			require.Len(t, *waits, len(steps)-1)
			for i, w := range *waits {
				base := defaultRetryBackoff << i
				assert.GreaterOrEqual(t, w, base/2, "wait %d", i)
				assert.LessOrEqual(t, w, base, "wait %d", i)
			}
			assert.EqualValues(t, len(steps)+1, c.Calls(), "the token and every try are counted")
		})
	}
}

func TestRetriesGiveUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	s := &scripted{script: map[string][]func(http.ResponseWriter){getUser: {status(502)}}}
	c, waits := retryClient(t, s, func(cfg *Config) { cfg.MaxAttempts = 3 })
	_, err := c.GetUser(context.Background(), 7)
	e := requireCode(t, err, CodeServerError)
	assert.Equal(t, 502, e.Status)
	assert.Equal(t, 3, s.count(getUser))
	assert.Len(t, *waits, 2)

	one := &scripted{script: map[string][]func(http.ResponseWriter){getUser: {status(500)}}}
	c, _ = retryClient(t, one, func(cfg *Config) { cfg.MaxAttempts = 1 })
	_, err = c.GetUser(context.Background(), 7)
	requireCode(t, err, CodeServerError)
	assert.Equal(t, 1, one.count(getUser), "MaxAttempts 1 turns retries off")
}

func TestRetryHonoursRetryAfterWithinTheCallTimeout(t *testing.T) {
	t.Parallel()
	s := &scripted{script: map[string][]func(http.ResponseWriter){getUser: {status(503, "Retry-After", "2"), nil}}}
	c, waits := retryClient(t, s)
	_, err := c.GetUser(context.Background(), 7)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{2 * time.Second}, *waits)

	// A Retry-After beyond the call's timeout is not waited for here: the
	// error carries it to the caller.
	long := &scripted{script: map[string][]func(http.ResponseWriter){getUser: {status(503, "Retry-After", "120"), nil}}}
	c, waits = retryClient(t, long)
	_, err = c.GetUser(context.Background(), 7)
	e := requireCode(t, err, CodeServerError)
	assert.Equal(t, 2*time.Minute, e.RetryAfter)
	assert.Empty(t, *waits)
	assert.Equal(t, 1, long.count(getUser))
}

func TestRetriesStopAtTheCallTimeout(t *testing.T) {
	t.Parallel()
	s := &scripted{script: map[string][]func(http.ResponseWriter){getUser: {status(500)}}}
	c, _ := retryClient(t, s, func(cfg *Config) {
		cfg.Timeout, cfg.RetryBackoff, cfg.MaxAttempts = 300*time.Millisecond, 200*time.Millisecond, 10
	})
	c.sleep = sleepCtx
	_, err := c.GetUser(context.Background(), 7)
	requireCode(t, err, CodeServerError)
	// Waits of 100-200ms, then 200-400ms: the second no longer fits.
	assert.LessOrEqual(t, s.count(getUser), 2)
	assert.GreaterOrEqual(t, s.count(getUser), 1)
}

func TestCallerCancellationStopsRetries(t *testing.T) {
	t.Parallel()
	s := &scripted{script: map[string][]func(http.ResponseWriter){getUser: {status(500)}}}
	c, _ := retryClient(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	_, err := c.GetUser(ctx, 7)
	requireCode(t, err, CodeServerError)
	assert.Equal(t, 1, s.count(getUser))
}

// Writes are repeated only when repeating them changes nothing, or when
// they never left the process.
func TestWritesRetriedOnlyWhenSafe(t *testing.T) {
	t.Parallel()
	pw := "N3w-Passw0rd!"
	title := "T"
	for _, tc := range []struct {
		name     string
		key      string
		call     func(*Client) error
		repeated bool
	}{
		{"set state", "PUT /api/1/users/7/set_state", func(c *Client) error { return c.SetUserState(context.Background(), 7, 1) }, true},
		{"add roles", "PUT /api/1/users/7/add_roles", func(c *Client) error { return c.AddUserRoles(context.Background(), 7, []int64{1}) }, true},
		{"remove role users", "DELETE /api/2/roles/3/users", func(c *Client) error { return c.RemoveRoleUsers(context.Background(), 3, []int64{7}) }, true},
		{"profile update", "PUT /api/2/users/7", func(c *Client) error {
			_, err := c.UpdateUser(context.Background(), 7, UserUpdate{Title: &title})
			return err
		}, true},
		{"password in update", "PUT /api/2/users/7", func(c *Client) error {
			_, err := c.UpdateUser(context.Background(), 7, UserUpdate{Password: &pw})
			return err
		}, false},
		{"set password", "PUT /api/1/users/set_password_clear_text/7", func(c *Client) error {
			return c.SetPasswordClearText(context.Background(), 7, pw, true)
		}, false},
		{"invite link", "POST /api/1/invites/get_invite_link", func(c *Client) error {
			_, err := c.GetInviteLink(context.Background(), "a@b.c")
			return err
		}, false},
		{"add role users", "POST /api/2/roles/3/users", func(c *Client) error { return c.AddRoleUsers(context.Background(), 3, []int64{7}) }, false},
	} {
		for fault, step := range map[string]func(http.ResponseWriter){"502": status(502), "cut": cut} {
			t.Run(tc.name+"/"+fault, func(t *testing.T) {
				t.Parallel()
				s := &scripted{script: map[string][]func(http.ResponseWriter){tc.key: {step, nil}}}
				c, _ := retryClient(t, s)
				err := tc.call(c)
				if tc.repeated {
					require.NoError(t, err)
					assert.Equal(t, 2, s.count(tc.key))
					return
				}
				require.Error(t, err)
				assert.Contains(t, []Code{CodeServerError, CodeNetwork}, CodeOf(err))
				assert.Equal(t, 1, s.count(tc.key), "sent once")
			})
		}
	}
}

// dialFailsOnce refuses the first connection to the API, as a dead
// address would, then connects normally.
type dialFailsOnce struct {
	mu     sync.Mutex
	failed bool
	dialer net.Dialer
}

func (d *dialFailsOnce) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	first := !d.failed
	d.failed = true
	d.mu.Unlock()
	if first {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
	}
	return d.dialer.DialContext(ctx, network, addr)
}

func TestWriteThatNeverLeftIsRetried(t *testing.T) {
	t.Parallel()
	s := &scripted{}
	d := &dialFailsOnce{}
	c, waits := retryClient(t, s, func(cfg *Config) {
		tr := NewTransport(2)
		tr.DialContext = d.dial
		tr.DisableKeepAlives = true // every request dials
		cfg.HTTPClient = &http.Client{Transport: tr}
	})
	// The token request (repeatable) absorbs the refused dial.
	_, err := c.Authenticate(context.Background())
	require.NoError(t, err)
	assert.Len(t, *waits, 1)
	d.mu.Lock()
	d.failed = false
	d.mu.Unlock()
	link, err := c.GetInviteLink(context.Background(), "a@b.c")
	require.NoError(t, err)
	assert.Equal(t, "https://link", link)
	assert.Equal(t, 1, s.count("POST /api/1/invites/get_invite_link"))
	assert.Len(t, *waits, 2)
}

func TestTokenRetries(t *testing.T) {
	t.Parallel()
	s := &scripted{tokens: []func(http.ResponseWriter){status(503), nil}}
	c, _ := retryClient(t, s)
	_, err := c.Authenticate(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, s.count("POST "+tokenEndpoint))

	// A 500 from the token endpoint means a deleted credential owner.
	gone := &scripted{tokens: []func(http.ResponseWriter){status(500), nil}}
	c, _ = retryClient(t, gone)
	_, err = c.Authenticate(context.Background())
	requireCode(t, err, CodeCredentialOwnerDeleted)
	assert.Equal(t, 1, gone.count("POST "+tokenEndpoint))
}

func TestClientErrorsAndRateLimitsAreNotRetried(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]Code{400: CodeInvalidInput, 403: CodeInsufficientScope, 404: CodeNotFound, 429: CodeRateLimited} {
		s := &scripted{script: map[string][]func(http.ResponseWriter){getUser: {status(code), nil}}}
		c, waits := retryClient(t, s)
		_, err := c.GetUser(context.Background(), 7)
		requireCode(t, err, want)
		assert.Equal(t, 1, s.count(getUser), "%d", code)
		assert.Empty(t, *waits)
	}
}

func TestDefaultTransportKeepsConnectionsForParallelReads(t *testing.T) {
	t.Parallel()
	for conns, want := range map[int]int{0: DefaultMaxConnsPerHost, 12: 12} {
		cfg, err := Config{Subdomain: "acme", ClientID: "i", ClientSecret: "s", MaxConnsPerHost: conns}.Normalize()
		require.NoError(t, err)
		tr, ok := cfg.HTTPClient.Transport.(*http.Transport)
		require.True(t, ok)
		assert.Equal(t, want, tr.MaxIdleConnsPerHost)
		assert.Equal(t, 2*want, tr.MaxConnsPerHost)
	}
	_, err := Config{Subdomain: "acme", ClientID: "i", ClientSecret: "s", MaxAttempts: -1}.Normalize()
	requireCode(t, err, CodeInvalidInput)
}

// Parallel answers arrive out of order: an answer that shows more budget
// left in the same window is older news and does not raise the budget; a
// new window does.
func TestRateStateKeepsTheLowestRemainingOfAWindow(t *testing.T) {
	t.Parallel()
	var s rateState
	hdr := func(remaining, reset int) http.Header {
		h := http.Header{}
		h.Set("X-RateLimit-Limit", "100")
		h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		h.Set("X-RateLimit-Reset", strconv.Itoa(reset))
		return h
	}
	s.observe(hdr(40, 600), retryNow)
	s.observe(hdr(41, 600), retryNow.Add(500*time.Millisecond))
	assert.Equal(t, 40, s.last.Remaining)
	s.observe(hdr(39, 599), retryNow.Add(time.Second))
	assert.Equal(t, 39, s.last.Remaining)
	s.observe(hdr(100, 3600), retryNow.Add(10*time.Minute))
	assert.Equal(t, 100, s.last.Remaining, "a new window")
}
