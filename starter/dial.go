package starter

import (
	"context"
	"errors"

	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/temporalclient"
)

// Config is how a program reaches olflow's workflows.
type Config struct {
	// Temporal is the connection, codec keys included: the starter must
	// encrypt what it sends the way the workers decrypt it.
	Temporal temporalclient.Options
	// SealKeys seal client secrets for connect (the workers' keys).
	SealKeys *seal.Keyring
	// TaskQueue defaults to api.TaskQueue.
	TaskQueue string
}

// Dial connects to Temporal and returns a Starter that owns the client;
// Close it when done.
func Dial(ctx context.Context, cfg Config) (*Starter, error) {
	c, err := temporalclient.Dial(ctx, cfg.Temporal)
	if err != nil {
		return nil, err
	}
	return &Starter{Client: c, Keys: cfg.SealKeys, TaskQueue: cfg.TaskQueue, DataConverter: cfg.Temporal.DataConverter()}, nil
}

// Close closes the Temporal client.
func (s *Starter) Close() {
	if s.Client != nil {
		s.Client.Close()
	}
}

// errNoSealKeys is returned by connect without sealing keys.
var errNoSealKeys = errors.New("olflow: sealing keys are required to connect (OLFLOW_SEAL_KEYS)")
