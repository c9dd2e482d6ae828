// Package demosim is the demo's OneLogin tenant: the simulator, seeded,
// behind the cli.DemoTenant interface. Only cmd/olflow-demo and the tests
// link it; the olflow binary does not.
package demosim

import (
	"time"

	"github.com/olflow/olflow/internal/cli"
	"github.com/olflow/olflow/onelogin/olsim"
)

type tenant struct{ *olsim.Server }

// New is a cli.NewDemoTenant: a seeded org of users users, 30 groups, 40
// roles and 30 apps, every call delayed by latency.
func New(users int, latency time.Duration) cli.DemoTenant {
	return tenant{olsim.New(olsim.Options{Seed: 1, Users: users, Groups: 30, Roles: 40, Apps: 30,
		Faults: olsim.Faults{Latency: latency}})}
}

func (tenant) Subdomain() string    { return olsim.DefaultSubdomain }
func (tenant) ClientID() string     { return olsim.DefaultClientID }
func (tenant) ClientSecret() string { return olsim.DefaultClientSecret }

// NewHire adds Ada Lovelace, not yet started, and picks the first group
// and the first two roles.
func (t tenant) NewHire() (cli.Hire, error) {
	u, err := t.CreateUser(olsim.Fields{"email": "ada.lovelace@acme.example", "username": "ada.lovelace",
		"firstname": "Ada", "lastname": "Lovelace", "title": "Analyst", "status": 0})
	if err != nil {
		return cli.Hire{}, err
	}
	groups, roles := t.Groups(), t.Roles()
	return cli.Hire{Email: u.Email, Username: u.Username, Group: cli.NamedID{ID: groups[0].ID, Name: groups[0].Name},
		Roles: []cli.NamedID{{ID: roles[0].ID, Name: roles[0].Name}, {ID: roles[1].ID, Name: roles[1].Name}}}, nil
}
