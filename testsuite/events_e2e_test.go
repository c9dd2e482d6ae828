package testsuite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/internal/cli"
	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/webhook"
)

// Bounds from the issue: a change reaches the store within 90 s with
// polling only and 5 s (p95) with webhooks. Waits use the bound as a
// deadline; the figures in BENCHMARKS.md come from the logged latencies.
const (
	pollingBound = 90 * time.Second
	webhookBound = 5 * time.Second
)

// connectForEvents connects id and returns the run of the events workflow
// the connect started.
func (h *harness) connectForEvents(ctx context.Context, id string) client.WorkflowRun {
	h.t.Helper()
	run, err := h.starter.StartConnect(ctx, h.connectInput(id))
	require.NoError(h.t, err)
	_, err = run.Get(ctx)
	require.NoError(h.t, err)
	ev := h.client.GetWorkflow(ctx, api.EventsWorkflowID(id), "")
	desc, err := h.client.DescribeWorkflow(ctx, api.EventsWorkflowID(id), "")
	require.NoError(h.t, err, "connect started the events workflow")
	require.Equal(h.t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.RawResponse.GetWorkflowExecutionInfo().GetStatus())
	return ev
}

// stopEvents cancels the events workflow connect started and waits for it
// to end: a test of what syncs do to the store stops it, or it may apply
// the test's changes to OneLogin first.
func (h *harness) stopEvents(ctx context.Context, id string) client.WorkflowRun {
	h.t.Helper()
	old := h.client.GetWorkflow(ctx, api.EventsWorkflowID(id), "")
	require.NoError(h.t, h.client.CancelWorkflow(ctx, old.GetID(), old.GetRunID()))
	err := old.Get(ctx, nil)
	var canceled *temporal.CanceledError
	require.True(h.t, errors.As(err, &canceled), "cancelled: %v", err)
	return old
}

// replaceEvents cancels the events workflow connect started (recorded for
// the corpus under record, if not empty) and starts one with req's
// settings, as an operator tuning an integration would.
func (h *harness) replaceEvents(ctx context.Context, id, record string, req api.EventsRequest) client.WorkflowRun {
	h.t.Helper()
	old := h.stopEvents(ctx, id)
	if record != "" {
		h.record(record, old.GetID(), old.GetRunID())
	}
	req.IntegrationID = id
	run, err := h.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: api.EventsWorkflowID(id), TaskQueue: h.queue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(api.IntegrationAttribute.ValueSet(id))}, api.EventsWorkflow, req)
	require.NoError(h.t, err)
	return run
}

// userDiff compares a stored user with the simulator's, field by field.
func userDiff(got directory.User, want olsim.User) string {
	var d []string
	cmp := func(field string, g, w any) {
		if fmt.Sprint(g) != fmt.Sprint(w) {
			d = append(d, fmt.Sprintf("%s: store %v, OneLogin %v", field, g, w))
		}
	}
	cmp("email", got.Email, want.Email)
	cmp("username", got.Username, want.Username)
	cmp("firstname", got.FirstName, want.Firstname)
	cmp("lastname", got.LastName, want.Lastname)
	cmp("title", got.Title, want.Title)
	cmp("department", got.Department, want.Department)
	cmp("company", got.Company, want.Company)
	cmp("phone", got.Phone, want.Phone)
	cmp("status", got.Status, onelogin.UserStatus(want.Status).String())
	cmp("state", got.State, want.State)
	cmp("group_id", got.GroupID, want.GroupID)
	cmp("manager", got.ManagerID, want.ManagerUserID)
	cmp("role_ids", got.RoleIDs, want.RoleIDs)
	return strings.Join(d, "; ")
}

