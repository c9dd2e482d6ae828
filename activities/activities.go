// Package activities holds olflow's Temporal activities: methods on one
// struct that carries the dependencies (OneLogin client cache, directory
// store, Temporal schedule client, clock). Every failure leaves an activity
// as a *temporal.ApplicationError whose Type is an error code.
package activities

import (
	"context"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/olflow/olflow/directory"
)

// Config tunes sync behaviour. Zero fields take the defaults.
type Config struct {
	// UsersOverlap is subtracted from the watermark for incremental reads, so
	// a user updated while the last read ran is not missed (default 5m).
	UsersOverlap time.Duration
	// BudgetReserve is the share of the account's rate budget that syncs
	// leave to actions: below it they wait for the reset (default 0.10).
	BudgetReserve float64
	// FullReadParallelism is how many user pages a full read fetches at once
	// (default 4).
	FullReadParallelism int
	// FullSyncInterval turns an incremental request into a full one when the
	// last full sync is older (default 24h).
	FullSyncInterval time.Duration
	// MaxInlineBudgetWait is the longest a sync activity sleeps for the
	// budget itself; longer waits become a retry with that delay, so no
	// activity sits idle for an hour (default 1m).
	MaxInlineBudgetWait time.Duration
}

// Defaults for Config.
const (
	DefaultUsersOverlap        = 5 * time.Minute
	DefaultBudgetReserve       = 0.10
	DefaultFullReadParallelism = 4
	DefaultFullSyncInterval    = 24 * time.Hour
	DefaultMaxInlineBudgetWait = time.Minute
)

func (c Config) withDefaults() Config {
	if c.UsersOverlap <= 0 {
		c.UsersOverlap = DefaultUsersOverlap
	}
	if c.BudgetReserve <= 0 || c.BudgetReserve >= 1 {
		c.BudgetReserve = DefaultBudgetReserve
	}
	if c.FullReadParallelism <= 0 {
		c.FullReadParallelism = DefaultFullReadParallelism
	}
	if c.FullSyncInterval <= 0 {
		c.FullSyncInterval = DefaultFullSyncInterval
	}
	if c.MaxInlineBudgetWait <= 0 {
		c.MaxInlineBudgetWait = DefaultMaxInlineBudgetWait
	}
	return c
}

// Activities is registered once with the worker; workflows call its methods
// through a nil *Activities.
type Activities struct {
	Store     directory.Store
	Clients   *Clients
	Schedules client.ScheduleClient
	// Workflows tells whether a sync run's workflow still runs, cancels an
	// integration's runs on disconnect, and lets LiveSyncProgress read a
	// running sync's heartbeats (nil: none of these is done).
	Workflows     WorkflowClient
	DataConverter converter.DataConverter
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Config Config
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Activities) config() Config { return a.Config.withDefaults() }

// WorkflowClient is the part of the Temporal client activities use.
type WorkflowClient interface {
	WorkflowReader
	DescribeWorkflowExecution(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error)
	ListWorkflow(ctx context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error)
	CancelWorkflow(ctx context.Context, workflowID, runID string) error
}
