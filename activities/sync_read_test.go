package activities_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin/olsim"
)

// cursorDropper makes every After-Cursor like the one real cursor on
// record: it keeps limit, sort and page and forgets the filters, so a
// client that follows it reads later pages unfiltered.
func cursorDropper(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&cursorRewriter{ResponseWriter: w}, r)
	})
}

type cursorRewriter struct{ http.ResponseWriter }

func (w *cursorRewriter) WriteHeader(code int) {
	if cur := w.Header().Get("After-Cursor"); cur != "" {
		if raw, err := base64.StdEncoding.DecodeString(cur); err == nil {
			if q, err := url.ParseQuery(string(raw)); err == nil {
				kept := url.Values{}
				for _, k := range []string{"limit", "page", "sort", "sort_direction"} {
					if q.Has(k) {
						kept.Set(k, q.Get(k))
					}
				}
				w.Header().Set("After-Cursor", base64.StdEncoding.EncodeToString([]byte(kept.Encode())))
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// changeUsers bumps the updated_at of n users spread over the directory.
func changeUsers(t *testing.T, h *harness, n int) {
	t.Helper()
	users := h.sim.Users()
	step := len(users) / n
	for i := range n {
		_, err := h.sim.UpdateUser(users[i*step].ID, olsim.Fields{"title": "Changed " + strconv.Itoa(i)})
		require.NoError(t, err)
	}
}

// The incremental read asks for updated_since on every page, by number, so
// a cursor that drops the filter cannot make it read the whole directory.
func TestIncrementalReadRepeatsFilterOnEveryPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 300}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	h.sync("acme-1", api.ModeFull)
	h.wrap(cursorDropper)
	h.clock.Advance(time.Hour)
	changeUsers(t, h, 120)
	h.clock.Advance(time.Minute)

	b := h.begin("acme-1", api.ModeIncremental)
	require.Equal(t, api.ModeIncremental, b.Mode)
	h.sim.ResetCounters()
	res := must[activities.KindResult](h, h.acts.SyncUsers, kindInput("acme-1", b))
	require.Equal(t, 120, res.Items)
	require.Equal(t, 3, h.sim.RequestCount(usersList), "⌈120/50⌉ pages and nothing more")
	require.Equal(t, "1-3", res.PagesDone)
	require.True(t, res.MaxUpdatedAt.Equal(epoch.Add(time.Hour)), "watermark %v", res.MaxUpdatedAt)
}

// An incremental read an older worker started by cursor resumes by page:
// its Pages pages were 1..Pages, and no cursor left means it was done.
func TestIncrementalReadResumesFromCursorHeartbeat(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 300}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	h.sync("acme-1", api.ModeFull)
	h.clock.Advance(time.Hour)
	changeUsers(t, h, 120)
	h.clock.Advance(time.Minute)
	log := &pageLog{}
	h.wrap(log.middleware)
	b := h.begin("acme-1", api.ModeIncremental)

	old := activities.KindProgress{Kind: "users", Cursor: "bGltaXQ9NTAmcGFnZT0y", Pages: 1, Items: 50, Calls: 2}
	res, r := call[activities.KindResult](h, old, h.acts.SyncUsers, kindInput("acme-1", b))
	require.NoError(t, r.err)
	require.Equal(t, []int{2, 3}, log.take())
	require.Equal(t, 120, res.Items)
	require.Equal(t, "1-3", res.PagesDone)
	require.Empty(t, res.Cursor)
	require.EqualValues(t, 4, res.Calls)

	finished := activities.KindProgress{Kind: "users", Pages: 3, Items: 120}
	res, r = call[activities.KindResult](h, finished, h.acts.SyncUsers, kindInput("acme-1", b))
	require.NoError(t, r.err)
	require.Empty(t, log.take(), "the earlier attempt had read the last page")
	require.Equal(t, 120, res.Items)
}

// A full sync after deletions asks OneLogin about the unseen users 50 per
// call, heartbeating after each call, and deletes those it did not return.
func TestConfirmationsAsk50UsersPerCall(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 300}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	h.sync("acme-1", api.ModeFull)
	users := h.sim.Users()
	var gone []int64
	for i := 0; i < 300; i += 5 { // 60 users, everywhere in the directory
		gone = append(gone, users[i].ID)
		require.NoError(t, h.sim.DeleteUser(users[i].ID))
	}

	b := h.begin("acme-1", api.ModeFull)
	kinds := map[directory.Kind]activities.KindResult{}
	for kind, fn := range h.kindFns() {
		kinds[kind] = must[activities.KindResult](h, fn, kindInput("acme-1", b))
	}
	h.sim.ResetCounters()
	fin, r := call[activities.FinishResult](h, nil, h.acts.FinishSyncRun,
		h.finishInput("acme-1", b, directory.RunCompleted, kinds[directory.KindUsers].MaxUpdatedAt))
	require.NoError(t, r.err)
	require.Equal(t, 2, h.sim.RequestCount(usersList), "⌈60/50⌉ calls")
	require.Zero(t, h.sim.RequestCount("GET /api/2/users/:id"))
	require.EqualValues(t, 60, fin.Run.Users.Deleted)
	require.Zero(t, fin.Confirmed)
	require.Equal(t, []any{
		activities.ConfirmProgress{Unseen: 60, Asked: 50},
		activities.ConfirmProgress{Unseen: 60, Asked: 60},
	}, r.heartbeats, "one heartbeat per call")
	h.requireGone("acme-1", gone...)
	h.requireMirrors("acme-1")
}

