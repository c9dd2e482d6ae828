// Package ops is olflow's operator and on-call API: integration status,
// the periodic sync's schedule, live sync progress, run listing and
// replay. The CLI and on-call tools use it; the product backend needs only
// package starter. Unlike starter, it may read the directory store.
package ops

import (
	"context"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/temporalclient"
)

// Ops reads and steers what olflow's workflows do.
type Ops struct {
	Client client.Client
	// DataConverter decodes heartbeat details and replayed histories; it
	// must match the client's (default: Temporal's default converter).
	DataConverter converter.DataConverter
	// Store, when set, adds the integration's record and its sync runs to
	// Status.
	Store directory.Store
}

// Config is how an operator's program reaches olflow.
type Config struct {
	Temporal temporalclient.Options
	Store    directory.Store
}

// Dial connects to Temporal and returns Ops that own the client; Close
// them when done.
func Dial(ctx context.Context, cfg Config) (*Ops, error) {
	c, err := temporalclient.Dial(ctx, cfg.Temporal)
	if err != nil {
		return nil, err
	}
	return &Ops{Client: c, DataConverter: cfg.Temporal.DataConverter(), Store: cfg.Store}, nil
}

// Close closes the Temporal client.
func (o *Ops) Close() {
	if o.Client != nil {
		o.Client.Close()
	}
}
