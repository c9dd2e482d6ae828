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
	// changeBulkEngine: bulk actions (not SetUserPassword) run on the bulk
	// engine: ResolveActionTargets, RunActionChunk, CountActionOutcomes,
	// continue-as-new; removals and the membership check verify their group
	// or role first (not_found) (version 1). DefaultVersion: one activity
	// per user, no such check.
	changeBulkEngine = "bulk-engine"
	// changeActionOutcome: an action sets OneLoginActionOutcome when it
	// ends or is refused (version 1). DefaultVersion closes without it.
	changeActionOutcome = "action-outcome-attribute"
)
