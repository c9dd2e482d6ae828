package activities_test

// Sync benchmarks: the real activities against olsim with injected latency,
// counting OneLogin calls against the minimum and wall time against what
// latency alone allows. Run them one iteration each:
//
//	go test -run '^$' -bench Sync -benchtime 1x ./activities/
//
// OLFLOW_BENCH_USERS sets the directory sizes (default "5000,20000").

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/onelogin/olsim"
)

const benchLatency = 50 * time.Millisecond

func benchSizes(b *testing.B) []int {
	spec := os.Getenv("OLFLOW_BENCH_USERS")
	if spec == "" {
		spec = "5000,20000"
	}
	var out []int
	for part := range strings.SplitSeq(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n <= 0 {
			b.Fatalf("OLFLOW_BENCH_USERS: bad size %q", part)
		}
		out = append(out, n)
	}
	return out
}

// benchHarness is a harness with n users already fully synced (at no
// latency), the client's production retry timing, and a token in hand.
// Unfiltered user pages come from a snapshot (fastPages): olsim sorts and
// renders the whole directory for every page under one lock (about 48ms a
// page at 5,000 users, growing with the directory), which would measure the
// simulator instead of the sync.
func benchHarness(b *testing.B, n int, cfg activities.Config) (*harness, *fastPages) {
	b.Helper()
	h := newHarness(b, olsim.Options{Users: n, Seed: 3, UsersMaxLimit: n + 1000}, cfg)
	h.acts.Clients.Template.RetryBackoff = 0 // the default, 50ms
	f := &fastPages{h: h, rng: rand.New(rand.NewPCG(3, 4))}
	f.refresh()
	h.wrap(func(next http.Handler) http.Handler { f.next = next; return f })
	h.saveIntegration("acme-1", adminClientID)
	h.sync("acme-1", api.ModeFull)
	return h, f
}

// fastPages serves GET /api/2/users?limit=50&page=N&sort=id from a snapshot
// of the simulator's directory, with the latency and 5xx rate set here;
// every other request goes to the simulator (and its own faults).
type fastPages struct {
	h    *harness
	next http.Handler

	mu      sync.Mutex
	rng     *rand.Rand
	users   []json.RawMessage
	latency time.Duration
	errRate float64
	served  int
	// busy sums the time user pages spent being served: over the read's
	// wall time, the mean number of requests in flight.
	busy time.Duration
}

// refresh takes a new snapshot in one request of the whole directory.
func (f *fastPages) refresh() {
	h := f.h
	h.t.Helper()
	in := httptest.NewRequest(http.MethodPost, "/t/acme/auth/oauth2/v2/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
	in.SetBasicAuth(adminClientID, testSecret)
	in.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.sim.ServeHTTP(rec, in)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		h.t.Fatalf("snapshot token: %d %s", rec.Code, rec.Body)
	}
	all := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/t/acme/api/2/users?limit=%d&sort=id", len(h.sim.Users())+1), nil)
	all.Header.Set("Authorization", "bearer "+tok.AccessToken)
	rec = httptest.NewRecorder()
	h.sim.ServeHTTP(rec, all)
	var users []json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &users); err != nil || len(users) != len(h.sim.Users()) {
		h.t.Fatalf("snapshot: %d users of %d: %v", len(users), len(h.sim.Users()), err)
	}
	f.mu.Lock()
	f.users = users
	f.mu.Unlock()
}

func (f *fastPages) set(latency time.Duration, errRate float64) {
	f.mu.Lock()
	f.latency, f.errRate, f.served, f.busy = latency, errRate, 0, 0
	f.mu.Unlock()
	f.h.sim.SetFaults(olsim.Faults{Latency: latency, ErrorRate: errRate})
	f.h.sim.ResetCounters()
}

func (f *fastPages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, err := strconv.Atoi(q.Get("page"))
	plain := r.Method == http.MethodGet && r.URL.Path == "/t/acme/api/2/users" && err == nil && page >= 1 &&
		q.Get("limit") == "50" && q.Get("sort") == "id" && len(q) == 3
	if !plain {
		f.next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	defer func() {
		f.mu.Lock()
		f.busy += time.Since(start)
		f.mu.Unlock()
	}()
	f.mu.Lock()
	f.served++
	latency, fail := f.latency, f.rng.Float64() < f.errRate
	status := []int{500, 502, 503}[f.rng.IntN(3)]
	users := f.users
	f.mu.Unlock()
	time.Sleep(latency)
	if fail {
		http.Error(w, "injected", status)
		return
	}
	total := len(users)
	pages := (total + 49) / 50
	lo := min((page-1)*50, total)
	hi := min(lo+50, total)
	var body bytes.Buffer
	body.WriteByte('[')
	for i, u := range users[lo:hi] {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(u)
	}
	body.WriteByte(']')
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Total-Count", strconv.Itoa(total))
	hd.Set("Total-Pages", strconv.Itoa(pages))
	hd.Set("Current-Page", strconv.Itoa(page))
	hd.Set("Page-Items", strconv.Itoa(hi-lo))
	_, _ = w.Write(body.Bytes())
}

// inFlight is the mean number of user pages served at once over wall.
func (f *fastPages) inFlight(wall time.Duration) float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return float64(f.busy) / float64(wall)
}

