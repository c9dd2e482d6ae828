// Package directory is where a customer's synced OneLogin directory lands and
// where integrations, sync runs, the action audit log and the per-user
// outcomes of bulk actions are recorded.
//
// One Store interface has two implementations sharing all of their logic:
// SQLite through the pure-Go modernc.org/sqlite (the embedded default) and
// PostgreSQL through pgx (pgxpool). Open picks one from a DSN and applies
// pending schema migrations; OpenWith can open without running any DDL, in
// which case Migrate is the separate, explicit step.
//
// The package keeps its own record types and imports neither Temporal nor the
// OneLogin client; mapping OneLogin's shapes to these records is the caller's
// job.
//
// Sync protocol. A sync run is started with StartSyncRun; for each kind the
// caller writes pages with UpsertUsers (and siblings), marks the kind's read
// complete with CompleteRead, and, for a full run, lists what the read did not
// see (Unseen), confirms those with OneLogin, upserts the ones that still
// exist with the same run, and removes the rest with Sweep. FinishSyncRun
// closes the run. Sweep refuses unless the run is full, the kind's read is
// complete and the run has not finished unsuccessfully, so an incremental or
// interrupted run can never delete.
package directory

import (
	"context"
	"errors"
	"fmt"
)

// Store is the directory store. Every method is safe for concurrent use and
// every read and write is scoped to one integration: nothing of one
// integration is visible through another's calls.
type Store interface {
	Integrations
	SyncRuns
	DirectoryWriter
	DirectoryReader
	AuditLog
	ActionOutcomes
	// Close releases the store's connections.
	Close() error
}

// Integrations records connected OneLogin accounts.
type Integrations interface {
	// PutIntegration creates the integration or replaces its configuration
	// (subdomain, region, client id, sealed secret, scope level, status and
	// message). Sync bookkeeping (last syncs, watermark) is kept.
	PutIntegration(ctx context.Context, in Integration) error
	GetIntegration(ctx context.Context, id string) (Integration, error)
	ListIntegrations(ctx context.Context) ([]Integration, error)
	SetIntegrationStatus(ctx context.Context, id string, status IntegrationStatus, message string) error
	// IntegrationStatus returns the integration with its latest and latest
	// successful sync runs and the size of its directory.
	IntegrationStatus(ctx context.Context, id string) (StatusSummary, error)
}

// SyncRuns records sync runs. Per-kind counts are kept by the store from the
// pages and sweeps it is given, so they are exact even when pages are retried.
type SyncRuns interface {
	// StartSyncRun opens a run and returns its id. A non-empty key (such as
	// the Temporal workflow run id) makes the call idempotent: starting again
	// with the same key returns the same run.
	StartSyncRun(ctx context.Context, integration string, mode SyncMode, key string) (int64, error)
	// CompleteRead records that the run has read every item of kind.
	CompleteRead(ctx context.Context, integration string, run int64, kind Kind) error
	// FinishSyncRun closes a running run. Finishing again with the same status
	// returns the run unchanged. See RunResult for what success updates.
	FinishSyncRun(ctx context.Context, integration string, run int64, res RunResult) (SyncRun, error)
	GetSyncRun(ctx context.Context, integration string, run int64) (SyncRun, error)
	// ListSyncRuns returns the newest runs first.
	ListSyncRuns(ctx context.Context, integration string, limit int) ([]SyncRun, error)
}

// DirectoryWriter writes synced records. Each call is one transaction.
//
// A call may carry any number of records, such as several OneLogin pages
// at once: the fixed cost of a transaction (a commit, and on PostgreSQL a
// flush to disk and four round trips) is then shared. Handing over 500 to
// 1,000 users per call writes a first sync about twice as fast as pages of
// 50, and a re-sync two to four times (BENCHMARKS.md). If one id occurs
// twice in a call, the last occurrence is written.
type DirectoryWriter interface {
	// UpsertUsers writes users seen by a running sync run (one page or
	// several). A user's role links are replaced from its RoleIDs in the
	// same transaction. Rows whose content is unchanged only get their
	// seen-by stamp updated. Retrying a call with the same run is harmless
	// and counts nothing twice.
	UpsertUsers(ctx context.Context, integration string, run int64, users []User) (PageResult, error)
	UpsertGroups(ctx context.Context, integration string, run int64, groups []Group) (PageResult, error)
	UpsertRoles(ctx context.Context, integration string, run int64, roles []Role) (PageResult, error)
	UpsertApps(ctx context.Context, integration string, run int64, apps []App) (PageResult, error)
	// PutUser writes one user outside any sync run, as an action does right
	// after changing OneLogin. A full sweep whose run started before the write
	// never deletes the user. It reports whether the stored content changed.
	PutUser(ctx context.Context, integration string, u User) (changed bool, err error)
	// PutGroup and PutRole write one group or role outside any sync run, as
	// the events workflow does after re-reading it; same rules as PutUser.
	PutGroup(ctx context.Context, integration string, g Group) (changed bool, err error)
	PutRole(ctx context.Context, integration string, r Role) (changed bool, err error)
	// DeleteUser soft-deletes one user outside any sync run, once OneLogin
	// has answered 404 for its id (the same confirm-by-id rule as a full
	// sync's sweep). It reports whether a live user was deleted: deleting a
	// missing or already deleted user is not an error. A later write of the
	// user (a sync that still saw it, or PutUser) revives it.
	DeleteUser(ctx context.Context, integration string, id int64) (deleted bool, err error)
	// Unseen lists the OneLogin ids of live rows of kind that Sweep would
	// delete now; the same preconditions as Sweep apply.
	Unseen(ctx context.Context, integration string, run int64, kind Kind) ([]int64, error)
	// Sweep soft-deletes the rows of kind that the run's completed full read
	// did not see and nothing else wrote since the run started, and returns
	// how many. It returns a *SweepRefusedError unless the run is full, its
	// read of kind is complete and it has not finished unsuccessfully.
	Sweep(ctx context.Context, integration string, run int64, kind Kind) (int64, error)
}