// mirrorDiff says how the store's users differ from the simulator's ("" when
// equal), and counts users the simulator has that the store lost: false
// deletions.
func (h *harness) mirrorDiff(ctx context.Context, id string, synced map[int64]bool) (diff string, falseDeletions int) {
	var d []string
	sim := h.sim.Users()
	for _, want := range sim {
		got, err := h.store.GetUser(ctx, id, want.ID)
		if errors.Is(err, directory.ErrNotFound) {
			if synced[want.ID] {
				falseDeletions++
			}
			d = append(d, fmt.Sprintf("user %d missing", want.ID))
			continue
		}
		if err != nil {
			return err.Error(), falseDeletions
		}
		if s := userDiff(got, want); s != "" {
			d = append(d, fmt.Sprintf("user %d: %s", want.ID, s))
		}
	}
	st, err := h.store.IntegrationStatus(ctx, id)
	if err != nil {
		return err.Error(), falseDeletions
	}
	if st.Users != int64(len(sim)) {
		d = append(d, fmt.Sprintf("store has %d live users, OneLogin %d", st.Users, len(sim)))
	}
	return strings.Join(d, "\n"), falseDeletions
}

// waitFor polls cond until it holds or the deadline passes, and returns
// how long it took.
func waitFor(t *testing.T, deadline time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > deadline {
			t.Fatalf("%s: not within %s", what, deadline)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

func (h *harness) storedUser(ctx context.Context, id string, userID int64) (directory.User, bool) {
	u, err := h.store.GetUser(ctx, id, userID)
	return u, err == nil
}

// changeAndDelete changes one user and deletes another in the simulator,
// and measures how long each takes to reach the store.
func (h *harness) changeAndDelete(ctx context.Context, id string, round int, bound time.Duration) (changed, deleted time.Duration) {
	h.t.Helper()
	us := h.sim.Users()
	target, victim := us[round%len(us)], us[len(us)-1-round%len(us)]
	title := fmt.Sprintf("Title round %d", round)
	_, err := h.sim.UpdateUser(target.ID, olsim.Fields{"title": title})
	require.NoError(h.t, err)
	changed = waitFor(h.t, bound, "changed user in the store", func() bool {
		u, ok := h.storedUser(ctx, id, target.ID)
		return ok && u.Title == title
	})
	require.NoError(h.t, h.sim.DeleteUser(victim.ID))
	deleted = waitFor(h.t, bound, "deleted user gone from the store", func() bool {
		_, ok := h.storedUser(ctx, id, victim.ID)
		return !ok
	})
	return changed, deleted
}

func p95(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)*95+99)/100-1]
}

// apiCalls counts the simulator's OneLogin API requests (tokens excluded).
func (h *harness) apiCalls() int {
	n := 0
	for k, c := range h.sim.RequestCounts() {
		if strings.Contains(k, "/api/") {
			n += c
		}
	}
	return n
}

func (h *harness) syncRuns(ctx context.Context, id string) int {
	runs, err := h.store.ListSyncRuns(ctx, id, 100)
	require.NoError(h.t, err)
	return len(runs)
}

// Polling only: changes and deletions reach the store within the bound,
// without any sync running.
func TestEventsPollingE2E(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 60})
	ctx := ctxT(t, 20*time.Minute)
	const id = "e2e-events-poll"
	first := h.connectForEvents(ctx, id)

	// A second connect (a credential rotation) keeps the running events workflow.
	h.connectForEvents(ctx, id)
	desc, err := h.client.DescribeWorkflow(ctx, api.EventsWorkflowID(id), "")
	require.NoError(t, err)
	assert.Equal(t, first.GetRunID(), desc.RawResponse.GetWorkflowExecutionInfo().GetExecution().GetRunId(), "one events workflow per integration")

	interval := 2 * time.Second
	if s := os.Getenv("OLFLOW_EVENTS_POLL_INTERVAL"); s != "" {
		// A longer run for BENCHMARKS.md uses the production default, 60s.
		var err error
		interval, err = time.ParseDuration(s)
		require.NoError(t, err)
	}
	run := h.replaceEvents(ctx, id, "events-cancelled", api.EventsRequest{PollInterval: interval})
	runs := h.syncRuns(ctx, id)
	h.sim.ResetCounters()
	var changes, deletes []time.Duration
	for round := range 5 {
		c, d := h.changeAndDelete(ctx, id, round, pollingBound)
		changes, deletes = append(changes, c), append(deletes, d)
	}
	calls := h.apiCalls()
	assert.Equal(t, runs, h.syncRuns(ctx, id), "no sync ran: the events did it")
	t.Logf("polling (%s interval): change p95 %s %v, delete p95 %s %v, %d API calls for %d changes",
		interval, p95(changes), changes, p95(deletes), deletes, calls, 2*len(changes))

	st, err := h.ops.EventsStatus(ctx, id)
	require.NoError(t, err)
	assert.Positive(t, st.Polls)
	assert.GreaterOrEqual(t, st.Deleted, int64(3))
	assert.Equal(t, "never", st.Webhook)
	full, err := h.ops.Status(ctx, id, 5)
	require.NoError(t, err)
	require.NotNil(t, full.Events, "ops status shows the events workflow")

	// Disconnect stops it.
	require.NoError(t, h.starter.Disconnect(ctx, api.DisconnectRequest{IntegrationID: id}))
	var canceled *temporal.CanceledError
	require.True(t, errors.As(run.Get(ctx, nil), &canceled), "disconnect cancels the events workflow")
}

