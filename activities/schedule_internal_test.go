package activities

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// 200 tenants on a 15-minute interval spread over it: fixed per tenant,
// within the interval, and no minute holds more than a few of them.
func TestSchedulePhaseSpreadsTenants(t *testing.T) {
	const interval = 15 * time.Minute
	perMinute := map[time.Duration]int{}
	for i := range 200 {
		id := fmt.Sprintf("tenant-%d", i)
		p := phase(id, interval)
		assert.Equal(t, p, phase(id, interval), "fixed per tenant")
		assert.GreaterOrEqual(t, p, time.Duration(0))
		assert.Less(t, p, interval)
		perMinute[p.Truncate(time.Minute)]++
	}
	assert.Len(t, perMinute, 15, "every minute of the interval has tenants")
	for m, n := range perMinute {
		assert.LessOrEqual(t, n, 30, "minute %v has %d of 200 tenants", m, n)
	}
	assert.Zero(t, phase("x", time.Second))
}
