// Package browsertest specifies the web console end to end (its tests are
// all there is): a real headless Chromium (Debian's chromium, driven over
// the DevTools protocol by chromedp) uses the console of a real running
// system (broker, processors, ClickHouse, the API) as a person would. With
// CI=true a missing chromium or ClickHouse fails the run; elsewhere the
// tests skip, saying what to install.
//
// With -screenshots DIR the tests also save each page as a PNG into DIR:
// `go generate ./app/console/browsertest` regenerates docs/console/.
package browsertest

//go:generate go test -count=1 -run . . -args -screenshots ../../../docs/console
