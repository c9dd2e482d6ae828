package testsuite

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/ops"
	"github.com/olflow/olflow/worker"
)

// A rollout with Worker Versioning: builds A and B of one deployment poll
// the same task queue. A run started while A is current stays on A after B
// becomes current if it is pinned (an action), moves to B if it
// auto-upgrades (a sync), and new runs go to B. Before the switch, replay
// checks A's runs against this build.

// gate holds build A's OneLogin calls while armed, so that A's runs are
// provably in flight when B becomes current.
type gate struct {
	armed   atomic.Bool
	release chan struct{}
	next    http.RoundTripper
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	if g.armed.Load() {
		select {
		case <-g.release:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return g.next.RoundTrip(r)
}

// runVersion is what the server says of a run: its versioning behaviour
// and the build it is on.
func (h *harness) runVersion(workflowID, runID string) (enumspb.VersioningBehavior, string) {
	h.t.Helper()
	d, err := h.client.DescribeWorkflow(context.Background(), workflowID, runID)
	require.NoError(h.t, err)
	vi := d.RawResponse.GetWorkflowExecutionInfo().GetVersioningInfo()
	return vi.GetBehavior(), vi.GetDeploymentVersion().GetBuildId()
}

// taskBuilds lists, in order, the build that completed each workflow task
// of a run: the history's own record of where its code ran.
func (h *harness) taskBuilds(workflowID, runID string) []string {
	h.t.Helper()
	var builds []string
	for _, ev := range h.history(workflowID, runID).GetEvents() {
		if a := ev.GetWorkflowTaskCompletedEventAttributes(); a != nil {
			builds = append(builds, a.GetDeploymentVersion().GetBuildId())
		}
	}
	return builds
}

// startedOn waits until a run has an activity running on a worker.
func (h *harness) startedOn(run startedRun) {
	h.t.Helper()
	require.Eventually(h.t, func() bool {
		d, err := h.client.DescribeWorkflow(context.Background(), run.GetID(), run.GetRunID())
		if err != nil {
			return false
		}
		for _, a := range d.RawResponse.GetPendingActivities() {
			if a.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED {
				return true
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond, "%s never started an activity", run.GetID())
}

// temporalCmd runs the temporal CLI against the shared dev server, as the
// runbook prints it.
func temporalCmd(args ...string) (string, error) {
	out, err := exec.Command(temporalCLI(), append(args, "--address", devServer.FrontendHostPort())...).CombinedOutput()
	return string(out), err
}

func TestRolloutKeepsPinnedRunsOnTheirBuild(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 40, Groups: 3, Roles: 3, Apps: 2})
	h.worker.Stop()       // every worker of this test is versioned
	deployment := h.queue // a deployment per test: the dev server is shared
	const buildA, buildB = "v0.1.0+aaaaaaa", "v0.2.0+bbbbbbb"
	ctx := ctxT(t, 3*time.Minute)

	// Build A, through worker.New with its calls to OneLogin gated.
	g := &gate{release: make(chan struct{}), next: http.DefaultTransport}
	depsA := h.deps
	depsA.OneLogin.HTTPClient = &http.Client{Transport: g}
	wa, err := worker.New(h.client, h.queue, depsA, sdkworker.Options{
		DeploymentOptions: worker.Deployment{Name: deployment, BuildID: buildA}.Options()})
	require.NoError(t, err)
	require.NoError(t, wa.Start())
	t.Cleanup(wa.Stop)
	// The deployment exists once A has polled.
	handle := h.client.WorkerDeploymentClient().GetHandle(deployment)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		_, err := handle.SetCurrentVersion(ctx, client.WorkerDeploymentSetCurrentVersionOptions{BuildID: buildA})
		assert.NoError(c, err)
	}, 30*time.Second, 200*time.Millisecond, "make A current")

	id := "v-" + h.queue // IDs too: -count=N reruns on the same server
	_, err = h.starter.Connect(ctx, h.connectInput(id))
	require.NoError(t, err)
	connectRun := h.client.GetWorkflow(ctx, api.ConnectWorkflowID(id), "")
	behavior, build := h.runVersion(connectRun.GetID(), "")
	assert.Equal(t, enumspb.VERSIONING_BEHAVIOR_PINNED, behavior, "connect is pinned")
	assert.Equal(t, buildA, build)
	behavior, _ = h.runVersion(api.InitialSyncWorkflowID(id), "")
	assert.Equal(t, enumspb.VERSIONING_BEHAVIOR_AUTO_UPGRADE, behavior, "a sync auto-upgrades")

	// An action (pinned) and a sync (auto-upgrade) in flight on A.
	users := h.sim.Users()
	g.armed.Store(true)
	action1, err := h.starter.StartAction(ctx, api.SuspendUsersWorkflow,
		&api.ActionRequest{IntegrationID: id, RequestID: "on-a", RequestedBy: "e2e", Users: []api.UserRef{{ID: users[0].ID}}})
	require.NoError(t, err)
	sync1, err := h.starter.StartSync(ctx, api.SyncRequest{IntegrationID: id, Mode: api.ModeFull})
	require.NoError(t, err)
	h.startedOn(action1)
	h.startedOn(sync1)

	// Before the rollout: every run on A replays against this build.
	r := h.olflow("", nil, "--json", "replay", "-q", fmt.Sprintf("TemporalWorkerDeploymentVersion = '%s:%s'", deployment, buildA))
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	var replays []ops.ReplayResult
	r.decode(t, &replays)
	var replayed []string
	for _, rr := range replays {
		assert.True(t, rr.OK, "%+v", rr)
		replayed = append(replayed, rr.WorkflowID)
	}
	assert.Contains(t, replayed, action1.GetID(), "the query finds runs in flight on A")
	assert.Contains(t, replayed, connectRun.GetID())

	// Build B, through `olflow worker`, made current with the temporal CLI.
	wb := startWorkerCommand(t, map[string]string{
		"OLFLOW_TEMPORAL_ADDRESS":  devServer.FrontendHostPort(),
		"OLFLOW_TASK_QUEUE":        h.queue,
		"OLFLOW_CODEC_KEYS":        testCodecKeys,
		"OLFLOW_SEAL_KEYS":         h.sealKeys,
		"OLFLOW_STORE_DSN":         h.storeDSN,
		"OLFLOW_ONELOGIN_BASE_URL": h.srv.URL + "/t/{subdomain}",
		"OLFLOW_DEPLOYMENT_NAME":   deployment,
		"OLFLOW_BUILD_ID":          buildB,
	})
	assert.Contains(t, wb.logs.String(), `"build_id":"`+buildB+`"`, "the worker logs the build it declares")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		out, err := temporalCmd("worker", "deployment", "set-current-version",
			"--deployment-name", deployment, "--build-id", buildB, "--yes")
		assert.NoError(c, err, out)
	}, 30*time.Second, 500*time.Millisecond, "make B current")

	// New runs go to B, while A's are still held.
	action2, err := h.starter.StartAction(ctx, api.SuspendUsersWorkflow,
		&api.ActionRequest{IntegrationID: id, RequestID: "on-b", RequestedBy: "e2e", Users: []api.UserRef{{ID: users[1].ID}}})
	require.NoError(t, err)
	res2, err := action2.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, res2.Changed+res2.AlreadyDone, "%+v", res2)
	behavior, build = h.runVersion(action2.GetID(), action2.GetRunID())
	assert.Equal(t, enumspb.VERSIONING_BEHAVIOR_PINNED, behavior)
	assert.Equal(t, buildB, build)
	assert.Equal(t, []string{buildB}, slices.Compact(h.taskBuilds(action2.GetID(), action2.GetRunID())))

	// A's runs go on once OneLogin answers A again: the action finishes on
	// A, the sync on B.
	g.armed.Store(false)
	close(g.release)
	res1, err := action1.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, res1.Changed+res1.AlreadyDone, "%+v", res1)
	_, build = h.runVersion(action1.GetID(), action1.GetRunID())
	assert.Equal(t, buildA, build, "the pinned run stays on A")
	assert.Equal(t, []string{buildA}, slices.Compact(h.taskBuilds(action1.GetID(), action1.GetRunID())),
		"every workflow task of the pinned run ran on A")
	sync, err := sync1.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, 40, sync.Users().Items)
	_, build = h.runVersion(sync1.GetID(), sync1.GetRunID())
	assert.Equal(t, buildB, build, "the auto-upgrade run moved to B")
	assert.Equal(t, []string{buildA, buildB}, slices.Compact(h.taskBuilds(sync1.GetID(), sync1.GetRunID())),
		"the sync's first tasks ran on A, the rest on B")

	// Drained: no pinned run is left on A (auto-upgrade runs, the events
	// workflow waiting on its timer, move at their next task).
	out, err := temporalCmd("workflow", "count", "--query",
		fmt.Sprintf("TemporalWorkerDeploymentVersion = '%s:%s' AND TemporalWorkflowVersioningBehavior = 'Pinned' AND ExecutionStatus = 'Running'", deployment, buildA))
	require.NoError(t, err, out)
	assert.Contains(t, out, "Total: 0", out)
}
