package worker

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/internal/buildinfo"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/workflows"
)

func TestWorkerOptionsCarryTheDeploymentWhenConfigured(t *testing.T) {
	cfg := Config{MaxConcurrentActivities: 7,
		Deployment: Deployment{Name: "olflow", BuildID: "v0.2.0+abc1234"}}.withDefaults()
	opts := cfg.workerOptions(nil, nil)
	assert.Equal(t, sdkworker.DeploymentOptions{UseVersioning: true,
		Version: sdkworker.WorkerDeploymentVersion{DeploymentName: "olflow", BuildID: "v0.2.0+abc1234"}},
		opts.DeploymentOptions)
	assert.Equal(t, workflow.VersioningBehaviorUnspecified, opts.DeploymentOptions.DefaultVersioningBehavior,
		"each workflow declares its own behaviour in workflows.Register")
	assert.Equal(t, 7, opts.MaxConcurrentActivityExecutionSize, "the other options are kept")
}

func TestWorkerOptionsDefaultTheBuildIDToThisBinarys(t *testing.T) {
	cfg := Config{Deployment: Deployment{Name: "olflow"}}.withDefaults()
	opts := cfg.workerOptions(nil, nil)
	assert.True(t, opts.DeploymentOptions.UseVersioning)
	assert.Equal(t, buildinfo.Get().BuildID, opts.DeploymentOptions.Version.BuildID)
	assert.NotEmpty(t, opts.DeploymentOptions.Version.BuildID)
	assert.Equal(t, buildinfo.Get().BuildID, cfg.Deployment.BuildID, "the log line shows the same build ID")
}

func TestWorkerOptionsAreUnversionedWithoutADeploymentName(t *testing.T) {
	cfg := Config{}.withDefaults()
	opts := cfg.workerOptions(nil, nil)
	assert.Equal(t, sdkworker.DeploymentOptions{}, opts.DeploymentOptions)
	assert.Empty(t, cfg.Deployment.BuildID, "no build ID is claimed for an unversioned worker")
}

func TestABuildIDNeedsADeploymentName(t *testing.T) {
	err := Deployment{BuildID: "v0.2.0+abc1234"}.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "OLFLOW_DEPLOYMENT_NAME")
	assert.NoError(t, Deployment{Name: "olflow", BuildID: "b"}.Validate())
	assert.NoError(t, Deployment{}.Validate())
	assert.ErrorContains(t, Config{Deployment: Deployment{BuildID: "b"}}.Validate(), "OLFLOW_DEPLOYMENT_NAME")
}

func TestADeploymentNeedsABuildIDThatTellsBuildsApart(t *testing.T) {
	old := buildinfo.BuildID
	t.Cleanup(func() { buildinfo.BuildID = old })
	buildinfo.BuildID = "" // and go test stamps no VCS revision
	assert.ErrorContains(t, Deployment{Name: "olflow"}.Validate(), "OLFLOW_BUILD_ID")
	assert.ErrorContains(t, Deployment{Name: "olflow", BuildID: buildinfo.Unknown}.Validate(), "OLFLOW_BUILD_ID")
	assert.NoError(t, Deployment{Name: "olflow", BuildID: "v0.2.0+abc1234"}.Validate())
	buildinfo.BuildID = "v0.2.0+abc1234" // as make links it
	assert.NoError(t, Deployment{Name: "olflow"}.Validate())
}

// behaviorRegistry records what workflows.Register asks for.
type behaviorRegistry struct {
	got map[string]workflow.VersioningBehavior
}

func (r *behaviorRegistry) RegisterWorkflow(any) { panic("register every workflow under its name") }
func (r *behaviorRegistry) RegisterWorkflowWithOptions(_ any, o workflow.RegisterOptions) {
	r.got[o.Name] = o.VersioningBehavior
}
func (r *behaviorRegistry) RegisterDynamicWorkflow(any, workflow.DynamicRegisterOptions) {
	panic("no dynamic workflows")
}

func TestShortWorkflowsArePinnedAndSyncAutoUpgrades(t *testing.T) {
	r := &behaviorRegistry{got: map[string]workflow.VersioningBehavior{}}
	workflows.Register(r)
	require.Len(t, r.got, len(workflows.Types()))
	for name, b := range r.got {
		want := workflow.VersioningBehaviorPinned
		if name == api.SyncWorkflow || name == api.EventsWorkflow {
			want = workflow.VersioningBehaviorAutoUpgrade
		}
		assert.Equal(t, want, b, name)
	}
}

func testDeps(t *testing.T) Deps {
	t.Helper()
	store, err := directory.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "olflow.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	k, err := seal.GenerateKey()
	require.NoError(t, err)
	keys, err := seal.ParseKeyring("k1:" + k)
	require.NoError(t, err)
	return Deps{Store: store, Keys: keys}
}

// The SDK refuses, on a versioned worker, a workflow without a behaviour
// (there is no default): New registering everything proves each has one.
func TestAVersionedWorkerRegistersEveryWorkflow(t *testing.T) {
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	defer c.Close()
	opts := sdkworker.Options{DeploymentOptions: Deployment{Name: "olflow", BuildID: "b1"}.Options()}
	assert.NotPanics(t, func() {
		_, err = New(c, "q", testDeps(t), opts)
	})
	require.NoError(t, err)

	bare := sdkworker.New(c, "q", opts)
	assert.Panics(t, func() {
		bare.RegisterWorkflowWithOptions(workflows.SyncDirectory, workflow.RegisterOptions{Name: "NoBehaviour"})
	}, "the check above would catch a workflow without a behaviour")
}
