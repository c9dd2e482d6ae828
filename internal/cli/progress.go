package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/ops"
	"github.com/olflow/olflow/starter"
)

// progressEvery is how often a waiting command asks for progress.
const progressEvery = 250 * time.Millisecond

// kindWeight is each kind's share of a sync's work: users dominate.
var kindWeight = map[string]float64{"users": 0.7, "groups": 0.1, "roles": 0.1, "apps": 0.1}

// progressView draws a sync's progress: one redrawn bar on a terminal, a
// line per step of progress otherwise (CI logs, pipes).
type progressView struct {
	w        io.Writer
	tty      bool
	label    string
	drawn    bool
	lastLine string
	lastStep int
}

func newProgressView(w io.Writer, label string) *progressView {
	f, ok := w.(*os.File)
	return &progressView{w: w, label: label, lastStep: -1,
		tty: ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))}
}

// percent estimates how far a sync is, 0 to 100.
func percent(p *ops.LiveProgress) int {
	if p.Phase == api.PhaseDone {
		return 100
	}
	var done float64
	for kind, st := range p.Kinds {
		w := kindWeight[kind]
		switch st.State {
		case api.KindDone, api.KindFailed:
			done += w
		case api.KindRunning:
			if total := p.TotalPages[kind]; total > 0 {
				done += w * min(1, float64(st.Pages)/float64(total))
			}
		}
	}
	return min(99, int(done*95))
}

func bar(pct, width int) string {
	n := pct * width / 100
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

func kindText(p *ops.LiveProgress) string {
	var parts []string
	for _, kind := range []string{"users", "groups", "roles", "apps"} {
		st, ok := p.Kinds[kind]
		if !ok {
			continue
		}
		s := fmt.Sprintf("%s %d", kind, st.Items)
		switch st.State {
		case api.KindDone:
			s += " ok"
		case api.KindFailed:
			s += " FAILED"
		case api.KindRunning:
			if total := p.TotalPages[kind]; total > 0 {
				s += fmt.Sprintf(" (page %d/%d)", st.Pages, total)
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "  ")
}

// update shows p; with p nil it shows note alone (before a sync starts).
func (v *progressView) update(p *ops.LiveProgress, note string) {
	if p == nil {
		v.line(-1, fmt.Sprintf("%s: %s", v.label, note))
		return
	}
	pct := percent(p)
	text := fmt.Sprintf("%s %s %3d%%  %s  %s", v.label, bar(pct, 24), pct, p.Phase, kindText(p))
	if p.Calls > 0 {
		text += fmt.Sprintf("  calls %d", p.Calls)
	}
	if p.BudgetLimit > 0 {
		text += fmt.Sprintf("  budget %d/%d", p.BudgetRemaining, p.BudgetLimit)
	}
	v.line(pct/20, text)
}

// line redraws on a terminal; elsewhere it prints only when the step (a
// fifth of the way) or a note changes, so logs stay short.
func (v *progressView) line(step int, text string) {
	if v.tty {
		fmt.Fprintf(v.w, "\r\033[K%s", text)
		v.drawn = true
		return
	}
	if step == v.lastStep && (step >= 0 || text == v.lastLine) {
		return
	}
	v.lastStep, v.lastLine = step, text
	fmt.Fprintln(v.w, text)
}

func (v *progressView) finish() {
	if v.tty && v.drawn {
		fmt.Fprintln(v.w)
	}
}

// follow waits for get (a workflow result) while drawing the progress of
// the sync syncID (run "" for the latest) on stderr. Progress older than
// since belongs to an earlier run and is not shown.
func (a *app) follow(ctx context.Context, st *starter.Starter, label, syncID string, since time.Time, get func() error) error {
	done := make(chan error, 1)
	go func() { done <- get() }()
	view := newProgressView(a.Stderr, label)
	defer view.finish()
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	op, err := a.opsFor(st)
	if err != nil {
		return err
	}
	show := func() {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		p, err := op.LiveProgress(qctx, syncID, "")
		if err != nil || p.StartedAt.Before(since) {
			view.update(nil, "checking the credential")
			return
		}
		view.update(&p, "")
	}
	for {
		select {
		case err := <-done:
			if err == nil {
				show()
			}
			return err
		case <-tick.C:
			show()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
