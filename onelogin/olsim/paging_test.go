package olsim_test

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

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

// A client following After-Cursor (or next_link) makes exactly one request
// per page: the last page, even a full one, announces no next page.
func TestLastPageEndsPaging(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 120, Roles: 2, V2LinkHeader: true})
	tok := h.token(adminID)
	count := func(key string, first string, next func(resp) string) int {
		t.Helper()
		h.sim.ResetCounters()
		seen := 0
		for path := first; path != ""; {
			r := h.get(path, tok)
			require.Equal(t, 200, r.StatusCode, "%s", r.body)
			seen++
			path = next(r)
		}
		require.Equal(t, seen, h.sim.RequestCount(key))
		return seen
	}
	v2 := func(base string) func(resp) string {
		return func(r resp) string {
			cur := r.Header.Get("After-Cursor")
			if cur == "" {
				require.NotContains(t, r.Header.Get("Link"), `rel="next"`)
				cur, _ := strconv.Atoi(r.Header.Get("Current-Page"))
				total, _ := strconv.Atoi(r.Header.Get("Total-Pages"))
				require.GreaterOrEqual(t, cur, total, "the last page says so (an empty list has 0 pages)")
				return ""
			}
			require.Contains(t, r.Header.Get("Link"), `rel="next"`)
			return base + "?cursor=" + url.QueryEscape(cur)
		}
	}
	v1 := func(r resp) string {
		var env struct {
			Pagination struct {
				NextLink *string `json:"next_link"`
			} `json:"pagination"`
		}
		r.json(t, &env)
		if env.Pagination.NextLink == nil {
			return ""
		}
		u, err := url.Parse(*env.Pagination.NextLink)
		require.NoError(t, err)
		return u.RequestURI()
	}
	require.Equal(t, 3, count("GET /api/2/users", "/api/2/users?limit=40", v2("/api/2/users")), "120 users in pages of 40")
	require.Equal(t, 3, count("GET /api/2/users", "/api/2/users?limit=50", v2("/api/2/users")))
	require.Equal(t, 1, count("GET /api/2/users", "/api/2/users?email=none@x.test", v2("/api/2/users")), "empty list")
	require.Equal(t, 3, count("GET /api/1/users", "/api/1/users?limit=40", v1))
	role := h.sim.Roles()[0]
	pages := (len(role.UserIDs) + 9) / 10
	path := fmt.Sprintf("/api/2/roles/%d/users", role.ID)
	require.Equal(t, pages, count("GET /api/2/roles/:id/users", path+"?limit=10", v2(path)))
}

// [U] Options.CursorKeepsOnlyPaging: the cursor forgets the filters, so a
// client that does not repeat them gets later pages of the unfiltered list.
func TestCursorKeepsOnlyPaging(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 120, CursorKeepsOnlyPaging: true})
	tok := h.token(readerID)
	all := h.sim.Users()
	var suspended []int64
	for _, u := range all {
		if u.Status == 2 || u.Status == 1 {
			suspended = append(suspended, u.ID)
		}
	}
	first := h.get("/api/2/users?limit=2&status=1,2", tok)
	require.Equal(t, suspended[:2], ids(t, first))
	cur := first.Header.Get("After-Cursor")
	require.Equal(t, url.Values{"limit": {"2"}, "page": {"2"}, "sort": {"id"}, "sort_direction": {"asc"}}, decodeCursor(t, cur))

	bare := h.get("/api/2/users?cursor="+url.QueryEscape(cur), tok)
	require.Equal(t, []int64{all[2].ID, all[3].ID}, ids(t, bare), "the filter is gone")
	require.Equal(t, "120", bare.Header.Get("Total-Count"))

	repeated := h.get("/api/2/users?status=1,2&cursor="+url.QueryEscape(cur), tok)
	require.Equal(t, suspended[2:4], ids(t, repeated), "a repeated filter applies")
	require.Equal(t, 400, h.get("/api/2/users?limit=2&cursor="+url.QueryEscape(cur), tok).StatusCode, "still cursor xor limit")

	t.Run("v1", func(t *testing.T) {
		var env struct {
			Pagination struct {
				AfterCursor string `json:"after_cursor"`
			} `json:"pagination"`
			Data []struct {
				ID int64 `json:"id"`
			} `json:"data"`
		}
		h.get("/api/1/users?limit=2&status=1,2", tok).json(t, &env)
		h.get("/api/1/users?after_cursor="+url.QueryEscape(env.Pagination.AfterCursor), tok).json(t, &env)
		require.Equal(t, all[2].ID, env.Data[0].ID)
	})
}

// Page-number paging with the filter repeated on each request gives the same
// list as one big page, for every user filter.
func TestPageNumbersWithEveryFilter(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 150, UsersMaxLimit: 1000})
	tok := h.token(readerID)
	u := h.sim.Users()[9]
	role, app := h.sim.Roles()[0], h.sim.Apps()[0]
	cut := url.QueryEscape(h.sim.Users()[70].UpdatedAt.Format(time.RFC3339Nano))
	filters := []string{
		"email=*" + url.QueryEscape(u.Email[strings.Index(u.Email, "@"):]), "username=" + u.Username[:2] + "*",
		"firstname=" + u.Firstname, "lastname=" + u.Lastname, "samaccountname=*a*", "external_id=*0*",
		"member_of=*Staff*", "title=" + url.QueryEscape(u.Title), "department=" + url.QueryEscape(u.Department),
		fmt.Sprintf("id=%d", u.ID), fmt.Sprintf("user_ids=%d,%d", u.ID, h.sim.Users()[20].ID),
		fmt.Sprintf("group_id=%d", u.GroupID), "status=1", "state=1", "directory_id=123456",
		fmt.Sprintf("manager_user_id=%d", u.ManagerUserID), fmt.Sprintf("role_ids=%d", role.ID),
		fmt.Sprintf("role_id=%d", role.ID), fmt.Sprintf("app_id=%d", app.ID),
		"created_since=2023-01-01", "created_until=2023-01-01", "updated_since=" + cut, "updated_until=" + cut,
		"last_login_since=2024-01-01", "last_login_until=2024-01-01", "custom_attributes.location=London",
	}
	for _, f := range filters {
		t.Run(f, func(t *testing.T) {
			whole := ids(t, h.get("/api/2/users?limit=1000&"+f, tok))
			require.Equal(t, whole, h.listAll("/api/2/users?"+f, tok))
			var v1 []int64
			for page := 1; ; page++ {
				var env struct {
					Pagination struct {
						AfterCursor *string `json:"after_cursor"`
					} `json:"pagination"`
					Data []struct {
						ID int64 `json:"id"`
					} `json:"data"`
				}
				h.get(fmt.Sprintf("/api/1/users?limit=9&page=%d&%s", page, f), tok).json(t, &env)
				for _, d := range env.Data {
					v1 = append(v1, d.ID)
				}
				if env.Pagination.AfterCursor == nil {
					break
				}
			}
			require.Equal(t, whole, orEmptyIDs(v1), "v1")
		})
	}
}

func orEmptyIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}
