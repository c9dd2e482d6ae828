package onelogin

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests cover what a simulator cannot show: hosts that are not
// OneLogin at all, DNS failures, cancellation and timeouts.

func newTestClient(t *testing.T, base string, mutate ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{Subdomain: "acme", ClientID: "id", ClientSecret: "secret", BaseURL: base}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return c
}

func requireCode(t *testing.T, err error, want Code) *Error {
	t.Helper()
	var e *Error
	require.True(t, errors.As(err, &e), "want *onelogin.Error with %s, got %v", want, err)
	require.Equal(t, want, e.Code, "error: %v", err)
	return e
}

func TestNoSuchHostIsSubdomainNotFound(t *testing.T) {
	dnsFail := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return nil, &net.DNSError{Err: "no such host", Name: "typo.onelogin.com", IsNotFound: true}
		},
	}}
	c := newTestClient(t, "", func(cfg *Config) { cfg.Subdomain = "typo"; cfg.HTTPClient = dnsFail })
	_, err := c.Authenticate(context.Background())
	e := requireCode(t, err, CodeSubdomainNotFound)
	assert.Equal(t, 0, e.Status)
	assert.NotContains(t, err.Error(), "secret")
}

func TestOtherDialFailureIsNetwork(t *testing.T) {
	refused := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
		},
	}}
	c := newTestClient(t, "", func(cfg *Config) { cfg.HTTPClient = refused })
	_, err := c.Authenticate(context.Background())
	e := requireCode(t, err, CodeNetwork)
	assert.True(t, e.Code.Retryable())
}

func TestTokenFromHostThatIsNotOneLogin(t *testing.T) {
	cases := map[string]http.HandlerFunc{
		"html 200": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><title>Parked domain</title></html>"))
		},
		"html 404": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("<html><h1>Not Found</h1></html>"))
		},
		"json without token": func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"ok":true}`))
		},
		"redirect": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusMultipleChoices)
		},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			_, err := newTestClient(t, srv.URL).Authenticate(context.Background())
			requireCode(t, err, CodeSubdomainNotFound)
		})
	}
}

func TestTokenLegacyErrorIn200(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "5F000000-AAAA")
		_, _ = w.Write([]byte(`{"status":{"error":true,"code":401,"type":"Unauthorized","message":"Authentication Failure"}}`))
	}))
	defer srv.Close()
	_, err := newTestClient(t, srv.URL).Authenticate(context.Background())
	e := requireCode(t, err, CodeInvalidCredentials)
	assert.Equal(t, "Authentication Failure", e.Message)
	assert.Equal(t, "5F000000-AAAA", e.RequestID)
	assert.Equal(t, 401, e.Status)
}

func TestCancellationIsNotClassified(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err := newTestClient(t, srv.URL).Authenticate(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, Code(""), CodeOf(err))
}

func TestTimeoutIsNetwork(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.Timeout = 50 * time.Millisecond })
	_, err := c.Authenticate(context.Background())
	e := requireCode(t, err, CodeNetwork)
	assert.Contains(t, e.Message, "no answer within")
}

func TestOnCallReportsEveryExchange(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == tokenEndpoint {
			_, _ = w.Write([]byte(`{"access_token":"t","created_at":"2026-11-28T10:00:00.000Z","expires_in":36000,"token_type":"bearer","account_id":7}`))
			return
		}
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	var mu sync.Mutex
	var calls []CallInfo
	c := newTestClient(t, srv.URL, func(cfg *Config) {
		cfg.Now = func() time.Time { return time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC) }
		cfg.OnCall = func(ci CallInfo) { mu.Lock(); calls = append(calls, ci); mu.Unlock() }
	})
	_, err := c.GetUser(context.Background(), 42)
	e := requireCode(t, err, CodeRateLimited)
	assert.Equal(t, DefaultRateLimitWait, e.RetryAfter)
	require.Len(t, calls, 2)
	assert.Equal(t, "POST /auth/oauth2/v2/token", calls[0].Endpoint)
	assert.Equal(t, "GET /api/2/users/:id", calls[1].Endpoint)
	assert.Equal(t, CodeRateLimited, calls[1].Code)
	assert.EqualValues(t, 2, c.Calls())
}
