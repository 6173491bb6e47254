package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/mallbots/mallbots/tools/repartition"
	"github.com/mallbots/mallbots/topics"
)

// topicsCopyCmd copies the event log to a cluster whose topics have another
// partition count, each record into its key's partition there: step 4 of
// raising the partition count (docs/operations.md, ## Scaling). The same
// security settings and credentials reach both clusters.
type topicsCopyCmd struct {
	FromBrokers []string `name:"from-brokers" help:"The source cluster's bootstrap brokers." required:""`
	Topic       []string `name:"topic" help:"Topics to copy (default: every event topic and mallbots.notifications.sent)."`
	kafkaFlags
}

func (c *topicsCopyCmd) Run() error {
	src, err := c.kgoOpts(c.FromBrokers, topics.RoleAdmin)
	if err != nil {
		return err
	}
	dst, err := c.kgoOpts(c.Brokers, topics.RoleAdmin)
	if err != nil {
		return err
	}
	names := c.Topic
	if len(names) == 0 {
		names = append(topics.EventTopics(), topics.NotificationsSent.Name)
	}
	ctx, stop := interruptible()
	defer stop()
	copied, err := repartition.Copy(ctx, src, dst, names, os.Stdout)
	var ts []string
	for t := range copied {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	for _, t := range ts {
		fmt.Printf("%s: %d records copied\n", t, copied[t])
	}
	return err
}
