package main

import (
	"fmt"
	"net/http"
	"time"
)

// healthCmd probes a role's /healthz or /readyz from inside its container:
// the image is distroless (no shell, no curl), so compose's healthcheck runs
// the binary itself. Exit status 0 means 200.
type healthCmd struct {
	URL     string        `help:"The probe to ask." default:"http://127.0.0.1:8080/readyz"`
	Timeout time.Duration `help:"Give up after this long." default:"3s"`
}

func (h *healthCmd) Run() error {
	resp, err := (&http.Client{Timeout: h.Timeout}).Get(h.URL)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", h.URL, resp.Status)
	}
	return nil
}
