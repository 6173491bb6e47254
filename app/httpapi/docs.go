package httpapi

import (
	"embed"
	"mime"
	"net/http"
	"path"
)

// The contract for people: GET /api/docs renders GET /api/openapi.json
// with the vendored Swagger UI (viewer/README.md: the version, where it
// came from and its checksums). Everything the page loads is served from
// here, so its Content-Security-Policy allows its own origin only: no CDN,
// no inline script or style sheet. Images may also be data: URIs, which
// the viewer's style sheet uses for its icons; they load nothing.

// docsPath is where the viewer is served.
const docsPath = "/api/docs"

//go:embed viewer/index.html viewer/mallbots.js viewer/swagger-ui-bundle.js viewer/swagger-ui.css
//go:embed viewer/LICENSE viewer/NOTICE viewer/swagger-ui-bundle.js.LICENSE.txt
var viewer embed.FS

// docsPolicy is the viewer's Content-Security-Policy.
const docsPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (s *server) docsRoutes(raw *http.ServeMux) {
	raw.HandleFunc("GET "+docsPath, func(w http.ResponseWriter, r *http.Request) { serveViewer(w, "index.html") })
	raw.HandleFunc("GET "+docsPath+"/{file}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		if name == "index.html" || !serveViewer(w, name) {
			writeError(w, http.StatusNotFound, "route_not_found", "the API's viewer has no file "+name+": see GET "+docsPath)
		}
	})
}

// serveViewer answers one of the viewer's files, or says it has none.
func serveViewer(w http.ResponseWriter, name string) bool {
	body, err := viewer.ReadFile("viewer/" + name)
	if err != nil {
		return false
	}
	kind := mime.TypeByExtension(path.Ext(name))
	if kind == "" {
		kind = "text/plain; charset=utf-8"
	}
	h := w.Header()
	h.Set("Content-Type", kind)
	h.Set("Content-Security-Policy", docsPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return true
}
