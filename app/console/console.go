// Package console is MallBots' web console (docs/adr/0024-web-console.md):
// the HTML pages and the static files a browser loads from `mallbots run`
// at the API's address. It consumes nothing but the files embedded in it
// and produces page shells (html/template) and ES modules that call the
// JSON API under /api with the bearer token the user signs in with; the
// pages themselves carry no data and need no token. Mount puts it beside
// the API's handler, which it never changes.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/app/replay"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Page is one page of the console.
type Page struct {
	// Path is where it is served ("/console/kiosk").
	Path string
	// Name picks its template (templates/<Name>.html) and its script
	// (assets/js/<Name>.js).
	Name string
	// Title is its heading and its entry in the navigation.
	Title string
	// Roles are the roles whose token the page's API calls accept; the page
	// tells others to sign in with one of them.
	Roles []auth.Role
}

// Pages are the console's pages, in the navigation's order.
func Pages() []Page {
	return []Page{
		{Path: "/", Name: "signin", Title: "Sign in"},
		{Path: "/console/kiosk", Name: "kiosk", Title: "Kiosk", Roles: []auth.Role{auth.Kiosk, auth.Customer}},
		{Path: "/console/orders", Name: "orders", Title: "Orders & analytics", Roles: []auth.Role{auth.Analyst, auth.Operator}},
		{Path: "/console/explorer", Name: "explorer", Title: "Event explorer", Roles: []auth.Role{auth.Analyst, auth.Operator}},
		{Path: "/console/operations", Name: "operations", Title: "Operations", Roles: []auth.Role{auth.Operator}},
	}
}

// config is what New is given.
type config struct {
	log          *slog.Logger
	tokenCommand string
}

// Option configures New.
type Option func(*config)

// WithLogger logs what the console could not serve (a template that failed
// to render). Default: slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithTokenCommand is the command the sign-in page shows for signing a
// token, before its `--role ROLE` (for example with the instance's
// --data-dir). Default: "./bin/mallbots token".
func WithTokenCommand(cmd string) Option { return func(c *config) { c.tokenCommand = cmd } }

// handler serves the pages and the assets.
type handler struct {
	cfg      config
	pages    map[string]rendered // by path
	assets   map[string]asset    // by URL path ("/assets/js/api.js")
	notFound []byte
}

// rendered is a page rendered once: a page shell has no per-request data.
type rendered struct {
	body []byte
	etag string
}

type asset struct {
	body        []byte
	etag        string
	contentType string
}

// pageData is what a page's template sees.
type pageData struct {
	Page         Page
	Pages        []Page
	TokenCommand string
	RolePages    []rolePages
	// Types are the aggregate types the history endpoint reads.
	Types []string
}

// New returns the console's handler: GET / and the pages under
// /console/, the static files under /assets/, and 404 for anything else
// it is given. It renders every page once, at construction; a template
// that does not render is a programming error, reported here.
func New(opts ...Option) (http.Handler, error) {
	cfg := config{log: slog.Default(), tokenCommand: "./bin/mallbots token"}
	for _, o := range opts {
		o(&cfg)
	}
	h := &handler{cfg: cfg, pages: map[string]rendered{}, assets: map[string]asset{}}
	if err := h.loadAssets(); err != nil {
		return nil, err
	}
	if err := h.renderPages(); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *handler) renderPages() error {
	pages := Pages()
	for _, p := range append(pages, Page{Name: "notfound", Title: "Not found"}) {
		t, err := template.New("layout.html").ParseFS(templateFS, "templates/layout.html", "templates/"+p.Name+".html")
		if err != nil {
			return fmt.Errorf("console: page %s: %w", p.Name, err)
		}
		var b bytes.Buffer
		data := pageData{Page: p, Pages: pages, TokenCommand: h.cfg.tokenCommand, RolePages: byRole(pages), Types: replay.Types()}
		if err := t.Execute(&b, data); err != nil {
			return fmt.Errorf("console: render page %s: %w", p.Name, err)
		}
		if p.Path == "" {
			h.notFound = b.Bytes()
			continue
		}
		h.pages[p.Path] = rendered{body: b.Bytes(), etag: etagOf(b.Bytes())}
	}
	return nil
}

// rolePages is one row of the sign-in page's table: a role, what else
// its token command needs, and the pages it opens.
type rolePages struct {
	Role  auth.Role
	Extra string
	Pages []Page
}

func byRole(pages []Page) []rolePages {
	var out []rolePages
	for _, role := range auth.Roles() {
		rp := rolePages{Role: role}
		switch role {
		case auth.Customer:
			rp.Extra = " --customer ID"
		case auth.StoreManager:
			rp.Extra = " --store ID"
		}
		for _, p := range pages {
			if slices.Contains(p.Roles, role) {
				rp.Pages = append(rp.Pages, p)
			}
		}
		out = append(out, rp)
	}
	return out
}

func (h *handler) loadAssets() error {
	return fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) { // not left to the machine's mime tables
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		case ".md", "":
			ct = "text/plain; charset=utf-8"
		}
		h.assets["/"+p] = asset{body: b, etag: etagOf(b), contentType: ct}
		return nil
	})
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secure(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the console's pages and files are read with GET", http.StatusMethodNotAllowed)
		return
	}
	if p, ok := h.pages[r.URL.Path]; ok {
		serve(w, r, "text/html; charset=utf-8", p.etag, p.body)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/assets/") {
		if a, ok := h.assets[r.URL.Path]; ok {
			serve(w, r, a.contentType, a.etag, a.body)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write(h.notFound)
}

// serve answers one embedded file; the browser revalidates it each time
// (no-cache) and gets 304 while its ETag holds, so a new binary's files
// are picked up at the next load.
func serve(w http.ResponseWriter, r *http.Request, contentType, etag string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// ContentSecurityPolicy is sent with every page and file: scripts, styles,
// images and connections only from the console's own origin, no inline
// script or style, no plugins, and no framing (ADR 0024).
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// secure sets the security headers of every answer of the console.
func secure(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}
