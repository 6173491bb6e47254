package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/topics"
)

type topicsCmd struct {
	Apply topicsApplyCmd `cmd:"" help:"Create every missing topic of the catalogue (never alters existing ones)."`
	Check topicsCheckCmd `cmd:"" help:"Report topics that are missing or differ from the catalogue; exits non-zero on drift."`
	List  topicsListCmd  `cmd:"" help:"Print the catalogue as a Markdown table."`
}

type kafkaFlags struct {
	Brokers []string `help:"Kafka bootstrap brokers." default:"127.0.0.1:9092" env:"MALLBOTS_BROKERS"`
}

func (f kafkaFlags) admin() (*kadm.Client, func(), error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(f.Brokers...))
	if err != nil {
		return nil, nil, err
	}
	return kadm.NewClient(cl), cl.Close, nil
}

type topicsApplyCmd struct{ kafkaFlags }

func (c *topicsApplyCmd) Run() error {
	adm, closeFn, err := c.admin()
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	created, err := topics.Apply(ctx, adm, topics.All())
	for _, name := range created {
		fmt.Println("created", name)
	}
	if err != nil {
		return err
	}
	fmt.Printf("%d created, %d already present\n", len(created), len(topics.All())-len(created))
	return nil
}

type topicsCheckCmd struct{ kafkaFlags }

func (c *topicsCheckCmd) Run() error {
	adm, closeFn, err := c.admin()
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	drift, err := topics.Check(ctx, adm, topics.All())
	if err != nil {
		return err
	}
	for _, d := range drift {
		fmt.Println(d)
	}
	if len(drift) > 0 {
		return fmt.Errorf("%d differences from the catalogue", len(drift))
	}
	fmt.Printf("all %d topics match the catalogue\n", len(topics.All()))
	return nil
}

type topicsListCmd struct{}

func (c *topicsListCmd) Run() error {
	fmt.Print(topics.Markdown())
	return nil
}
