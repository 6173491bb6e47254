package system_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/platform/testkit"
)

// contract is the API's OpenAPI document (GET /api/openapi.json): every
// request these tests send to the API and every answer they get, errors
// and streams included, is checked against it (platform/testkit.Contract;
// docs/adr/0025-openapi-contract.md). A violation fails the call that made
// it, naming the route and what broke.
var contract = func() *testkit.Contract {
	c, err := testkit.NewContract(httpapi.OpenAPI())
	if err != nil {
		panic(err)
	}
	return c
}()

// checkedHTTP is an HTTP client whose /api exchanges the contract checks,
// for the tests that read answers by hand.
var checkedHTTP = &http.Client{Transport: contract.Transport(nil)}

// client is a client of the system's API with token ("": none), checked
// against the contract.
func client(t *testing.T, token string) testkit.API {
	return clientOf(t, "http://"+sys.HTTPAddr(), token)
}

// clientOf is client for the API at base.
func clientOf(t *testing.T, base, token string) testkit.API {
	return testkit.API{T: t, Base: base, Token: token, Transport: contract.Transport(nil)}
}

// An HTTP client made any other way would skip the contract's checks.
func TestEveryClientOfTheseTestsIsCheckedAgainstTheContract(t *testing.T) {
	unchecked := regexp.MustCompile(`testkit\.API\{|http\.DefaultClient|http\.(Get|Post|Head)\(`)
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f == "contract_test.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range unchecked.FindAllIndex(src, -1) {
			t.Errorf("%s: %s makes an HTTP client the contract does not check: use client, clientOf or checkedHTTP (contract_test.go)", f, src[m[0]:m[1]])
		}
	}
}

// The contract and its viewer are served by the system to anyone.
func TestTheSystemServesItsContractAndViewerWithoutAToken(t *testing.T) {
	anyone := client(t, "")
	if got := anyone.Do("GET", "/api/openapi.json", nil).Expect(t, http.StatusOK).Raw; got != string(httpapi.OpenAPI()) {
		t.Errorf("GET /api/openapi.json is not httpapi.OpenAPI()")
	}
	anyone.Do("GET", "/api/docs", nil).Expect(t, http.StatusOK)
	anyone.Do("GET", "/api/docs/swagger-ui.css", nil).Expect(t, http.StatusOK)
}