// Webhooks: a change and a deletion reach the store within seconds though
// polling runs only every minute. Not parallel: it holds olflow to the
// issue's bound, and beside the other tests it would time their CPU too.
func TestEventsWebhookE2E(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 60})
	ctx := ctxT(t, 10*time.Minute)
	const id = "e2e-events-hook"
	srv := h.webhookServer(id)
	require.NoError(t, h.sim.SetWebhook(olsim.Webhook{URL: srv.URL + webhook.PathPrefix + id, Secret: hookSecret}))
	h.connectForEvents(ctx, id)
	runs := h.syncRuns(ctx, id)
	h.sim.ResetCounters()
	var changes, deletes []time.Duration
	for round := range 5 {
		c, d := h.changeAndDelete(ctx, id, round, 30*time.Second)
		changes, deletes = append(changes, c), append(deletes, d)
	}
	calls := h.apiCalls()
	t.Logf("webhooks (60s polling): change p95 %s %v, delete p95 %s %v, %d API calls for %d changes",
		p95(changes), changes, p95(deletes), deletes, calls, 2*len(changes))
	assert.LessOrEqual(t, p95(changes), webhookBound)
	assert.LessOrEqual(t, p95(deletes), webhookBound)
	assert.Equal(t, runs, h.syncRuns(ctx, id), "no sync ran")
	st, err := h.ops.EventsStatus(ctx, id)
	require.NoError(t, err)
	assert.Positive(t, st.Deliveries)
}

const hookSecret = "e2e-webhook-secret-0123456789"

// webhookServer runs the webhook handler for id in front of this
// harness's Temporal client.
func (h *harness) webhookServer(id string) *httptest.Server {
	h.t.Helper()
	hd, err := webhook.NewHandler(webhook.Options{Secrets: map[string]string{id: hookSecret},
		Signaler: webhook.TemporalSignaler{Client: h.client, TaskQueue: h.queue}})
	require.NoError(h.t, err)
	srv := httptest.NewServer(hd)
	h.t.Cleanup(srv.Close)
	return srv
}

// chaosRounds is OLFLOW_EVENTS_CHAOS_ROUNDS (default 3; the run
// uses 20).
func chaosRounds(t *testing.T) int {
	if s := os.Getenv("OLFLOW_EVENTS_CHAOS_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		return n
	}
	return 3
}

