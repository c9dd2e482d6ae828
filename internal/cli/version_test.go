package cli

import (
	"encoding/json"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/internal/buildinfo"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/worker"
)

// linked sets what make's -ldflags -X would, for one test.
func linked(t *testing.T, version, buildID string) {
	oldV, oldB := buildinfo.Version, buildinfo.BuildID
	buildinfo.Version, buildinfo.BuildID = version, buildID
	t.Cleanup(func() { buildinfo.Version, buildinfo.BuildID = oldV, oldB })
}

func TestVersionPrintsTheLinkedBuild(t *testing.T) {
	linked(t, "v0.2.0", "v0.2.0+abc1234")
	code, out, errOut := run(t, nil, "version")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "olflow v0.2.0\n")
	assert.Contains(t, out, "build ID: v0.2.0+abc1234\n")

	code, out, errOut = run(t, nil, "version", "--json")
	require.Equal(t, 0, code, errOut)
	var info buildinfo.Info
	require.NoError(t, json.Unmarshal([]byte(out), &info), out)
	assert.Equal(t, "v0.2.0", info.Version)
	assert.Equal(t, "v0.2.0+abc1234", info.BuildID)
	assert.NotEmpty(t, info.GoVersion)
}

func TestVersionWithoutLinkedValues(t *testing.T) {
	linked(t, "", "")
	code, out, _ := run(t, nil, "version")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "olflow dev\n")
	assert.Contains(t, out, "build ID: "+buildinfo.Get().BuildID+"\n")
}

func workerSettings(t *testing.T, env map[string]string, args ...string) worker.Deployment {
	t.Helper()
	a := &app{Env: Env{Getenv: func(k string) string { return env[k] }}}
	a.l = &loader{getenv: a.Getenv}
	var cfg worker.Config
	cmd := &cobra.Command{}
	a.workerFlags(cmd, &cfg)
	require.NoError(t, cmd.ParseFlags(args))
	return cfg.Deployment
}

func TestWorkerDeploymentSettings(t *testing.T) {
	assert.Equal(t, worker.Deployment{}, workerSettings(t, nil), "unversioned unless a deployment is named")
	env := map[string]string{"OLFLOW_DEPLOYMENT_NAME": "olflow", "OLFLOW_BUILD_ID": "v0.2.0+abc1234"}
	assert.Equal(t, worker.Deployment{Name: "olflow", BuildID: "v0.2.0+abc1234"}, workerSettings(t, env))
	assert.Equal(t, worker.Deployment{Name: "blue", BuildID: "hotfix-1"},
		workerSettings(t, env, "--deployment-name", "blue", "--build-id", "hotfix-1"), "flags beat variables")
}

func TestWorkerRefusesABuildIDWithoutADeployment(t *testing.T) {
	key := func() string {
		k, err := seal.GenerateKey()
		require.NoError(t, err)
		return "k1:" + k
	}
	code, _, errOut := run(t, map[string]string{"OLFLOW_SEAL_KEYS": key(), "OLFLOW_CODEC_KEYS": key(),
		"OLFLOW_BUILD_ID": "v0.2.0+abc1234"}, "worker")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "OLFLOW_DEPLOYMENT_NAME")
}
