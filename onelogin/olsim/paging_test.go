package olsim_test

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"testing"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

func decodeCursor(t *testing.T, c string) url.Values {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(c)
	require.NoError(t, err)
	v, err := url.ParseQuery(string(raw))
	require.NoError(t, err)
	return v
}

func TestV2PagingHeaders(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 120})
	tok := h.token(readerID)

	first := h.get("/api/2/users?limit=50", tok)
	require.Equal(t, 200, first.StatusCode)
	require.Equal(t, "application/json", first.Header.Get("Content-Type"))
	hd := first.Header
	require.Equal(t, "120", hd.Get("Total-Count"))
	require.Equal(t, "3", hd.Get("Total-Pages"))
	require.Equal(t, "1", hd.Get("Current-Page"))
	require.Equal(t, "50", hd.Get("Page-Items"))
	require.Empty(t, hd.Values("Before-Cursor"), "no Before-Cursor on page 1")
	require.Equal(t, url.Values{"limit": {"50"}, "page": {"1"}, "sort": {"id"}, "sort_direction": {"asc"}}, decodeCursor(t, hd.Get("Cursor")))
	require.Equal(t, "2", decodeCursor(t, hd.Get("After-Cursor")).Get("page"))

	// Follow After-Cursor alone until it disappears.
	var all []int64
	all = append(all, ids(t, first)...)
	cur := hd.Get("After-Cursor")
	for page := 2; cur != ""; page++ {
		r := h.get("/api/2/users?cursor="+url.QueryEscape(cur), tok)
		require.Equal(t, 200, r.StatusCode, "%s", r.body)
		require.Equal(t, strconv.Itoa(page), r.Header.Get("Current-Page"))
		require.NotEmpty(t, r.Header.Get("Before-Cursor"))
		all = append(all, ids(t, r)...)
		cur = r.Header.Get("After-Cursor")
		if page == 3 {
			require.Empty(t, r.Header.Values("After-Cursor"), "no After-Cursor on the last page")
			require.Equal(t, "20", r.Header.Get("Page-Items"))
		}
	}
	want := make([]int64, 0, 120)
	for _, u := range h.sim.Users() {
		want = append(want, u.ID)
	}
	require.Equal(t, want, all, "every user exactly once, ascending by id")
}

