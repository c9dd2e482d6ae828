package olsim

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// listSpec describes one list endpoint: page sizes, filters and projection.
type listSpec struct {
	defLimit, maxLimit int
	filters            map[string]filterSpec
	customAttrs        bool     // accept custom_attributes.<shortname> filters
	keep               []string // fields every projection keeps
	// defaultFields is the projection when the request has no fields
	// parameter; nil means the full object.
	defaultFields []string
	// defaults are query values assumed when absent; they travel in cursors.
	defaults map[string]string
}

// listQuery is a list request's whole state. The cursor encodes exactly this,
// so a cursor alone reproduces the query (filters need not be repeated).
type listQuery struct {
	limit, page int
	sort        string
	desc        bool
	rest        url.Values // filters and fields
}

// pagingParams never count as filters.
var pagingParams = []string{"limit", "page", "sort", "sort_direction", "cursor", "after_cursor", "before_cursor"}

// cursor encodes the query at another page: standard base64 of a query
// string, like OneLogin's (§5.1).
func (q listQuery) cursor(page int) string {
	dir := "asc"
	if q.desc {
		dir = "desc"
	}
	s := fmt.Sprintf("limit=%d&page=%d&sort=%s&sort_direction=%s", q.limit, page, q.sort, dir)
	if len(q.rest) > 0 {
		s += "&" + q.rest.Encode()
	}
	return base64.StdEncoding.EncodeToString([]byte(s))
}

func decodeCursor(cur string) (url.Values, bool) {
	raw, err := base64.StdEncoding.DecodeString(cur)
	if err != nil {
		return nil, false
	}
	v, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, false
	}
	for _, k := range []string{"limit", "page"} {
		if _, err := strconv.Atoi(v.Get(k)); err != nil {
			return nil, false
		}
	}
	return v, true
}

// badArg answers a paging argument problem in the call's API version.
func (c *call) badArg(description string) *response {
	if c.rt.version == apiV2 {
		return pagingErr(description)
	}
	return v1Err(400, description)
}

func (c *call) parseListQuery(spec listSpec) (listQuery, *response) {
	q := c.query
	var cur string
	if c.rt.version == apiV2 {
		if q.Has("cursor") && (q.Has("limit") || q.Has("page")) {
			return listQuery{}, c.badArg("Requests can only have cursor xor pagination arguments")
		}
		cur = q.Get("cursor")
	} else {
		cur = q.Get("after_cursor")
		if cur == "" {
			cur = q.Get("before_cursor")
		}
	}
	if cur != "" {
		dec, ok := decodeCursor(cur)
		if !ok {
			return listQuery{}, c.badArg("Invalid pagination cursor")
		}
		q = dec
	}
	lq := listQuery{limit: spec.defLimit, page: 1, sort: "id", rest: url.Values{}}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return lq, c.badArg("Invalid limit")
		}
		lq.limit = min(n, spec.maxLimit)
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return lq, c.badArg("Invalid page")
		}
		lq.page = n
	}
	if v := q.Get("sort"); v != "" {
		switch v[0] {
		case '-':
			lq.sort, lq.desc = v[1:], true
		case '+', ' ': // an unescaped "+" arrives as a space
			lq.sort = v[1:]
		default:
			lq.sort = v
		}
	}
	if q.Get("sort_direction") == "desc" {
		lq.desc = true
	}
	for k, vs := range q {
		if !slices.Contains(pagingParams, k) {
			lq.rest[k] = vs
		}
	}
	for k, v := range spec.defaults {
		if !lq.rest.Has(k) {
			lq.rest.Set(k, v)
		}
	}
	return lq, nil
}

