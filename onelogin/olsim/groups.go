package olsim

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
)

func (s *Server) group(id int64) *Group {
	i, ok := slices.BinarySearchFunc(s.groups, id, func(g Group, id int64) int { return cmp.Compare(g.ID, id) })
	if !ok {
		return nil
	}
	return &s.groups[i]
}

// listGroups serves GET /api/1/groups: v1 envelope, 50 per page (§7).
func (s *Server) listGroups(c *call) *response {
	items := make([]item, len(s.groups))
	for i, g := range s.groups {
		items[i] = groupWire(g)
	}
	return c.list(itemSource("groups", items), listSpec{defLimit: 50, maxLimit: 50,
		filters: map[string]filterSpec{"id": intFilter("id"), "name": textFilter("name")}})
}

// getGroup serves GET /api/1/groups/:id.
func (s *Server) getGroup(c *call) *response {
	id, err := strconv.ParseInt(c.param, 10, 64)
	if err != nil {
		return v1Err(400, v1Attr("id", "ID is incorrect"))
	}
	g := s.group(id)
	if g == nil {
		return v1Err(404, fmt.Sprintf("Group for id %d was not found", id))
	}
	return v1OK([]item{groupWire(*g)})
}
