package starter

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

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
	// Divergence points at the history event the code no longer matches,
	// when the replayer named one.
	Divergence *Divergence `json:",omitempty"`
}

// Divergence is the history event a replay stopped matching.
type Divergence struct {
	EventID   int64
	EventType string
	// Detail names the activity, child workflow or timer of that event.
	Detail string `json:",omitempty"`
}

func (s *Starter) dataConverter() converter.DataConverter {
	if s.DataConverter != nil {
		return s.DataConverter
	}
	return converter.GetDefaultDataConverter()
}

// ReplayHistory replays a history with dc (the codec's converter when the
// history holds encrypted payloads).
func ReplayHistory(hist *historypb.History, dc converter.DataConverter, exec *workflow.Execution) ReplayResult {
	res := ReplayResult{Events: len(hist.GetEvents())}
	if exec != nil {
		res.WorkflowID, res.RunID = exec.ID, exec.RunID
	}
	if evs := hist.GetEvents(); len(evs) > 0 {
		res.WorkflowType = evs[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()
	}
	r, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{DataConverter: dc})
	if err != nil {
		res.Error = err.Error()
		return res
	}
	workflows.Register(r)
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
func (s *Starter) ReplayFile(path string) ReplayResult {
	return ReplayHistoryFile(path, s.dataConverter())
}

// ReplayHistoryFile replays a JSON history file with dc.
func ReplayHistoryFile(path string, dc converter.DataConverter) ReplayResult {
	f, err := os.Open(path)
	if err != nil {
		return ReplayResult{Source: path, Error: err.Error()}
	}
	defer f.Close()
	hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return ReplayResult{Source: path, Error: "read the history: " + err.Error()}
	}
	res := ReplayHistory(hist, dc, nil)
	res.Source = path
	return res
}

// ReplayExecution fetches a run's history from the server (runID "" is
// the latest run) and replays it.
func (s *Starter) ReplayExecution(ctx context.Context, workflowID, runID string) ReplayResult {
	res := ReplayResult{Source: "server", WorkflowID: workflowID, RunID: runID}
	if runID == "" {
		desc, err := s.Client.DescribeWorkflow(ctx, workflowID, "")
		if err != nil {
			res.Error = err.Error()
			return res
		}
		runID = desc.RawResponse.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	}
	hist := &historypb.History{}
	it := s.Client.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			res.RunID, res.Error = runID, err.Error()
			return res
		}
		hist.Events = append(hist.Events, ev)
	}
	out := ReplayHistory(hist, s.dataConverter(), &workflow.Execution{ID: workflowID, RunID: runID})
	out.Source = "server"
	return out
}

// ReplayQuery replays every run a visibility query matches, up to limit
// (default 100), for example all failed runs of the last day:
//
//	ExecutionStatus = 'Failed' AND CloseTime > '2026-11-27T00:00:00Z'
func (s *Starter) ReplayQuery(ctx context.Context, query string, limit int) ([]ReplayResult, error) {
	if limit <= 0 {
		limit = 100
	}
	runs, err := s.ListRuns(ctx, query, limit)
	if err != nil {
		return nil, err
	}
	out := make([]ReplayResult, 0, len(runs))
	for _, r := range runs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		out = append(out, s.ReplayExecution(ctx, r.WorkflowID, r.RunID))
	}
	return out, nil
}

// The SDK names where replay stopped matching in one of two ways: "... in
// history event position 8 ..." when the code no longer issues a command
// the history has, or "history event is ActivityTaskScheduled: (ActivityId:6,
// ..." when it issues a different one.
var (
	eventPosition = regexp.MustCompile(`history event position (\d+)`)
	eventIs       = regexp.MustCompile(`history event is (\w+): \((?:ActivityId|TimerId|WorkflowId|MarkerName):([^,)]+)`)
)

func divergence(hist *historypb.History, msg string) *Divergence {
	var match func(ev *historypb.HistoryEvent) bool
	if m := eventPosition.FindStringSubmatch(msg); m != nil {
		id, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return nil
		}
		match = func(ev *historypb.HistoryEvent) bool { return ev.GetEventId() == id }
	} else if m := eventIs.FindStringSubmatch(msg); m != nil {
		typ, key := m[1], strings.TrimSpace(m[2])
		match = func(ev *historypb.HistoryEvent) bool {
			return eventTypeName(ev) == typ && eventKey(ev) == key
		}
	} else {
		return nil
	}
	for _, ev := range hist.GetEvents() {
		if match(ev) {
			return &Divergence{EventID: ev.GetEventId(), EventType: eventTypeName(ev), Detail: eventDetail(ev)}
		}
	}
	return nil
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
