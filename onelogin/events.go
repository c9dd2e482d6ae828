package onelogin

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Event is one entry of GET /api/1/events (reference §11). Only the fields
// olflow acts on or shows are kept; ids are 0 when absent or null. Which
// object an event names matters, its type id does not: most type ids are
// unconfirmed, so nothing may depend on them.
type Event struct {
	ID          int64
	CreatedAt   time.Time
	EventTypeID int64
	UserID      int64
	UserName    string
	GroupID     int64
	RoleID      int64
	ActorUserID int64
	ActorSystem string
	ClientID    string
}

// UnmarshalJSON accepts ids as numbers or strings and nulls anywhere.
func (e *Event) UnmarshalJSON(b []byte) error {
	var w struct {
		ID          looseInt    `json:"id"`
		CreatedAt   looseTime   `json:"created_at"`
		EventTypeID looseInt    `json:"event_type_id"`
		UserID      looseInt    `json:"user_id"`
		UserName    looseString `json:"user_name"`
		GroupID     looseInt    `json:"group_id"`
		RoleID      looseInt    `json:"role_id"`
		ActorUserID looseInt    `json:"actor_user_id"`
		ActorSystem looseString `json:"actor_system"`
		ClientID    looseString `json:"client_id"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = Event{ID: w.ID.int64(), EventTypeID: w.EventTypeID.int64(), UserID: w.UserID.int64(), UserName: string(w.UserName),
		GroupID: w.GroupID.int64(), RoleID: w.RoleID.int64(), ActorUserID: w.ActorUserID.int64(),
		ActorSystem: string(w.ActorSystem), ClientID: string(w.ClientID)}
	if t := w.CreatedAt.ptr(); t != nil {
		e.CreatedAt = *t
	}
	return nil
}

// EventType is an entry of GET /api/1/events/types, kept for display only.
type EventType struct {
	ID          int64
	Name        string
	Description string
}

// UnmarshalJSON accepts the id as a number or a string.
func (t *EventType) UnmarshalJSON(b []byte) error {
	var w struct {
		ID          looseInt    `json:"id"`
		Name        looseString `json:"name"`
		Description looseString `json:"description"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = EventType{ID: w.ID.int64(), Name: string(w.Name), Description: string(w.Description)}
	return nil
}

// EventQuery filters GET /api/1/events. Since and Until filter created_at
// (inclusive, millisecond precision).
type EventQuery struct {
	Since, Until time.Time
	UserID       int64
	Limit        int
}

const eventsEndpoint = "/api/1/events"

func (q EventQuery) params() url.Values {
	v := url.Values{}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(eventTimeLayout))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(eventTimeLayout))
	}
	if q.UserID != 0 {
		v.Set("user_id", strconv.FormatInt(q.UserID, 10))
	}
	v.Set("limit", strconv.Itoa(pageSize(q.Limit, MaxV1Page)))
	return v
}

// eventTimeLayout is ISO-8601 with milliseconds, the filters' precision.
const eventTimeLayout = "2006-01-02T15:04:05.000Z"

// EventPages iterates the events matching q, page by page, from cursor ("" for
// the first page). The next page comes from pagination.after_cursor, or from
// next_link when only that is given; both null ends the list.
func (c *Client) EventPages(ctx context.Context, q EventQuery, cursor string) iter.Seq2[Page[Event], error] {
	return func(yield func(Page[Event], error) bool) {
		params := q.params()
		for {
			p := url.Values{}
			for k, vs := range params {
				p[k] = vs
			}
			if cursor != "" {
				p.Set("after_cursor", cursor)
			}
			var env struct {
				Pagination struct {
					AfterCursor *string `json:"after_cursor"`
					NextLink    *string `json:"next_link"`
				} `json:"pagination"`
				Data []Event `json:"data"`
			}
			if _, err := c.do(ctx, request{method: http.MethodGet, path: eventsEndpoint, endpoint: eventsEndpoint, query: p}, &env); err != nil {
				yield(Page[Event]{}, err)
				return
			}
			next := afterCursor(env.Pagination.AfterCursor, env.Pagination.NextLink)
			if !yield(Page[Event]{Items: env.Data, PageInfo: PageInfo{Cursor: cursor, NextCursor: next, PageItems: len(env.Data)}}, nil) || next == "" {
				return
			}
			if next == cursor {
				yield(Page[Event]{}, &Error{Code: CodeServerError, Op: http.MethodGet + " " + eventsEndpoint,
					Message: "events cursor did not advance"})
				return
			}
			cursor = next
		}
	}
}

// afterCursor is the next page's cursor: after_cursor, else the one in
// next_link's query (the link is followed through our own base URL, so a
// link to another host is never called).
func afterCursor(after, link *string) string {
	if after != nil && *after != "" {
		return *after
	}
	if link == nil || *link == "" {
		return ""
	}
	u, err := url.Parse(*link)
	if err != nil {
		return ""
	}
	return u.Query().Get("after_cursor")
}

// Events iterates every event matching q, oldest first as OneLogin serves them.
func (c *Client) Events(ctx context.Context, q EventQuery) iter.Seq2[Event, error] {
	return items(c.EventPages(ctx, q, ""))
}

// EventTypes lists the account's event types (GET /api/1/events/types).
func (c *Client) EventTypes(ctx context.Context) ([]EventType, error) {
	var env struct {
		Data []EventType `json:"data"`
	}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/api/1/events/types", endpoint: "/api/1/events/types"}, &env)
	return env.Data, err
}
