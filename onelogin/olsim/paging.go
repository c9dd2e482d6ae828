package olsim

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
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
	// defaultDesc orders by id descending when the request names no sort.
	defaultDesc bool
}

// listQuery is a list request's whole state. The cursor encodes exactly this,
// so a cursor alone reproduces the query (filters need not be repeated).
type listQuery struct {
	limit, page int
	sort        string
	desc        bool
	rest        url.Values // filters and fields
	onlyPaging  bool       // cursors leave rest out
}

// pagingParams never count as filters.
var pagingParams = []string{"limit", "page", "sort", "sort_direction", "cursor", "after_cursor", "before_cursor"}

// cursor encodes the query at another page: standard base64 of a query
// string, like OneLogin's (§5.1).
// With Options.CursorKeepsOnlyPaging it holds the paging state alone.
func (q listQuery) cursor(page int) string {
	dir := "asc"
	if q.desc {
		dir = "desc"
	}
	s := fmt.Sprintf("limit=%d&page=%d&sort=%s&sort_direction=%s", q.limit, page, q.sort, dir)
	if len(q.rest) > 0 && !q.onlyPaging {
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
		if c.s.opts.CursorKeepsOnlyPaging { // [U] filters count only when repeated
			for k, vs := range q {
				if !slices.Contains(pagingParams, k) {
					dec[k] = vs
				}
			}
		}
		q = dec
	}
	lq := listQuery{limit: spec.defLimit, page: 1, sort: "id", rest: url.Values{}, onlyPaging: c.s.opts.CursorKeepsOnlyPaging}
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
	lq.desc = spec.defaultDesc && !q.Has("sort") && !q.Has("sort_direction")
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

// predicates builds the filters the query names, by parameter; unknown
// parameters are ignored, as OneLogin does.
func (c *call) predicates(q listQuery, spec listSpec) (map[string]predicate, *response) {
	preds := map[string]predicate{}
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
		preds[k] = pred
	}
	return preds, nil
}

// source is a collection the paginator pages over, addressed by id.
type source struct {
	key string                // names the collection in cache keys (route and parent id)
	all idSeq                 // every element, ascending by id
	rec func(id int64) record // an element as filters and sorts see it
	// recs, if set, reads candidates by position for a scan; the record it
	// returns is valid until the next call.
	recs func(cands idSeq) func(i int) record
	// render is an element's wire form. fields is the projection the page
	// will keep (nil: every field); render may leave out fields it does not
	// name, to skip costly ones.
	render func(id int64, fields []string) item
	// narrow, if set, answers filters from an index: candidate ids
	// (ascending) and the parameters they fully answer. nil candidates
	// means no index applies.
	narrow func(q listQuery) (idSeq, []string)
}

