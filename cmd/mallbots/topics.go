package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
	"github.com/mallbots/mallbots/topics/asyncapi"
)

type topicsCmd struct {
	Apply topicsApplyCmd `cmd:"" help:"Create every missing topic and ACL of the catalogue (never alters or deletes existing ones; ACLs need the admin principal)."`
	Check topicsCheckCmd `cmd:"" help:"Report topics and ACLs that are missing or differ from the catalogue; exits non-zero on drift."`
	List  topicsListCmd  `cmd:"" help:"Print the catalogue as a Markdown table."`
	ACLs  topicsACLsCmd  `cmd:"" name:"acls" help:"Print the catalogue's principals and their ACLs as Markdown tables."`
	Copy  topicsCopyCmd  `cmd:"" help:"Copy the event log from --from-brokers into the empty topics of --brokers, each record into its key's partition there (raising the partition count)."`

	AsyncAPI topicsAsyncAPICmd `cmd:"" name:"asyncapi" help:"Print the topics' AsyncAPI 3.0 document (JSON, also served at GET /api/asyncapi.json): channels with keys and configs, messages with their Avro schemas and headers, who may send or receive."`
}

type kafkaFlags struct {
	Brokers []string `help:"Kafka bootstrap brokers." default:"127.0.0.1:9092" env:"MALLBOTS_BROKERS"`
	kafkaSecurity
}

// withAdmin runs fn with an admin client and a 30-second deadline.
func (f kafkaFlags) withAdmin(role string, fn func(ctx context.Context, adm *kadm.Client) error) error {
	opts, err := f.kgoOpts(f.Brokers, role)
	if err != nil {
		return err
	}
	return admin.Run(opts, func(adm *kadm.Client) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return fn(ctx, adm)
	})
}

// durabilityFlags say how the cluster replicates the catalogue's topics
// (topics.Durability); 0 is the default for the cluster's size.
type durabilityFlags struct {
	ReplicationFactor int16 `name:"replication-factor" help:"Replication factor of every topic class (event log, tables, commands, results, dead letters, internal). Default (0): 3 on a cluster of three brokers or more, else the broker count; the embedded broker is one broker, so 1." default:"0" env:"MALLBOTS_REPLICATION_FACTOR"`
	MinInsyncReplicas int   `name:"min-insync-replicas" help:"min.insync.replicas of every topic class: the replicas that must hold a record before an acks=all write succeeds. Default (0): the replication factor minus one, at least 1 (2 on three brokers)." default:"0" env:"MALLBOTS_MIN_INSYNC_REPLICAS"`
}

// option is admin's option for these flags.
func (f durabilityFlags) option() admin.Option {
	return admin.WithReplication(f.ReplicationFactor, f.MinInsyncReplicas)
}

// catalogueFlags are the flags of a command that holds a cluster to the
// catalogue: where it is, and how its topics are replicated.
type catalogueFlags struct {
	kafkaFlags
	durabilityFlags
}

// run runs fn as role's principal (withAdmin) with the replication the
// flags say.
func (f catalogueFlags) run(role string, fn func(ctx context.Context, adm *kadm.Client, opts ...admin.Option) error) error {
	return f.withAdmin(role, func(ctx context.Context, adm *kadm.Client) error {
		return fn(ctx, adm, f.option())
	})
}

type topicsApplyCmd struct{ catalogueFlags }

// Run creates topics and ACLs; creating ACLs needs ALTER on the cluster,
// the admin's.
func (c *topicsApplyCmd) Run() error { return c.run(topics.RoleAdmin, apply) }

func apply(ctx context.Context, adm *kadm.Client, opts ...admin.Option) error {
	d, err := admin.Durability(ctx, adm, opts...)
	if err != nil {
		return err
	}
	fmt.Printf("replication of the topics, %s\n", d)
	created, err := admin.Apply(ctx, adm, topics.All(), admin.WithDurability(d))
	for _, name := range created {
		fmt.Println("created", name)
	}
	if err != nil {
		return err
	}
	fmt.Printf("%d created, %d already present\n", len(created), len(topics.All())-len(created))
	return applyACLs(ctx, adm)
}

type topicsCheckCmd struct{ catalogueFlags }

func (c *topicsCheckCmd) Run() error { return c.run(topics.RoleTopics, check) }

func check(ctx context.Context, adm *kadm.Client, opts ...admin.Option) error {
	drift, err := admin.Check(ctx, adm, topics.All(), opts...)
	if err != nil {
		return err
	}
	for _, d := range drift {
		fmt.Println(d)
	}
	aclDrift, err := checkACLs(ctx, adm)
	if err != nil {
		return err
	}
	if n := len(drift) + aclDrift; n > 0 {
		return fmt.Errorf("%d differences from the catalogue", n)
	}
	fmt.Printf("all %d topics and %d ACLs match the catalogue\n", len(topics.All()), len(topics.ACLs()))
	return nil
}

type topicsAsyncAPICmd struct{}

func (c *topicsAsyncAPICmd) Run() error { return writeAsyncAPI(os.Stdout) }

func writeAsyncAPI(w io.Writer) error {
	doc, err := asyncapi.JSON()
	if err != nil {
		return err
	}
	_, err = w.Write(doc)
	return err
}

type topicsListCmd struct{}

func (c *topicsListCmd) Run() error {
	fmt.Print(topics.Markdown())
	return nil
}
