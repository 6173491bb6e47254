package system_test

import (
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas"
)

func positionOf(rec *kgo.Record) schemas.Position {
	return schemas.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
}

func eventIDOf(v any) string {
	if ev, ok := v.(schemas.Event); ok {
		return ev.EventMetadata().EventID
	}
	return ""
}
