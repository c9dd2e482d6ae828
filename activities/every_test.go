package activities

import (
	"testing"
	"time"
)

func TestEvery(t *testing.T) {
	for d, want := range map[time.Duration]string{15 * time.Minute: "15m", 90 * time.Minute: "1h30m", 2 * time.Hour: "2h", 90 * time.Second: "1m30s"} {
		if got := every(d); got != want {
			t.Errorf("every(%v) = %q, want %q", d, got, want)
		}
	}
}