// itemSource pages over rendered elements, for small collections.
func itemSource(key string, items []item) source {
	byID := make(map[int64]item, len(items))
	ids := make(idList, 0, len(items))
	for _, it := range items {
		id, _ := asInt64(it["id"])
		byID[id] = it
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return source{key: key, all: ids,
		rec:    func(id int64) record { return itemRecord(byID[id]) },
		render: func(id int64, _ []string) item { return byID[id] },
	}
}

// list is the one paginator: it filters, sorts and pages a source against
// the data as it is now (so a delete between pages shifts later pages, as on
// OneLogin), projects fields and renders v2 headers or the v1 envelope.
func (c *call) list(src source, spec listSpec) *response {
	q, fail := c.parseListQuery(spec)
	if fail != nil {
		return fail
	}
	preds, fail := c.predicates(q, spec)
	if fail != nil {
		return fail
	}
	cands := src.all
	if src.narrow != nil {
		if ids, used := src.narrow(q); ids != nil {
			cands = ids
			for _, k := range used {
				delete(preds, k)
			}
		}
	}
	matched, fail := c.match(src, q, cands, preds)
	if fail != nil {
		return fail
	}

	total := matched.Len()
	pages := (total + q.limit - 1) / q.limit
	start := min((q.page-1)*q.limit, total)
	end := min(start+q.limit, total)
	fields := projection(q, spec)
	rendered := make([]item, 0, end-start)
	for i := start; i < end; i++ {
		j := i
		if q.desc && q.sort == "id" {
			j = total - 1 - i
		}
		rendered = append(rendered, src.render(matched.At(j), fields))
	}
	page := project(rendered, fields)

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
	if c.s.opts.V2LinkHeader {
		c.linkHeader(h, q, pages)
	}
	return r
}

// linkHeader sets an RFC 8288 Link header ([U] format): rel="next" only
// when there is a next page, rel="prev" only after page 1.
func (c *call) linkHeader(h http.Header, q listQuery, pages int) {
	var links []string
	if q.page < pages {
		links = append(links, fmt.Sprintf(`<%s?cursor=%s>; rel="next"`, c.baseURL(), url.QueryEscape(q.cursor(q.page+1))))
	}
	if q.page > 1 {
		links = append(links, fmt.Sprintf(`<%s?cursor=%s>; rel="prev"`, c.baseURL(), url.QueryEscape(q.cursor(q.page-1))))
	}
	if len(links) > 0 {
		h.Set("Link", strings.Join(links, ", "))
	}
}

// baseURL is the request's URL without its query, as the client reached it.
func (c *call) baseURL() string {
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	if p := c.r.Header.Get("X-Forwarded-Proto"); p != "" {
		scheme = p
	}
	return scheme + "://" + c.r.Host + c.r.URL.Path
}

// match filters the candidates and orders them by the sort field (ties by
// id). Ordered by id, the result is ascending and list reads it backwards
// for a descending sort. Unfiltered id order is the candidates themselves;
// anything else is computed once per data version.
func (c *call) match(src source, q listQuery, cands idSeq, preds map[string]predicate) (idSeq, *response) {
	if cands.Len() > 0 {
		if _, ok := src.rec(cands.At(0)).value(q.sort); !ok || strings.Contains(q.sort, ".") {
			return nil, c.badArg("Invalid sort field")
		}
	}
	if len(preds) == 0 && q.sort == "id" {
		return cands, nil
	}
	filters := maps.Clone(q.rest)
	filters.Del("fields")
	key := fmt.Sprintf("%s|%s|%t|%s", src.key, q.sort, q.desc, filters.Encode())
	return c.s.cached(key, func() idList {
		recAt := func(i int) record { return src.rec(cands.At(i)) }
		if src.recs != nil {
			recAt = src.recs(cands)
		}
		checks := slices.Collect(maps.Values(preds))
		out := make(idList, 0, min(cands.Len(), 1024))
	next:
		for i := range cands.Len() {
			r := recAt(i)
			for _, p := range checks {
				if !p(r) {
					continue next
				}
			}
			out = append(out, cands.At(i))
		}
		if q.sort != "id" {
			sortByField(out, src, q.sort, q.desc)
		}
		return out
	}), nil
}

// sortByField orders ids by one field (nulls last), ties ascending by id.
func sortByField(ids idList, src source, field string, desc bool) {
	type keyed struct {
		key any
		id  int64
	}
	ks := make([]keyed, len(ids))
	for i, id := range ids {
		ks[i] = keyed{lookup(src.rec(id), field), id}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		r := compareValues(a.key, b.key)
		if desc {
			r = -r
		}
		return cmp.Or(r, cmp.Compare(a.id, b.id))
	})
	for i, k := range ks {
		ids[i] = k.id
	}
}

func (c *call) v1Page(page []item, q listQuery, pages int) *response {
	base := c.baseURL()
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

// projection lists the fields a page keeps: the requested ones (or the
// spec's default) plus spec.keep and id; nil means every field.
func projection(q listQuery, spec listSpec) []string {
	fields := spec.defaultFields
	if q.rest.Has("fields") {
		fields = strings.Split(q.rest.Get("fields"), ",")
	}
	if fields == nil {
		return nil
	}
	want := append(slices.Clone(spec.keep), "id")
	for _, f := range fields {
		want = append(want, strings.TrimSpace(f))
	}
	return want
}

// project keeps the fields of a projection (nil keeps everything).
func project(page []item, want []string) []item {
	if want == nil {
		return page
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
