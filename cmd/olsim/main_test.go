package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

func TestParseFlags(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		cfg, err := parseFlags(nil, io.Discard)
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1:8089", cfg.addr)
		o := cfg.opts
		require.Equal(t, []int{1000, 20, 40, 30}, []int{o.Users, o.Groups, o.Roles, o.Apps})
		require.Equal(t, []olsim.Credential{{ClientID: "olsim-client", ClientSecret: "olsim-secret", Scope: olsim.ScopeManageAll}}, o.Credentials)
		require.Equal(t, "acme", o.Subdomain)
		require.Equal(t, 50, o.UsersMaxLimit)
		require.Equal(t, 5000, o.RateLimit)
		require.Equal(t, 10*time.Hour, o.TokenTTL)
	})
	t.Run("overrides", func(t *testing.T) {
		cfg, err := parseFlags(strings.Fields("--addr :0 --seed 9 --users 0 --groups 2 --roles 3 --apps 4 --client-id id --client-secret pw "+
			"--scope read-all --subdomain globex --latency 5ms --jitter 2ms --error-rate 0.25 --rate-limit 10 --users-max-limit 100 --v2-denial-status 401"), io.Discard)
		require.NoError(t, err)
		o := cfg.opts
		require.Equal(t, []int{-1, 2, 3, 4}, []int{o.Users, o.Groups, o.Roles, o.Apps}, "0 means none")
		require.Equal(t, olsim.Credential{ClientID: "id", ClientSecret: "pw", Scope: olsim.ScopeReadAll}, o.Credentials[0])
		require.Equal(t, olsim.Faults{Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond, ErrorRate: 0.25}, o.Faults)
		require.Equal(t, []any{int64(9), "globex", 10, 100, 401}, []any{o.Seed, o.Subdomain, o.RateLimit, o.UsersMaxLimit, o.V2ScopeDenialStatus})
	})
	t.Run("events and webhook", func(t *testing.T) {
		cfg, err := parseFlags(strings.Fields("--event-capacity 10 --events-newest-first --cursor-keeps-only-paging --link-header "+
			"--webhook-url http://127.0.0.1:9/hook --webhook-secret s --webhook-secret-header X-Secret --webhook-basic-auth "+
			"--webhook-batch 20 --webhook-max-attempts 2 --webhook-drop-rate 0.1 --webhook-duplicate-rate 0.2 --webhook-reorder-rate 0.3"), io.Discard)
		require.NoError(t, err)
		o := cfg.opts
		require.Equal(t, olsim.Webhook{URL: "http://127.0.0.1:9/hook", Secret: "s", SecretHeader: "X-Secret", BasicAuth: true,
			BatchSize: 20, MaxAttempts: 2, DropRate: 0.1, DuplicateRate: 0.2, ReorderRate: 0.3}, o.Webhook)
		require.Equal(t, []any{10, true, true, true}, []any{o.EventCapacity, o.EventsNewestFirst, o.CursorKeepsOnlyPaging, o.V2LinkHeader})
	})
	for _, args := range []string{"--webhook-drop-rate 1.5", "--webhook-drop-rate 0.6 --webhook-reorder-rate 0.6", "--webhook-batch 0",
		"--event-capacity 0", "--event-capacity -2", "--scope root", "--error-rate 2", "--users -1", "--v2-denial-status 500", "--client-id=", "extra", "--nope"} {
		t.Run("rejects "+args, func(t *testing.T) {
			_, err := parseFlags(strings.Fields(args), io.Discard)
			require.Error(t, err)
		})
	}
}

// syncBuffer lets the test read the banner while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServe(t *testing.T) {
	hooks := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hooks <- r.Header.Get("X-Secret") + " " + string(b)
	}))
	defer hook.Close()
	cfg, err := parseFlags(strings.Fields("--users 30 --subdomain globex --webhook-secret-header X-Secret --webhook-secret hush --webhook-url "+hook.URL), io.Discard)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()

	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, cfg, out) }()

	// The listener is already bound, so requests queue until Serve runs.
	req, _ := http.NewRequest("POST", base+"/t/globex/auth/oauth2/v2/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
	req.Header.Set("Authorization", "client_id:olsim-client, client_secret:olsim-secret")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&tok))
	res.Body.Close()

	req, _ = http.NewRequest("GET", base+"/api/2/users?limit=2", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	var users []struct {
		ID int64 `json:"id"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&users))
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	require.Equal(t, "30", res.Header.Get("Total-Count"))

	// A write reaches the webhook.
	req, _ = http.NewRequest("DELETE", fmt.Sprintf("%s/api/2/users/%d", base, users[0].ID), nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 204, res.StatusCode)
	select {
	case got := <-hooks:
		require.True(t, strings.HasPrefix(got, "hush {"), got)
		require.Contains(t, got, fmt.Sprintf(`"user_id":%d`, users[0].ID))
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook POST")
	}

	banner := out.String()
	for _, want := range []string{base, "globex", "30 users", "client_id=olsim-client", "client_secret=olsim-secret", "scope=manage_all", "curl", "After-Cursor"} {
		require.Contains(t, banner, want)
	}

	cancel()
	require.NoError(t, <-done)
	require.Contains(t, out.String(), "olsim: stopped")
}
