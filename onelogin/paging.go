package onelogin

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// Page-size caps per endpoint (reference §5.1). Users is 50 because whether
// OneLogin allows more is unconfirmed.
const (
	MaxUsersPage     = 50
	MaxRolesPage     = 650
	MaxAppsPage      = 1000
	MaxRoleUsersPage = 100
	MaxV1Page        = 50
)

// PageInfo is what a list response says about where it is.
type PageInfo struct {
	// Cursor is the cursor that fetched this page ("" for a first page
	// fetched with limit, or one fetched by number).
	Cursor string
	// NextCursor fetches the next page; "" on the last page.
	NextCursor  string
	CurrentPage int
	TotalPages  int
	TotalCount  int
	PageItems   int
}

// Page is one page of a list.
type Page[T any] struct {
	Items []T
	PageInfo
}

func pageSize(limit, maxSize int) int {
	if limit <= 0 || limit > maxSize {
		return maxSize
	}
	return limit
}

// listCall describes one list endpoint and its filters.
type listCall struct {
	path     string
	endpoint string
	params   url.Values
	limit    int
}

// pagesV2 walks a v2 list by its header cursors: the first request carries
// limit and the filters, every later one only cursor=<After-Cursor> (OneLogin
// refuses cursor together with limit or page). start resumes from a cursor.
func pagesV2[T any](ctx context.Context, c *Client, l listCall, start string) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		cursor := start
		for {
			q := url.Values{}
			if cursor == "" {
				q = cloneValues(l.params)
				q.Set("limit", strconv.Itoa(l.limit))
			} else {
				q.Set("cursor", cursor)
			}
			p, err := fetchV2Page[T](ctx, c, l, q)
			if err != nil {
				yield(Page[T]{}, err)
				return
			}
			p.Cursor = cursor
			if !yield(p, nil) || p.NextCursor == "" {
				return
			}
			if p.NextCursor == cursor {
				yield(Page[T]{}, &Error{Code: CodeServerError, Op: http.MethodGet + " " + l.endpoint,
					Message: "list cursor did not advance"})
				return
			}
			cursor = p.NextCursor
		}
	}
}

// pageV2 fetches page number n (1-based) directly, for parallel reads once
// the first page has told how many there are.
func pageV2[T any](ctx context.Context, c *Client, l listCall, n int) (Page[T], error) {
	q := cloneValues(l.params)
	q.Set("limit", strconv.Itoa(l.limit))
	q.Set("page", strconv.Itoa(max(n, 1)))
	return fetchV2Page[T](ctx, c, l, q)
}

func fetchV2Page[T any](ctx context.Context, c *Client, l listCall, q url.Values) (Page[T], error) {
	var items []T
	h, err := c.do(ctx, request{method: http.MethodGet, path: l.path, endpoint: l.endpoint, query: q}, &items)
	if err != nil {
		return Page[T]{}, err
	}
	return Page[T]{Items: items, PageInfo: PageInfo{
		NextCursor:  h.Get("After-Cursor"),
		CurrentPage: headerInt(h, "Current-Page"),
		TotalPages:  headerInt(h, "Total-Pages"),
		TotalCount:  headerInt(h, "Total-Count"),
		PageItems:   headerInt(h, "Page-Items"),
	}}, nil
}

// pagesV1 walks a v1 list by the after_cursor in the body envelope.
func pagesV1[T any](ctx context.Context, c *Client, l listCall, start string) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		cursor := start
		for {
			q := cloneValues(l.params)
			q.Set("limit", strconv.Itoa(l.limit))
			if cursor != "" {
				q.Set("after_cursor", cursor)
			}
			var env struct {
				Pagination struct {
					AfterCursor *string `json:"after_cursor"`
				} `json:"pagination"`
				Data []T `json:"data"`
			}
			if _, err := c.do(ctx, request{method: http.MethodGet, path: l.path, endpoint: l.endpoint, query: q}, &env); err != nil {
				yield(Page[T]{}, err)
				return
			}
			next := ""
			if env.Pagination.AfterCursor != nil {
				next = *env.Pagination.AfterCursor
			}
			p := Page[T]{Items: env.Data, PageInfo: PageInfo{Cursor: cursor, NextCursor: next, PageItems: len(env.Data)}}
			if !yield(p, nil) || next == "" {
				return
			}
			if next == cursor {
				yield(Page[T]{}, &Error{Code: CodeServerError, Op: http.MethodGet + " " + l.endpoint,
					Message: "list cursor did not advance"})
				return
			}
			cursor = next
		}
	}
}

// items flattens a page iterator into an item iterator.
func items[T any](pages iter.Seq2[Page[T], error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for p, err := range pages {
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range p.Items {
				if !yield(it, nil) {
					return
				}
			}
		}
	}
}

func headerInt(h http.Header, key string) int {
	n, _ := strconv.Atoi(h.Get(key))
	return n
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+2)
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