func TestV2PagingRules(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 120})
	tok := h.token(readerID)
	cur := h.get("/api/2/users?limit=10", tok).Header.Get("After-Cursor")
	xor := map[string]any{"status": float64(400), "error": "BadRequestError", "description": "Requests can only have cursor xor pagination arguments"}
	bad := map[string]any{"status": float64(400), "error": "BadRequestError", "description": "Invalid pagination cursor"}
	tests := []struct {
		name  string
		query string
		want  map[string]any
	}{
		{"cursor with limit", "cursor=" + url.QueryEscape(cur) + "&limit=10", xor},
		{"cursor with page", "cursor=" + url.QueryEscape(cur) + "&page=2", xor},
		{"undecodable cursor", "cursor=%21%21%21", bad},
		{"unescaped cursor", "cursor=" + cur + "+", bad},
		{"cursor of garbage", "cursor=" + base64.StdEncoding.EncodeToString([]byte("hello")), bad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.get("/api/2/users?"+tt.query, tok)
			require.Equal(t, 400, r.StatusCode)
			require.Equal(t, tt.want, r.obj(t))
		})
	}
	t.Run("direct page access", func(t *testing.T) {
		r := h.get("/api/2/users?limit=7&page=3", tok)
		all := h.sim.Users()
		require.Equal(t, []int64{all[14].ID, all[15].ID, all[16].ID, all[17].ID, all[18].ID, all[19].ID, all[20].ID}, ids(t, r))
		require.Equal(t, "3", r.Header.Get("Current-Page"))
		require.Equal(t, "18", r.Header.Get("Total-Pages"))
	})
	t.Run("limit is capped per endpoint", func(t *testing.T) {
		require.Equal(t, "50", h.get("/api/2/users?limit=500", tok).Header.Get("Page-Items"))
		admin := h.token(adminID)
		require.Equal(t, strconv.Itoa(len(h.sim.Apps())), h.get("/api/2/apps?limit=5000", admin).Header.Get("Page-Items"))
	})
	t.Run("users max limit option", func(t *testing.T) {
		h := newHarness(t, olsim.Options{Users: 120, UsersMaxLimit: 100})
		require.Equal(t, "100", h.get("/api/2/users?limit=500", h.token(readerID)).Header.Get("Page-Items"))
	})
	t.Run("filters travel in the cursor", func(t *testing.T) {
		r := h.get("/api/2/users?limit=2&status=1&fields=email", tok)
		next := r.Header.Get("After-Cursor")
		require.Equal(t, "1", decodeCursor(t, next).Get("status"))
		page2 := h.get("/api/2/users?cursor="+url.QueryEscape(next), tok)
		var items []map[string]any
		page2.json(t, &items)
		require.Len(t, items, 2)
		for _, it := range items {
			require.ElementsMatch(t, []string{"id", "email"}, keys(it))
		}
	})
	t.Run("empty result", func(t *testing.T) {
		r := h.get("/api/2/users?email=nobody@nowhere.test", tok)
		require.Equal(t, "[]", string(r.body))
		require.Equal(t, "0", r.Header.Get("Total-Count"))
		require.Empty(t, r.Header.Values("After-Cursor"))
	})
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Pages are computed against the data at request time: a user deleted after
// page 1 was read shifts page 2 by one, so one user is never seen. Real
// OneLogin does this and the sync code has to survive it.
func TestPagesShiftAfterDelete(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 30})
	tok := h.token(adminID)
	all := h.sim.Users()
	p1 := h.get("/api/2/users?limit=10", tok)
	require.Equal(t, 204, h.call("DELETE", fmt.Sprintf("/api/2/users/%d", all[0].ID), tok, "").StatusCode)
	p2 := h.get("/api/2/users?cursor="+url.QueryEscape(p1.Header.Get("After-Cursor")), tok)
	require.Equal(t, all[11].ID, ids(t, p2)[0], "all[10] slid onto page 1 and is skipped")
	require.Equal(t, "29", p2.Header.Get("Total-Count"))
}

func TestV1EnvelopePaging(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 120})
	tok := h.token(readerID)
	type page struct {
		Pagination struct {
			BeforeCursor *string `json:"before_cursor"`
			AfterCursor  *string `json:"after_cursor"`
			PreviousLink *string `json:"previous_link"`
			NextLink     *string `json:"next_link"`
		} `json:"pagination"`
		Data []struct {
			ID     int64   `json:"id"`
			RoleID []int64 `json:"role_id"`
		} `json:"data"`
	}
	// Start under a tenant prefix: next_link must keep it.
	r := h.get("/t/acme/api/1/users", tok)
	requireV1(t, r, 200, "Success")
	require.NotEmpty(t, r.Header.Get("X-RateLimit-Remaining"))
	var p page
	r.json(t, &p)
	require.Len(t, p.Data, 50)
	require.Nil(t, p.Pagination.BeforeCursor)
	require.Nil(t, p.Pagination.PreviousLink)
	require.Contains(t, *p.Pagination.NextLink, h.srv.URL+"/t/acme/api/1/users?after_cursor=")

	seen := len(p.Data)
	// Follow next_link like Chronicle does; then after_cursor by hand.
	next, err := url.Parse(*p.Pagination.NextLink)
	require.NoError(t, err)
	r = h.get(next.RequestURI(), tok)
	r.json(t, &p)
	seen += len(p.Data)
	require.NotNil(t, p.Pagination.BeforeCursor)
	r = h.get("/api/1/users?after_cursor="+url.QueryEscape(*p.Pagination.AfterCursor), tok)
	p = page{}
	r.json(t, &p)
	seen += len(p.Data)
	require.Len(t, p.Data, 20)
	require.Nil(t, p.Pagination.AfterCursor, "all null on the last page")
	require.Nil(t, p.Pagination.NextLink)
	require.Equal(t, 120, seen)

	bad := h.get("/api/1/users?after_cursor=%21", tok)
	requireV1(t, bad, 400, "Invalid pagination cursor")
}
