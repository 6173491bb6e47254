package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
)

// applyACLs creates the catalogue's missing ACLs (`mallbots topics apply`,
// after the topics). Creating ACLs needs ALTER on the cluster: the admin
// principal or a superuser. A broker without an authorizer enforces no
// ACLs and keeps none: that is a warning here, so that a deployment that
// has not turned its authorizer on yet still gets its topics, and drift
// for `mallbots topics check`.
func applyACLs(ctx context.Context, adm *kadm.Client) error {
	acls := topics.ACLs()
	created, err := admin.ApplyACLs(ctx, adm, acls)
	if errors.Is(err, admin.ErrNoAuthorizer) {
		fmt.Fprintf(os.Stderr, "warning: no ACLs applied: %v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Printf("%d ACLs created, %d already present\n", len(created), len(acls)-len(created))
	return nil
}

// checkACLs prints the ACL drift (`mallbots topics check`) and returns how
// many differences it found; a broker without an authorizer is one.
func checkACLs(ctx context.Context, adm *kadm.Client) (int, error) {
	drift, err := admin.CheckACLs(ctx, adm, topics.ACLs())
	if errors.Is(err, admin.ErrNoAuthorizer) {
		fmt.Println("acls:", err)
		return 1, nil
	}
	if err != nil {
		return 0, err
	}
	for _, d := range drift {
		fmt.Println(d)
	}
	return len(drift), nil
}

type topicsACLsCmd struct{}

func (c *topicsACLsCmd) Run() error {
	fmt.Print(topics.MarkdownACLs())
	return nil
}