// predicates builds the filters the query names; unknown parameters are
// ignored, as OneLogin does.
func (c *call) predicates(q listQuery, spec listSpec) ([]func(item) bool, *response) {
	var preds []func(item) bool
	for k := range q.rest {
		f := spec.filters[k]
		if f == nil && spec.customAttrs && strings.HasPrefix(k, "custom_attributes.") {
			f = textFilter(k)
		}
		if f == nil {
			continue
		}
		pred, err := f(q.rest.Get(k))
		if e := (*Error)(nil); errors.As(err, &e) {
			return nil, c.fail(e.Status, e.Message)
		} else if err != nil {
			return nil, c.fail(400, fmt.Sprintf("invalid value in %q", k))
		}
		preds = append(preds, pred)
	}
	return preds, nil
}

// list is the one paginator: it filters, sorts and pages items against the
// data as it is now (so a delete between pages shifts later pages, as on
// OneLogin), projects fields and renders v2 headers or the v1 envelope.
func (c *call) list(items []item, spec listSpec) *response {
	q, fail := c.parseListQuery(spec)
	if fail != nil {
		return fail
	}
	preds, fail := c.predicates(q, spec)
	if fail != nil {
		return fail
	}
	items = slices.DeleteFunc(items, func(it item) bool {
		for _, p := range preds {
			if !p(it) {
				return true
			}
		}
		return false
	})
	if len(items) > 0 {
		if _, ok := items[0][q.sort]; !ok {
			return c.badArg("Invalid sort field")
		}
	}
	slices.SortStableFunc(items, func(a, b item) int {
		r := compareValues(a[q.sort], b[q.sort])
		if q.desc {
			r = -r
		}
		if r == 0 {
			r = compareValues(a["id"], b["id"])
		}
		return r
	})

	total := len(items)
	pages := (total + q.limit - 1) / q.limit
	start := min((q.page-1)*q.limit, total)
	page := project(items[start:min(start+q.limit, total)], q, spec)
	if page == nil {
		page = []item{} // an empty page is [], never null
	}

	if c.rt.version == apiV1 {
		return c.v1Page(page, q, pages)
	}
	r := v2JSON(200, page)
	h := r.header
	h.Set("Total-Count", strconv.Itoa(total))
	h.Set("Total-Pages", strconv.Itoa(pages))
	h.Set("Current-Page", strconv.Itoa(q.page))
	h.Set("Page-Items", strconv.Itoa(len(page)))
	h.Set("Cursor", q.cursor(q.page))
	if q.page < pages {
		h.Set("After-Cursor", q.cursor(q.page+1))
	}
	if q.page > 1 {
		h.Set("Before-Cursor", q.cursor(q.page-1))
	}
	return r
}

func (c *call) v1Page(page []item, q listQuery, pages int) *response {
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	if p := c.r.Header.Get("X-Forwarded-Proto"); p != "" {
		scheme = p
	}
	base := scheme + "://" + c.r.Host + c.r.URL.Path
	var pag v1Pagination
	if q.page < pages {
		cur := q.cursor(q.page + 1)
		pag.AfterCursor, pag.NextLink = &cur, ptr(base+"?after_cursor="+url.QueryEscape(cur))
	}
	if q.page > 1 {
		cur := q.cursor(q.page - 1)
		pag.BeforeCursor, pag.PreviousLink = &cur, ptr(base+"?before_cursor="+url.QueryEscape(cur))
	}
	r := v1Write(200, "Success", &pag, page)
	r.header.Set("Link", "")
	return r
}

// project keeps the requested fields (plus spec.keep, which always has id).
func project(page []item, q listQuery, spec listSpec) []item {
	fields := spec.defaultFields
	if q.rest.Has("fields") {
		fields = strings.Split(q.rest.Get("fields"), ",")
	}
	if fields == nil {
		return page
	}
	want := append(slices.Clone(spec.keep), "id")
	for _, f := range fields {
		want = append(want, strings.TrimSpace(f))
	}
	out := make([]item, len(page))
	for i, it := range page {
		p := item{}
		for _, f := range want {
			if v, ok := it[f]; ok {
				p[f] = v
			}
		}
		out[i] = p
	}
	return out
}
