package workflows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
)

// Live progress: a sync's page counts are in its activities' heartbeats,
// which a workflow never sees. While kinds are read, the workflow wakes on
// a timer and reads them with a local activity (LiveSyncProgress), then
// sets its Current Details. Each wake costs six history events (timer
// started and fired, a workflow task's three, the local activity's
// marker), so wakes thin out as a run grows long: every 10s for the first
// two minutes, every 30s up to ten minutes, every minute after.
func liveInterval(elapsed time.Duration) time.Duration {
	switch {
	case elapsed < 2*time.Minute:
		return 10 * time.Second
	case elapsed < 10*time.Minute:
		return 30 * time.Second
	default:
		return time.Minute
	}
}

// readLive runs LiveSyncProgress; a failure only leaves the details as
// they were (it is never retried: the next wake reads again).
func readLive(ctx workflow.Context, in activities.LiveInput) (activities.LiveResult, bool) {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 5 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
		Summary:             "read the sync's live progress",
	})
	var r activities.LiveResult
	if err := workflow.ExecuteLocalActivity(lctx, a.LiveSyncProgress, in).Get(ctx, &r); err != nil {
		workflow.GetLogger(ctx).Warn("could not read live progress", "error", err)
		return r, false
	}
	return r, true
}

// applyLive copies the heartbeats of running kinds into p, and the page
// totals a full users read knows into totals.
func applyLive(p *api.SyncProgress, totals map[string]int, r activities.LiveResult) {
	for _, kp := range r.Running {
		st, ok := p.Kinds[kp.Kind]
		if !ok || st.State != api.KindRunning {
			continue
		}
		st.Pages, st.Items, st.Created, st.Updated, st.Calls = kp.Pages, kp.Items, kp.Created, kp.Updated, kp.Calls
		if kp.TotalPages > 0 {
			totals[kp.Kind] = kp.TotalPages
		}
	}
	if r.BudgetLimit > 0 {
		p.BudgetRemaining, p.BudgetLimit = r.BudgetRemaining, r.BudgetLimit
	}
}

// renderProgress is a sync's Current Details: the UI shows a panel of a
// few lines, so the users count comes first and no line is a table. Numbers
// read "4,999 of 5,000" (the UI's markdown turns 4999/5000 into a
// fraction).
func renderProgress(p api.SyncProgress, totals map[string]int) string {
	var lines []string
	users := p.Kinds[api.KindUsers]
	switch {
	case users == nil:
		lines = append(lines, "**"+p.Phase+"**")
	case p.Phase == api.PhaseStarting:
		lines = append(lines, "**Starting**: opening the sync run")
	case users.State == api.KindFailed:
		lines = append(lines, "**Users not read**: "+kindCode(users))
	default:
		l := fmt.Sprintf("**%s users read**", thousands(int64(users.Items)))
		if t := totals[api.KindUsers]; t > 0 && users.State == api.KindRunning {
			l += fmt.Sprintf(" · page %s of %s", thousands(int64(users.Pages)), thousands(int64(t)))
		} else if users.Pages > 0 {
			l += fmt.Sprintf(" · %s pages", thousands(int64(users.Pages)))
		}
		lines = append(lines, l+" · "+phaseText(p.Phase, users.State))
	}
	var kinds []string
	for _, k := range syncKinds[1:] {
		st := p.Kinds[k]
		if st == nil {
			continue
		}
		switch st.State {
		case api.KindFailed:
			kinds = append(kinds, k+" failed ("+kindCode(st)+")")
		case api.KindPending:
			kinds = append(kinds, k+" waiting")
		default:
			kinds = append(kinds, fmt.Sprintf("%s %s %s", k, thousands(int64(st.Items)), st.State))
		}
	}
	if len(kinds) > 0 {
		lines = append(lines, strings.Join(kinds, " · "))
	}
	calls := p.Calls // finished kinds; running ones add their heartbeated calls
	for _, st := range p.Kinds {
		if st.State == api.KindRunning {
			calls += st.Calls
		}
	}
	l := thousands(calls) + " OneLogin calls"
	if p.BudgetLimit > 0 {
		l = fmt.Sprintf("rate budget %s of %s left · %s", thousands(int64(p.BudgetRemaining)), thousands(int64(p.BudgetLimit)), l)
	}
	lines = append(lines, l)
	l = p.Mode + " sync"
	if p.RunID > 0 {
		l += " · run " + strconv.FormatInt(p.RunID, 10)
	}
	if p.Upgraded != "" {
		l += " (full: " + p.Upgraded + ")"
	}
	lines = append(lines, l)
	// Two trailing spaces: a markdown line break, not a paragraph.
	return strings.Join(lines, "  \n")
}

func phaseText(phase, usersState string) string {
	switch {
	case phase == api.PhaseReading && usersState == api.KindDone:
		return "users done, other kinds reading"
	case phase == api.PhaseReading:
		return "reading"
	case phase == api.PhaseReconciling:
		return "reconciling deletions"
	default:
		return phase
	}
}

// kindCode is the error code a failed kind ended with.
func kindCode(st *api.KindStatus) string {
	if st.Code != "" {
		return st.Code
	}
	return "failed"
}

// thousands writes n with comma separators: 12,050.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// seconds is d in seconds to the millisecond, for results read by people
// and other languages.
func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}