// Random mutations with 10% 5xx from OneLogin and duplicated and reordered
// webhook deliveries: after each round the store equals the simulator,
// user by user and field by field, and no user OneLogin still has was ever
// deleted.
func TestEventsChaosE2E(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 80, Groups: 6, Roles: 8})
	ctx := ctxT(t, 30*time.Minute)
	const id = "e2e-events-chaos"
	srv := h.webhookServer(id)
	require.NoError(t, h.sim.SetWebhook(olsim.Webhook{URL: srv.URL + webhook.PathPrefix + id, Secret: hookSecret,
		DuplicateRate: 0.2, ReorderRate: 0.2, BatchSize: 3}))
	h.connectForEvents(ctx, id)
	h.replaceEvents(ctx, id, "", api.EventsRequest{PollInterval: 3 * time.Second})
	synced := map[int64]bool{}
	h.markSynced(ctx, id, synced)
	runs := h.syncRuns(ctx, id)
	h.sim.SetFaults(olsim.Faults{ErrorRate: 0.1})

	rng := rand.New(rand.NewPCG(42, 7))
	var lags []time.Duration
	changes, falseDeletions := 0, 0
	h.sim.ResetCounters()
	for round := range chaosRounds(t) {
		changes += h.mutate(rng, 12)
		start := time.Now()
		for {
			diff, fd := h.mirrorDiff(ctx, id, synced)
			falseDeletions = max(falseDeletions, fd)
			if diff == "" {
				break
			}
			if time.Since(start) > pollingBound {
				st, err := h.ops.EventsStatus(ctx, id)
				t.Logf("events status: %+v (%v)", st, err)
				t.Fatalf("round %d: store differs from OneLogin after %s:\n%s", round, pollingBound, diff)
			}
			time.Sleep(100 * time.Millisecond)
		}
		lags = append(lags, time.Since(start))
		h.markSynced(ctx, id, synced)
	}
	h.sim.SetFaults(olsim.Faults{})
	calls := h.apiCalls()
	assert.Zero(t, falseDeletions, "no user OneLogin has was deleted")
	assert.Equal(t, runs, h.syncRuns(ctx, id), "no sync ran")
	hs := h.sim.WebhookStats()
	t.Logf("chaos: %d rounds, %d changes, round convergence p95 %s %v, %d API calls (%.2f per change), webhook %+v",
		len(lags), changes, p95(lags), lags, calls, float64(calls)/float64(max(changes, 1)), hs)
	assert.Positive(t, hs.Duplicated+hs.Reordered, "faults were injected")
}

// markSynced notes every user the store holds now: its absence later is a
// deletion, not a creation not applied yet.
func (h *harness) markSynced(ctx context.Context, id string, synced map[int64]bool) {
	for _, u := range h.sim.Users() {
		if _, ok := h.storedUser(ctx, id, u.ID); ok {
			synced[u.ID] = true
		}
	}
}

// mutate makes n random changes through the simulator's Go API and returns
// how many changed something.
func (h *harness) mutate(rng *rand.Rand, n int) int {
	h.t.Helper()
	done := 0
	groups, roles := h.sim.Groups(), h.sim.Roles()
	for i := range n {
		us := h.sim.Users()
		u := us[rng.IntN(len(us))]
		var err error
		switch rng.IntN(6) {
		case 0:
			_, err = h.sim.UpdateUser(u.ID, olsim.Fields{"title": fmt.Sprintf("t%d", rng.IntN(1000))})
		case 1:
			_, err = h.sim.UpdateUser(u.ID, olsim.Fields{"department": fmt.Sprintf("d%d", rng.IntN(1000)), "status": 1 + rng.IntN(2)})
		case 2:
			err = h.sim.SetUserGroup(u.ID, groups[rng.IntN(len(groups))].ID)
		case 3:
			err = h.sim.AddUserRoles(u.ID, roles[rng.IntN(len(roles))].ID)
		case 4:
			err = h.sim.DeleteUser(u.ID)
		default:
			_, err = h.sim.CreateUser(olsim.Fields{"email": fmt.Sprintf("chaos%d-%d@example.com", rng.Int(), i),
				"username": fmt.Sprintf("chaos%d-%d", rng.Int(), i), "firstname": "Chaos"})
		}
		if err == nil {
			done++
		}
	}
	return done
}

// Completed and failed runs of DirectoryEvents for the corpus: one for an
// integration that is not recorded (it ends once polling says so) and one
// refused for its input.
func TestEventsRunsForCorpusE2E(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 10})
	ctx := ctxT(t, 2*time.Minute)
	start := func(id string, req api.EventsRequest) client.WorkflowRun {
		req.IntegrationID = id
		run, err := h.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: api.EventsWorkflowID(id), TaskQueue: h.queue,
			WorkflowExecutionTimeout: time.Minute}, api.EventsWorkflow, req)
		require.NoError(t, err)
		return run
	}
	done := start("e2e-events-gone", api.EventsRequest{PollInterval: time.Second})
	var st api.EventsStatus
	require.NoError(t, done.Get(ctx, &st))
	assert.Contains(t, st.LastError, "not found")
	h.record("events-completed", done.GetID(), done.GetRunID())

	failed := start("e2e-events-bad", api.EventsRequest{PollInterval: time.Millisecond})
	err := failed.Get(ctx, nil)
	require.Error(t, err)
	h.record("events-failed", failed.GetID(), failed.GetRunID())
}

