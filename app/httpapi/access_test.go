package httpapi

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/app/auth"
)

func TestEveryRouteHasAnAccessRuleAndEveryRuleARoute(t *testing.T) {
	registered := RegisteredRoutes()
	for _, route := range registered {
		if _, ok := ruleFor(route); !ok {
			t.Errorf("%s is registered without an access rule: add it to rules in access.go (it answers 403 to everyone until then)", route)
		}
	}
	for _, r := range rules {
		if !slices.Contains(registered, r.Route) {
			t.Errorf("the rule for %s names no registered route", r.Route)
		}
		if r.Access(auth.Operator) != Allowed {
			t.Errorf("%s: the operator may do everything", r.Route)
		}
		own := false
		for _, role := range auth.Roles() {
			own = own || r.Access(role) == Own || r.Access(role) == OwnStores
		}
		if own != (r.owner != noOwner) {
			t.Errorf("%s: a rule says who owns its resource exactly when it grants own access", r.Route)
		}
	}
	if len(registered) != len(rules) {
		t.Errorf("%d routes registered, %d rules", len(registered), len(rules))
	}
}

func TestTheDocsShowTheAccessTable(t *testing.T) {
	doc, err := os.ReadFile("../../docs/domain.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), AccessMarkdown()) {
		t.Fatalf("docs/domain.md, Who may do what, is not the access table of app/httpapi/access.go; paste this:\n%s", AccessMarkdown())
	}
}
