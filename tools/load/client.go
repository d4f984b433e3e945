package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"time"
)

// maxAnswerBytes bounds what the load generator reads of one answer.
const maxAnswerBytes = 8 << 20

// gqlClient posts GraphQL requests to one riskgraph server.
type gqlClient struct {
	http *http.Client
	url  string // the /graphql endpoint
}

// newTransport is an HTTP transport for n concurrent clients on loopback: one kept-alive
// connection per client, no proxy (the target is always 127.0.0.1).
func newTransport(n int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        n + 8,
		MaxIdleConnsPerHost: n + 8,
		MaxConnsPerHost:     n + 8,
		IdleConnTimeout:     30 * time.Second,
	}
}

// gqlError is one GraphQL error of an answer.
type gqlError struct {
	Message    string `json:"message"`
	Path       []any  `json:"path"`
	Extensions struct {
		Code   string `json:"code"`
		Reason string `json:"reason"`
	} `json:"extensions"`
}

// result is what one request got back.
type result struct {
	status     int           // HTTP status; 0 when no answer arrived
	retryAfter time.Duration // from Retry-After; -1 when absent
	data       json.RawMessage
	errors     []gqlError
	transport  error // the request failed before an answer (or its body) arrived
}

// code is the first error's extensions.code, "" when the answer has no errors.
func (r result) code() string {
	if len(r.errors) == 0 {
		return ""
	}
	if c := r.errors[0].Extensions.Code; c != "" {
		return c
	}
	return "NO_CODE"
}

// reason is the first error's extensions.reason, "" when none.
func (r result) reason() string {
	if len(r.errors) == 0 {
		return ""
	}
	return r.errors[0].Extensions.Reason
}

// outcome sorts answers for the report and the checks.
type outcome uint8

const (
	outOK          outcome = iota // 2xx, no errors, and the answer checked out
	outLimited                    // 429 LIMIT_EXCEEDED: a rate limit or the expensive-operation cap
	outUnavailable                // UNAVAILABLE or 503: expected only while Neo4j is down
	outFailed                     // anything else
)

func (o outcome) String() string {
	return [...]string{"ok", "limited", "unavailable", "failed"}[o]
}

// classify sorts a result, and names it for the error table ("" for a good answer):
// "HTTP_STATUS CODE[/REASON]", or "transport: …" when no answer came.
func classify(r result) (outcome, string) {
	if r.transport != nil {
		return outFailed, "transport: " + transportKind(r.transport)
	}
	code := r.code()
	key := strconv.Itoa(r.status)
	if code != "" {
		key += " " + code
		if rs := r.reason(); rs != "" {
			key += "/" + rs
		}
	} else if r.status/100 != 2 {
		key += " (no errors)"
	}
	switch {
	case r.status == http.StatusTooManyRequests && code == "LIMIT_EXCEEDED":
		return outLimited, key
	case code == "UNAVAILABLE" || r.status == http.StatusServiceUnavailable:
		return outUnavailable, key
	case r.status/100 == 2 && code == "":
		return outOK, ""
	}
	return outFailed, key
}

// transportKind names a transport error without its addresses, so that the error table
// groups them.
func transportKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.Is(err, errBadJSON):
		return "answer is not JSON"
	}
	return "other"
}

var errBadJSON = errors.New("answer is not GraphQL JSON")

// do posts one GraphQL request with key as its bearer token.
func (c *gqlClient) do(ctx context.Context, key, query string, vars map[string]any) result {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return result{transport: fmt.Errorf("encode request: %w", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return result{transport: fmt.Errorf("make request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return result{transport: fmt.Errorf("post %s: %w", c.url, err)}
	}
	defer resp.Body.Close()
	res := result{status: resp.StatusCode, retryAfter: -1}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			res.retryAfter = time.Duration(n) * time.Second
		}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		res.transport = fmt.Errorf("read answer: %w", err)
		return res
	}
	var ans struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		res.transport = fmt.Errorf("%w: HTTP %d, %.80q", errBadJSON, resp.StatusCode, b)
		return res
	}
	res.data, res.errors = ans.Data, ans.Errors
	return res
}

// getStatus GETs url and returns its HTTP status, 0 when no answer came.
func getStatus(ctx context.Context, hc *http.Client, url, key string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp.StatusCode
}
