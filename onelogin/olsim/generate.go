package olsim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Generator vocabulary. Everything below is drawn from a RNG seeded with
// Options.Seed in a fixed order, so one seed always yields the same org.
var (
	firstNames = []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
		"William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Christopher",
		"Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Sandra", "Mark", "Margaret", "Wei", "Priya", "Kenji",
		"Amara", "Mateo", "Sofia", "Olga", "Ahmed", "Fatima", "Lucas", "Chloe", "Noah", "Aisha", "Diego", "Yuki", "Ingrid",
		"Kwame", "Zoe", "Ravi", "Elena"}
	lastNames = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
		"Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
		"Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
		"Hall", "Rivera", "Campbell", "Mitchell", "Carter", "O'Brien"}
	departments = []string{"Engineering", "Sales", "Marketing", "Finance", "Human Resources", "Support", "Legal", "Operations", "Product", "IT"}
	titles      = []string{"Engineer", "Senior Engineer", "Manager", "Director", "Analyst", "Specialist", "Coordinator",
		"Account Executive", "Designer", "Administrator", "VP", "Intern"}
	companies  = []string{"Acme Inc", "Acme Inc", "Acme Inc", "Acme Labs", "Acme Europe GmbH"}
	groupNames = []string{"Default", "Engineering", "Sales", "Marketing", "Finance", "Support", "Contractors", "Executives",
		"IT Admins", "Interns", "Legal", "Operations", "Design", "Product", "EMEA", "APAC", "Partners", "Temps", "QA", "Security"}
	roleNames = []string{"Default", "Employee", "Engineering", "Sales", "Admins", "Finance", "Support", "Marketing",
		"Contractors", "Managers", "Developers", "DevOps", "HR", "Legal", "Security", "Executives", "Interns", "Design",
		"Data", "QA"}
	customAttributes = []string{"employee_id", "cost_center", "location", "start_date", "badge_number"}
	locations        = []string{"San Francisco", "New York", "London", "Berlin", "Singapore", "Remote"}
	locationPtrs     = ptrs(locations)
	costCenters      = ptrs(func() []string {
		out := make([]string, 40)
		for i := range out {
			out[i] = fmt.Sprintf("CC-%03d", i)
		}
		return out
	}())
	// connectorCatalogue holds real-looking connectors: name and auth method.
	connectorCatalogue = []struct {
		name string
		auth int
	}{
		{"Slack", 2}, {"Zoom", 2}, {"Salesforce", 2}, {"GitHub", 2}, {"Google Workspace", 4}, {"Box", 2},
		{"Dropbox", 0}, {"Jira", 2}, {"Confluence", 2}, {"Workday", 2}, {"AWS Multi Account", 2}, {"Okta Bridge", 8},
		{"Zendesk", 7}, {"ServiceNow", 2}, {"DocuSign", 2}, {"Internal Wiki", 6}, {"Expense Portal", 1},
		{"Reporting API", 3}, {"Custom OIDC App", 8}, {"Legacy Intranet", 0},
	}
	// userStatusWeights: mostly active, some of every other status.
	userStatusWeights = []struct{ status, weight int }{{1, 80}, {0, 3}, {2, 5}, {3, 3}, {4, 2}, {5, 2}, {7, 4}, {8, 1}}
)

const directoryID = 123456 // the one Active Directory connector of generated users

// generator draws an org from one RNG.
type generator struct {
	rng  *rand.Rand
	now  time.Time
	strs map[string]*string // see shared
}

// shared returns one pointer per distinct value, so that a million users do
// not each hold a copy of the same string. Stored pointers are never written
// through, so sharing is safe.
func (g *generator) shared(v string) *string {
	if p, ok := g.strs[v]; ok {
		return p
	}
	if g.strs == nil {
		g.strs = map[string]*string{}
	}
	g.strs[v] = &v
	return &v
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }
func (g *generator) chance(p float64) bool     { return g.rng.Float64() < p }

// past returns a time uniformly in [from, g.now).
func (g *generator) past(from time.Time) time.Time {
	span := g.now.Sub(from)
	if span <= 0 {
		return from
	}
	return from.Add(time.Duration(g.rng.Int64N(int64(span)))).Truncate(time.Millisecond)
}

// within returns a time in [base+offset, base+offset+width).
func (g *generator) within(base time.Time, offset, width time.Duration) time.Time {
	return base.Add(offset + time.Duration(g.rng.Int64N(int64(max(width, 1))))).Truncate(time.Millisecond)
}

// nextID advances an id sequence by a realistic gap.
func (g *generator) nextID(prev int64) int64 { return prev + 1 + g.rng.Int64N(17) }

func (g *generator) status() int {
	n := g.rng.IntN(100)
	for _, w := range userStatusWeights {
		if n < w.weight {
			return w.status
		}
		n -= w.weight
	}
	return statusActive
}

