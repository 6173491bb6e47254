package system_test

import (
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
)

func positionOf(rec *kgo.Record) serde.Position {
	return serde.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
}

func eventIDOf(v any) string {
	if ev, ok := v.(schemas.Event); ok {
		return ev.EventMetadata().EventID
	}
	return ""
}
