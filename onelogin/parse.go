package onelogin

import (
	"encoding/json"
	"errors"
	"net"
	"regexp"
	"strings"
	"unicode/utf8"
)

// maxMessageLength bounds what an error message can carry into logs.
const maxMessageLength = 512

// parsedBody is what the client learns from an error body of any shape.
type parsedBody struct {
	message string
	// oneLogin says the body was one of OneLogin's JSON error shapes.
	oneLogin bool
	// embeddedStatus is the status code written inside the body, if any.
	embeddedStatus int
}

// parseBody accepts every error shape OneLogin is known to send (reference
// §4): the v1 status envelope with a string or object message; v2
// statusCode/name/message; status/error/description; a bare message or
// messages list; the mappings-style errors list; and HTML or text pages such
// as the load balancer's 429.
func parseBody(contentType string, raw []byte) parsedBody {
	trimmed := strings.TrimSpace(string(raw))
	if strings.HasPrefix(trimmed, "{") {
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(trimmed), &obj) == nil {
			if p, ok := parseJSONError(obj); ok {
				p.message = cleanMessage(p.message)
				return p
			}
			return parsedBody{}
		}
	}
	if strings.Contains(strings.ToLower(contentType), "html") || strings.HasPrefix(trimmed, "<") {
		return parsedBody{message: cleanMessage(htmlText(trimmed))}
	}
	if strings.HasPrefix(strings.ToLower(contentType), "text/") {
		return parsedBody{message: cleanMessage(trimmed)}
	}
	return parsedBody{}
}

func parseJSONError(obj map[string]json.RawMessage) (parsedBody, bool) {
	var p parsedBody
	found := false
	if raw, ok := obj["status"]; ok {
		var env struct {
			Error   bool            `json:"error"`
			Code    int             `json:"code"`
			Type    string          `json:"type"`
			Message json.RawMessage `json:"message"`
		}
		var code int
		switch {
		case json.Unmarshal(raw, &env) == nil:
			found = true
			p.message = messageText(env.Message)
			if p.message == "" {
				p.message = env.Type
			}
			if env.Error {
				p.embeddedStatus = env.Code
			}
		case json.Unmarshal(raw, &code) == nil:
			// {"status":400,"error":"BadRequestError","description":"..."}
			found = true
			p.embeddedStatus = code
		}
	}
	if d := stringField(obj, "description"); d != "" {
		found = true
		p.message = d
	}
	if sc := intField(obj, "statusCode"); sc != 0 {
		found = true
		p.embeddedStatus = sc
	}
	if c := intField(obj, "code"); c != 0 && p.embeddedStatus == 0 {
		p.embeddedStatus = c
	}
	if m := messageText(obj["message"]); m != "" && p.message == "" {
		found = true
		p.message = m
	}
	if raw, ok := obj["messages"]; ok && p.message == "" {
		found = true
		p.message = messageText(raw)
	}
	if raw, ok := obj["errors"]; ok {
		found = true
		if detail := fieldErrors(raw); detail != "" {
			p.message = joinNonEmpty(": ", p.message, detail)
		}
	}
	if p.message == "" {
		if name := stringField(obj, "name"); name != "" {
			p.message = name
		} else if e := stringField(obj, "error"); e != "" {
			found = true
			p.message = e
		}
	}
	p.oneLogin = found
	return p, found
}

// messageText renders a message that may be a string, an
// {"attribute","description"} object, or a list of either.
func messageText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var attr struct {
		Attribute   string `json:"attribute"`
		Description string `json:"description"`
	}
	if json.Unmarshal(raw, &attr) == nil && (attr.Attribute != "" || attr.Description != "") {
		return joinNonEmpty(": ", attr.Attribute, attr.Description)
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		parts := make([]string, 0, len(list))
		for _, item := range list {
			if t := messageText(item); t != "" {
				parts = append(parts, t)
			}
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

// fieldErrors renders [{"field":"enabled","message":["Required field is missing"]}].
func fieldErrors(raw json.RawMessage) string {
	var list []struct {
		Field   string          `json:"field"`
		Message json.RawMessage `json:"message"`
	}
	if json.Unmarshal(raw, &list) != nil {
		return messageText(raw)
	}
	parts := make([]string, 0, len(list))
	for _, fe := range list {
		parts = append(parts, joinNonEmpty(": ", fe.Field, messageText(fe.Message)))
	}
	return strings.Join(parts, "; ")
}

func stringField(obj map[string]json.RawMessage, key string) string {
	var s string
	if raw, ok := obj[key]; ok && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

func intField(obj map[string]json.RawMessage, key string) int {
	var n int
	if raw, ok := obj[key]; ok && json.Unmarshal(raw, &n) == nil {
		return n
	}
	return 0
}

func joinNonEmpty(sep string, parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

var (
	titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	h1RE    = regexp.MustCompile(`(?is)<h1[^>]*>(.*?)</h1>`)
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
)

// htmlText pulls a human line out of an HTML page: the title or first
// heading, else the text without tags.
func htmlText(s string) string {
	for _, re := range []*regexp.Regexp{h1RE, titleRE} {
		if m := re.FindStringSubmatch(s); m != nil {
			if t := strings.TrimSpace(tagRE.ReplaceAllString(m[1], " ")); t != "" {
				return t
			}
		}
	}
	return tagRE.ReplaceAllString(s, " ")
}

// cleanMessage makes any server text safe to log: valid UTF-8, one line,
// bounded length.
func cleanMessage(s string) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxMessageLength {
		cut := maxMessageLength
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// isNoSuchHost reports a DNS answer that the host does not exist, which for
// <subdomain>.onelogin.com means the subdomain is wrong.
func isNoSuchHost(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound
}