// calls is how many user list requests the snapshot and the simulator
// served since the last set.
func (f *fastPages) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served + f.h.sim.RequestCount(usersList)
}

func pagesOf(n int) int { return (n + onelogin.MaxUsersPage - 1) / onelogin.MaxUsersPage }

// timedRead runs SyncUsers to success as Temporal would: a failed attempt
// is retried from its last heartbeat after the delay it asked for, or the
// retry policy's (1s doubling). It returns the wall time and the failures.
func timedRead(b *testing.B, h *harness, in activities.SyncKindInput) (activities.KindResult, time.Duration, int) {
	b.Helper()
	var resume any
	start := time.Now()
	for failures := 0; ; failures++ {
		res, r := call[activities.KindResult](h, resume, h.acts.SyncUsers, in)
		if r.err == nil {
			return res, time.Since(start), failures
		}
		var ae *temporal.ApplicationError
		if !errors.As(r.err, &ae) || ae.NonRetryable() || failures > 20 {
			b.Fatalf("read failed: %v", r.err)
		}
		if p := r.lastProgress(); p != nil {
			resume = p
		}
		wait := ae.NextRetryDelay()
		if wait == 0 {
			wait = time.Second << min(failures, 8)
		}
		time.Sleep(wait)
	}
}

// BenchmarkSyncFullUsers: a full user read at benchLatency per call and
// the default parallelism, into an empty store (first) and over unchanged
// rows (resync).
func BenchmarkSyncFullUsers(b *testing.B) {
	for _, n := range benchSizes(b) {
		for _, first := range []bool{true, false} {
			name := fmt.Sprintf("users=%d/resync", n)
			if first {
				name = fmt.Sprintf("users=%d/first", n)
			}
			b.Run(name, func(b *testing.B) {
				h, f := benchHarness(b, n, activities.Config{})
				minimal := pagesOf(n)
				ideal := time.Duration(minimal) * benchLatency / activities.DefaultFullReadParallelism
				var calls, failures int
				var wall time.Duration
				var inFlight float64
				for i := range b.N {
					integration := "acme-1"
					if first {
						integration = fmt.Sprintf("fresh-%d", i)
						h.saveIntegration(integration, adminClientID)
					}
					bg := h.begin(integration, api.ModeFull)
					f.set(benchLatency, 0)
					res, d, fails := timedRead(b, h, kindInput(integration, bg))
					if res.Items != n {
						b.Fatalf("read %d users, want %d", res.Items, n)
					}
					calls += f.calls()
					wall += d
					failures += fails
					inFlight += f.inFlight(d)
					f.set(0, 0)
				}
				b.ReportMetric(float64(calls)/float64(b.N*minimal), "calls/minimal")
				b.ReportMetric(inFlight/float64(b.N), "in-flight")
				b.ReportMetric(float64(wall)/float64(time.Duration(b.N)*ideal), "wall/ideal")
				b.ReportMetric(wall.Seconds()/float64(b.N), "s-read")
				b.ReportMetric(float64(failures)/float64(b.N), "failed-attempts")
			})
		}
	}
}

// BenchmarkSyncFullUsers5xx: a full read with 10% of page calls answering
// 500, 502 or 503, against the same read without errors.
func BenchmarkSyncFullUsers5xx(b *testing.B) {
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			h, f := benchHarness(b, n, activities.Config{})
			minimal := pagesOf(n)
			read := func(rate float64) (time.Duration, int, int) {
				bg := h.begin("acme-1", api.ModeFull)
				f.set(benchLatency, rate)
				res, d, fails := timedRead(b, h, kindInput("acme-1", bg))
				if res.Items != n {
					b.Fatalf("read %d users, want %d", res.Items, n)
				}
				calls := f.calls()
				f.set(0, 0)
				// Closed, so the next read's BeginSync is not refused as busy.
				must[activities.FinishResult](h, h.acts.FinishSyncRun, h.finishInput("acme-1", bg, directory.RunFailed, time.Time{}))
				return d, calls, fails
			}
			var clean, flaky time.Duration
			var calls, failures int
			for range b.N {
				d, _, _ := read(0)
				clean += d
				d, c, fails := read(0.1)
				flaky += d
				calls += c
				failures += fails
			}
			b.ReportMetric(float64(flaky)/float64(clean), "wall/no-error")
			b.ReportMetric(float64(calls)/float64(b.N*minimal), "calls/minimal")
			b.ReportMetric(float64(failures)/float64(b.N), "failed-attempts")
			b.ReportMetric(clean.Seconds()/float64(b.N), "s-no-error")
			b.ReportMetric(flaky.Seconds()/float64(b.N), "s-5xx")
		})
	}
}

