package worker

import (
	"errors"

	sdkworker "go.temporal.io/sdk/worker"

	"github.com/olflow/olflow/internal/buildinfo"
)

// Deployment places a worker in a Temporal Worker Deployment: a name shared
// by every build of olflow on the task queue, and the build ID of this one.
// With a name, Worker Versioning is on: the server sends a run's workflow
// tasks only to the build it is pinned to (ConnectIntegration, Disconnect,
// actions) or to the deployment's current build (SyncDirectory, which
// auto-upgrades), and new runs go to the current build, which an operator
// sets (RUNBOOK.md, "Rolling out a new build"). Without a name the worker is
// unversioned and takes any task on the queue.
type Deployment struct {
	// Name is the Worker Deployment; "" turns versioning off.
	Name string
	// BuildID tells this build apart (default: the one linked into the
	// binary, `olflow version`). Two builds whose workflow code differs
	// must never share one.
	BuildID string
}

// Versioned reports whether Worker Versioning is on.
func (d Deployment) Versioned() bool { return d.Name != "" }

func (d Deployment) withDefaults() Deployment {
	if d.Versioned() && d.BuildID == "" {
		d.BuildID = buildinfo.Get().BuildID
	}
	return d
}

// Validate refuses a build ID without a deployment (the server would not
// route by it, and an operator would believe it does), and a deployment
// whose build ID tells no two builds apart.
func (d Deployment) Validate() error {
	if d.Name == "" && d.BuildID != "" {
		return errors.New("a build ID is only used with a deployment name (OLFLOW_DEPLOYMENT_NAME)")
	}
	if d.Versioned() && d.withDefaults().BuildID == buildinfo.Unknown {
		return errors.New("worker versioning needs a build ID: build with make (it links VERSION+git sha) or set OLFLOW_BUILD_ID")
	}
	return nil
}

// Options are the SDK's deployment options for this worker. Each workflow
// declares its versioning behaviour when workflows.Register registers it,
// so there is no default: a new workflow type without one fails the
// worker's start rather than guessing.
func (d Deployment) Options() sdkworker.DeploymentOptions {
	if !d.Versioned() {
		return sdkworker.DeploymentOptions{}
	}
	d = d.withDefaults()
	return sdkworker.DeploymentOptions{
		UseVersioning: true,
		Version:       sdkworker.WorkerDeploymentVersion{DeploymentName: d.Name, BuildID: d.BuildID},
	}
}
