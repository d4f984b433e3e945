package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/sync/semaphore"

	"riskgraph/resolvers"
)

// transport is the one gqlgen transport of /graphql: it takes every request, so that each
// one that is not a GraphQL request over POST or GET (another method, another content
// type, a body that is not JSON or too large) gets a coded GraphQL error too, and no
// message quotes the body. It also holds the slots of expensive operations.
type transport struct {
	maxBody int64
	slots   *expensiveSlots
	// inFlight bounds the operations executing at once: when the store slows down (a cold or
	// restarting Neo4j), callers over the bound hear "retry shortly" at once instead of
	// piling up behind it until their deadlines.
	inFlight *expensiveSlots
}

var _ graphql.Transport = transport{}

func (transport) Supports(*http.Request) bool { return true }

func (t transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	var params *graphql.RawParams
	var err *gqlerror.Error
	switch r.Method {
	case http.MethodPost:
		params, err = t.post(w, r)
	case http.MethodGet:
		params, err = get(r)
	case http.MethodOptions:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		err = apiError(resolvers.CodeInvalidInput, reasonMethod, "method %s is not served here: POST a GraphQL request as JSON, or GET a query", methodName(r.Method))
	}
	if err != nil {
		writeErrors(w, err)
		return
	}
	// The request is in: let the connection's reads run to the answer's write deadline, so
	// that net/http's watch for a closed connection does not end the request's context at
	// the very moment its deadline does (and the answer says why it ended).
	if end, ok := ctx.Deadline(); ok {
		_ = http.NewResponseController(w).SetReadDeadline(end.Add(writeGrace))
	}
	params.Headers = r.Header
	params.ReadTime.End = graphql.Now()

	oc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
		writeResponse(w, statusFor(resp.Errors), resp)
		return
	}
	release, ok := t.inFlight.acquire(ctx, 1)
	if !ok {
		refuseBusy(w, reasonOverloaded, "the server is answering as many requests as it can; retry shortly")
		return
	}
	defer release()
	if n := expensiveWeight(oc.Operation); n > 0 {
		release, ok := t.slots.acquire(ctx, n)
		if !ok {
			refuseBusy(w, reasonBusy, "too many expensive queries (paths, riskRanking, exposure, risk) are running; retry shortly")
			return
		}
		defer release()
	}
	responses, ctx := exec.DispatchOperation(ctx, oc)
	writeResponse(w, http.StatusOK, responses(ctx))
}

// refuseBusy answers that a cap on running operations is full: 429 LIMIT_EXCEEDED with
// reason, and Retry-After.
func refuseBusy(w http.ResponseWriter, reason, msg string) {
	retryAfter(w, time.Second)
	writeErrors(w, apiError(resolvers.CodeLimitExceeded, reason, "%s", msg))
}

// methodName is the request's method, or a word if it is not a short token.
func methodName(m string) string {
	if len(m) > 16 {
		return "(long)"
	}
	return m
}

func (t transport) post(w http.ResponseWriter, r *http.Request) (*graphql.RawParams, *gqlerror.Error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && mt != "application/graphql-response+json") {
		w.Header().Set("Accept-Post", "application/json")
		return nil, apiError(resolvers.CodeInvalidInput, reasonMediaType, "POST a JSON body with Content-Type: application/json")
	}
	start := graphql.Now()
	if r.ContentLength > t.maxBody {
		return nil, tooLarge(t.maxBody)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, t.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &tooBig):
			return nil, tooLarge(t.maxBody)
		case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
			return nil, apiError(resolvers.CodeLimitExceeded, reasonBodyTimeout, "the request body did not arrive within the request's time limit")
		}
		return nil, apiError(resolvers.CodeInvalidInput, reasonBadJSON, "the request body could not be read")
	}
	p := &graphql.RawParams{ReadTime: graphql.TraceTiming{Start: start}}
	if err := decodeRequest(body, p); err != nil {
		return nil, err
	}
	return p, nil
}

func tooLarge(n int64) *gqlerror.Error {
	return apiError(resolvers.CodeLimitExceeded, reasonBodyTooBig, "the request body is larger than the limit of %d bytes", n)
}

