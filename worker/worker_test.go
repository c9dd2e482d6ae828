package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"

	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/seal"
)

func logLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

func TestSDKLoggerAddsTheIntegrationAndRedacts(t *testing.T) {
	var b bytes.Buffer
	zl, err := NewLogger(LogConfig{Level: "debug", Format: "json", Output: &b})
	require.NoError(t, err)
	l := SDKLogger(zl)

	// As the SDK logs: tags with the workflow ID, no integration.
	l.Info("Activity error.", "WorkflowID", "onelogin-sync/acme/initial", "ActivityType", "SyncUsers")
	// As a workflow logs: its own integration field, not repeated.
	wl := log.With(l, "WorkflowID", "onelogin-connect/acme", "integration", "acme")
	log.With(wl, "integration", "acme").Warn("credential refused", "code", "invalid_credentials", "integration", "acme")
	// Secrets never print, whatever the caller passes.
	l.Error("oops", "client_secret", "hunter2", "Authorization", "bearer abc", "api_key", "k", "secret", seal.NewSecret("s3"))
	l.Debug("no workflow here", "count", 3)

	lines := logLines(t, &b)
	require.Len(t, lines, 4)
	assert.Equal(t, "acme", lines[0]["integration"])
	assert.Equal(t, "acme", lines[1]["integration"])
	for i, raw := range strings.Split(strings.TrimSpace(b.String()), "\n")[:2] {
		assert.Equal(t, 1, strings.Count(raw, `"integration"`), "line %d has the integration once: %s", i, raw)
	}
	assert.NotContains(t, b.String(), "hunter2")
	assert.NotContains(t, b.String(), "bearer abc")
	assert.NotContains(t, b.String(), "s3\"")
	assert.Equal(t, "[REDACTED]", lines[2]["client_secret"])
	assert.NotContains(t, lines[3], "integration")
	assert.Contains(t, lines[0]["caller"], "worker_test.go", "the caller is the logging code, not the adapter")
}

func TestNewLoggerRefusesUnknownSettings(t *testing.T) {
	_, err := NewLogger(LogConfig{Level: "loud"})
	assert.Error(t, err)
	_, err = NewLogger(LogConfig{Format: "xml"})
	assert.Error(t, err)
	_, err = NewLogger(LogConfig{Format: "text", Output: io.Discard})
	assert.NoError(t, err)
}

func TestMetricsFromOneLoginCalls(t *testing.T) {
	m := NewMetrics()
	defer m.Close()
	m.OnCall(onelogin.CallInfo{Endpoint: "GET /api/2/users", Status: 200, Duration: 30 * time.Millisecond,
		Subdomain: "acme", RateLimit: &onelogin.RateLimit{Limit: 5000, Remaining: 4321}})
	m.OnCall(onelogin.CallInfo{Endpoint: "POST /auth/oauth2/v2/token", Status: 401, Code: errcode.InvalidCredentials, Subdomain: "acme"})
	m.OnCall(onelogin.CallInfo{Endpoint: "GET /api/2/users", Code: errcode.Network, Subdomain: "acme"})
	require.NoError(t, m.Close(), "closing flushes")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`olflow_onelogin_calls_total{code="ok",endpoint="GET /api/2/users"} 1`,
		`olflow_onelogin_calls_total{code="invalid_credentials",endpoint="POST /auth/oauth2/v2/token"} 1`,
		`olflow_onelogin_calls_total{code="network",endpoint="GET /api/2/users"} 1`,
		`olflow_onelogin_rate_budget_remaining{subdomain="acme"} 4321`,
		`olflow_onelogin_rate_budget_limit{subdomain="acme"} 5000`,
		`olflow_onelogin_call_latency_seconds_count{endpoint="GET /api/2/users"} 2`,
		"go_goroutines",
	} {
		assert.Contains(t, body, want)
	}
}

func TestConfigNeedsBothKeyrings(t *testing.T) {
	err := Config{}.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "OLFLOW_SEAL_KEYS")
	assert.Contains(t, err.Error(), "OLFLOW_CODEC_KEYS")
}

// A Run that fails after opening the metrics listener (here: the store
// cannot be opened) releases the port.
func TestRunReleasesTheMetricsPortOnEarlyFailure(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := probe.Addr().String()
	require.NoError(t, probe.Close())
	keys := func() *seal.Keyring {
		k, err := seal.GenerateKey()
		require.NoError(t, err)
		ring, err := seal.ParseKeyring("k1:" + k)
		require.NoError(t, err)
		return ring
	}
	cfg := Config{SealKeys: keys(), StoreDSN: "unsupported://nowhere", MetricsAddr: addr,
		Log: LogConfig{Output: io.Discard}}
	cfg.Temporal.CodecKeys = keys()
	err = Run(context.Background(), cfg)
	require.ErrorContains(t, err, "open the store")
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "the metrics port is still bound after Run returned")
	_ = ln.Close()
}
