package ops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/starter"
	"github.com/olflow/olflow/temporalclient"
	"github.com/olflow/olflow/workflows"
)

// ReplayResult says whether one run's history replays against the
// workflow code of this build, and where it diverges when it does not.
type ReplayResult struct {
	// Source is "server" or the history file's path.
	Source       string
	WorkflowID   string `json:",omitempty"`
	RunID        string `json:",omitempty"`
	WorkflowType string
	Events       int
	OK           bool
	// Error is the replayer's message when the run does not replay.
	Error string `json:",omitempty"`
	// Unreadable says why the run's history could not be fetched (no such
	// workflow, say): nothing was replayed, so it neither replays nor
	// diverges.
	Unreadable string `json:",omitempty"`
	// Divergence points at the history event the code no longer matches,
	// when the replayer named one.
	Divergence *Divergence `json:",omitempty"`
}

// Divergence is where a replay stopped matching its history.
type Divergence struct {
	// Kind is "missing_command" (history has a step today's code no longer
	// takes), "extra_command" (today's code takes a step history lacks),
	// "mismatch" (a different step at the same place) or "version" (a
	// GetVersion gate no longer supports the recorded version).
	Kind string
	// EventID and EventType name the history event the code no longer
	// matches (0 and "" when the code's extra step has no event to point
	// at: then Command says what it tried).
	EventID   int64  `json:",omitempty"`
	EventType string `json:",omitempty"`
	// Detail names the activity, child workflow, timer or marker of that
	// event.
	Detail string `json:",omitempty"`
	// Command is the command today's code issued there, when it issued one.
	Command string `json:",omitempty"`
}

func (o *Ops) dataConverter() converter.DataConverter {
	if o.DataConverter != nil {
		return o.DataConverter
	}
	return converter.GetDefaultDataConverter()
}

// ReplayHistory replays a history with dc (the codec's converter when the
// history holds encrypted payloads).
func ReplayHistory(hist *historypb.History, dc converter.DataConverter, exec *workflow.Execution) ReplayResult {
	return replayWith(hist, dc, exec, workflows.Register)
}

// replayWith replays against the workflows register registers (tests pass
// stand-ins to produce each kind of divergence from real histories).
func replayWith(hist *historypb.History, dc converter.DataConverter, exec *workflow.Execution, register func(sdkworker.WorkflowRegistry)) ReplayResult {
	res := ReplayResult{Events: len(hist.GetEvents())}
	if exec != nil {
		res.WorkflowID, res.RunID = exec.ID, exec.RunID
	}
	if evs := hist.GetEvents(); len(evs) > 0 {
		res.WorkflowType = evs[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()
	}
	r, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: temporalclient.FailureConverter(dc)})
	if err != nil {
		res.Error = err.Error()
		return res
	}
	register(r)
	opts := sdkworker.ReplayWorkflowHistoryOptions{}
	if exec != nil {
		opts.OriginalExecution = *exec
	}
	// The replayer's own log would repeat the error below, as a panic.
	quiet := log.NewStructuredLogger(slog.New(slog.DiscardHandler))
	if err = r.ReplayWorkflowHistoryWithOptions(quiet, hist, opts); err == nil {
		res.OK = true
		return res
	}
	res.Error = err.Error()
	res.Divergence = divergence(hist, res.Error)
	return res
}

// ReplayFile replays a history exported as JSON (temporal workflow show
// --output json, the UI's download, or testsuite/testdata/histories).
func (o *Ops) ReplayFile(path string) (ReplayResult, error) {
	return ReplayHistoryFile(path, o.dataConverter())
}

// ReplayHistoryFile replays a JSON history file with dc. A file that is
// missing, empty, truncated or not a workflow history is refused with
// invalid_input (field "file"): that is not a divergence.
func ReplayHistoryFile(path string, dc converter.DataConverter) (ReplayResult, error) {
	hist, err := readHistoryFile(path)
	if err != nil {
		return ReplayResult{Source: path}, err
	}
	res := ReplayHistory(hist, dc, nil)
	res.Source = path
	return res, nil
}

func readHistoryFile(path string) (*historypb.History, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, starter.Refuse("file", fmt.Sprintf("%s: %v", path, errors.Unwrap(err)))
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, starter.Refuse("file", path+" is empty")
	}
	hist, err := client.HistoryFromJSON(bytes.NewReader(b), client.HistoryJSONOptions{})
	if err != nil {
		return nil, starter.Refuse("file", fmt.Sprintf("%s is not a workflow history (truncated, or not JSON from 'temporal workflow show --output json'): %v", path, err))
	}
	evs := hist.GetEvents()
	if len(evs) == 0 || evs[0].GetWorkflowExecutionStartedEventAttributes() == nil {
		return nil, starter.Refuse("file", path+" is not a workflow history: it must start with WorkflowExecutionStarted")
	}
	return hist, nil
}

