package activities_test

import (
	"bufio"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin/olsim"
)

// pageLog records the page numbers of the full user read's requests.
type pageLog struct {
	mu    sync.Mutex
	pages []int
}

func (l *pageLog) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/t/acme/api/2/users" {
			n, _ := strconv.Atoi(r.URL.Query().Get("page"))
			l.mu.Lock()
			l.pages = append(l.pages, n)
			l.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (l *pageLog) take() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := slices.Clone(l.pages)
	slices.Sort(out)
	l.pages = nil
	return out
}

func decodeProgress(t *testing.T, d converter.EncodedValues) activities.KindProgress {
	t.Helper()
	var p activities.KindProgress
	require.NoError(t, d.Get(&p))
	return p
}

// A full user read heartbeats the pages it wrote, as ranges, after every
// page; a retry resumes from it and fetches only the other pages.
func TestFullUserReadResumesFromHeartbeat(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{}, activities.Config{FullReadParallelism: 1})
	h.saveIntegration("acme-1", adminClientID)
	h.sync("acme-1", api.ModeFull) // the store already has everyone
	log := &pageLog{}
	h.wrap(log.middleware)
	b := h.begin("acme-1", api.ModeFull)

	// Attempt 1 writes pages 1 and 2, then page 3 keeps failing: the client
	// tries it five times, the read once more after the others.
	h.sim.SetFaults(olsim.Faults{FailAfter: []olsim.FailAfter{{Endpoint: usersList, Count: 2, Status: 500, Times: -1}}})
	_, r := call[activities.KindResult](h, nil, h.acts.SyncUsers, kindInput("acme-1", b))
	ae := requireCode(t, r.err, errcode.ServerError, true)
	require.Equal(t, time.Second, ae.NextRetryDelay(), "an attempt that made progress asks for a short retry delay")
	require.Equal(t, append([]int{1, 2}, slices.Repeat([]int{3}, 2*clientTries)...), log.take())
	hb := r.progress()
	require.Len(t, hb, 2, "one heartbeat per written page")
	for i, p := range hb {
		require.Equal(t, "users", p.Kind)
		require.Equal(t, i+1, p.Pages)
		require.Equal(t, 50*(i+1), p.Items)
		require.Equal(t, 3, p.TotalPages)
		require.Equal(t, []string{"1", "1-2"}[i], p.PagesDone)
		require.Empty(t, p.DonePages, "the list form is never written")
		require.Positive(t, p.Calls)
	}
	// The env's listener saw the first heartbeat (the SDK throttles the rest
	// within an attempt).
	require.NotEmpty(t, r.listened)
	require.Equal(t, hb[0].PagesDone, decodeProgress(t, r.listened[0]).PagesDone)

	// Attempt 2 resumes from what Temporal would hand it.
	h.sim.SetFaults(olsim.Faults{})
	h.sim.ResetCounters()
	res, r := call[activities.KindResult](h, hb[1], h.acts.SyncUsers, kindInput("acme-1", b))
	require.NoError(t, r.err)
	require.Equal(t, []int{3}, log.take(), "page 3 only: nothing past the announced last page")
	require.Equal(t, 1, h.sim.RequestCount(usersList))
	require.Equal(t, 120, res.Items)
	require.Equal(t, 3, res.Pages)
	require.Equal(t, "1-3", res.PagesDone)
	require.Equal(t, hb[1].Calls+1, res.Calls, "calls add up across attempts")

	// The read was complete: finishing deletes no one and confirms no one.
	for kind, fn := range h.kindFns() {
		if kind != directory.KindUsers {
			must[activities.KindResult](h, fn, kindInput("acme-1", b))
		}
	}
	h.sim.ResetCounters()
	fin := must[activities.FinishResult](h, h.acts.FinishSyncRun, h.finishInput("acme-1", b, directory.RunCompleted, res.MaxUpdatedAt))
	require.Zero(t, fin.Run.Users.Deleted)
	require.Zero(t, fin.Confirmed)
	require.Zero(t, h.sim.RequestCount(usersList))
	require.EqualValues(t, 120, fin.Run.Users.Seen)
	h.requireMirrors("acme-1")
}

// An attempt that wrote nothing leaves the retry delay to the policy.
func TestFailureWithoutProgressKeepsPolicyBackoff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	b := h.begin("acme-1", api.ModeFull)
	h.sim.SetFaults(olsim.Faults{ErrorRate: 1})
	for kind, fn := range h.kindFns() {
		_, r := call[activities.KindResult](h, nil, fn, kindInput("acme-1", b))
		ae := requireCode(t, r.err, errcode.ServerError, true)
		require.Zero(t, ae.NextRetryDelay(), kind)
	}
}

