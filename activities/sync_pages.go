package activities

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/onelogin"
)

// pageSet is a set of page numbers kept as sorted, disjoint, non-adjacent
// ranges: a read done in order is one range however long it is, and a
// parallel one has at most a few gaps, so heartbeats stay small.
type pageSet []pageSpan

type pageSpan struct{ lo, hi int }

func (s pageSet) has(n int) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i].hi >= n })
	return i < len(s) && s[i].lo <= n
}

func (s pageSet) add(n int) pageSet {
	if n < 1 || s.has(n) {
		return s
	}
	i := sort.Search(len(s), func(i int) bool { return s[i].lo > n })
	left := i > 0 && s[i-1].hi == n-1
	right := i < len(s) && s[i].lo == n+1
	switch {
	case left && right:
		s[i-1].hi = s[i].hi
		return slices.Delete(s, i, i+1)
	case left:
		s[i-1].hi = n
	case right:
		s[i].lo = n
	default:
		s = slices.Insert(s, i, pageSpan{n, n})
	}
	return s
}

func (s pageSet) count() int {
	n := 0
	for _, r := range s {
		n += r.hi - r.lo + 1
	}
	return n
}

// missing lists the pages from 1 to total not in the set.
func (s pageSet) missing(total int) []int {
	var out []int
	for n := 1; n <= total; n++ {
		if !s.has(n) {
			out = append(out, n)
		}
	}
	return out
}

// String renders "1-241,250,252-260".
func (s pageSet) String() string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(r.lo))
		if r.hi > r.lo {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(r.hi))
		}
	}
	return b.String()
}

func parsePageSet(str string) (pageSet, error) {
	var s pageSet
	if str == "" {
		return s, nil
	}
	for part := range strings.SplitSeq(str, ",") {
		a, b, isRange := strings.Cut(part, "-")
		lo, err := strconv.Atoi(a)
		hi := lo
		if err == nil && isRange {
			hi, err = strconv.Atoi(b)
		}
		if err != nil || lo < 1 || hi < lo || hi-lo > 1<<24 {
			return nil, fmt.Errorf("bad page range %q in %q", part, str)
		}
		for n := lo; n <= hi; n++ {
			s = s.add(n)
		}
	}
	return s, nil
}

// userPages reads GET /api/2/users by page number with the same query on
// every request (filters repeated, never taken from a cursor: one real
// cursor kept only limit, sort and page, so later pages came unfiltered).
// Page 1, or the first page a resumed read lacks, is read first because it
// announces the page count; the others are fetched parallel at a time while
// one goroutine writes them in the order they arrive, so the store writes
// overlap the requests in flight. A page whose read failed transiently does
// not stop the others: it is read again once they are done.
type userPages struct {
	a        *Activities
	c        *onelogin.Client
	pr       *progress
	q        onelogin.UserQuery
	parallel int
	write    func([]onelogin.User) (directory.PageResult, error)

	mu       sync.Mutex
	maxTotal int
}

// readAgain is how many more times a page is read after its read failed
// (the client already retried each request).
const readAgain = 1

func (r *userPages) run(ctx context.Context) error {
	done, total := r.pr.donePages()
	if total == 0 {
		first := 1
		for done.has(first) {
			first++
		}
		p, err := r.fetch(ctx, first)
		if err != nil {
			return err
		}
		if err := r.store(fetchedPage{first, p}); err != nil {
			return err
		}
		done, total = r.pr.donePages()
	}
	r.noteTotal(total)
	for {
		todo := done.missing(total)
		for pass := 0; len(todo) > 0; pass++ {
			failed, err := r.round(ctx, todo)
			if err != nil {
				return err
			}
			if len(failed) > 0 && pass == readAgain {
				return failed[0].err
			}
			todo = todo[:0]
			for _, f := range failed {
				todo = append(todo, f.n)
			}
			slices.Sort(todo)
		}
		// Users created during the read land after the announced last page:
		// a later page's answer announces more pages.
		done, _ = r.pr.donePages()
		grown := r.total()
		if grown <= total {
			return nil
		}
		total = grown
		r.pr.setTotal(total)
	}
}

type failedPage struct {
	n   int
	err error
}