// A page whose read keeps failing through the client's retries does not
// stop the pages beside it; it is read again after them.
func TestFailedPageLeavesOthersRunning(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 300}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	log := &pageLog{}
	var page2 atomic.Int64
	h.wrap(func(next http.Handler) http.Handler {
		return log.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/t/acme/api/2/users" && r.URL.Query().Get("page") == "2" && page2.Add(1) <= clientTries {
				http.Error(w, "upstream", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		}))
	})
	b := h.begin("acme-1", api.ModeFull)
	res := must[activities.KindResult](h, h.acts.SyncUsers, kindInput("acme-1", b))
	require.Equal(t, 300, res.Items)
	require.Equal(t, "1-6", res.PagesDone)
	pages := log.take()
	require.Len(t, pages, 6+clientTries)
	for n := 1; n <= 6; n++ {
		want := 1
		if n == 2 {
			want = clientTries + 1
		}
		count := 0
		for _, p := range pages {
			if p == n {
				count++
			}
		}
		require.Equal(t, want, count, "reads of page %d", n)
	}
}

// Users created while a full read runs land after the page count page 1
// announced; later answers announce more pages, and the read goes on to
// them.
func TestFullReadFollowsGrowingPageCount(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 120}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	var once sync.Once
	h.wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			if r.URL.Path == "/t/acme/api/2/users" && r.URL.Query().Get("page") == "1" {
				once.Do(func() {
					for i := range 60 {
						if _, err := h.sim.CreateUser(olsim.Fields{"email": fmt.Sprintf("late%d@acme.com", i)}); err != nil {
							t.Errorf("create user: %v", err)
						}
					}
				})
			}
		})
	})
	b := h.begin("acme-1", api.ModeFull)
	h.sim.ResetCounters()
	res := must[activities.KindResult](h, h.acts.SyncUsers, kindInput("acme-1", b))
	require.Equal(t, 180, res.Items)
	require.Equal(t, 4, res.TotalPages)
	require.Equal(t, 4, h.sim.RequestCount(usersList))
	require.EqualValues(t, 180, h.liveUsers("acme-1"))
}

// failingStore fails the n-th UpsertUsers (a write of one or more pages).
type failingStore struct {
	directory.Store
	n     int64
	calls atomic.Int64
}

func (s *failingStore) UpsertUsers(ctx context.Context, integration string, run int64, users []directory.User) (directory.PageResult, error) {
	if s.calls.Add(1) == s.n {
		return directory.PageResult{}, errors.New("disk full")
	}
	return s.Store.UpsertUsers(ctx, integration, run, users)
}

// A store write that fails stops the read retryably; the pages written
// before it are in the heartbeat, and the next attempt reads the others.
func TestStoreFailureStopsTheRead(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 300}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	b := h.begin("acme-1", api.ModeFull)
	h.acts.Store = &failingStore{Store: h.store, n: 3}
	_, r := call[activities.KindResult](h, nil, h.acts.SyncUsers, kindInput("acme-1", b))
	ae := requireCode(t, r.err, errcode.ServerError, true)
	require.Contains(t, ae.Message(), "disk full")
	last, ok := r.lastProgress().(activities.KindProgress)
	require.True(t, ok)
	// Page 1 and the second write (of the pages that had arrived) made it.
	require.GreaterOrEqual(t, last.Pages, 2)
	require.Less(t, last.Pages, 6)

	h.acts.Store = h.store
	log := &pageLog{}
	h.wrap(log.middleware)
	res, r := call[activities.KindResult](h, last, h.acts.SyncUsers, kindInput("acme-1", b))
	require.NoError(t, r.err)
	require.Len(t, log.take(), 6-last.Pages, "only the pages not written")
	require.Equal(t, 300, res.Items)
	require.Equal(t, "1-6", res.PagesDone)
}