// generate fills s with an org of the requested size.
func generate(s *Server, o Options) {
	g := &generator{rng: rand.New(rand.NewPCG(uint64(o.Seed), 0x67656e)), now: s.clock.Now().UTC().Truncate(time.Millisecond)}
	s.customAttr = slices.Clone(customAttributes)

	connID := int64(50533)
	for _, c := range connectorCatalogue {
		connID = g.nextID(connID)
		s.connectors = append(s.connectors, Connector{ID: connID, Name: c.name, AuthMethod: c.auth,
			AllowsNewParameters: c.auth == 2, IconURL: iconURL(c.name)})
	}

	appID := int64(1061936)
	for i := range o.Apps {
		c := s.connectors[i%len(s.connectors)]
		name := c.Name
		if n := i / len(s.connectors); n > 0 {
			name = fmt.Sprintf("%s %d", c.Name, n+1)
		}
		appID = g.nextID(appID)
		created := g.past(g.now.AddDate(-4, 0, 0))
		a := App{ID: appID, ConnectorID: c.ID, Name: name, AuthMethod: c.AuthMethod, Visible: !g.chance(0.15),
			IconURL: c.IconURL, CreatedAt: created, UpdatedAt: g.past(created)}
		if g.chance(0.3) {
			a.Description = name + " for " + g.pick(departments)
		}
		if g.chance(0.5) {
			a.TabID = 1000 + int64(g.rng.IntN(5))
		}
		s.apps = append(s.apps, a)
	}

	groupID := int64(477660)
	for i := range o.Groups {
		groupID = g.nextID(groupID)
		s.groups = append(s.groups, Group{ID: groupID, Name: numbered(groupNames, i)})
	}

	roleID := int64(199847)
	for i := range o.Roles {
		roleID = g.nextID(roleID)
		r := &role{id: roleID, name: numbered(roleNames, i)}
		for range g.rng.IntN(5) + 1 {
			if len(s.apps) > 0 {
				if id := s.apps[g.rng.IntN(len(s.apps))].ID; !slices.Contains(r.apps, id) {
					r.apps = append(r.apps, id)
				}
			}
		}
		slices.Sort(r.apps)
		s.roles = append(s.roles, r)
	}

	g.users(s, o)
	s.updIdx.settle()
	s.nextUserID += 1000 // a gap, like ids freed by deleted users
}