type fetchedPage struct {
	n    int
	page onelogin.Page[onelogin.User]
}

// round reads pages. It returns the pages whose read failed transiently;
// any other failure (the store, a refused credential, the rate budget,
// cancellation) stops the round and is returned.
func (r *userPages) round(ctx context.Context, pages []int) ([]failedPage, error) {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	// parallel requests are in flight, never more, but twice as many
	// readers take turns at them: while one decodes its page or hands it
	// to the writer, another's request already waits on OneLogin. Slots
	// are taken in page order and the rate budget is checked holding one,
	// so pages go out in order and a sync stops short of the reserve. The
	// queue to the writer holds a few batches, so a slow commit does not
	// hold up the requests.
	slots := onelogin.NewRequestSlots(r.parallel)
	ctx = onelogin.WithRequestSlots(ctx, slots)
	out := make(chan fetchedPage, 4*r.parallel)
	written := make(chan error, 1)
	go func() {
		var err error
		for f := range out {
			// Pages that arrived while the last write ran go in one write:
			// one transaction (one commit) for several pages.
			batch := []fetchedPage{f}
		more:
			for len(batch) < r.parallel {
				select {
				case g, ok := <-out:
					if !ok {
						break more
					}
					batch = append(batch, g)
				default:
					break more
				}
			}
			if err == nil {
				if err = r.store(batch...); err != nil {
					stop(err)
				}
			}
		}
		written <- err
	}()

	var mu sync.Mutex
	var failed []failedPage
	var budgetErr error
	var g errgroup.Group // no shared cancel: one failed page leaves the others running
	g.SetLimit(2 * r.parallel)
	for _, n := range pages {
		held, done, err := slots.Take(ctx)
		if err != nil {
			break // ctx ended: its cause is returned below
		}
		if err := r.a.waitForBudget(held, r.c, r.pr.heartbeat); err != nil {
			// The pages in flight are still written: their calls are spent.
			done()
			budgetErr = err
			break
		}
		g.Go(func() error {
			defer done()
			p, err := r.get(held, n)
			if err != nil {
				if ctx.Err() == nil && readAgainLater(err) {
					mu.Lock()
					failed = append(failed, failedPage{n, err})
					mu.Unlock()
					return nil
				}
				stop(err)
				return err
			}
			select {
			case out <- fetchedPage{n, p}:
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		})
	}
	ferr := g.Wait()
	close(out)
	if err := <-written; err != nil {
		return nil, err
	}
	if cause := context.Cause(ctx); cause != nil {
		return nil, cause
	}
	if budgetErr != nil {
		return nil, budgetErr
	}
	return failed, ferr
}

// readAgainLater says a failed page read may succeed if tried again now.
func readAgainLater(err error) bool {
	switch onelogin.CodeOf(err) {
	case onelogin.CodeServerError, onelogin.CodeNetwork:
		return true
	}
	return false
}

// fetch waits for rate budget and reads page n.
func (r *userPages) fetch(ctx context.Context, n int) (onelogin.Page[onelogin.User], error) {
	if err := r.a.waitForBudget(ctx, r.c, r.pr.heartbeat); err != nil {
		return onelogin.Page[onelogin.User]{}, err
	}
	return r.get(ctx, n)
}

// get reads page n and notes the page count it announces.
func (r *userPages) get(ctx context.Context, n int) (onelogin.Page[onelogin.User], error) {
	p, err := r.c.UsersPage(ctx, r.q, n)
	if err == nil {
		r.noteTotal(p.TotalPages)
	}
	return p, err
}

// store writes pages in one write and records them.
func (r *userPages) store(pages ...fetchedPage) error {
	var users []onelogin.User
	for _, f := range pages {
		users = append(users, f.page.Items...)
	}
	var res directory.PageResult
	if len(users) > 0 {
		var err error
		if res, err = r.write(users); err != nil {
			return err
		}
	}
	r.pr.pagesDone(pages, res)
	return nil
}

func (r *userPages) noteTotal(t int) {
	r.mu.Lock()
	r.maxTotal = max(r.maxTotal, t)
	r.mu.Unlock()
}

func (r *userPages) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.maxTotal
}
