package console

import "net/http"

// Mount serves the console beside the API on one address: GET / and HEAD /,
// the pages under /console/ and the files under /assets/ go to console;
// every other request (/api, /healthz, /readyz, /metrics, and the API's
// own 404 for paths nobody serves) goes to api unchanged.
func Mount(api, console http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", api)
	mux.Handle("GET /{$}", console)
	mux.Handle("/console/", console)
	mux.Handle("/assets/", console)
	return mux
}
