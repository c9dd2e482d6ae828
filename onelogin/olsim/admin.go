package olsim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// adminHandler serves the admin API documented in the package comment.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, f func(*http.Request) (any, error)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			v, err := f(r)
			status := http.StatusOK
			if err != nil {
				status, v = adminError(err)
			}
			w.Header().Set("Content-Type", contentTypeV2)
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(v)
		})
	}
	h("GET /__olsim/state", s.adminState)
	h("GET /__olsim/stats", func(*http.Request) (any, error) { return s.adminStats(), nil })
	h("GET /__olsim/endpoints", func(*http.Request) (any, error) { return s.EndpointKeys(), nil })
	h("GET /__olsim/faults", func(*http.Request) (any, error) { return s.Faults(), nil })
	h("PUT /__olsim/faults", s.adminSetFaults)
	h("POST /__olsim/faults", s.adminSetFaults)
	h("DELETE /__olsim/faults", func(*http.Request) (any, error) { s.SetFaults(Faults{}); return s.Faults(), nil })
	h("POST /__olsim/clock", s.adminClock)

	h("GET /__olsim/users", func(*http.Request) (any, error) { return wireUsers(s.Users()), nil })
	h("POST /__olsim/users", func(r *http.Request) (any, error) {
		var f Fields
		if err := decode(r, &f); err != nil {
			return nil, err
		}
		return wireUser(s.CreateUser(f))
	})
	h("GET /__olsim/users/{id}", func(r *http.Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		u, ok := s.User(id)
		if !ok {
			return nil, ErrNotFound
		}
		return userWire(u, false), nil
	})
	h("PUT /__olsim/users/{id}", func(r *http.Request) (any, error) {
		var f Fields
		id, err := pathID(r)
		if err == nil {
			err = decode(r, &f)
		}
		if err != nil {
			return nil, err
		}
		return wireUser(s.UpdateUser(id, f))
	})
	h("DELETE /__olsim/users/{id}", func(r *http.Request) (any, error) {
		id, err := pathID(r)
		if err == nil {
			err = s.DeleteUser(id)
		}
		return map[string]int64{"deleted": id}, err
	})
	h("PUT /__olsim/users/{id}/group", func(r *http.Request) (any, error) {
		var body struct {
			GroupID *int64 `json:"group_id"`
		}
		id, err := pathID(r)
		if err == nil {
			err = decode(r, &body)
		}
		if err != nil {
			return nil, err
		}
		return wireUser(s.UpdateUser(id, Fields{"group_id": body.GroupID}))
	})
	roles := func(add bool) func(*http.Request) (any, error) {
		return func(r *http.Request) (any, error) {
			var body struct {
				RoleIDs []int64 `json:"role_ids"`
			}
			id, err := pathID(r)
			if err == nil {
				err = decode(r, &body)
			}
			if err == nil {
				err = s.changeUserRoles(id, body.RoleIDs, add)
			}
			if err != nil {
				return nil, err
			}
			u, _ := s.User(id)
			return userWire(u, false), nil
		}
	}
	h("POST /__olsim/users/{id}/roles", roles(true))
	h("DELETE /__olsim/users/{id}/roles", roles(false))

	h("GET /__olsim/groups", func(*http.Request) (any, error) { return mapAll(s.Groups(), groupWire), nil })
	h("GET /__olsim/roles", func(*http.Request) (any, error) { return s.roleSnapshotsWire(), nil })
	h("GET /__olsim/apps", func(*http.Request) (any, error) { return mapAll(s.Apps(), appWire), nil })
	h("GET /__olsim/invites", func(*http.Request) (any, error) { return orEmpty(s.SentInvites()), nil })
	h("GET /__olsim/logouts", func(*http.Request) (any, error) { return orEmpty(s.LoggedOut()), nil })

	h("GET /__olsim/credentials", func(*http.Request) (any, error) { return s.credentialsWire(), nil })
	h("POST /__olsim/credentials", func(r *http.Request) (any, error) {
		var body credentialJSON
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		sc := ScopeManageAll
		if body.Scope != "" {
			var err error
			if sc, err = ParseScope(body.Scope); err != nil {
				return nil, &Error{Status: 400, Message: err.Error()}
			}
		}
		if body.ClientID == "" || body.ClientSecret == "" {
			return nil, &Error{Status: 400, Message: "client_id and client_secret are required"}
		}
		s.AddCredential(Credential{ClientID: body.ClientID, ClientSecret: body.ClientSecret, Scope: sc, OwnerDeleted: body.OwnerDeleted})
		return s.credentialsWire(), nil
	})
	h("DELETE /__olsim/credentials/{client_id}", func(r *http.Request) (any, error) {
		return s.credentialsWire(), s.RemoveCredential(r.PathValue("client_id"))
	})
	h("PUT /__olsim/credentials/{client_id}/owner_deleted", func(r *http.Request) (any, error) {
		var body struct {
			OwnerDeleted bool `json:"owner_deleted"`
		}
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		return s.credentialsWire(), s.SetCredentialOwnerDeleted(r.PathValue("client_id"), body.OwnerDeleted)
	})
	h("POST /__olsim/tokens/revoke", func(*http.Request) (any, error) { s.RevokeAllTokens(); return map[string]bool{"revoked": true}, nil })
	h("GET /__olsim/writes", func(*http.Request) (any, error) { return s.AllWrites(), nil })
	h("GET /__olsim/writes/{id}", func(r *http.Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		w := s.Writes(id)
		if w == nil {
			w = map[string]int{}
		}
		return w, nil
	})
	h("GET /__olsim/events", func(*http.Request) (any, error) {
		events := s.Events()
		return mapAll(events, func(e Event) item { return eventWire(&e) }), nil
	})
	h("GET /__olsim/webhook", func(*http.Request) (any, error) { return s.WebhookStats(), nil })
	h("PUT /__olsim/webhook", func(r *http.Request) (any, error) {
		var w Webhook
		if err := decode(r, &w); err != nil {
			return nil, err
		}
		return s.WebhookStats(), s.SetWebhook(w)
	})
	h("DELETE /__olsim/webhook", func(*http.Request) (any, error) { return WebhookStats{}, s.SetWebhook(Webhook{}) })
	h("POST /__olsim/counters/reset", func(*http.Request) (any, error) { s.ResetCounters(); return s.adminStats(), nil })
	return mux
}