// DirectoryReader answers the product's questions. Reads never return
// soft-deleted rows; misses are ErrNotFound.
type DirectoryReader interface {
	GetUser(ctx context.Context, integration string, id int64) (User, error)
	// FindUserByEmail matches case-insensitively; with several matches the
	// lowest OneLogin id wins.
	FindUserByEmail(ctx context.Context, integration, email string) (User, error)
	FindUserByUsername(ctx context.Context, integration, username string) (User, error)
	UsersInGroup(ctx context.Context, integration string, group int64, page Page) ([]User, error)
	// UserGroups returns the user's group name followed by "Role: <name>" for
	// each of its roles, sorted by role name.
	UserGroups(ctx context.Context, integration string, user int64) ([]string, error)
	// Manager returns the user's manager; ErrNotFound if it has none.
	Manager(ctx context.Context, integration string, user int64) (User, error)
	DirectReports(ctx context.Context, integration string, user int64, page Page) ([]User, error)
	Groups(ctx context.Context, integration string) ([]Group, error)
	Roles(ctx context.Context, integration string) ([]Role, error)
	// Apps returns the app catalog: visible apps only, by name.
	Apps(ctx context.Context, integration string) ([]App, error)
}

// AuditLog records identity actions.
type AuditLog interface {
	// AppendAudit stores an entry and returns its id. An entry with a
	// non-empty RequestID is stored once per (integration, request id,
	// action): appending it again returns the first entry's id.
	AppendAudit(ctx context.Context, e AuditEntry) (int64, error)
	// ListAudit returns matching entries, newest first.
	ListAudit(ctx context.Context, integration string, f AuditFilter) ([]AuditEntry, error)
}

// ActionOutcomes keeps the per-user outcomes of bulk actions, so that a
// workflow over many users keeps only counts in its history and a rerun of
// the same request skips users already done. An audit entry links to its
// outcomes by (integration, request id).
type ActionOutcomes interface {
	// RecordOutcomes stores a batch in one transaction and returns how many
	// rows it wrote. A user's row is replaced only while its stored outcome
	// is not final (Outcome.Final), so retrying a batch writes nothing twice
	// and never undoes a change; within one batch the same rule applies in
	// order. A request id that already records another action for one of
	// the users is ErrInvalid.
	RecordOutcomes(ctx context.Context, b OutcomeBatch) (written int, err error)
	// FinalOutcomes returns, sorted, those of users whose outcome for the
	// request is final: the ones a rerun must not act on again.
	FinalOutcomes(ctx context.Context, integration, requestID string, users []int64) ([]int64, error)
	// CountOutcomes counts the request's users per outcome.
	CountOutcomes(ctx context.Context, integration, requestID string) (OutcomeCounts, error)
	// ListOutcomes returns a page of the request's outcomes by user id.
	ListOutcomes(ctx context.Context, integration, requestID string, f OutcomeFilter) ([]ActionOutcome, error)
	// PutActionTargets records the users a request resolved its targets
	// to, in order, and returns the size of the recorded set. The first set
	// recorded for a request stands: a later call returns its size and
	// writes nothing, so a retry or a rerun works the same users.
	PutActionTargets(ctx context.Context, integration, requestID string, users []int64) (int, error)
	// ActionTargets returns the recorded users at positions [offset,
	// offset+limit), in order.
	ActionTargets(ctx context.Context, integration, requestID string, offset, limit int) ([]int64, error)
}

var (
	// ErrNotFound reports a missing (or soft-deleted) record.
	ErrNotFound = errors.New("directory: not found")
	// ErrInvalid reports a rejected input; the message names the field.
	ErrInvalid = errors.New("directory: invalid input")
	// ErrRunFinished reports a write to a sync run that is already finished.
	ErrRunFinished = errors.New("directory: sync run already finished")
	// ErrSweepRefused is matched by every *SweepRefusedError.
	ErrSweepRefused = errors.New("directory: sweep refused")
)

// SweepRefusedError explains why Sweep (or Unseen) would not run.
type SweepRefusedError struct {
	Run    int64
	Kind   Kind
	Reason string
}

func (e *SweepRefusedError) Error() string {
	return fmt.Sprintf("directory: sweep of %s for run %d refused: %s", e.Kind, e.Run, e.Reason)
}

// Is makes errors.Is(err, ErrSweepRefused) true.
func (e *SweepRefusedError) Is(target error) bool { return target == ErrSweepRefused }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
