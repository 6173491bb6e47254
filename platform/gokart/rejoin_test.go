package gokart

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// sessions is a consumer group whose Consume ends one session per call, as
// sarama's does after a rebalance, and then answers what ends lists.
type sessions struct {
	sarama.ConsumerGroup
	ends  []error
	calls int
	gaps  []time.Duration
	last  time.Time
}

func (s *sessions) Consume(context.Context, []string, sarama.ConsumerGroupHandler) error {
	if !s.last.IsZero() {
		s.gaps = append(s.gaps, time.Since(s.last))
	}
	s.calls++
	err := s.ends[min(s.calls, len(s.ends))-1]
	s.last = time.Now()
	return err
}

// A rebalance ends the session; goka would wait 5 s before it joins again,
// out of the group all that time. The group rejoins at once instead, and
// only an error or the end of the processor's context returns to goka.
func TestAConsumerGroupRejoinsAtOnceAfterARebalance(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	inner := &sessions{ends: []error{nil, nil, nil}}
	done := make(chan error, 1)
	go func() { done <- rejoining{inner}.Consume(ctx, []string{"t"}, nil) }()
	time.Sleep(20 * rejoinPause)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Consume after the processor stopped: %v, want nil", err)
	}
	if inner.calls < 3 {
		t.Fatalf("joined %d times in %s, want a new session after each rebalance", inner.calls, 20*rejoinPause)
	}
	for i, gap := range inner.gaps {
		if gap > time.Second {
			t.Fatalf("session %d began %s after the one before, want about %s", i+2, gap, rejoinPause)
		}
	}
}

func TestAConsumerGroupErrorReachesGoka(t *testing.T) {
	broken := errors.New("the group coordinator refused the join")
	inner := &sessions{ends: []error{nil, broken}}
	if err := (rejoining{inner}).Consume(context.Background(), []string{"t"}, nil); !errors.Is(err, broken) {
		t.Fatalf("Consume = %v, want %v", err, broken)
	}
	if inner.calls != 2 {
		t.Fatalf("joined %d times, want 2 (the error ends the loop)", inner.calls)
	}
}
