package olsim

import (
	"cmp"
	"slices"
	"time"
)

// Indexes keep list requests proportional to the page, not to the org: at a
// million users a scan costs tens of milliseconds, a page must cost a few.

// idSeq is an ascending sequence of ids the paginator walks.
type idSeq interface {
	Len() int
	At(i int) int64
}

// idList is a sorted, duplicate-free id slice.
type idList []int64

func (l idList) Len() int          { return len(l) }
func (l idList) At(i int) int64    { return l[i] }
func (l idList) has(id int64) bool { _, ok := slices.BinarySearch(l, id); return ok }

// insert adds id in order; false when it was already there.
func (l *idList) insert(id int64) bool {
	i, ok := slices.BinarySearch(*l, id)
	if ok {
		return false
	}
	*l = slices.Insert(*l, i, id)
	return true
}

// remove deletes id; false when it was not there.
func (l *idList) remove(id int64) bool {
	i, ok := slices.BinarySearch(*l, id)
	if ok {
		*l = slices.Delete(*l, i, i+1)
	}
	return ok
}

// mergeIDs unions ascending sequences into one ascending, duplicate-free list.
func mergeIDs(seqs ...idSeq) idList {
	switch len(seqs) {
	case 0:
		return idList{}
	case 1:
		if l, ok := seqs[0].(idList); ok {
			return l
		}
	}
	n := 0
	for _, s := range seqs {
		n += s.Len()
	}
	out := make(idList, 0, n)
	for _, s := range seqs {
		for i := range s.Len() {
			out = append(out, s.At(i))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// userList is every user, ascending by id: the paging order of the
// unfiltered list, scanned without a map lookup per user.
type userList []*user

func (l userList) Len() int       { return len(l) }
func (l userList) At(i int) int64 { return l[i].ID }

func (l userList) find(id int64) (int, bool) {
	return slices.BinarySearchFunc(l, id, func(u *user, id int64) int { return cmp.Compare(u.ID, id) })
}

func (l *userList) insert(u *user) {
	if i, ok := l.find(u.ID); !ok {
		*l = slices.Insert(*l, i, u)
	}
}

func (l *userList) remove(id int64) {
	if i, ok := l.find(id); ok {
		*l = slices.Delete(*l, i, i+1)
	}
}

// member is one role membership; times are Unix milliseconds to keep the
// millions of memberships of a large org small.
type member struct {
	id      int64
	addedAt int64
	addedBy int64
}

// memberSet is a role's users or admins, ascending by user id: binary search
// answers "is a member", and the slice itself is the paging order.
type memberSet []member

func (m memberSet) Len() int       { return len(m) }
func (m memberSet) At(i int) int64 { return m[i].id }

func (m memberSet) find(id int64) (int, bool) {
	return slices.BinarySearchFunc(m, id, func(e member, id int64) int { return cmp.Compare(e.id, id) })
}

func (m memberSet) get(id int64) (member, bool) {
	i, ok := m.find(id)
	if !ok {
		return member{}, false
	}
	return m[i], true
}

// add inserts e unless its user is already a member.
func (m *memberSet) add(e member) bool {
	i, ok := m.find(e.id)
	if ok {
		return false
	}
	*m = slices.Insert(*m, i, e)
	return true
}

func (m *memberSet) remove(id int64) bool {
	i, ok := m.find(id)
	if ok {
		*m = slices.Delete(*m, i, i+1)
	}
	return ok
}

func (m memberSet) ids() []int64 {
	out := make([]int64, len(m))
	for i, e := range m {
		out[i] = e.id
	}
	return out
}

// updEntry says that user id got updated_at = at (Unix nanoseconds).
type updEntry struct {
	at int64
	id int64
}

// updIndex answers updated_since without a scan. Every change appends an
// entry; an entry whose time no longer equals the user's updated_at (touched
// again, or deleted) is stale and skipped. The log is kept in time order:
// an append out of order (a clock moved back) marks it for a sort on the
// next read, and stale entries are compacted away once they outnumber the
// live ones.
type updIndex struct {
	log      []updEntry
	unsorted bool
}

func (x *updIndex) add(id int64, at time.Time) {
	e := updEntry{at: at.UnixNano(), id: id}
	if n := len(x.log); n > 0 && e.at < x.log[n-1].at {
		x.unsorted = true
	}
	x.log = append(x.log, e)
}

// settle restores time order after out-of-order appends.
func (x *updIndex) settle() {
	if x.unsorted {
		slices.SortFunc(x.log, func(a, b updEntry) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id)) })
		x.unsorted = false
	}
}

// since returns the ids of users updated after t (at or after, when
// inclusive), ascending.
func (x *updIndex) since(users map[int64]*user, t time.Time, inclusive bool) idList {
	live := func(e updEntry) bool { u := users[e.id]; return u != nil && u.UpdatedAt.UnixNano() == e.at }
	if len(x.log) > 2*len(users)+1024 {
		x.log = slices.DeleteFunc(x.log, func(e updEntry) bool { return !live(e) })
	}
	x.settle()
	at := t.UnixNano()
	i, _ := slices.BinarySearchFunc(x.log, at, func(e updEntry, at int64) int {
		if e.at < at || e.at == at && !inclusive {
			return -1
		}
		return 1
	})
	var out idList
	for _, e := range x.log[i:] {
		if live(e) {
			out = append(out, e.id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// listCache keeps a few filtered or re-sorted id lists, valid while the data
// version they were computed at stands: paging through a filtered list then
// costs one scan, not one per page.
type listCache struct {
	entries []cacheEntry // most recent last
}

type cacheEntry struct {
	key     string
	version uint64
	ids     idList
}

// The cache holds at most listCacheSize lists and listCacheIDs ids in all
// (32 MB), whichever comes first; the oldest go first.
const (
	listCacheSize = 16
	listCacheIDs  = 4 << 20
)

func (c *listCache) get(key string, version uint64) (idList, bool) {
	for _, e := range c.entries {
		if e.key == key && e.version == version {
			return e.ids, true
		}
	}
	return nil, false
}

func (c *listCache) put(key string, version uint64, ids idList) {
	c.entries = slices.DeleteFunc(c.entries, func(e cacheEntry) bool { return e.key == key || e.version != version })
	c.entries = append(c.entries, cacheEntry{key: key, version: version, ids: ids})
	total := 0
	for _, e := range c.entries {
		total += len(e.ids)
	}
	for len(c.entries) > listCacheSize || total > listCacheIDs && len(c.entries) > 1 {
		total -= len(c.entries[0].ids)
		c.entries = slices.Delete(c.entries, 0, 1)
	}
}

// cached returns the list under key at the current data version, computing
// it at most once per version.
func (s *Server) cached(key string, compute func() idList) idList {
	if ids, ok := s.cache.get(key, s.version); ok {
		return ids
	}
	ids := compute()
	s.cache.put(key, s.version, ids)
	return ids
}