// ReplayExecution fetches a run's history from the server (runID "" is
// the latest run) and replays it.
func (o *Ops) ReplayExecution(ctx context.Context, workflowID, runID string) ReplayResult {
	res := ReplayResult{Source: "server", WorkflowID: workflowID, RunID: runID}
	if runID == "" {
		desc, err := o.Client.DescribeWorkflow(ctx, workflowID, "")
		if err != nil {
			res.Unreadable = unreadable(err, "no workflow "+workflowID)
			return res
		}
		runID = desc.RawResponse.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	}
	hist := &historypb.History{}
	it := o.Client.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			res.RunID, res.Unreadable = runID, unreadable(err, "no run "+runID+" of "+workflowID)
			return res
		}
		hist.Events = append(hist.Events, ev)
	}
	out := ReplayHistory(hist, o.dataConverter(), &workflow.Execution{ID: workflowID, RunID: runID})
	out.Source = "server"
	return out
}

// ReplayQuery replays every run a visibility query matches, up to limit
// (default 100), for example all failed runs of the last day:
//
//	ExecutionStatus = 'Failed' AND CloseTime > '2026-11-27T00:00:00Z'
func (o *Ops) ReplayQuery(ctx context.Context, query string, limit int) ([]ReplayResult, error) {
	if limit <= 0 {
		limit = 100
	}
	runs, err := o.ListRuns(ctx, query, limit)
	if err != nil {
		return nil, err
	}
	out := make([]ReplayResult, 0, len(runs))
	for _, r := range runs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		out = append(out, o.ReplayExecution(ctx, r.WorkflowID, r.RunID))
	}
	return out, nil
}

// The SDK v1.51 names where replay stopped matching in these shapes (all
// prefixed [TMPRL1100]); each pattern captures what locates the event.
var (
	// "nondeterministic workflow: missing replay command for ActivityTaskScheduled: (ActivityId:6, ..."
	missingCommand = regexp.MustCompile(`missing replay command for (\w+): \((?:ActivityId|TimerId|WorkflowId|MarkerName):([^,)]+)`)
	// "nondeterministic workflow: extra replay command for ScheduleActivityTask: (ActivityId:24, ActivityType:(Name:RecordAction), ..."
	extraCommand = regexp.MustCompile(`extra replay command for (\w+): (.*)`)
	// "nondeterministic workflow: history event is ActivityTaskScheduled: (ActivityId:6, ...), replay command is ScheduleActivityTask: (...)"
	mismatch = regexp.MustCompile(`history event is (\w+): (.*?), replay command is (\w+): (.*)`)
	// The id a printed event or command starts with, when it has one.
	eventKeyed = regexp.MustCompile(`^\((?:ActivityId|TimerId|WorkflowId|MarkerName):([^,)]+)`)
	// "During replay, a matching ScheduleActivityTask command was expected in history event position 8. However, ..."
	eventPosition = regexp.MustCompile(`(\w+) command was expected in history event position (\d+)`)
	// "lookup failed for scheduledEventID to activityID: scheduleEventID: 24, ..." and
	// "unable to find activityID for the scheduledEventID: 24": history
	// holds an activity the code never scheduled.
	unknownActivity = regexp.MustCompile(`(?:lookup failed for scheduledEventID to activityID: scheduleEventID|unable to find activityID for the scheduledEventID): (\d+)`)
	// "Workflow code removed support of version ..." / "Workflow code is too old to support version ..."
	versionGate = regexp.MustCompile(`(removed support of version|too old to support version)`)
	// What a command string names: its activity type, timer or child.
	commandName = regexp.MustCompile(`(?:ActivityType:\(Name:|WorkflowType:\(Name:|TimerId:|MarkerName:)([^,)]+)`)
)

