package olsim

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestListCacheBounds(t *testing.T) {
	var c listCache
	for i := range listCacheSize + 3 {
		c.put(fmt.Sprint(i), 1, idList{int64(i)})
	}
	require.Len(t, c.entries, listCacheSize)
	_, ok := c.get("0", 1)
	require.False(t, ok, "the oldest went first")
	got, ok := c.get(fmt.Sprint(listCacheSize+2), 1)
	require.True(t, ok)
	require.Equal(t, idList{listCacheSize + 2}, got)
	_, ok = c.get(fmt.Sprint(listCacheSize+2), 2)
	require.False(t, ok, "another data version misses")

	big := make(idList, listCacheIDs/2+1)
	c.put("big1", 1, big)
	c.put("big2", 1, big)
	_, ok = c.get("big1", 1)
	require.False(t, ok, "over the id budget the oldest went")
	_, ok = c.get("big2", 1)
	require.True(t, ok)

	c.put("v2", 2, idList{1})
	require.Len(t, c.entries, 1, "a new version drops the stale lists")
}

func TestUpdIndex(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	users := map[int64]*user{}
	var x updIndex
	touch := func(id int64, at time.Time) {
		u := users[id]
		if u == nil {
			u = &user{User: User{ID: id}}
			users[id] = u
		}
		u.UpdatedAt = at
		x.add(id, at)
	}
	touch(1, t0)
	touch(2, t0.Add(time.Second))
	touch(3, t0.Add(2*time.Second))
	touch(1, t0.Add(3*time.Second)) // 1 moves on: its first entry is stale
	touch(4, t0.Add(-time.Hour))    // out of order: sorted on the next read
	touch(2, t0.Add(time.Second))   // same time again: one id, not two
	delete(users, 3)                // deleted: skipped
	require.Equal(t, idList{1, 2}, x.since(users, t0, false))
	require.Equal(t, idList{1, 2, 4}, x.since(users, t0.Add(-time.Hour), true))
	require.Equal(t, idList{1, 2}, x.since(users, t0.Add(-time.Hour), false))
	require.Equal(t, idList{1}, x.since(users, t0.Add(time.Second), false))
	require.Equal(t, idList{1, 2}, x.since(users, t0.Add(time.Second), true))

	// Stale entries are compacted once they outnumber the live ones.
	for i := range 3000 {
		touch(1, t0.Add(time.Duration(10+i)*time.Second))
	}
	require.Equal(t, idList{1}, x.since(users, t0.Add(5*time.Second), false))
	require.Less(t, len(x.log), 10)
}
