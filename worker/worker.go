// Package worker builds olflow's Temporal worker: every workflow and
// activity registered on the olflow task queue, with the activities' real
// dependencies. Commands and tests use it alike.
package worker

import (
	"errors"
	"sync"

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

// Worker polls olflow's two task queues: taskQueue for syncs, connects and
// disconnects, and api.ActionTaskQueue(taskQueue) for actions, each with
// its own slots. Both register everything, so a run started on either
// queue (actions before v0.2.0 ran on the first) finds its code.
type Worker struct {
	queues []sdkworker.Worker
}

// New returns a worker for taskQueue (api.TaskQueue when empty) and its
// action queue, with everything registered. Start it with Start.
func New(c client.Client, taskQueue string, deps Deps, opts sdkworker.Options) (*Worker, error) {
	acts, err := deps.Activities(c)
	if err != nil {
		return nil, err
	}
	if taskQueue == "" {
		taskQueue = api.TaskQueue
	}
	w := &Worker{}
	for _, q := range []string{taskQueue, api.ActionTaskQueue(taskQueue)} {
		sw := sdkworker.New(c, q, opts)
		workflows.Register(sw)
		sw.RegisterActivity(acts)
		w.queues = append(w.queues, sw)
	}
	return w, nil
}

// Start starts polling both queues; on an error none is left running.
func (w *Worker) Start() error {
	for i, q := range w.queues {
		if err := q.Start(); err != nil {
			for _, started := range w.queues[:i] {
				started.Stop()
			}
			return err
		}
	}
	return nil
}

// Stop stops both queues' pollers and waits for running activities up to
// the options' WorkerStopTimeout, both queues at once.
func (w *Worker) Stop() {
	var wg sync.WaitGroup
	for _, q := range w.queues {
		wg.Go(q.Stop)
	}
	wg.Wait()
}