// divergence locates a replayer's non-determinism message in hist.
func divergence(hist *historypb.History, msg string) *Divergence {
	byKey := func(typ, key string) func(ev *historypb.HistoryEvent) bool {
		key = strings.TrimSpace(key)
		return func(ev *historypb.HistoryEvent) bool { return eventTypeName(ev) == typ && eventKey(ev) == key }
	}
	byID := func(s string) func(ev *historypb.HistoryEvent) bool {
		id, _ := strconv.ParseInt(s, 10, 64)
		return func(ev *historypb.HistoryEvent) bool { return ev.GetEventId() == id }
	}
	byLastOfType := func(hist *historypb.History, typ string) func(ev *historypb.HistoryEvent) bool {
		var last int64
		for _, ev := range hist.GetEvents() {
			if eventTypeName(ev) == typ {
				last = ev.GetEventId()
			}
		}
		return func(ev *historypb.HistoryEvent) bool { return ev.GetEventId() == last }
	}
	var d Divergence
	var match func(ev *historypb.HistoryEvent) bool
	switch {
	case mismatch.MatchString(msg):
		m := mismatch.FindStringSubmatch(msg)
		d.Kind, d.Command = "mismatch", describeCommand(m[3], m[4])
		if k := eventKeyed.FindStringSubmatch(m[2]); k != nil {
			match = byKey(m[1], k[1])
		} else {
			// No id (a close event, say): the last event of that type.
			match = byLastOfType(hist, m[1])
		}
	case missingCommand.MatchString(msg):
		m := missingCommand.FindStringSubmatch(msg)
		d.Kind = "missing_command"
		match = byKey(m[1], m[2])
	case extraCommand.MatchString(msg):
		m := extraCommand.FindStringSubmatch(msg)
		return &Divergence{Kind: "extra_command", Command: describeCommand(m[1], m[2])}
	case eventPosition.MatchString(msg):
		m := eventPosition.FindStringSubmatch(msg)
		d.Kind = "missing_command"
		match = byID(m[2])
	case unknownActivity.MatchString(msg):
		m := unknownActivity.FindStringSubmatch(msg)
		d.Kind = "missing_command"
		match = byID(m[1])
	case versionGate.MatchString(msg):
		return &Divergence{Kind: "version", Detail: versionGate.FindString(msg)}
	default:
		return nil
	}
	for _, ev := range hist.GetEvents() {
		if match(ev) {
			d.EventID, d.EventType, d.Detail = ev.GetEventId(), eventTypeName(ev), eventDetail(ev)
			return &d
		}
	}
	return &d
}

// describeCommand is "ScheduleActivityTask RecordAction" for a command
// string the SDK printed.
func describeCommand(typ, attrs string) string {
	if m := commandName.FindStringSubmatch(attrs); m != nil {
		return typ + " " + strings.TrimSpace(m[1])
	}
	return typ
}

// eventTypeName is "ActivityTaskScheduled" for EVENT_TYPE_ACTIVITY_TASK_SCHEDULED.
func eventTypeName(ev *historypb.HistoryEvent) string {
	name := ev.GetEventType().String()
	if !strings.HasPrefix(name, "EVENT_TYPE_") {
		return name // the API's enums already print this way
	}
	var b strings.Builder
	for _, part := range strings.Split(strings.TrimPrefix(name, "EVENT_TYPE_"), "_") {
		if part != "" {
			b.WriteString(part[:1] + strings.ToLower(part[1:]))
		}
	}
	return b.String()
}

// eventKey is the id the SDK prints for a command's event.
func eventKey(ev *historypb.HistoryEvent) string {
	switch {
	case ev.GetActivityTaskScheduledEventAttributes() != nil:
		return ev.GetActivityTaskScheduledEventAttributes().GetActivityId()
	case ev.GetTimerStartedEventAttributes() != nil:
		return ev.GetTimerStartedEventAttributes().GetTimerId()
	case ev.GetStartChildWorkflowExecutionInitiatedEventAttributes() != nil:
		return ev.GetStartChildWorkflowExecutionInitiatedEventAttributes().GetWorkflowId()
	case ev.GetMarkerRecordedEventAttributes() != nil:
		return ev.GetMarkerRecordedEventAttributes().GetMarkerName()
	}
	return ""
}

func eventDetail(ev *historypb.HistoryEvent) string {
	switch {
	case ev.GetActivityTaskScheduledEventAttributes() != nil:
		return "activity " + ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
	case ev.GetStartChildWorkflowExecutionInitiatedEventAttributes() != nil:
		a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes()
		return fmt.Sprintf("child workflow %s (%s)", a.GetWorkflowType().GetName(), a.GetWorkflowId())
	case ev.GetTimerStartedEventAttributes() != nil:
		return "timer " + ev.GetTimerStartedEventAttributes().GetTimerId()
	case ev.GetMarkerRecordedEventAttributes() != nil:
		return "marker " + ev.GetMarkerRecordedEventAttributes().GetMarkerName()
	}
	return ""
}

// unreadable says why a history could not be fetched, with its code.
func unreadable(err error, missing string) string {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return string(errcode.NotFound) + ": " + missing
	}
	return err.Error()
}
