package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// assetRefs returns the script and stylesheet paths that a built page loads.
func assetRefs(t *testing.T, index string) (js, css string) {
	t.Helper()
	m := regexp.MustCompile(`<script (?:defer )?src="(assets/[^"]+\.js)"`).FindStringSubmatch(index)
	if m == nil {
		t.Fatalf("index.html loads no assets/*.js script:\n%s", index)
	}
	js = m[1]
	m = regexp.MustCompile(`<link rel="stylesheet" href="(assets/[^"]+\.css)"`).FindStringSubmatch(index)
	if m == nil {
		t.Fatalf("index.html loads no assets/*.css stylesheet:\n%s", index)
	}
	return js, m[1]
}

func get(t *testing.T, h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerServesPlaygroundAndAssets(t *testing.T) {
	h := Handler("/graphql")
	index := get(t, h, http.MethodGet, "/", nil)
	if index.Code != http.StatusOK {
		t.Fatalf("GET /: status %d", index.Code)
	}
	js, css := assetRefs(t, index.Body.String())

	tests := []struct {
		name, target, contentType, cache, contains string
	}{
		{"index", "/", "text/html; charset=utf-8", "no-cache", `<meta name="graphql-endpoint" content="/graphql"`},
		{"index by name", "/index.html", "text/html; charset=utf-8", "no-cache", `<div id="graphiql">`},
		{"script", "/" + js, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "graphql-endpoint"},
		{"stylesheet", "/" + css, "text/css; charset=utf-8", "public, max-age=31536000, immutable", ".graphiql-container"},
	}
	explore := get(t, h, http.MethodGet, "/explore", nil)
	if explore.Code != http.StatusOK {
		t.Fatalf("GET /explore: status %d", explore.Code)
	}
	exploreJS, exploreCSS := assetRefs(t, explore.Body.String())
	if exploreJS == js || exploreCSS == css {
		t.Errorf("the explorer loads the playground's bundle (%s, %s)", exploreJS, exploreCSS)
	}
	tests = append(tests, []struct {
		name, target, contentType, cache, contains string
	}{
		{"explorer", "/explore", "text/html; charset=utf-8", "no-cache", `<meta name="graphql-endpoint" content="/graphql"`},
		{"explorer deep link", "/explore?entity=vendor:kaspersky-lab&asOf=2017-06-01", "text/html; charset=utf-8", "no-cache", `<div id="explore">`},
		{"explorer script", "/" + exploreJS, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "graphql-endpoint"},
		{"explorer stylesheet", "/" + exploreCSS, "text/css; charset=utf-8", "public, max-age=31536000, immutable", ".timeline"},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, h, http.MethodGet, tt.target, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s: status %d", tt.target, rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if got := rec.Header().Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.cache)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			if !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("body of %s does not contain %q", tt.target, tt.contains)
			}
		})
	}
}

func TestHandlerInjectsEscapedEndpoint(t *testing.T) {
	h := Handler(`/api/graphql?x="1"&y=<2>`)
	for _, target := range []string{"/", "/explore"} {
		body := get(t, h, http.MethodGet, target, nil).Body.String()
		want := `content="/api/graphql?x=&#34;1&#34;&amp;y=&lt;2&gt;"`
		if !strings.Contains(body, want) {
			t.Errorf("%s does not carry the escaped endpoint %s:\n%s", target, want, body)
		}
		if strings.Contains(body, endpointPlaceholder) {
			t.Errorf("%s still has the placeholder %s", target, endpointPlaceholder)
		}
	}
}

// TestPagesShareOnePolicy checks that both pages are served with the same strict
// Content-Security-Policy, which allows no inline script and nothing from elsewhere.
func TestPagesShareOnePolicy(t *testing.T) {
	h := Handler("/graphql")
	for _, target := range []string{"/", "/index.html", "/explore"} {
		rec := get(t, h, http.MethodGet, target, nil)
		csp := rec.Header().Get("Content-Security-Policy")
		if csp != contentSecurityPolicy {
			t.Errorf("%s: Content-Security-Policy = %q, want %q", target, csp, contentSecurityPolicy)
		}
		if strings.Contains(csp, "'unsafe-eval'") || strings.Contains(regexp.MustCompile(`script-src [^;]*`).FindString(csp), "unsafe-inline") {
			t.Errorf("%s: the policy allows inline or evaluated script: %s", target, csp)
		}
		if got := rec.Header().Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy = %q", target, got)
		}
		if regexp.MustCompile(`<script>|<script [^>]*>[^<]`).MatchString(rec.Body.String()) {
			t.Errorf("%s has an inline script", target)
		}
	}
}