// Whatever pages a previous (parallel) attempt finished, a resumed read
// fetches exactly the others, from heartbeats of this worker (ranges) and
// of the workers before it (a list of pages).
func TestFullUserReadFetchesOnlyMissingPages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		done []int
		want []int
	}{
		{nil, []int{1, 2, 3}},
		{[]int{1}, []int{2, 3}},
		{[]int{1, 3}, []int{2}},
		{[]int{2, 3}, []int{1}},
		{[]int{1, 2, 3}, nil},
	} {
		for _, legacy := range []bool{false, true} {
			h := newHarness(t, olsim.Options{}, activities.Config{})
			h.saveIntegration("acme-1", adminClientID)
			log := &pageLog{}
			h.wrap(log.middleware)
			b := h.begin("acme-1", api.ModeFull)
			var resume any
			if tc.done != nil {
				items := 0
				for _, n := range tc.done {
					items += map[int]int{1: 50, 2: 50, 3: 20}[n]
				}
				p := activities.KindProgress{Kind: "users", TotalPages: 3, Pages: len(tc.done), Items: items}
				if legacy {
					p.DonePages = tc.done
				} else {
					p.PagesDone = pagesString(tc.done)
				}
				resume = p
			}
			res, r := call[activities.KindResult](h, resume, h.acts.SyncUsers, kindInput("acme-1", b))
			require.NoError(t, r.err)
			require.Equal(t, tc.want, log.take(), "resumed with done pages %v (list form %v)", tc.done, legacy)
			require.Equal(t, "1-3", res.PagesDone)
			require.Empty(t, res.DonePages)
			require.Equal(t, 3, res.Pages)
			require.Equal(t, 120, res.Items, "counts carry over from the heartbeat")
		}
	}
}

// pagesString renders pages one by one ("1,3"): the decoder merges ranges.
func pagesString(pages []int) string {
	var parts []string
	for _, n := range pages {
		parts = append(parts, strconv.Itoa(n))
	}
	return strings.Join(parts, ",")
}

// Heartbeat details that do not decode as progress start the read over.
func TestUnreadableProgressStartsOver(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	log := &pageLog{}
	h.wrap(log.middleware)
	b := h.begin("acme-1", api.ModeFull)
	bad := activities.KindProgress{Kind: "users", PagesDone: "1-x", TotalPages: 3, Pages: 1, Items: 50}
	res, r := call[activities.KindResult](h, bad, h.acts.SyncUsers, kindInput("acme-1", b))
	require.NoError(t, r.err)
	require.Equal(t, []int{1, 2, 3}, log.take())
	require.Equal(t, 120, res.Items)
}

// Each attempt gets one page further; the env's heartbeat listener sees the
// progress after each page, and the read ends complete.
func TestHeartbeatAfterEveryPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{}, activities.Config{FullReadParallelism: 1})
	h.saveIntegration("acme-1", adminClientID)
	b := h.begin("acme-1", api.ModeFull)
	var resume any
	var seen []string
	for attempt := 1; ; attempt++ {
		require.LessOrEqual(t, attempt, 5)
		// Every attempt may read one page, then the next page keeps failing.
		h.sim.SetFaults(olsim.Faults{FailAfter: []olsim.FailAfter{{Endpoint: usersList, Count: 1, Status: 502, Times: -1}}})
		res, r := call[activities.KindResult](h, resume, h.acts.SyncUsers, kindInput("acme-1", b))
		for _, d := range r.listened {
			seen = append(seen, decodeProgress(t, d).PagesDone)
		}
		if r.err == nil {
			require.Equal(t, 3, attempt, "three pages")
			require.Equal(t, 120, res.Items)
			break
		}
		requireCode(t, r.err, errcode.ServerError, true)
		resume = r.lastProgress()
		require.NotNil(t, resume, "attempt %d heartbeated nothing", attempt)
	}
	require.Equal(t, []string{"1", "1-2", "1-3"}, seen)
}

