package webhook_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/webhook"
)

const secret = "s3cret-0123456789-abcdef"

var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

type fakeSignaler struct {
	mu   sync.Mutex
	got  map[string][]api.EventsDelivery
	fail error
}

func (f *fakeSignaler) SignalEvents(_ context.Context, integration string, d api.EventsDelivery) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if f.got == nil {
		f.got = map[string][]api.EventsDelivery{}
	}
	f.got[integration] = append(f.got[integration], d)
	return nil
}

func (f *fakeSignaler) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, ds := range f.got {
		n += len(ds)
	}
	return n
}

type fixture struct {
	h   http.Handler
	sig *fakeSignaler
	reg *prometheus.Registry
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{sig: &fakeSignaler{}, reg: prometheus.NewRegistry()}
	h, err := webhook.NewHandler(webhook.Options{Secrets: map[string]string{"acme": secret, "globex": "another-secret-0123456789"},
		Signaler: f.sig, MaxBodyBytes: 4096, Registerer: f.reg, Now: func() time.Time { return now }})
	require.NoError(t, err)
	f.h = h
	return f
}

func (f *fixture) post(integration, body string, auth func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, webhook.PathPrefix+integration, strings.NewReader(body))
	if auth != nil {
		auth(r)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func bearer(s string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+s) }
}

const oneEvent = `{"id":1000000001,"created_at":"2026-12-01T09:59:59.000Z","event_type_id":14,"user_id":"42","group_id":null,"role_id":null}`

func TestDeliveryIsSignalled(t *testing.T) {
	f := newFixture(t)
	for name, auth := range map[string]func(*http.Request){
		"bearer": bearer(secret),
		"header": func(r *http.Request) { r.Header.Set(webhook.SecretHeader, secret) },
		"basic": func(r *http.Request) {
			r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("onelogin:"+secret)))
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			w := f.post("acme", oneEvent, auth)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.Len(t, f.sig.got["acme"], 1)
			d := f.sig.got["acme"][0]
			assert.Equal(t, []api.EventRef{{ID: 1000000001, CreatedAt: now.Add(-time.Second), UserID: 42}}, d.Events)
			assert.Equal(t, now, d.ReceivedAt)
		})
	}
	// A batch: an array of events.
	w := f.post("acme", `[`+oneEvent+`,{"id":1000000002,"created_at":"2026-12-01T09:59:59.500Z","user_id":7,"role_id":3}]`, bearer(secret))
	require.Equal(t, http.StatusOK, w.Code)
	require.Len(t, f.sig.got["acme"], 1)
	assert.Len(t, f.sig.got["acme"][0].Events, 2)
}

func TestForgedSecretRefused(t *testing.T) {
	f := newFixture(t)
	for name, auth := range map[string]func(*http.Request){
		"none":                 nil,
		"wrong":                bearer("s3cret-0123456789-abcdeX"),
		"other integration's":  bearer("another-secret-0123456789"),
		"prefix":               bearer(secret[:10]),
		"basic wrong password": func(r *http.Request) { r.SetBasicAuth("onelogin", "nope") },
		"empty bearer":         bearer(""),
	} {
		w := f.post("acme", oneEvent, auth)
		assert.Equal(t, http.StatusUnauthorized, w.Code, name)
	}
	assert.Zero(t, f.sig.count(), "nothing signalled")
}

func TestUnknownIntegrationRefused(t *testing.T) {
	f := newFixture(t)
	w := f.post("initech", oneEvent, bearer(secret))
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	w = f.post("", oneEvent, bearer(secret))
	assert.NotEqual(t, http.StatusOK, w.Code)
	assert.Zero(t, f.sig.count())
}

func TestOversizedBodyRefused(t *testing.T) {
	f := newFixture(t)
	big := `[` + strings.Repeat(oneEvent+",", 100) + oneEvent + `]`
	require.Greater(t, len(big), 4096)
	w := f.post("acme", big, bearer(secret))
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Zero(t, f.sig.count())
}

func TestReplayedDeliveryNotSignalled(t *testing.T) {
	f := newFixture(t)
	require.Equal(t, http.StatusOK, f.post("acme", oneEvent, bearer(secret)).Code)
	w := f.post("acme", oneEvent, bearer(secret))
	assert.Equal(t, http.StatusOK, w.Code, "acknowledged, so OneLogin does not retry it")
	assert.Contains(t, w.Body.String(), webhook.ResultDuplicate)
	// An old event replayed is not signalled either.
	w = f.post("acme", `{"id":5,"created_at":"2026-11-01T00:00:00Z","user_id":9}`, bearer(secret))
	assert.Contains(t, w.Body.String(), webhook.ResultDuplicate)
	assert.Equal(t, 1, f.sig.count())
	// The same event id for another integration is that integration's own.
	require.Equal(t, http.StatusOK, f.post("globex", oneEvent, bearer("another-secret-0123456789")).Code)
	assert.Equal(t, 2, f.sig.count())
}

func TestBadBodyRefused(t *testing.T) {
	f := newFixture(t)
	for _, body := range []string{"", "hello", `{"id":`, `"x"`} {
		assert.Equal(t, http.StatusBadRequest, f.post("acme", body, bearer(secret)).Code, body)
	}
	assert.Zero(t, f.sig.count())
}

// A failed signal is a 503 and the events are not remembered, so OneLogin's
// retry goes through.
func TestSignalFailureRetried(t *testing.T) {
	f := newFixture(t)
	f.sig.fail = errors.New("temporal unavailable")
	assert.Equal(t, http.StatusServiceUnavailable, f.post("acme", oneEvent, bearer(secret)).Code)
	f.sig.fail = nil
	assert.Equal(t, http.StatusOK, f.post("acme", oneEvent, bearer(secret)).Code)
	assert.Equal(t, 1, f.sig.count())
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	f.post("acme", oneEvent, bearer(secret))
	f.post("acme", oneEvent, bearer(secret))
	f.post("acme", oneEvent, bearer("forged-secret-0123456789"))
	n, err := testutil.GatherAndCount(f.reg, "olflow_webhook_requests_total", "olflow_webhook_event_lag_seconds")
	require.NoError(t, err)
	assert.Equal(t, 4, n, "three results and one histogram")
	assert.NoError(t, testutil.GatherAndCompare(f.reg, strings.NewReader(`
# HELP olflow_webhook_requests_total Event Broadcaster deliveries by result.
# TYPE olflow_webhook_requests_total counter
olflow_webhook_requests_total{result="duplicate"} 1
olflow_webhook_requests_total{result="signalled"} 1
olflow_webhook_requests_total{result="unauthorized"} 1
`), "olflow_webhook_requests_total"))
}

func TestParseSecrets(t *testing.T) {
	got, err := webhook.ParseSecrets("acme=" + secret + ",\n globex = another-secret-0123456789 ")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"acme": secret, "globex": "another-secret-0123456789"}, got)
	for _, bad := range []string{"acme", "acme=short", "Bad Id=" + secret, "acme=" + secret + ",acme=" + secret} {
		_, err := webhook.ParseSecrets(bad)
		assert.Error(t, err, bad)
		if err != nil {
			assert.NotContains(t, err.Error(), secret)
		}
	}
	_, err = webhook.NewHandler(webhook.Options{Signaler: &fakeSignaler{}})
	assert.Error(t, err, "no secrets")
	_, err = webhook.NewHandler(webhook.Options{Secrets: map[string]string{"acme": secret}})
	assert.Error(t, err, "no signaler")
}
