package registry

import (
	"fmt"

	"github.com/hamba/avro/v2"
)

// incompatibilities says, for each earlier version that reader cannot read
// data of, why not. BACKWARD_TRANSITIVE asks this of every earlier version;
// the compatibility endpoint may ask it of one. An empty result means
// compatible.
func incompatibilities(reader avro.Schema, earlier []*entry) []string {
	msgs := []string{}
	for _, e := range earlier {
		// A fresh checker for every pair: SchemaCompatibility caches verdicts
		// by the fingerprints of both schemas, and a fingerprint covers the
		// Parsing Canonical Form, which drops defaults. A shared checker would
		// answer "field b without a default" with the verdict it once gave
		// "field b with a default".
		if err := avro.NewSchemaCompatibility().Compatible(reader, e.avro); err != nil {
			msgs = append(msgs, fmt.Sprintf("cannot read data written with version %d (id %d): %v", e.version.version, e.id, err))
		}
	}
	return msgs
}