// BenchmarkSyncDeletedConfirm: a full sync after 1% of users were deleted;
// calls of the user read and the finish against pages + ⌈deleted/50⌉.
func BenchmarkSyncDeletedConfirm(b *testing.B) {
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			h, f := benchHarness(b, n, activities.Config{})
			var calls, minimal int
			var finish time.Duration
			for range b.N {
				users := h.sim.Users()
				deleted := len(users) / 100
				for i := range deleted {
					if err := h.sim.DeleteUser(users[i*100].ID); err != nil {
						b.Fatal(err)
					}
				}
				f.refresh()
				bg := h.begin("acme-1", api.ModeFull)
				for kind, fn := range h.kindFns() {
					if kind != directory.KindUsers {
						must[activities.KindResult](h, fn, kindInput("acme-1", bg))
					}
				}
				f.set(benchLatency, 0)
				h.sim.ResetCounters()
				res, _, _ := timedRead(b, h, kindInput("acme-1", bg))
				start := time.Now()
				fin := must[activities.FinishResult](h, h.acts.FinishSyncRun,
					h.finishInput("acme-1", bg, directory.RunCompleted, res.MaxUpdatedAt))
				finish += time.Since(start)
				if int(fin.Run.Users.Deleted) != deleted {
					b.Fatalf("deleted %d, want %d", fin.Run.Users.Deleted, deleted)
				}
				calls += f.calls() + h.sim.RequestCount("GET /api/2/users/:id")
				minimal += pagesOf(len(users)-deleted) + int(math.Ceil(float64(deleted)/50))
				f.set(0, 0)
			}
			b.ReportMetric(float64(calls)/float64(minimal), "calls/minimal")
			b.ReportMetric(finish.Seconds()/float64(b.N), "s-finish")
		})
	}
}

// BenchmarkSyncIncremental: an incremental read after 1% of users changed,
// with OneLogin's filter-dropping cursors in front of the simulator; calls
// against ⌈users read/50⌉ (1% changed, plus any the watermark's overlap
// brings back).
func BenchmarkSyncIncremental(b *testing.B) {
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			h, f := benchHarness(b, n, activities.Config{})
			h.wrap(func(next http.Handler) http.Handler { return cursorDropper(f) })
			var calls, minimal, changedAll int
			var wall time.Duration
			for range b.N {
				h.clock.Advance(time.Hour)
				users := h.sim.Users()
				changed := len(users) / 100
				for i := range changed {
					if _, err := h.sim.UpdateUser(users[i*100].ID, olsim.Fields{"title": fmt.Sprint("Changed ", i)}); err != nil {
						b.Fatal(err)
					}
				}
				h.clock.Advance(time.Minute)
				bg := h.begin("acme-1", api.ModeIncremental)
				if bg.Mode != api.ModeIncremental {
					b.Fatalf("mode %s (%s)", bg.Mode, bg.Upgraded)
				}
				f.set(benchLatency, 0)
				h.sim.ResetCounters()
				res, d, _ := timedRead(b, h, kindInput("acme-1", bg))
				// The overlap may add users updated just before the watermark.
				if res.Items < changed {
					b.Fatalf("read %d users, want at least %d", res.Items, changed)
				}
				wall += d
				calls += f.calls()
				minimal += pagesOf(res.Items)
				changedAll += changed
				f.set(0, 0)
				// Close the run so the next iteration's watermark moves.
				must[activities.FinishResult](h, h.acts.FinishSyncRun,
					h.finishInput("acme-1", bg, directory.RunCompleted, res.MaxUpdatedAt))
			}
			b.ReportMetric(float64(calls)/float64(minimal), "calls/minimal")
			b.ReportMetric(float64(calls)/float64(b.N), "calls")
			b.ReportMetric(float64(pagesOf(changedAll/b.N)+5), "goal-calls")
			b.ReportMetric(wall.Seconds()/float64(b.N), "s-read")
		})
	}
}
