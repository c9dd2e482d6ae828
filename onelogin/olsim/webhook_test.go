package olsim_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

// receiver is a webhook endpoint that records what it gets. fail answers
// the first fail POSTs with 500.
type receiver struct {
	mu      sync.Mutex
	fail    int
	posts   int
	bodies  [][]byte
	headers []http.Header
	srv     *httptest.Server
}

func newReceiver(t *testing.T, fail int) *receiver {
	rc := &receiver{fail: fail}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.posts++
		if rc.posts <= rc.fail || rc.fail < 0 {
			w.WriteHeader(500)
			return
		}
		rc.bodies = append(rc.bodies, b)
		rc.headers = append(rc.headers, r.Header.Clone())
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// eventIDs lists the ids of the events received, in arrival order; batch
// bodies are arrays, single ones objects.
func (rc *receiver) eventIDs(t *testing.T) []int64 {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []int64
	for _, b := range rc.bodies {
		var one struct {
			ID int64 `json:"id"`
		}
		var many []struct {
			ID int64 `json:"id"`
		}
		if json.Unmarshal(b, &many) == nil {
			for _, e := range many {
				out = append(out, e.ID)
			}
			continue
		}
		require.NoError(t, json.Unmarshal(b, &one))
		out = append(out, one.ID)
	}
	return out
}

// hookSim makes a simulator with a webhook and n events queued.
func hookSim(t *testing.T, hook olsim.Webhook, n int) (*olsim.Server, []int64) {
	hook.Backoff = time.Millisecond
	sim := olsim.New(olsim.Options{Users: n, Clock: olsim.NewManualClock(epoch), Webhook: hook})
	t.Cleanup(func() { require.NoError(t, sim.Close()) })
	for i, u := range sim.Users() {
		_, err := sim.UpdateUser(u.ID, olsim.Fields{"title": fmt.Sprint("W", i)})
		require.NoError(t, err)
	}
	var ids []int64
	for _, e := range sim.Events() {
		ids = append(ids, e.ID)
	}
	require.Len(t, ids, n)
	return sim, ids
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, 5*time.Millisecond)
}

func TestWebhookDelivery(t *testing.T) {
	rc := newReceiver(t, 2)
	sim, ids := hookSim(t, olsim.Webhook{URL: rc.srv.URL, Secret: "hook-secret", SecretHeader: "X-Hook-Secret"}, 5)
	waitFor(t, func() bool { return sim.WebhookStats().Delivered == 5 })
	require.Equal(t, ids, rc.eventIDs(t), "in order, each once, after two failed tries")
	st := sim.WebhookStats()
	require.Equal(t, olsim.WebhookStats{Queued: 5, Delivered: 5, Posts: 5, FailedAttempts: 2}, st)
	require.Equal(t, "hook-secret", rc.headers[0].Get("X-Hook-Secret"))
	require.Equal(t, "application/json", rc.headers[0].Get("Content-Type"))
	var body map[string]any
	require.NoError(t, json.Unmarshal(rc.bodies[0], &body))
	require.Equal(t, olsim.EventUserUpdated, typeName(sim, body["event_type_id"]))

	var admin olsim.WebhookStats
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, httptest.NewRequest("GET", "/__olsim/webhook", nil))
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &admin))
	require.Equal(t, st, admin)

	// After Close nothing more is delivered.
	require.NoError(t, sim.Close())
	_, err := sim.UpdateUser(sim.Users()[0].ID, olsim.Fields{"title": "after close"})
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond)
	require.Equal(t, int64(5), sim.WebhookStats().Delivered)
}

func typeName(sim *olsim.Server, id any) string {
	for _, t := range sim.EventTypes() {
		if float64(t.ID) == id {
			return t.Name
		}
	}
	return ""
}

