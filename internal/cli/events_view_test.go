package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/olflow/olflow/api"
)

func TestPrintEvents(t *testing.T) {
	var b bytes.Buffer
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	printEvents(&b, api.EventsStatus{IntegrationID: "acme", Webhook: "healthy", PollInterval: 5 * time.Minute,
		EventsState: api.EventsState{Cursor: api.EventsCursor{Since: at}, LastPoll: at.Add(time.Minute), Lag: 1234 * time.Millisecond,
			Polls: 7, Deliveries: 3, Reads: 9, Applied: 4, Deleted: 1, LastError: "poll: server_error"}})
	out := b.String()
	for _, want := range []string{fmtTime(at), fmtTime(at.Add(time.Minute)), "lag 1.234s", "webhook healthy", "every 5m0s",
		"7 polls, 3 deliveries, 9 reads, 4 applied, 1 deleted", "last error: poll: server_error"} {
		assert.Contains(t, out, want)
	}
}