// request is the JSON body of a GraphQL request.
type requestBody struct {
	Query         *string        `json:"query"`
	OperationName *string        `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

// decodeRequest reads a GraphQL request body: one JSON object. Its errors say where the body
// went wrong, never what it holds.
func decodeRequest(body []byte, p *graphql.RawParams) *gqlerror.Error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var rb requestBody
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || trimmed[0] != '{' {
		return badJSON("the request body must be a JSON object with a query")
	}
	if err := dec.Decode(&rb); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return badJSON("the request body is not valid JSON (at byte %d)", se.Offset)
		case errors.As(err, &te):
			return badJSON("in the request body, %s must not be a JSON %s", fieldName(te.Field), te.Value)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return badJSON("the request body ends before its JSON does")
		}
		return badJSON("the request body is not a GraphQL request in JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badJSON("the request body holds more than one JSON value")
	}
	if rb.Query != nil {
		p.Query = *rb.Query
	}
	if rb.OperationName != nil {
		p.OperationName = *rb.OperationName
	}
	p.Variables, p.Extensions = rb.Variables, rb.Extensions
	return nil
}

// fieldName names a request body field for a message: one of the four, or "a field".
func fieldName(f string) string {
	switch f {
	case "query", "operationName", "variables", "extensions":
		return f
	}
	return "a field"
}

func badJSON(format string, args ...any) *gqlerror.Error {
	return apiError(resolvers.CodeInvalidInput, reasonBadJSON, format, args...)
}

func get(r *http.Request) (*graphql.RawParams, *gqlerror.Error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, apiError(resolvers.CodeInvalidInput, reasonBadJSON, "the URL's query string does not parse")
	}
	p := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName"),
		ReadTime: graphql.TraceTiming{Start: graphql.Now()}}
	for name, into := range map[string]*map[string]any{"variables": &p.Variables, "extensions": &p.Extensions} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(into); err != nil {
			return nil, apiError(resolvers.CodeInvalidInput, reasonBadJSON, "the %s parameter is not a JSON object", name)
		}
	}
	return p, nil
}

// expensiveSlots caps the operations running at once, waiting a short time for a slot. For
// the expensive cap an operation takes one slot per expensive root field (paths,
// riskRanking, exposure) and one if it asks any entity's risk (those are scored in one
// batch), at most all of them; cheap reads take none and keep flowing. The in-flight cap
// uses the same slots, one per operation.
type expensiveSlots struct {
	sem  *semaphore.Weighted
	size int64
	wait time.Duration
}

func newExpensiveSlots(size int, wait time.Duration) *expensiveSlots {
	return &expensiveSlots{sem: semaphore.NewWeighted(int64(size)), size: int64(size), wait: wait}
}

func (s *expensiveSlots) acquire(ctx context.Context, n int) (release func(), ok bool) {
	w := min(int64(n), s.size)
	if !s.sem.TryAcquire(w) {
		ctx, cancel := context.WithTimeout(ctx, s.wait)
		defer cancel()
		if s.sem.Acquire(ctx, w) != nil {
			return nil, false
		}
	}
	return func() { s.sem.Release(w) }, true
}

// expensiveWeight counts the slots an operation needs (see expensiveSlots). The gate has
// bounded the fields a walk can meet, fragments expanded.
func expensiveWeight(op *ast.OperationDefinition) int {
	if op == nil || op.Operation != ast.Query {
		return 0
	}
	n, risk := 0, false
	var walk func(set ast.SelectionSet, root bool)
	walk = func(set ast.SelectionSet, root bool) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if root {
					switch s.Name {
					case "paths", "riskRanking", "exposure", "riskReport", "riskChanges":
						n++
					}
				}
				if s.Name == "risk" && s.ObjectDefinition != nil && s.ObjectDefinition.Name == "Entity" {
					risk = true
				}
				walk(s.SelectionSet, false)
			case *ast.InlineFragment:
				walk(s.SelectionSet, root)
			case *ast.FragmentSpread:
				if s.Definition != nil {
					walk(s.Definition.SelectionSet, root)
				}
			}
		}
	}
	walk(op.SelectionSet, true)
	if risk {
		n++
	}
	return n
}
