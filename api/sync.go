package api

import "time"

// Sync modes.
const (
	ModeFull        = "full"
	ModeIncremental = "incremental"
)

// SyncRequest starts SyncDirectory.
type SyncRequest struct {
	IntegrationID string
	// Mode is "incremental" (the default) or "full". An incremental request
	// runs full when the last full sync is older than the worker's interval.
	Mode string
}

// KindStatus is one kind's part of a sync.
type KindStatus struct {
	// State is pending, running, done or failed.
	State   string
	Pages   int
	Items   int
	Created int
	Updated int
	Deleted int64
	Calls   int64
	// Error says why a failed kind was not read, without Temporal's
	// wrapping; Code is its error code.
	Error string `json:",omitempty"`
	Code  string `json:",omitempty"`
}

// The kinds a sync reads: the keys of SyncResult.Kinds and
// SyncProgress.Kinds.
const (
	KindUsers  = "users"
	KindGroups = "groups"
	KindRoles  = "roles"
	KindApps   = "apps"
)

// Kind states.
const (
	KindPending = "pending"
	KindRunning = "running"
	KindDone    = "done"
	KindFailed  = "failed"
)

// SyncProgress answers the progress query. Per-page counts of a kind still
// running are in its activity's heartbeat details (KindProgress): every
// workflow-visible update would be a history event.
type SyncProgress struct {
	IntegrationID string
	// Phase is starting, reading, reconciling, done, partial or failed.
	Phase     string
	RunID     int64
	Mode      string
	Upgraded  string `json:",omitempty"`
	StartedAt time.Time
	Kinds     map[string]*KindStatus
	Calls     int64
	// BudgetRemaining and BudgetLimit are the account's rate budget as last
	// seen (zero when OneLogin sent none).
	BudgetRemaining int
	BudgetLimit     int
}

// Sync phases.
const (
	PhaseStarting    = "starting"
	PhaseReading     = "reading"
	PhaseReconciling = "reconciling"
	PhaseDone        = "done"
	PhaseFailed      = "failed"
	// PhasePartial: some kinds were read, others failed (the run's
	// OneLoginSyncStatus is partial too).
	PhasePartial = "partial"
)

// SyncResult is what SyncDirectory returns.
type SyncResult struct {
	IntegrationID string
	RunID         int64
	Mode          string
	Upgraded      string `json:",omitempty"`
	Status        string
	Kinds         map[string]*KindStatus
	Calls         int64
	// KeptAfterConfirm counts users missing from the full read that OneLogin
	// still had, so they were kept.
	KeptAfterConfirm int
	// Duration is in nanoseconds in JSON (kept for existing readers);
	// DurationSeconds is the same for people and other languages.
	Duration        time.Duration
	DurationSeconds float64 `json:",omitempty"`
	// SkippedFor names the running sync this one gave way to (Status
	// skipped).
	SkippedFor string `json:",omitempty"`
}

// Users is the users kind's status (a convenience for callers).
func (r SyncResult) Users() KindStatus { return r.Kind(KindUsers) }

// Kind is one kind's status (zero when the run did not read it).
func (r SyncResult) Kind(kind string) KindStatus {
	if s, ok := r.Kinds[kind]; ok && s != nil {
		return *s
	}
	return KindStatus{}
}
