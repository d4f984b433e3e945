package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"golang.org/x/time/rate"

	"riskgraph/internal/service"
	"riskgraph/internal/store"
	"riskgraph/resolvers"
)

// request is what the edge knows about one request; the gate fills in the operation.
type request struct {
	id     string
	method string
	start  time.Time
	op     ast.Operation
	opName string
	fields []string
}

type requestKey struct{}

func stateFrom(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	return r
}

// recorder remembers the status and the first error code of an answer, for the log.
type recorder struct {
	http.ResponseWriter
	status int
	code   string
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (read and write deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// newRequestID is 16 hex digits from crypto/rand.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail
	return hex.EncodeToString(b[:])
}

// edge wraps every route: a request id (echoed in X-Request-Id and added to every log line
// of the request), the security headers, and the Host allowlist (the probes excepted, so
// that orchestrators may call them by any name).
func edge(hosts hostList, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &request{id: newRequestID(), method: r.Method, start: time.Now()}
		h := w.Header()
		h.Set("X-Request-Id", st.id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		// The playground's pages set their own policy; every other answer is data.
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("Cache-Control", "no-store") // answers are the graph's data; the playground's assets set their own
		rec := &recorder{ResponseWriter: w}
		defer func() { m.answered(rec.status, rec.code) }()
		r = r.WithContext(context.WithValue(r.Context(), requestKey{}, st))
		if r.URL.Path != "/healthz" && r.URL.Path != "/readyz" && !hosts.allows(r.Host) {
			writeErrors(rec, apiError(resolvers.CodeForbidden, reasonHost,
				"this server does not answer for that Host; the allowed names are set with --allowed-hosts"))
			return
		}
		next.ServeHTTP(rec, r)
	})
}

// hostList is the Host header allowlist: names with any port, host:port pairs, *.domain
// suffixes, or any host at all.
type hostList struct {
	any      bool
	names    map[string]bool
	suffixes []string
}

// DefaultAllowedHosts are the loopback names: a browser page elsewhere that rebinds its
// DNS name to 127.0.0.1 still sends its own name, and is refused.
var DefaultAllowedHosts = []string{"localhost", "127.0.0.1", "[::1]"}

func parseHosts(entries []string) (hostList, error) {
	if len(entries) == 0 {
		entries = DefaultAllowedHosts
	}
	hl := hostList{names: map[string]bool{}}
	for _, e := range entries {
		e = strings.ToLower(strings.TrimSpace(e))
		switch {
		case e == "":
			continue
		case e == "*":
			hl.any = true
		case strings.HasPrefix(e, "*."):
			if strings.ContainsAny(e[2:], "*/:@ ") || e[2:] == "" {
				return hl, fmt.Errorf("allowed host %q: want a name, host:port, *.domain or *", e)
			}
			hl.suffixes = append(hl.suffixes, e[1:])
		default:
			if strings.ContainsAny(e, "*/@ ") {
				return hl, fmt.Errorf("allowed host %q: want a name, host:port, *.domain or *", e)
			}
			hl.names[normalHost(e)] = true
		}
	}
	if !hl.any && len(hl.names) == 0 && len(hl.suffixes) == 0 {
		return hl, fmt.Errorf("allowed hosts: none given")
	}
	return hl, nil
}

// normalHost lowercases a host, drops IPv6 brackets and a trailing dot, keeps a port.
func normalHost(h string) string {
	h = strings.ToLower(h)
	if host, port, err := net.SplitHostPort(h); err == nil {
		return strings.TrimSuffix(host, ".") + "|" + port
	}
	return strings.TrimSuffix(strings.Trim(h, "[]"), ".")
}

func (hl hostList) allows(host string) bool {
	if hl.any {
		return true
	}
	if host == "" {
		return false
	}
	n := normalHost(host)
	name, _, _ := strings.Cut(n, "|")
	if hl.names[n] || hl.names[name] {
		return true
	}
	for _, s := range hl.suffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// corsPolicy answers cross-origin requests: off (no Access-Control headers, cross-origin
// requests refused) unless origins are listed.
type corsPolicy struct {
	any     bool
	origins map[string]bool
}

func parseOrigins(entries []string) (corsPolicy, error) {
	p := corsPolicy{origins: map[string]bool{}}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
		case e == "*":
			p.any = true
		default:
			u, err := url.Parse(e)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
				return p, fmt.Errorf("CORS origin %q: want scheme://host[:port], e.g. https://analysts.example.org", e)
			}
			p.origins[strings.ToLower(u.Scheme+"://"+u.Host)] = true
		}
	}
	return p, nil
}

func (p corsPolicy) on() bool { return p.any || len(p.origins) > 0 }

func (p corsPolicy) allows(origin string) bool {
	return p.any || p.origins[strings.ToLower(origin)]
}

// sameOrigin reports whether origin names the host the request was sent to.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, host)
}

