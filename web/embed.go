// Package web owns the self-hosted pages: the GraphiQL playground and the explorer. The
// bundles built from this directory's npm project (see build.mjs) are embedded from dist/
// and served by Handler, so the server needs neither node nor the internet at run time.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed dist
var dist embed.FS

// endpointPlaceholder is the value of <meta name="graphql-endpoint"> in the built pages;
// Handler replaces it with the real endpoint.
const endpointPlaceholder = "__GRAPHQL_ENDPOINT__"

// contentSecurityPolicy lets a page load only its own scripts and styles and talk only to
// its own origin. CodeMirror and cytoscape set inline styles, the fonts are data: URLs, and
// the explorer's PNG export and downloads are blob: URLs.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data: blob:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// Handler returns an http.Handler for the pages, meant to be mounted at "/". It serves the
// playground (index.html) at "/" and the explorer (explore.html) at "/explore", each with
// endpoint (the GraphQL URL the page POSTs to) written into it; "/explore/" redirects to
// "/explore" with its query (the pages load their assets by relative path). The bundled
// assets are under /assets/ with long-lived caching (their names carry a content hash);
// every other path is 404.
func Handler(endpoint string) http.Handler {
	h, err := newHandler(dist, endpoint)
	if err != nil {
		// The files are embedded at compile time, so this is a build defect.
		panic(fmt.Sprintf("web: %v", err))
	}
	return h
}

// file is one response body, prepared once when the handler is built.
type file struct {
	body        []byte
	gzipped     []byte // body compressed with gzip; nil when that does not save space
	contentType string
	cache       string // Cache-Control value
	etag        string
}

type handler struct {
	index   file
	explore file
	assets  map[string]file // keyed by URL path, e.g. /assets/app-ABC.js
}

func newHandler(fsys fs.FS, endpoint string) (*handler, error) {
	root, err := fs.Sub(fsys, "dist")
	if err != nil {
		return nil, fmt.Errorf("open embedded dist: %w", err)
	}
	page := func(name string) (file, error) {
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return file{}, fmt.Errorf("read embedded %s: %w", name, err)
		}
		if !bytes.Contains(body, []byte(endpointPlaceholder)) {
			return file{}, fmt.Errorf("embedded %s has no %s placeholder", name, endpointPlaceholder)
		}
		body = bytes.ReplaceAll(body, []byte(endpointPlaceholder), []byte(html.EscapeString(endpoint)))
		return newFile(body, "text/html; charset=utf-8", "no-cache"), nil
	}
	h := &handler{assets: map[string]file{}}
	if h.index, err = page("index.html"); err != nil {
		return nil, err
	}
	if h.explore, err = page("explore.html"); err != nil {
		return nil, err
	}
	err = fs.WalkDir(root, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, p)
		if err != nil {
			return fmt.Errorf("read embedded %s: %w", p, err)
		}
		// Asset names carry a content hash, so a cached copy never goes stale.
		h.assets["/"+p] = newFile(body, contentType(p), "public, max-age=31536000, immutable")
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk embedded assets: %w", err)
	}
	return h, nil
}

func newFile(body []byte, contentType, cache string) file {
	sum := sha256.Sum256(body)
	f := file{body: body, contentType: contentType, cache: cache,
		etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if len(body) >= 1024 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
		_, _ = zw.Write(body)                                    // writes to a bytes.Buffer do not fail
		if zw.Close() == nil && buf.Len() < len(body) {
			f.gzipped = buf.Bytes()
		}
	}
	return f
}

// contentType picks the Content-Type from the file extension, with an explicit charset
// for text so the answer does not depend on the host's MIME tables.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var f file
	switch p := r.URL.Path; {
	case p == "/" || p == "/index.html":
		f = h.index
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		w.Header().Set("Referrer-Policy", "no-referrer")
	case p == "/explore":
		f = h.explore
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		w.Header().Set("Referrer-Policy", "no-referrer")
	case p == "/explore/":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			break // refused below
		}
		target := "/explore"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	case strings.HasPrefix(p, "/assets/"):
		a, ok := h.assets[p]
		if !ok {
			http.NotFound(w, r)
			return
		}
		f = a
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", f.contentType)
	hdr.Set("Cache-Control", f.cache)
	hdr.Set("ETag", f.etag)
	hdr.Set("X-Content-Type-Options", "nosniff")
	if f.gzipped != nil {
		hdr.Add("Vary", "Accept-Encoding")
	}
	if etagMatches(r.Header.Get("If-None-Match"), f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if f.gzipped != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = f.gzipped
		hdr.Set("Content-Encoding", "gzip")
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body) // a failed write means the client went away
	}
}

// etagMatches reports whether an If-None-Match header names etag (or is "*").
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (q=0 forbids it).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