// Cursor-paged kinds heartbeat the cursor of the next page; a retry resumes
// there, and a retry of a read that reached its last page reads nothing.
func TestCursorReadResumesFromHeartbeat(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 10, Groups: 120}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	b := h.begin("acme-1", api.ModeFull)

	h.sim.SetFaults(olsim.Faults{FailAfter: []olsim.FailAfter{{Endpoint: groupsList, Count: 1, Status: 500, Times: -1}}})
	_, r := call[activities.KindResult](h, nil, h.acts.SyncGroups, kindInput("acme-1", b))
	requireCode(t, r.err, errcode.ServerError, true)
	hb := r.progress()
	require.Len(t, hb, 1)
	require.Equal(t, "groups", hb[0].Kind)
	require.Equal(t, 1, hb[0].Pages)
	require.Equal(t, 50, hb[0].Items)
	require.NotEmpty(t, hb[0].Cursor)
	require.Len(t, r.listened, 1)
	require.Equal(t, hb[0].Cursor, decodeProgress(t, r.listened[0]).Cursor)

	h.sim.SetFaults(olsim.Faults{})
	h.sim.ResetCounters()
	res, r := call[activities.KindResult](h, activities.KindProgress{Kind: "groups", Cursor: hb[0].Cursor, Pages: 1, Items: 50},
		h.acts.SyncGroups, kindInput("acme-1", b))
	require.NoError(t, r.err)
	require.Equal(t, 2, h.sim.RequestCount(groupsList), "pages 2 and 3 only")
	require.Equal(t, 120, res.Items)
	require.Equal(t, 3, res.Pages)
	require.Empty(t, res.Cursor)
	hb = r.progress()
	require.Len(t, hb, 2)
	require.NotEmpty(t, hb[0].Cursor)
	require.Empty(t, hb[1].Cursor, "the last page has no next cursor")
	gs, err := h.store.Groups(h.ctx, "acme-1")
	require.NoError(t, err)
	require.Len(t, gs, 120)

	// A retry after the last page was written (say CompleteRead failed) reads
	// nothing more and completes the read.
	h.sim.ResetCounters()
	for _, tc := range []struct {
		fn   any
		kind string
		list string
	}{
		{h.acts.SyncGroups, "groups", groupsList},
		{h.acts.SyncRoles, "roles", "GET /api/2/roles"},
	} {
		res, r = call[activities.KindResult](h, activities.KindProgress{Kind: tc.kind, Pages: 3, Items: 120},
			tc.fn, kindInput("acme-1", b))
		require.NoError(t, r.err)
		require.Zero(t, h.sim.RequestCount(tc.list), tc.kind)
		require.Equal(t, 120, res.Items)
	}
	run, err := h.store.GetSyncRun(h.ctx, "acme-1", b.RunID)
	require.NoError(t, err)
	require.True(t, run.Groups.ReadComplete)
	require.True(t, run.Roles.ReadComplete)

	// Progress of another kind is not this kind's: it starts over.
	res, r = call[activities.KindResult](h, activities.KindProgress{Kind: "users", Pages: 3, Items: 120},
		h.acts.SyncGroups, kindInput("acme-1", b))
	require.NoError(t, r.err)
	require.Equal(t, 3, h.sim.RequestCount(groupsList))
	require.Equal(t, 120, res.Items)
}

// With 10% of OneLogin calls failing with a 5xx, the client's retries
// absorb them, and retrying any activity that still fails (from its last
// heartbeat, as Temporal does) ends with the same store as a clean sync.
func TestSyncConvergesUnderErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Seed: 1, Users: 300, Groups: 120, Faults: olsim.Faults{ErrorRate: 0.1}}, activities.Config{})
	h.saveIntegration("flaky", adminClientID)
	h.saveIntegration("clean", adminClientID)
	var served5xx atomic.Int64
	h.wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			if sw.status >= 500 {
				served5xx.Add(1)
			}
		})
	})

	failures := 0
	flakySync := func(mode string) {
		b := h.begin("flaky", mode)
		var users activities.KindResult
		for kind, fn := range h.kindFns() {
			res, n := retry[activities.KindResult](h, fn, kindInput("flaky", b))
			failures += n
			if kind == directory.KindUsers {
				users = res
			}
		}
		_, n := retry[activities.FinishResult](h, h.acts.FinishSyncRun, h.finishInput("flaky", b, directory.RunCompleted, users.MaxUpdatedAt))
		failures += n
	}
	flakySync(api.ModeFull)

	h.clock.Advance(time.Hour)
	users := h.sim.Users()
	for i := 0; i < 40; i += 4 {
		_, err := h.sim.UpdateUser(users[i].ID, olsim.Fields{"title": "Changed " + strconv.Itoa(i)})
		require.NoError(t, err)
	}
	for i := 1; i < 300; i += 37 {
		require.NoError(t, h.sim.DeleteUser(users[i].ID))
	}
	_, err := h.sim.CreateUser(olsim.Fields{"email": "late@acme.com", "firstname": "Late"})
	require.NoError(t, err)
	h.clock.Advance(time.Minute)
	flakySync(api.ModeIncremental)
	flakySync(api.ModeFull)
	require.Positive(t, served5xx.Load(), "errors were injected")
	t.Logf("%d 5xx answers, %d failed activity attempts retried", served5xx.Load(), failures)

	h.sim.SetFaults(olsim.Faults{})
	h.sync("clean", api.ModeFull)

	h.requireMirrors("flaky")
	h.requireMirrors("clean")
	for _, u := range h.sim.Users() {
		flaky, err := h.store.GetUser(h.ctx, "flaky", u.ID)
		require.NoError(t, err)
		clean, err := h.store.GetUser(h.ctx, "clean", u.ID)
		require.NoError(t, err)
		flaky.Meta, clean.Meta = directory.Meta{}, directory.Meta{}
		require.Equal(t, clean, flaky)
	}
	require.Equal(t, h.liveUsers("clean"), h.liveUsers("flaky"))
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Hijack lets the simulator cut connections through the wrapper.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