func TestWebhookOptions(t *testing.T) {
	t.Run("batches and basic auth", func(t *testing.T) {
		rc := newReceiver(t, 0)
		sim, ids := hookSim(t, olsim.Webhook{URL: rc.srv.URL, Secret: "u:p", BasicAuth: true, BatchSize: 50}, 30)
		waitFor(t, func() bool { return sim.WebhookStats().Delivered == 30 })
		require.Equal(t, ids, rc.eventIDs(t))
		require.Equal(t, basic("u", "p"), rc.headers[0].Get("Authorization"))
		require.Equal(t, byte('['), rc.bodies[0][0], "a batch is an array")
	})
	t.Run("bearer by default", func(t *testing.T) {
		rc := newReceiver(t, 0)
		sim, _ := hookSim(t, olsim.Webhook{URL: rc.srv.URL, Secret: "tok"}, 1)
		waitFor(t, func() bool { return sim.WebhookStats().Delivered == 1 })
		require.Equal(t, "Bearer tok", rc.headers[0].Get("Authorization"))
	})
	t.Run("gives up after MaxAttempts", func(t *testing.T) {
		rc := newReceiver(t, -1)
		sim, _ := hookSim(t, olsim.Webhook{URL: rc.srv.URL, MaxAttempts: 3}, 2)
		waitFor(t, func() bool { return sim.WebhookStats().Abandoned == 2 })
		require.Equal(t, int64(6), sim.WebhookStats().FailedAttempts)
		require.Empty(t, rc.eventIDs(t))
	})
	t.Run("drops", func(t *testing.T) {
		rc := newReceiver(t, 0)
		sim, _ := hookSim(t, olsim.Webhook{URL: rc.srv.URL, DropRate: 1}, 4)
		waitFor(t, func() bool { return sim.WebhookStats().Dropped == 4 })
		require.Empty(t, rc.eventIDs(t))
	})
	t.Run("duplicates", func(t *testing.T) {
		rc := newReceiver(t, 0)
		sim, ids := hookSim(t, olsim.Webhook{URL: rc.srv.URL, DuplicateRate: 1}, 3)
		waitFor(t, func() bool { return sim.WebhookStats().Delivered == 6 })
		require.Equal(t, []int64{ids[0], ids[0], ids[1], ids[1], ids[2], ids[2]}, rc.eventIDs(t))
	})
	t.Run("reorders", func(t *testing.T) {
		rc := newReceiver(t, 0)
		sim, ids := hookSim(t, olsim.Webhook{URL: rc.srv.URL, ReorderRate: 0.5}, 40)
		waitFor(t, func() bool { return sim.WebhookStats().Delivered == 40 })
		got := rc.eventIDs(t)
		require.ElementsMatch(t, ids, got, "every event arrives once")
		require.NotEqual(t, ids, got, "but not in order")
		require.Positive(t, sim.WebhookStats().Reordered)
		require.False(t, slices.IsSorted(got))
	})
	t.Run("bounded queue", func(t *testing.T) {
		rc := newReceiver(t, -1)
		sim, _ := hookSim(t, olsim.Webhook{URL: rc.srv.URL, QueueSize: 2, MaxAttempts: 1000}, 10)
		st := sim.WebhookStats()
		require.Equal(t, int64(10), st.Queued)
		require.GreaterOrEqual(t, st.Overflow, int64(7), "one in flight, two queued, the rest dropped")
	})
}

// The admin API replaces the webhook at run time and turns it off.
func TestWebhookAdmin(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 5})
	t.Cleanup(func() { require.NoError(t, h.sim.Close()) })
	rc := newReceiver(t, 1)
	user := h.sim.Users()[0].ID
	change := func(title string) {
		t.Helper()
		_, err := h.sim.UpdateUser(user, olsim.Fields{"title": title})
		require.NoError(t, err)
	}
	change("before any webhook")
	require.Equal(t, olsim.WebhookStats{}, h.sim.WebhookStats())

	r := h.admin("PUT", "webhook", fmt.Sprintf(`{"url":%q,"secret":"k","secret_header":"X-K","backoff":"1ms"}`, rc.srv.URL))
	require.Equal(t, 200, r.StatusCode, "%s", r.body)
	change("one")
	waitFor(t, func() bool { return h.sim.WebhookStats().Delivered == 1 })
	require.Equal(t, int64(1), h.sim.WebhookStats().FailedAttempts, "retried after 1ms")
	require.Equal(t, "k", rc.headers[0].Get("X-K"))

	for _, body := range []string{`{"url":"http://x","drop_rate":2}`, `{"url":"http://x","drop_rate":0.6,"duplicate_rate":0.6}`, `{"backoff":"soon"}`, `[`} {
		require.Equal(t, 400, h.admin("PUT", "webhook", body).StatusCode, body)
	}
	require.Equal(t, int64(1), h.sim.WebhookStats().Delivered, "a refused config leaves the webhook as it was")

	require.Equal(t, 200, h.admin("DELETE", "webhook", "").StatusCode)
	change("two")
	require.Equal(t, olsim.WebhookStats{}, h.sim.WebhookStats())
	require.Len(t, rc.eventIDs(t), 1)
}