func ptrs(vs []string) []*string {
	out := make([]*string, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}

// numbered names the i-th item from list, suffixing a number once the list
// runs out.
func numbered(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return fmt.Sprintf("%s %d", list[i%len(list)], i/len(list)+1)
}

func iconURL(name string) string {
	return "https://cdn.onelogin.com/images/icons/" + strings.ToLower(strings.ReplaceAll(name, " ", "_")) + ".png"
}

func (g *generator) users(s *Server, o Options) {
	domain := strings.ToLower(o.Subdomain) + ".com"
	used := map[string]int{} // handle base -> users named so far
	id := int64(36216765)
	ids := make([]int64, 0, o.Users)
	s.users = make(map[int64]*user, o.Users)
	s.order = make(userList, 0, o.Users)
	var slab []user // users are allocated in blocks: far fewer objects for the GC
	start := g.now.AddDate(-3, 0, 0)
	slot := g.now.Sub(start) / time.Duration(max(o.Users, 1))
	for i := range o.Users {
		id = g.nextID(id)
		first, last := g.pick(firstNames), g.pick(lastNames)
		base := strings.ToLower(strings.ReplaceAll(first+"."+last, "'", ""))
		// Names carry no digits, so base2, base3, ... never clash across bases.
		handle := base
		if n := used[base]; n > 0 {
			handle = base + strconv.Itoa(n+1)
		}
		used[base]++
		email := handle + "@" + domain
		if g.chance(0.05) { // some mixed-case emails: invites match them exactly
			email = strings.ReplaceAll(first+"."+last, "'", "") + handle[len(base):] + "@" + domain
		}
		// Ids grow with creation time, as on a real tenant.
		created := g.within(start, slot*time.Duration(i), slot)
		if len(slab) == 0 {
			slab = make([]user, min(o.Users-i, 4096))
		}
		u := &slab[0]
		slab = slab[1:]
		*u = user{User: User{
			ID: id, Username: handle, Email: email, Firstname: first, Lastname: last,
			Title: g.pick(titles), Department: g.pick(departments), Company: g.pick(companies),
			Phone:  fmt.Sprintf("+1415555%04d", g.rng.IntN(10000)),
			Status: g.status(), State: 1, CreatedAt: created,
		}, custom: make([]*string, len(customAttributes))}
		g.blankSome(&u.User)
		if n := g.rng.IntN(20); n < 3 {
			u.State = []int{0, 2, 3}[n]
		}
		// Positions in customAttributes. Stored pointers are never written
		// through (writes replace them), so users may share one.
		if g.chance(0.8) {
			u.custom[0] = ptr(fmt.Sprintf("E%06d", id%1000000))
		}
		if g.chance(0.6) {
			u.custom[1] = costCenters[g.rng.IntN(len(costCenters))]
		}
		if g.chance(0.5) {
			u.custom[2] = locationPtrs[g.rng.IntN(len(locationPtrs))]
		}
		if g.chance(0.3) {
			u.custom[3] = ptr(created.Format("2006-01-02"))
		}
		if len(ids) > 0 && g.chance(0.7) {
			u.ManagerUserID = ids[g.rng.IntN(len(ids))]
		}
		if len(s.groups) > 0 && g.chance(0.9) {
			u.GroupID = s.groups[g.rng.IntN(len(s.groups))].ID
		}
		g.directory(&u.User, domain)
		g.timeline(u)
		if len(s.roles) > 0 && g.chance(0.9) { // most users hold one to three roles
			for range 1 + g.rng.IntN(3) {
				m := member{id: id, addedAt: g.past(created).UnixMilli(), addedBy: firstOr(ids, id)}
				s.roles[g.rng.IntN(len(s.roles))].users.add(m)
			}
		}
		s.users[id] = u
		s.order = append(s.order, u)
		s.regroup(id, 0, u.GroupID)
		s.updIdx.add(id, u.UpdatedAt)
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return
	}
	s.ownerID, s.nextUserID = ids[0], id
	for _, r := range s.roles {
		for range g.rng.IntN(2) + 1 {
			r.admins.add(member{id: ids[g.rng.IntN(len(ids))], addedAt: g.past(g.now.AddDate(-1, 0, 0)).UnixMilli(), addedBy: ids[0]})
		}
	}
}

func firstOr(ids []int64, def int64) int64 {
	if len(ids) > 0 {
		return ids[0]
	}
	return def
}

// blankSome empties a few string fields: real tenants return "" a lot.
func (g *generator) blankSome(u *User) {
	for _, f := range []struct {
		p *string
		q float64
	}{{&u.Phone, 0.3}, {&u.Company, 0.2}, {&u.Title, 0.1}, {&u.Department, 0.1}} {
		if g.chance(f.q) {
			*f.p = ""
		}
	}
	if g.chance(0.1) {
		u.Comment = "Imported from HRIS"
	}
}

// directory makes a quarter of users look synced from Active Directory.
func (g *generator) directory(u *User, domain string) {
	if !g.chance(0.25) {
		if g.chance(0.3) {
			u.OpenIDName = ptr(u.Username)
		}
		return
	}
	full := u.Firstname + " " + u.Lastname
	u.DirectoryID = directoryID
	u.ExternalID = ptr(fmt.Sprintf("%08x-%04x-%04x", g.rng.Uint32(), g.rng.Uint32()&0xffff, g.rng.Uint32()&0xffff))
	u.DistinguishedName = ptr("CN=" + full + ",OU=Users,DC=" + strings.TrimSuffix(domain, ".com") + ",DC=local")
	sam := strings.ReplaceAll(u.Username, ".", "")
	u.Samaccountname = ptr(sam[:min(20, len(sam))])
	u.Userprincipalname = ptr(strings.ToLower(u.Email))
	u.MemberOf = g.shared("CN=Staff,OU=Groups,DC=" + strings.TrimSuffix(domain, ".com") + ",DC=local")
	u.PreferredLocaleCode = g.shared("en")
}

// timeline sets timestamps and password state consistent with the status.
func (g *generator) timeline(u *user) {
	withPassword := u.Status != statusUnactivated && u.Status != statusPasswordPending
	if withPassword {
		u.password = fmt.Sprintf("Generated-%d", u.ID)
		u.HasPassword = true
		u.ActivatedAt = ptr(g.past(u.CreatedAt))
		u.PasswordChangedAt = ptr(g.past(*u.ActivatedAt))
		if g.chance(0.85) {
			u.LastLogin = ptr(g.past(*u.ActivatedAt))
		}
	} else if g.chance(0.5) {
		u.InvitationSentAt = ptr(g.past(u.CreatedAt))
	}
	if u.Status == statusLocked {
		u.LockedUntil = ptr(g.now.Add(time.Duration(30+g.rng.IntN(60)) * time.Minute))
		u.InvalidLoginAttempts = 3 + g.rng.IntN(3)
	}
	u.UpdatedAt = g.past(u.CreatedAt)
	for _, t := range []*time.Time{u.ActivatedAt, u.PasswordChangedAt, u.LastLogin, u.InvitationSentAt} {
		if t != nil && t.After(u.UpdatedAt) {
			u.UpdatedAt = *t
		}
	}
}
