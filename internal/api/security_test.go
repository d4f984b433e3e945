package api_test

import (
	"net/http"
	"strings"
	"testing"

	"riskgraph/internal/api"
	"riskgraph/web"
)

func TestSecurityHeaders(t *testing.T) {
	h := newHarnessOn(t, seededService(t), harnessOpts{cfg: func(c *api.Config) { c.Playground = web.Handler("/graphql") }})
	q := []byte(`{"query":"{ __typename }"}`)
	ids := map[string]bool{}
	for name, r := range map[string]req{
		"graphql":       {ctype: "application/json", body: q},
		"graphql error": {ctype: "text/plain", body: q},
		"playground":    {method: "GET", path: "/"},
		"healthz":       {method: "GET", path: "/healthz"},
		"metrics":       {method: "GET", path: "/metrics"},
		"wrong host":    {host: "attacker.example", ctype: "application/json", body: q},
	} {
		a := h.send(t, r)
		for hdr, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"Content-Security-Policy": "frame-ancestors 'none'",
		} {
			if !strings.Contains(a.header.Get(hdr), want) {
				t.Errorf("%s: %s = %q, want %q", name, hdr, a.header.Get(hdr), want)
			}
		}
		id := a.header.Get("X-Request-Id")
		if len(id) != 16 || ids[id] {
			t.Errorf("%s: X-Request-Id %q; want a fresh one", name, id)
		}
		ids[id] = true
		if r.path == "" && a.header.Get("Cache-Control") != "no-store" { // /graphql
			t.Errorf("%s: Cache-Control %q, want no-store", name, a.header.Get("Cache-Control"))
		}
	}
	// The playground keeps its own policy, which lets its scripts run.
	if csp := h.send(t, req{method: "GET", path: "/"}).header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("playground CSP %q", csp)
	}
}

func TestCORSIsOffUnlessListed(t *testing.T) {
	svc := seededService(t)
	q := []byte(`{"query":"{ __typename }"}`)
	off := newHarnessOn(t, svc, harnessOpts{})
	self := strings.TrimPrefix(off.srv.URL, "http://")
	// Same-origin pages (the playground) and clients that send no Origin are served.
	off.send(t, req{ctype: "application/json", body: q, origin: "http://" + self}).mustOK(t)
	off.send(t, req{ctype: "application/json", body: q}).mustOK(t)
	for _, origin := range []string{"https://evil.example", "null", "http://localhost:1"} {
		a := off.send(t, req{ctype: "application/json", body: q, origin: origin}).refused(t, http.StatusForbidden, "FORBIDDEN", "ORIGIN_NOT_ALLOWED")
		if a.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("CORS off, yet %s is allowed", origin)
		}
		pre := off.send(t, req{method: "OPTIONS", origin: origin, header: map[string]string{"Access-Control-Request-Method": "POST"}})
		if pre.header.Get("Access-Control-Allow-Origin") != "" || pre.status < 400 {
			t.Errorf("CORS off: preflight from %s got %d %v", origin, pre.status, pre.header)
		}
	}

	on := newHarnessOn(t, svc, harnessOpts{cfg: func(c *api.Config) { c.CORSOrigins = []string{"https://analysts.example.org"} }})
	pre := on.send(t, req{method: "OPTIONS", origin: "https://analysts.example.org",
		header: map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}})
	if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Origin") != "https://analysts.example.org" ||
		!strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") || !strings.Contains(pre.header.Get("Vary"), "Origin") {
		t.Errorf("preflight from a listed origin: %d %v", pre.status, pre.header)
	}
	a := on.send(t, req{ctype: "application/json", body: q, origin: "https://analysts.example.org"}).mustOK(t)
	if a.header.Get("Access-Control-Allow-Origin") != "https://analysts.example.org" {
		t.Errorf("listed origin: %v", a.header)
	}
	on.send(t, req{ctype: "application/json", body: q, origin: "https://evil.example"}).refused(t, http.StatusForbidden, "FORBIDDEN", "ORIGIN_NOT_ALLOWED")

	for _, bad := range [][]string{{"analysts.example.org"}, {"ftp://x"}, {"https://x/path"}} {
		if err := api.ValidateOrigins(bad); err == nil {
			t.Errorf("origin %v accepted", bad)
		}
	}
	for _, bad := range [][]string{{"a/b"}, {"*."}, {"user@host"}} {
		if err := api.ValidateHosts(bad); err == nil {
			t.Errorf("allowed host %v accepted", bad)
		}
	}
}
