package olsim

import (
	"crypto/md5"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// response is computed under the server lock and written afterwards, so a
// slow client never holds the lock and a connection-reset fault can cut a
// real body in half.
type response struct {
	status int
	header http.Header
	body   []byte
	reset  bool // fault: write part of the response, then drop the connection
}

const (
	contentTypeV1 = "application/json; charset=utf-8"
	contentTypeV2 = "application/json"
)

func newResponse(status int, contentType string, body []byte) *response {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return &response{status: status, header: h, body: body}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("olsim: marshal: %v", err)) // only our own types are marshalled
	}
	return b
}

// v1 envelope (§4.1).

type v1Status struct {
	Error   bool   `json:"error"`
	Code    int    `json:"code"`
	Type    string `json:"type"`
	Message any    `json:"message"` // a string, or {"attribute","description"} for validation
}

type v1Pagination struct {
	BeforeCursor *string `json:"before_cursor"`
	AfterCursor  *string `json:"after_cursor"`
	PreviousLink *string `json:"previous_link"`
	NextLink     *string `json:"next_link"`
}

type v1Envelope struct {
	Status     v1Status        `json:"status"`
	Pagination *v1Pagination   `json:"pagination,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}

// v1Types are the status.type strings OneLogin uses per code.
var v1Types = map[int]string{
	200: "success", 400: "bad request", 401: "Unauthorized", 403: "Forbidden", 404: "not found",
	422: "unprocessable entity", 429: "Too Many Requests", 500: "Internal Server Error",
}

// v1Write is the one v1 envelope writer: status always, pagination and data
// only when given (write endpoints return only status).
func v1Write(code int, message any, pag *v1Pagination, data any) *response {
	env := v1Envelope{Status: v1Status{Error: code >= 400, Code: code, Type: v1Types[code], Message: message}, Pagination: pag}
	if data != nil {
		env.Data = mustJSON(data)
	}
	body := mustJSON(env)
	r := newResponse(code, contentTypeV1, body)
	r.header.Set("Cache-Control", "max-age=0, private, must-revalidate")
	r.header.Set("Etag", fmt.Sprintf(`W/"%x"`, md5.Sum(body)))
	return r
}

func v1OK(data any) *response           { return v1Write(200, "Success", nil, data) }
func v1Err(code int, msg any) *response { return v1Write(code, msg, nil, nil) }

// v1Attr is the object form of a v1 validation message.
func v1Attr(attribute, description string) map[string]string {
	return map[string]string{"attribute": attribute, "description": description}
}

// v2 shapes (§4.2).

func v2JSON(status int, v any) *response {
	r := newResponse(status, contentTypeV2, mustJSON(v))
	r.header.Set("Cache-Control", "private")
	return r
}

func v2NoContent() *response {
	r := newResponse(http.StatusNoContent, "", nil)
	r.header.Set("Cache-Control", "private")
	return r
}

var v2Names = map[int]string{
	400: "BadRequestError", 401: "UnauthorizedError", 403: "ForbiddenError", 404: "NotFoundError",
	422: "UnprocessableEntityError", 429: "TooManyRequestsError", 500: "InternalServerError",
}

// v2Err is the one standard v2 error writer: {"statusCode","name","message"}.
func v2Err(status int, message string) *response {
	return v2JSON(status, map[string]any{"statusCode": status, "name": v2Names[status], "message": message})
}

// pagingErr is the other real v2 error shape, used for pagination and query
// argument problems (ISS-196/203).
func pagingErr(description string) *response {
	return v2JSON(400, map[string]any{"status": 400, "error": "BadRequestError", "description": description})
}

const notFoundV2 = "The resource with the given id could not be found"

// HTML bodies for answers that do not come from the OneLogin application.

// haproxy429 is HAProxy's stock 429 page: exactly 117 bytes, as observed on
// the token endpoint (§2.1).
const haproxy429 = "<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n"

func htmlResponse(status int, body string) *response {
	r := newResponse(status, "text/html", []byte(body))
	r.header.Set("Cache-Control", "no-cache")
	return r
}

func gatewayPage(status int) *response {
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	return htmlResponse(status, "<html><body><h1>"+text+"</h1>\nThe server is temporarily unable to service your request.\n</body></html>\n")
}

// tenantNotFound is what a host that is not a OneLogin tenant answers.
func tenantNotFound() *response {
	return htmlResponse(404, "<!DOCTYPE html>\n<html><head><title>Not Found</title></head><body><h1>Not Found</h1><p>This site can't be found.</p></body></html>\n")
}
