package activities

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPageSetKeepsRanges(t *testing.T) {
	var s pageSet
	for _, n := range []int{5, 1, 3, 2, 9, 4, 7, 0, -2, 3} {
		s = s.add(n)
	}
	require.Equal(t, "1-5,7,9", s.String())
	require.Equal(t, 7, s.count())
	require.True(t, s.has(4))
	require.False(t, s.has(6))
	require.False(t, s.has(0))
	require.Equal(t, []int{6, 8, 10}, s.missing(10))
	s = s.add(8)
	require.Equal(t, "1-5,7-9", s.String())
	s = s.add(6)
	require.Equal(t, "1-9", s.String())

	back, err := parsePageSet("1-9")
	require.NoError(t, err)
	require.Equal(t, s, back)
	back, err = parsePageSet("4,1-2,3,10")
	require.NoError(t, err)
	require.Equal(t, "1-4,10", back.String())
	empty, err := parsePageSet("")
	require.NoError(t, err)
	require.Empty(t, empty.String())
	for _, bad := range []string{"x", "1-", "3-2", "0", "1,,2", "-4", "1-99999999999"} {
		_, err := parsePageSet(bad)
		require.Error(t, err, bad)
	}
}

// A read of 2,000 pages heartbeats a few dozen bytes, not a list of pages.
func TestProgressHeartbeatIsCompact(t *testing.T) {
	var s pageSet
	for n := 1; n <= 2000; n++ {
		if n != 1500 {
			s = s.add(n)
		}
	}
	b, err := json.Marshal(KindProgress{Kind: "users", Items: 99950, Pages: 1999, PagesDone: s.String(), TotalPages: 2000})
	require.NoError(t, err)
	require.JSONEq(t, `{"Kind":"users","Items":99950,"Pages":1999,"Created":0,"Updated":0,"Calls":0,"PagesDone":"1-1499,1501-2000","TotalPages":2000}`, string(b))

	// Details written by a worker before ranges still decode.
	var old KindProgress
	require.NoError(t, json.Unmarshal([]byte(`{"Kind":"users","Cursor":"","DonePages":[1,2,4],"TotalPages":4,"Pages":3,"Items":150,"Created":0,"Updated":0,"Calls":4,"MaxUpdatedAt":"0001-01-01T00:00:00Z"}`), &old))
	done, err := resumedPages(old)
	require.NoError(t, err)
	require.Equal(t, "1-2,4", done.String())
}
