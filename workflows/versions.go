package workflows

// Change IDs for workflow.GetVersion. Every change to the commands a
// workflow issues (activities, timers, children, their order) is gated by
// one of these, or ships as a new workflow type, so that runs already in
// history keep replaying (see RUNBOOK.md, "Changing workflow code"). An ID
// is never reused or renamed; a gate is removed only when no history
// older than it can still be replayed (retention has passed and the
// release folder of the corpus that needed it is retired on purpose).
const (
	// changeAuditOnCancel: a cancelled action records what it already did
	// in the audit log (version 1). DefaultVersion closes without it.
	changeAuditOnCancel = "audit-on-cancel"
	// changeOneSyncAtATime: a sync that finds another sync of the
	// integration running ends as skipped without reading (version 1).
	changeOneSyncAtATime = "one-sync-at-a-time"
	// changeDisconnectCancelsRuns: a disconnect cancels the integration's
	// runs in flight after deleting its schedule (version 1).
	changeDisconnectCancelsRuns = "disconnect-cancels-runs"
	// changeStartEvents: connect starts the integration's DirectoryEvents
	// workflow after setting up the schedule (version 1).
	changeStartEvents = "connect-starts-events"
	// changeStopEvents: disconnect cancels the integration's
	// DirectoryEvents workflow first (version 1).
	changeStopEvents = "disconnect-stops-events"
	// changeLiveProgress: SyncDirectory (while its kinds are read) and
	// ConnectIntegration (while its first sync runs) wake on a timer and
	// read the live progress with the LiveSyncProgress local activity, for
	// their Current Details (version 1). DefaultVersion waits without.
	changeLiveProgress = "live-progress"
	// changeBulkEngine: bulk actions (not SetUserPassword) run on the bulk
	// engine: ResolveActionTargets, RunActionChunk, CountActionOutcomes,
	// continue-as-new; removals and the membership check verify their group
	// or role first (not_found) (version 1). DefaultVersion: one activity
	// per user, no such check.
	changeBulkEngine = "bulk-engine"
	// changeActionOutcome: an action sets OneLoginActionOutcome when it
	// ends or is refused (version 1). DefaultVersion closes without it.
	changeActionOutcome = "action-outcome-attribute"
	// changeLocalSteps: OnboardUser and OffboardUser run BeginAction,
	// ResolveUser, each step and RecordAction as local activities, one
	// workflow task for the whole run when nothing waits (version 1).
	// DefaultVersion: a regular activity each.
	changeLocalSteps = "local-steps"
)
