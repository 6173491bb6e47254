package metrics

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
)

// lagTimeout bounds how long a scrape waits for the brokers.
const lagTimeout = 5 * time.Second

// lagCache is how long a measurement is reused: several Prometheus
// servers, or a dashboard refresh, should not each ask the brokers.
const lagCache = time.Second

// WatchGroupLag adds mallbots_consumer_group_lag and
// mallbots_consumer_group_members, measured at scrape time with adm for
// every consumer group whose name starts with prefix ("mallbots."): the
// goka groups of the aggregates, the saga, the policies and the
// notifications, and the projectors. Goka's own lag figure is always 0
// here (it is refreshed once a minute from sarama's high-water marks), so
// the lag comes from the brokers: per topic, the records between each
// partition's committed offset (or its start when nothing is committed)
// and its end. Every instance reports the same figures for a group, whichever
// instance runs it: aggregate them with max, not sum.
func (m *Metrics) WatchGroupLag(adm *kadm.Client, prefix string, log *slog.Logger) {
	if m == nil {
		return
	}
	m.reg.MustRegister(&lagCollector{
		adm: adm, prefix: prefix, log: log,
		lag:     prometheus.NewDesc(Namespace+"_consumer_group_lag", "Records a consumer group has not yet committed, per topic (from the brokers, whichever instance runs the group).", []string{"group", "topic"}, nil),
		members: prometheus.NewDesc(Namespace+"_consumer_group_members", "Members of a consumer group (instances sharing its partitions).", []string{"group"}, nil),
	})
}

type lagCollector struct {
	adm          *kadm.Client
	prefix       string
	log          *slog.Logger
	lag, members *prometheus.Desc

	mu    sync.Mutex
	last  []prometheus.Metric
	until time.Time
}

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.lag; ch <- c.members }

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Now().After(c.until) {
		ms, err := c.measure()
		if err != nil {
			c.log.Debug("consumer group lag not measured; keeping the last figures", "err", err)
		} else {
			c.last = ms
		}
		c.until = time.Now().Add(lagCache)
	}
	for _, m := range c.last {
		ch <- m
	}
}

func (c *lagCollector) measure() ([]prometheus.Metric, error) {
	ctx, cancel := context.WithTimeout(context.Background(), lagTimeout)
	defer cancel()
	listed, err := c.adm.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	var groups []string
	for _, g := range listed.Groups() {
		if strings.HasPrefix(g, c.prefix) {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return nil, nil
	}
	lags, err := c.adm.Lag(ctx, groups...)
	if err != nil {
		return nil, err
	}
	var out []prometheus.Metric
	lags.Each(func(l kadm.DescribedGroupLag) {
		if l.Error() != nil {
			return
		}
		out = append(out, prometheus.MustNewConstMetric(c.members, prometheus.GaugeValue, float64(len(l.Members)), l.Group))
		byTopic := map[string]int64{}
		for _, pl := range l.Lag.Sorted() {
			if pl.Lag >= 0 {
				byTopic[pl.Topic] += pl.Lag
			} else if _, ok := byTopic[pl.Topic]; !ok {
				byTopic[pl.Topic] = 0
			}
		}
		for topic, n := range byTopic {
			out = append(out, prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(n), l.Group, topic))
		}
	})
	return out, nil
}
