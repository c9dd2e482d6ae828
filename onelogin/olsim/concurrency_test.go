package olsim_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

// TestConcurrentUse mixes HTTP readers and writers with Go API mutations;
// run with -race.
func TestConcurrentUse(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 60, Faults: olsim.Faults{ErrorRate: 0.1}})
	tok := h.token(adminID)
	users := h.sim.Users()
	role := h.sim.Roles()[0]
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := range 15 {
				u := users[(w*15+i)%len(users)]
				switch i % 5 {
				case 0:
					h.get("/api/2/users?limit=20", tok)
				case 1:
					h.call("PUT", fmt.Sprintf("/api/2/users/%d", u.ID), tok, fmt.Sprintf(`{"title":"T%d"}`, i))
				case 2:
					h.call("POST", fmt.Sprintf("/api/2/roles/%d/users", role.ID), tok, fmt.Sprintf(`[%d]`, u.ID))
				case 3:
					h.sim.SetUserGroup(u.ID, 0)
					h.get("/api/1/groups", tok)
				case 4:
					_ = h.sim.Users()
					h.sim.RequestCounts()
					h.clock.Advance(1)
				}
			}
		})
	}
	wg.Wait()
	require.Len(t, h.sim.Users(), 60)
	total := 0
	for _, n := range h.sim.RequestCounts() {
		total += n
	}
	require.Equal(t, 1+6*15-6*3, total, "every HTTP request counted once")
}
