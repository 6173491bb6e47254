package broker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mallbots/mallbots/platform/kafkaauth"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
)

// User is a principal of the embedded broker: its SASL/SCRAM-SHA-512
// credentials and the ACLs it is allowed (topics.ACLs, its own).
type User struct {
	Name, Password string
	ACLs           []topics.ACL
}

// WithEnforcedACLs makes the broker require SASL/SCRAM-SHA-512 and enforce
// ACLs: superuser is the break-glass admin (the broker's own clients, the
// compactor's, use it), each of users may do what its ACLs allow and
// nothing else, and a client without credentials is refused. The users and
// the ACLs are exactly these at every start: what a previous run persisted
// in the data directory is removed first (docs/adr/0020). Default: no
// SASL, no ACLs (WithSASL configures a single superuser instead).
func WithEnforcedACLs(superuser kafkaauth.Config, users ...User) Option {
	return func(c *config) {
		c.acls = &enforced{superuser: superuser, users: users}
	}
}

type enforced struct {
	superuser kafkaauth.Config
	users     []User
}

func (e *enforced) validate() error {
	var errs []error
	if e.superuser.Username == "" || e.superuser.Password == "" {
		errs = append(errs, errors.New("WithEnforcedACLs: the superuser needs a name and a password"))
	}
	for _, u := range e.users {
		if u.Name == "" || u.Password == "" {
			errs = append(errs, fmt.Errorf("WithEnforcedACLs: user %q needs a name and a password", u.Name))
		}
		for _, a := range u.ACLs {
			if a.Principal != "User:"+u.Name {
				errs = append(errs, fmt.Errorf("WithEnforcedACLs: user %s holds an ACL of %s", u.Name, a.Principal))
			}
		}
	}
	return errors.Join(errs...)
}

// client is the superuser's connection settings.
func (e *enforced) client() kafkaauth.Config {
	c := e.superuser
	c.Mechanism = kafkaauth.ScramSHA512
	return c
}

// kfakeOpts are the users and their ACLs as kfake options. kfake seeds
// the ACLs only into a new data directory; ensure puts them back after a
// restart.
func (e *enforced) kfakeOpts() ([]kfake.Opt, error) {
	opts := []kfake.Opt{kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser(kafkaauth.ScramSHA512, e.superuser.Username, e.superuser.Password)}
	for _, u := range e.users {
		acls, err := kfakeACLs(u.ACLs)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kfake.User(kafkaauth.ScramSHA512, u.Name, u.Password, acls...))
	}
	return opts, nil
}

func kfakeACLs(in []topics.ACL) ([]kfake.ACL, error) {
	out := make([]kfake.ACL, 0, len(in))
	for _, a := range in {
		typ, err := kmsg.ParseACLResourceType(string(a.Resource.Type))
		if err != nil {
			return nil, fmt.Errorf("ACL %s: %w", a, err)
		}
		pattern, err := kmsg.ParseACLResourcePatternType(string(a.Resource.Pattern))
		if err != nil {
			return nil, fmt.Errorf("ACL %s: %w", a, err)
		}
		op, err := kmsg.ParseACLOperation(string(a.Operation))
		if err != nil {
			return nil, fmt.Errorf("ACL %s: %w", a, err)
		}
		out = append(out, kfake.ACL{Resource: typ, Name: a.Resource.Name, Pattern: pattern, Operation: op, Allow: true})
	}
	return out, nil
}

// resetPersisted removes the ACLs a previous run persisted, so that the
// configured ones are the only ones.
func resetPersisted(dir string) error {
	for _, f := range []string{"sasl.json", "acls.json"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("reset the embedded broker's %s: %w", f, err)
		}
	}
	return nil
}

// ensure creates, as the superuser, the ACLs kfake did not seed (it seeds
// only a new data directory). Until it has, every user is refused
// everything: kfake allows nothing that no ACL allows.
func (e *enforced) ensure(ctx context.Context, addrs []string) error {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addrs...)}, e.client().KgoOpts()...)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	var all []topics.ACL
	for _, u := range e.users {
		all = append(all, u.ACLs...)
	}
	if _, err := admin.ApplyACLs(ctx, kadm.NewClient(cl), all); err != nil {
		return fmt.Errorf("embedded broker: put the ACLs in place: %w", err)
	}
	return nil
}
