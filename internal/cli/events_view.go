package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/olflow/olflow/api"
)

// printEvents shows the events workflow's cursor, last poll, lag and
// webhook health.
func printEvents(w io.Writer, e api.EventsStatus) {
	fmt.Fprintf(w, "Events: cursor %s, last poll %s, lag %s, webhook %s, polling every %s\n",
		fmtTime(e.Cursor.Since), fmtTime(e.LastPoll), e.Lag.Round(time.Millisecond), e.Webhook, e.PollInterval)
	fmt.Fprintf(w, "  %d polls, %d deliveries, %d reads, %d applied, %d deleted, %d bursts\n",
		e.Polls, e.Deliveries, e.Reads, e.Applied, e.Deleted, e.Bursts)
	if e.LastError != "" {
		fmt.Fprintf(w, "  last error: %s\n", e.LastError)
	}
}
