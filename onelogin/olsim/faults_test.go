package olsim_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

// statuses makes n GET /api/2/users calls and returns their status codes.
func statuses(h *harness, tok string, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = h.get("/api/2/users?limit=1", tok).StatusCode
	}
	return out
}

func TestRandomErrorsAreSeeded(t *testing.T) {
	run := func(seed int64) []int {
		h := newHarness(t, olsim.Options{Seed: seed, Users: 5, Faults: olsim.Faults{ErrorRate: 0.5}})
		return statuses(h, h.token(readerID), 60)
	}
	a, b := run(7), run(7)
	require.Equal(t, a, b, "same seed, same failures")
	require.NotEqual(t, a, run(8))
	counts := map[int]int{}
	for _, s := range a {
		counts[s]++
	}
	require.Greater(t, counts[200], 10)
	require.Greater(t, counts[500]+counts[502]+counts[503], 10)
	require.Equal(t, 60, counts[200]+counts[500]+counts[502]+counts[503])
}

func TestErrorShapes(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 5})
	tok := h.token(readerID)
	for _, status := range []int{500, 502, 503} {
		h.sim.SetFaults(olsim.Faults{ErrorRate: 1, ErrorStatuses: []int{status}, ErrorEndpoints: []string{"GET /api/2/users"}})
		r := h.get("/api/2/users", tok)
		require.Equal(t, status, r.StatusCode)
		if status == 500 {
			requireV2Err(t, r, 500, "InternalServerError", "Internal Server Error")
		} else {
			require.Equal(t, "text/html", r.Header.Get("Content-Type"), "gateway errors are HTML")
		}
		require.Equal(t, 200, h.get("/api/1/groups", tok).StatusCode, "other endpoints unaffected")
		require.NotEmpty(t, h.token(readerID), "token calls unaffected")
	}
}

func TestBurst429(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 5})
	tok := h.token(readerID)
	h.sim.SetFaults(olsim.Faults{Burst429: 2})
	r := h.get("/api/1/groups", tok)
	requireV1(t, r, 429, "Rate Limit Exceeded")
	require.Equal(t, "0", r.Header.Get("X-RateLimit-Remaining"))
	require.NotEmpty(t, r.Header.Get("X-RateLimit-Reset"))
	require.NotEmpty(t, h.token(readerID), "token calls are not part of the burst")
	r = h.get("/api/2/users", tok)
	requireV2Err(t, r, 429, "TooManyRequestsError", "Rate Limit Exceeded")
	require.Equal(t, "0", r.Header.Get("X-RateLimit-Remaining"))
	require.Equal(t, 200, h.get("/api/2/users", tok).StatusCode)
}

// rawGet is a GET that may fail at the transport level; status 0 means the
// response (or its body) did not arrive whole.
func rawGet(h *harness, path, tok string) (int, error) {
	req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := h.srv.Client().Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if _, err = io.ReadAll(res.Body); err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

func TestConnectionReset(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 5})
	tok := h.token(readerID)
	h.sim.SetFaults(olsim.Faults{ConnResets: 1})
	_, err := rawGet(h, "/api/2/users", tok)
	require.Error(t, err, "the body is cut short")
	status, err := rawGet(h, "/api/2/users", tok)
	require.NoError(t, err)
	require.Equal(t, 200, status)
}

func TestFailAfter(t *testing.T) {
	tests := []struct {
		name string
		rule olsim.FailAfter
		want []int // statuses of 5 calls; 0 = transport error
	}{
		{"third call fails once", olsim.FailAfter{Endpoint: "GET /api/2/users", Count: 2, Status: 503}, []int{200, 200, 503, 200, 200}},
		{"default 500, twice", olsim.FailAfter{Endpoint: "GET /api/2/users", Count: 1, Times: 2}, []int{200, 500, 500, 200, 200}},
		{"forever", olsim.FailAfter{Endpoint: "GET /api/2/users", Count: 3, Status: 502, Times: -1}, []int{200, 200, 200, 502, 502}},
		{"reset", olsim.FailAfter{Endpoint: "GET /api/2/users", Count: 4, Reset: true}, []int{200, 200, 200, 200, 0}},
		{"other endpoint", olsim.FailAfter{Endpoint: "GET /api/1/groups", Count: 0}, []int{200, 200, 200, 200, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, olsim.Options{Users: 5})
			tok := h.token(readerID)
			h.get("/api/2/users", tok) // counted before the rule: rules count from installation
			h.sim.SetFaults(olsim.Faults{FailAfter: []olsim.FailAfter{tt.rule}})
			got := make([]int, len(tt.want))
			for i := range got {
				got[i], _ = rawGet(h, "/api/2/users", tok)
			}
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("token endpoint", func(t *testing.T) {
		h := newHarness(t, olsim.Options{Users: 5, Faults: olsim.Faults{FailAfter: []olsim.FailAfter{{Endpoint: "POST /auth/oauth2/v2/token", Status: 401}}}})
		r := h.do("POST", "/auth/oauth2/v2/token", grantJSON, "Authorization: "+basic(adminID, secret), "Content-Type: application/json")
		requireV1(t, r, 401, "Authentication Failure")
		require.NotEmpty(t, h.token(adminID))
	})
}

func TestLatency(t *testing.T) {
	// Only checks that delayed calls still complete; durations are not asserted.
	h := newHarness(t, olsim.Options{Users: 5, Faults: olsim.Faults{Latency: time.Millisecond, Jitter: time.Millisecond}})
	require.Equal(t, 200, h.get("/api/2/users", h.token(readerID)).StatusCode)
}
