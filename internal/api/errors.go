package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"riskgraph/resolvers"
)

// Reasons refine a code in extensions.reason for errors raised at the HTTP edge, and pick
// the HTTP status the answer is sent with.
const (
	reasonMethod      = "METHOD_NOT_ALLOWED"
	reasonMediaType   = "UNSUPPORTED_MEDIA_TYPE"
	reasonBadJSON     = "BAD_REQUEST_JSON"
	reasonBodyTooBig  = "BODY_TOO_LARGE"
	reasonBodyTimeout = "BODY_TIMEOUT"
	reasonRate        = "RATE_LIMITED"
	reasonBusy        = "EXPENSIVE_BUSY"
	reasonOverloaded  = "SERVER_BUSY"
	reasonHost        = "HOST_NOT_ALLOWED"
	reasonOrigin      = "ORIGIN_NOT_ALLOWED"
	reasonRole        = "ROLE"
	reasonIntrospect  = "INTROSPECTION_OFF"
	reasonTokens      = "TOKENS"
	reasonDepth       = "DEPTH"
	reasonAliases     = "ALIASES"
	reasonSelections  = "SELECTIONS"
	reasonSpreads     = "FRAGMENT_SPREADS"
	reasonName        = "NAME_LENGTH"
	reasonComplexity  = "COMPLEXITY"
	reasonDeadline    = "DEADLINE_EXCEEDED"
)

// maxMessageBytes caps every error message the API sends, so that no message (a parser's
// "Unexpected Name …" quoting a megabyte-long token, say) can echo a request back.
const maxMessageBytes = 512

// apiError is a GraphQL error with extensions.code and, when not empty, extensions.reason.
func apiError(code, reason, format string, args ...any) *gqlerror.Error {
	e := &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": code}}
	if reason != "" {
		e.Extensions["reason"] = reason
	}
	return e
}

// statusFor is the HTTP status of an answer whose errors came before any resolver ran.
func statusFor(errs gqlerror.List) int {
	if len(errs) == 0 {
		return http.StatusOK
	}
	reason, _ := errs[0].Extensions["reason"].(string)
	switch reason {
	case reasonMethod:
		return http.StatusMethodNotAllowed
	case reasonMediaType:
		return http.StatusUnsupportedMediaType
	case reasonBodyTooBig:
		return http.StatusRequestEntityTooLarge
	case reasonBodyTimeout:
		return http.StatusRequestTimeout
	case reasonRate, reasonBusy, reasonOverloaded:
		return http.StatusTooManyRequests
	}
	code, _ := errs[0].Extensions["code"].(string)
	switch code {
	case resolvers.CodeUnauthenticated:
		return http.StatusUnauthorized
	case resolvers.CodeForbidden:
		return http.StatusForbidden
	case resolvers.CodeUnavailable:
		return http.StatusServiceUnavailable
	case resolvers.CodeInternal:
		return http.StatusInternalServerError
	case "PERSISTED_QUERY_NOT_FOUND":
		return http.StatusOK // APQ clients expect 200 and resend the query
	}
	return http.StatusBadRequest
}

// trimMessages caps the messages of errs at maxMessageBytes.
func trimMessages(errs gqlerror.List) {
	for _, e := range errs {
		if len(e.Message) <= maxMessageBytes {
			continue
		}
		cut := maxMessageBytes
		for cut > 0 && !utf8.RuneStart(e.Message[cut]) {
			cut--
		}
		e.Message = e.Message[:cut] + "…"
	}
}

// writeResponse sends a GraphQL response with its status.
func writeResponse(w http.ResponseWriter, status int, resp *graphql.Response) {
	if resp == nil {
		resp = &graphql.Response{Errors: gqlerror.List{apiError(resolvers.CodeUnavailable, reasonDeadline,
			"the request ended before it was answered")}}
		status = http.StatusServiceUnavailable
	}
	trimMessages(resp.Errors)
	if rec, ok := w.(*recorder); ok && len(resp.Errors) > 0 {
		rec.code, _ = resp.Errors[0].Extensions["code"].(string)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		b = []byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`)
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b) // a failed write means the client went away
}

// writeErrors sends errors raised at the HTTP edge, before gqlgen saw the request.
func writeErrors(w http.ResponseWriter, errs ...*gqlerror.Error) {
	writeResponse(w, statusFor(errs), &graphql.Response{Errors: errs})
}

// retryAfter sets Retry-After to d, rounded up to whole seconds (at least 1).
func retryAfter(w http.ResponseWriter, d time.Duration) {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	w.Header().Set("Retry-After", strconv.FormatInt(s, 10))
}
