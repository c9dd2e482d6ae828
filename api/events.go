package api

import (
	"slices"
	"time"
)

// EventsWorkflow is the per-integration workflow that applies OneLogin
// events (polled, and pushed by webhooks) between scheduled syncs.
const EventsWorkflow = "DirectoryEvents"

// EventsSignal is the signal a webhook delivery sends to the events
// workflow; its argument is an EventsDelivery.
const EventsSignal = "events"

// EventsStatusQuery returns an EventsStatus from the events workflow.
const EventsStatusQuery = "events_status"

// EventsWorkflowID is the ID of an integration's events workflow: one per
// integration, started by connect (and by a webhook delivery, with
// signal-with-start), stopped by disconnect.
func EventsWorkflowID(integration string) string { return "onelogin-events/" + integration }

// RefEvents is the kind of an events workflow ID.
const RefEvents = "events"

// Defaults of the events workflow.
const (
	DefaultEventsPollInterval = 60 * time.Second
	DefaultEventsDebounce     = 2 * time.Second
	// DefaultEventsBurst is how many distinct objects one poll or delivery
	// may name before re-reading each costs more than an incremental sync.
	DefaultEventsBurst = 500
)

// EventsRequest starts an events workflow. Zero fields take the defaults;
// the State fields are what a continue-as-new carries over.
type EventsRequest struct {
	IntegrationID string
	// PollInterval is how often /api/1/events is polled (default 60s).
	PollInterval time.Duration `json:",omitempty"`
	// SlowPollInterval is the interval while webhooks are healthy (default
	// five times PollInterval).
	SlowPollInterval time.Duration `json:",omitempty"`
	// Debounce is how long deliveries are gathered before they are applied
	// (default 2s).
	Debounce time.Duration `json:",omitempty"`
	// Burst is the number of distinct objects above which a poll asks for an
	// incremental sync instead of reading each (default 500).
	Burst int `json:",omitempty"`
	// MaxPolls is how many polls a run makes before it continues as new
	// (default 100).
	MaxPolls int `json:",omitempty"`

	State EventsState
}

// EventsCursor is where polling resumes: events created at or after Since,
// except the ones at exactly Since already applied (their ids in SeenAtSince).
type EventsCursor struct {
	Since       time.Time
	SeenAtSince []int64 `json:",omitempty"`
}

// EventsState is what the events workflow keeps across continue-as-new.
type EventsState struct {
	Cursor EventsCursor
	// LastPoll is when the last successful poll finished.
	LastPoll time.Time
	// LastEventAt is the created_at of the newest event applied.
	LastEventAt time.Time
	// Lag is how old the newest event was when it was applied.
	Lag time.Duration
	// LastDelivery is when the last webhook delivery arrived.
	LastDelivery time.Time
	// MissedByWebhook counts events the last poll found that no delivery
	// had brought; zero with recent deliveries means webhooks are healthy.
	MissedByWebhook int
	// Totals since the workflow first started.
	Polls, Deliveries, Applied, Deleted, Reads, Calls, Bursts int64
	// EventTypes are the account's event types, for display only.
	EventTypes map[int64]string `json:",omitempty"`
	// Pending are objects named by deliveries not applied yet, and
	// PendingSince the created_at of the oldest event naming them.
	Pending      EventObjects
	PendingSince time.Time
	// Known are event ids recent deliveries brought, so the next polls do
	// not read their objects again.
	Known []int64 `json:",omitempty"`
	// LastError is the last poll's or apply's failure, "" after a success.
	LastError string `json:",omitempty"`
}

// EventObjects are the objects some events name, each id once.
type EventObjects struct {
	Users  []int64 `json:",omitempty"`
	Groups []int64 `json:",omitempty"`
	Roles  []int64 `json:",omitempty"`
}

// Len counts the objects.
func (o EventObjects) Len() int { return len(o.Users) + len(o.Groups) + len(o.Roles) }

// Add records the objects one event names (0 names none) and reports
// whether any was not there yet. Each id is kept once, in first-seen order.
func (o *EventObjects) Add(user, group, role int64) bool {
	added := false
	for _, it := range []struct {
		id   int64
		dest *[]int64
	}{{user, &o.Users}, {group, &o.Groups}, {role, &o.Roles}} {
		if it.id != 0 && !slices.Contains(*it.dest, it.id) {
			*it.dest = append(*it.dest, it.id)
			added = true
		}
	}
	return added
}

// EventRef is what the events workflow needs of one event.
type EventRef struct {
	ID        int64
	CreatedAt time.Time
	UserID    int64 `json:",omitempty"`
	GroupID   int64 `json:",omitempty"`
	RoleID    int64 `json:",omitempty"`
}

// EventsDelivery is one webhook delivery, as signalled.
type EventsDelivery struct {
	Events     []EventRef
	ReceivedAt time.Time
}

// EventsStatus is what the status query answers.
type EventsStatus struct {
	IntegrationID string
	EventsState
	PollInterval   time.Duration
	WebhookHealthy bool
	// Webhook is "healthy", "missing events", "silent" or "never".
	Webhook string
}
