// Package worker builds olflow's Temporal worker: every workflow and
// activity registered on the olflow task queue, with the activities' real
// dependencies. Commands and tests use it alike.
package worker

import (
	"errors"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/workflows"
)

// Deps are what the activities need.
type Deps struct {
	Store directory.Store
	Keys  *seal.Keyring
	// OneLogin holds the settings shared by every tenant's client (BaseURL
	// for the simulator, HTTP client, timeout, user agent, OnCall).
	OneLogin onelogin.Config
	Sync     activities.Config
	// DataConverter is the client's; live progress decodes heartbeats with it.
	DataConverter converter.DataConverter
}

// Activities builds the activities struct for a Temporal client.
func (d Deps) Activities(c client.Client) (*activities.Activities, error) {
	if d.Store == nil || d.Keys == nil {
		return nil, errors.New("worker: a store and sealing keys are required")
	}
	return &activities.Activities{
		Store:     d.Store,
		Clients:   &activities.Clients{Template: d.OneLogin, Keys: d.Keys},
		Schedules: c.ScheduleClient(),
		Workflows: c, DataConverter: d.DataConverter,
		Config: d.Sync,
	}, nil
}

// New returns a worker for taskQueue (api.TaskQueue when empty) with
// everything registered. Start it with Run or Start.
func New(c client.Client, taskQueue string, deps Deps, opts sdkworker.Options) (sdkworker.Worker, error) {
	acts, err := deps.Activities(c)
	if err != nil {
		return nil, err
	}
	if taskQueue == "" {
		taskQueue = api.TaskQueue
	}
	w := sdkworker.New(c, taskQueue, opts)
	workflows.Register(w)
	w.RegisterActivity(acts)
	return w, nil
}