// A bulk change in OneLogin: the events name far more users than Burst,
// so instead of one read per user the events workflow asks for an
// incremental sync, which brings them all in pages.
func TestEventsBurstE2E(t *testing.T) {
	t.Parallel()
	const users = 2000
	h := newHarness(t, olsim.Options{Users: users})
	ctx := ctxT(t, 10*time.Minute)
	const id = "e2e-events-burst"
	h.connectForEvents(ctx, id)
	runs := h.syncRuns(ctx, id)
	h.replaceEvents(ctx, id, "", api.EventsRequest{PollInterval: 2 * time.Second, Burst: 500})
	h.sim.ResetCounters()
	for _, u := range h.sim.Users() {
		_, err := h.sim.UpdateUser(u.ID, olsim.Fields{"title": "Reorganised"})
		require.NoError(t, err)
	}
	took := waitFor(t, 5*time.Minute, "every user updated in the store", func() bool {
		for _, u := range h.sim.Users() {
			if got, ok := h.storedUser(ctx, id, u.ID); !ok || got.Title != "Reorganised" {
				return false
			}
		}
		return true
	})
	calls, reads := h.apiCalls(), h.sim.RequestCount("GET /api/2/users/:id")
	t.Logf("burst of %d user changes: store current after %s, %d API calls (%d reads by id), %d sync runs",
		users, took, calls, reads, h.syncRuns(ctx, id)-runs)
	assert.Greater(t, h.syncRuns(ctx, id), runs, "an incremental sync ran")
	assert.Less(t, calls, users/4, "pages, not one read per user")
	st, err := h.ops.EventsStatus(ctx, id)
	require.NoError(t, err)
	assert.Positive(t, st.Bursts)
}

// The olflow webhook-server command, run in process as deployed (plain HTTP
// for the test), takes the simulator's deliveries to the events workflow;
// olflow status shows the events line.
func TestEventsWebhookServerCommandE2E(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 30})
	ctx := ctxT(t, 5*time.Minute)
	const id = "e2e-events-cmd"
	srvCtx, stop := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	logs := &syncBuffer{}
	go func() {
		vars := map[string]string{
			"OLFLOW_TEMPORAL_ADDRESS": devServer.FrontendHostPort(), "OLFLOW_TASK_QUEUE": h.queue,
			"OLFLOW_CODEC_KEYS": testCodecKeys, "OLFLOW_WEBHOOK_SECRETS": id + "=" + hookSecret,
		}
		exited <- cli.Main(srvCtx, []string{"webhook-server", "--addr", "127.0.0.1:0", "--insecure-http", "--log-format", "json"},
			cli.Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: logs, Getenv: func(k string) string { return vars[k] }})
	}()
	t.Cleanup(func() {
		stop()
		<-exited
	})
	addr := loggedAddr(t, logs, "webhook server listening", "addr")
	waitFor(t, 30*time.Second, "webhook server up", func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})

	require.NoError(t, h.sim.SetWebhook(olsim.Webhook{URL: "http://" + addr + webhook.PathPrefix + id, Secret: "onelogin:" + hookSecret, BasicAuth: true}))
	h.connectForEvents(ctx, id)
	c, d := h.changeAndDelete(ctx, id, 0, 30*time.Second)
	t.Logf("webhook-server command: change %s, delete %s", c, d)
	assert.Zero(t, h.sim.WebhookStats().FailedAttempts, "every delivery accepted")

	// A forged delivery is refused by the running server.
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+webhook.PathPrefix+id, strings.NewReader(`{"id":1,"user_id":1}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer forged-secret-0123456789")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	out := h.olflow("", map[string]string{"OLFLOW_STORE_DSN": h.storeDSN}, "status", "-i", id)
	require.Equal(t, 0, out.code, out.stderr)
	assert.Contains(t, out.stdout, "Events: cursor")
	assert.Contains(t, out.stdout, "webhook healthy")
}