// cors lets same-origin and non-browser requests through, answers preflights and adds the
// Access-Control headers for listed origins, and refuses other cross-origin requests.
func (p corsPolicy) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if p.on() {
			w.Header().Add("Vary", "Origin")
		}
		switch {
		case origin == "":
		case p.on() && p.allows(origin):
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		case sameOrigin(origin, r.Host):
		default:
			writeErrors(w, apiError(resolvers.CodeForbidden, reasonOrigin,
				"cross-origin requests from this origin are not allowed; the allowed origins are set with --cors-origins"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate puts the caller of a valid key in the request's context. With no keys
// (local mode) nobody is asked for one and the context carries no caller: local callers may
// do everything. A missing, malformed or unknown key gets 401, the same for each.
func authenticate(keys *Keys, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if keys.Len() == 0 {
			next.ServeHTTP(w, r)
			return
		}
		key, ok := Key{}, false
		if vals := r.Header.Values("Authorization"); len(vals) == 1 {
			if scheme, token, cut := strings.Cut(strings.TrimSpace(vals[0]), " "); cut && strings.EqualFold(scheme, "Bearer") {
				key, ok = keys.Lookup(strings.TrimSpace(token))
			}
		}
		if !ok {
			log.DebugContext(r.Context(), "request without a valid key", "remote", r.RemoteAddr, "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="riskgraph"`)
			writeErrors(w, apiError(resolvers.CodeUnauthenticated, "",
				"a valid API key is required: send Authorization: Bearer <key>"))
			return
		}
		ctx := service.WithCaller(r.Context(), service.Caller{Name: key.Name, Role: key.Role})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// rateLimiter is a token bucket per key (per remote address for local callers).
type rateLimiter struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	buckets map[string]*rate.Limiter
}

// maxBuckets bounds the buckets kept; full ones (idle callers) go first.
const maxBuckets = 10000

func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	if perSecond <= 0 {
		return nil
	}
	return &rateLimiter{limit: rate.Limit(perSecond), burst: max(burst, 1), buckets: map[string]*rate.Limiter{}}
}

// take spends a token of who's bucket, or says how long until one is there.
func (l *rateLimiter) take(who string, now time.Time) (ok bool, wait time.Duration) {
	l.mu.Lock()
	b := l.buckets[who]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			for k, v := range l.buckets {
				if v.TokensAt(now) >= float64(l.burst) {
					delete(l.buckets, k)
				}
			}
			if len(l.buckets) >= maxBuckets {
				clear(l.buckets)
			}
		}
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[who] = b
	}
	l.mu.Unlock()
	res := b.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

func (l *rateLimiter) wrap(next http.Handler) http.Handler {
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := "addr:" + remoteHost(r.RemoteAddr)
		if c, ok := service.CallerOf(r.Context()); ok {
			who = "key:" + c.Name
		}
		if ok, wait := l.take(who, time.Now()); !ok {
			retryAfter(w, wait)
			writeErrors(w, apiError(resolvers.CodeLimitExceeded, reasonRate,
				"too many requests for this key; retry after the number of seconds in Retry-After"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func remoteHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// writeGrace is the time an answer has to reach the client after the request's deadline.
const writeGrace = 5 * time.Second

// deadline gives the request its deadline: its context ends then (so the store, the path
// search and the risk pass stop), reading its body must end then (a body that trickles in
// is cut off), and its answer must be written soon after. The handler always writes the
// real answer: a write that finished before the deadline says so.
func deadline(timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		end, _ := ctx.Deadline()
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(end) // not supported by every ResponseWriter (tests' recorders)
		_ = rc.SetWriteDeadline(end.Add(writeGrace))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// logMutations logs every mutation request once, when it has been answered: the key's name
// (never the key), the request id (with every line, from the logger), the operation.
func logMutations(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		st := stateFrom(r.Context())
		if st == nil || st.op != ast.Mutation {
			return
		}
		who := store.DefaultWriter
		if c, ok := service.CallerOf(r.Context()); ok {
			who = c.Name
		}
		attrs := []any{"key", who, "operation", st.opName, "fields", st.fields, "took", time.Since(st.start).Round(time.Microsecond)}
		if rec, ok := w.(*recorder); ok {
			attrs = append(attrs, "status", rec.status)
			if rec.code != "" {
				attrs = append(attrs, "code", rec.code)
			}
		}
		log.InfoContext(r.Context(), "mutation", attrs...)
	})
}

// requestIDs adds the request id of the context to every log record.
type requestIDs struct{ slog.Handler }

func (h requestIDs) Handle(ctx context.Context, rec slog.Record) error {
	if st := stateFrom(ctx); st != nil {
		rec = rec.Clone()
		rec.AddAttrs(slog.String("request_id", st.id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h requestIDs) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDs{h.Handler.WithAttrs(as)}
}

func (h requestIDs) WithGroup(name string) slog.Handler { return requestIDs{h.Handler.WithGroup(name)} }