func TestExploreSlashRedirectsKeepingTheQuery(t *testing.T) {
	h := Handler("/graphql")
	rec := get(t, h, http.MethodGet, "/explore/?entity=vendor:kaspersky-lab&asOf=2017-06-01", nil)
	if rec.Code != http.StatusMovedPermanently {
		t.Fatalf("GET /explore/: status %d, want 301", rec.Code)
	}
	if got, want := rec.Header().Get("Location"), "/explore?entity=vendor:kaspersky-lab&asOf=2017-06-01"; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if got := get(t, h, http.MethodGet, "/explore/", nil).Header().Get("Location"); got != "/explore" {
		t.Errorf("Location = %q, want /explore", got)
	}
}

func TestHandlerRejectsUnknownPathsAndMethods(t *testing.T) {
	h := Handler("/graphql")
	tests := []struct {
		method, target string
		want           int
	}{
		{http.MethodGet, "/nope", http.StatusNotFound},
		{http.MethodGet, "/assets/", http.StatusNotFound},
		{http.MethodGet, "/assets/missing.js", http.StatusNotFound},
		{http.MethodGet, "/dist/index.html", http.StatusNotFound},
		{http.MethodGet, "/favicon.ico", http.StatusNotFound},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/index.html", http.StatusMethodNotAllowed},
		{http.MethodHead, "/", http.StatusOK},
		{http.MethodHead, "/explore", http.StatusOK},
		{http.MethodPost, "/explore", http.StatusMethodNotAllowed},
		{http.MethodPost, "/explore/", http.StatusMethodNotAllowed},
		{http.MethodGet, "/explore/entity", http.StatusNotFound},
		{http.MethodGet, "/explore.html", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			rec := get(t, h, tt.method, tt.target, nil)
			if rec.Code != tt.want {
				t.Errorf("status %d, want %d", rec.Code, tt.want)
			}
			if tt.method == http.MethodHead && rec.Body.Len() != 0 {
				t.Errorf("HEAD returned a %d-byte body", rec.Body.Len())
			}
		})
	}
}

func TestHandlerGzipAndConditionalRequests(t *testing.T) {
	h := Handler("/graphql")
	js, _ := assetRefs(t, get(t, h, http.MethodGet, "/", nil).Body.String())
	plain := get(t, h, http.MethodGet, "/"+js, nil)
	if plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("Content-Encoding %q without Accept-Encoding", plain.Header().Get("Content-Encoding"))
	}

	zipped := get(t, h, http.MethodGet, "/"+js, http.Header{"Accept-Encoding": {"br, gzip"}})
	if got := zipped.Header().Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", got)
	}
	if zipped.Body.Len() >= plain.Body.Len() {
		t.Errorf("gzipped body is %d bytes, plain %d", zipped.Body.Len(), plain.Body.Len())
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatalf("open gzip body: %v", err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("read gzip body: %v", err)
	}
	if !bytes.Equal(unzipped, plain.Body.Bytes()) {
		t.Error("gzipped body does not decompress to the plain body")
	}
	refused := get(t, h, http.MethodGet, "/"+js, http.Header{"Accept-Encoding": {"gzip;q=0"}})
	if got := refused.Header().Get("Content-Encoding"); got != "" {
		t.Errorf("Content-Encoding = %q although gzip;q=0", got)
	}

	etag := plain.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	again := get(t, h, http.MethodGet, "/"+js, http.Header{"If-None-Match": {etag}})
	if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("If-None-Match %s: status %d with %d bytes, want 304 and none", etag, again.Code, again.Body.Len())
	}
}

// TestNoCDNInEmbeddedFiles guards the offline promise: nothing the server embeds may
// point at a public CDN or font service.
func TestNoCDNInEmbeddedFiles(t *testing.T) {
	// CDN hosts, joined here so that this list does not itself look like a reference to one.
	forbidden := []string{"unpkg" + ".com", "jsdelivr", "cdnjs", "esm" + ".sh", "fonts" + ".googleapis"}
	files := 0
	err := fs.WalkDir(dist, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		body, err := fs.ReadFile(dist, p)
		if err != nil {
			return err
		}
		for _, name := range forbidden {
			if bytes.Contains(body, []byte(name)) {
				t.Errorf("%s contains %q", p, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk embedded files: %v", err)
	}
	if files < 6 {
		t.Errorf("only %d embedded files; want index.html, explore.html and a script and a stylesheet for each", files)
	}
}
