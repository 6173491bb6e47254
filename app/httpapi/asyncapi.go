package httpapi

import (
	"net/http"

	"github.com/mallbots/mallbots/topics/asyncapi"
)

// asyncAPIPath serves the topics' AsyncAPI document (package
// topics/asyncapi) without a token: it is a contract, the same for every
// caller, and says nothing the catalogue in docs/topics.md does not.
const asyncAPIPath = "/api/asyncapi.json"

// routeAsyncAPI registers GET /api/asyncapi.json on the raw mux, beside
// /healthz: no access rule, no token (authenticate lets it pass).
func routeAsyncAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET "+asyncAPIPath, func(w http.ResponseWriter, _ *http.Request) {
		doc, err := asyncapi.JSON()
		if err != nil {
			writeError(w, http.StatusInternalServerError, "asyncapi_unavailable", "the AsyncAPI document could not be generated: "+err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(doc)
	})
}