type credentialJSON struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
	Scope        string `json:"scope"`
	OwnerDeleted bool   `json:"owner_deleted"`
}

func (s *Server) credentialsWire() []credentialJSON {
	var out []credentialJSON
	for _, c := range s.Credentials() {
		out = append(out, credentialJSON{ClientID: c.ClientID, Scope: string(c.Scope), OwnerDeleted: c.OwnerDeleted})
	}
	return orEmpty(out)
}

func (s *Server) adminStats() map[string]any {
	limit, remaining, reset := s.RateLimitStatus()
	return map[string]any{
		"requests":   s.RequestCounts(),
		"rate_limit": map[string]int{"limit": limit, "remaining": remaining, "reset": reset},
	}
}

func (s *Server) adminState(*http.Request) (any, error) {
	st := s.adminStats()
	n := s.Size()
	st["org"] = map[string]int{"users": n.Users, "groups": n.Groups, "roles": n.Roles, "apps": n.Apps}
	st["subdomain"], st["account_id"] = s.opts.Subdomain, s.opts.AccountID
	st["now"] = formatTime(s.clock.Now())
	st["faults"], st["credentials"] = s.Faults(), s.credentialsWire()
	return st, nil
}

func (s *Server) adminSetFaults(r *http.Request) (any, error) {
	var f Faults
	if err := decode(r, &f); err != nil {
		return nil, err
	}
	s.SetFaults(f)
	return s.Faults(), nil
}

func (s *Server) adminClock(r *http.Request) (any, error) {
	var body struct {
		Advance string    `json:"advance"`
		Set     time.Time `json:"set"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	var err error
	switch {
	case body.Advance != "":
		d, perr := time.ParseDuration(body.Advance)
		if perr != nil {
			return nil, &Error{Status: 400, Message: perr.Error()}
		}
		err = s.AdvanceClock(d)
	case !body.Set.IsZero():
		err = s.SetClock(body.Set)
	default:
		return nil, &Error{Status: 400, Message: `want {"advance":"<duration>"} or {"set":"<RFC 3339 time>"}`}
	}
	return map[string]string{"now": formatTime(s.clock.Now())}, err
}

func (s *Server) roleSnapshotsWire() []item {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.roleItems()
}

func adminError(err error) (int, any) {
	status := http.StatusInternalServerError
	var e *Error
	switch {
	case errors.As(err, &e):
		status = e.Status
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrClockNotAdjustable):
		status = http.StatusConflict
	}
	return status, map[string]string{"error": err.Error()}
}

func decode(r *http.Request, v any) error {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return &Error{Status: 400, Message: "invalid JSON body: " + err.Error()}
	}
	return nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, &Error{Status: 400, Message: "id must be an integer"}
	}
	return id, nil
}

func wireUser(u User, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return userWire(u, false), nil
}

func wireUsers(us []User) []item { return mapAll(us, func(u User) item { return userWire(u, false) }) }

func mapAll[T any](in []T, f func(T) item) []item {
	out := make([]item, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
