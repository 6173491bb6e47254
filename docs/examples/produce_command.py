#!/usr/bin/env python3
"""Send one command to MallBots as an external producer and print its result.

It creates a store: it reads the external producers' client properties (what
`mallbots run` writes to <data-dir>/credentials/external.properties and prints
at start), encodes a CreateStore in Avro with the latest schema registered for
it, produces it to mallbots.stores.commands keyed by the store id, waits for
the command's CommandResult on mallbots.results and prints it as one JSON line.
Exits 0 when the command was accepted, 1 otherwise.

    python3 docs/examples/produce_command.py .mallbots/credentials/external.properties

For kcat, which cannot encode Avro: --encode-only FILE writes the encoded
command to FILE (and prints its store and command ids) for kcat -P to send;
--decode prints, as JSON, the record (a result kcat read) given on stdin.

Needs confluent-kafka and Apache Avro (Debian's python3-confluent-kafka and
python3-avro, for /usr/bin/python3).
"""
import argparse
import datetime
import io
import json
import os
import struct
import sys
import time
import urllib.parse
import urllib.request
import uuid

try:
    import avro.io
    import avro.schema
    from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
except ImportError as e:
    sys.exit(f"{sys.executable}: {e}: install Debian's python3-confluent-kafka and "
             "python3-avro (./deploy/scripts/setup) and run this with /usr/bin/python3, "
             "or pip install confluent-kafka avro")

COMMANDS = "mallbots.stores.commands"
RECORD = "mallbots.stores.CreateStore"
RESULTS = "mallbots.results"


def read_properties(path):
    """librdkafka's properties, as kcat -F reads them: key=value, # comments."""
    props = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                props[key.strip()] = value.strip()
    return props


class Registry:
    """Reads schemas from the schema registry, which answers reads to anyone.

    Registering a schema needs the registry's own principal, so an external
    producer does not auto-register: it writes with the latest version
    MallBots registered at start, the one MallBots itself writes with."""

    def __init__(self, url):
        self.url, self.schemas = url.rstrip("/"), {}

    def _get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.load(r)

    def latest(self, subject):
        v = self._get(f"/subjects/{urllib.parse.quote(subject, safe='')}/versions/latest")
        self.schemas[v["id"]] = avro.schema.parse(v["schema"])
        return v["id"], self.schemas[v["id"]]

    def by_id(self, schema_id):
        if schema_id not in self.schemas:
            self.schemas[schema_id] = avro.schema.parse(self._get(f"/schemas/ids/{schema_id}")["schema"])
        return self.schemas[schema_id]


def wire(schema_id, schema, datum):
    """The Confluent wire format: magic byte 0, the schema id (4 bytes,
    big-endian), then the Avro binary encoding. Apache Avro's writer wants
    every field (it fills in no default) and a datetime for a
    timestamp-millis."""
    out = io.BytesIO()
    out.write(b"\0" + struct.pack(">I", schema_id))
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(out))
    return out.getvalue()


def unwire(registry, value):
    """Decodes a record in the Confluent wire format with its writer's schema."""
    if len(value) < 5 or value[0] != 0:
        raise ValueError("not in the Confluent wire format")
    (schema_id,) = struct.unpack(">I", value[1:5])
    reader = avro.io.DatumReader(registry.by_id(schema_id))
    return reader.read(avro.io.BinaryDecoder(io.BytesIO(value[5:])))


def as_json(record):
    """One JSON line; a timestamp-millis decodes to a datetime, printed ISO 8601."""
    return json.dumps(record, default=lambda v: v.isoformat() if isinstance(v, datetime.datetime) else str(v))


def results_consumer(props):
    """Reads every partition of mallbots.results from its end now, before the
    command is sent, so its result cannot pass unseen. The external principal
    may read the topic but join no group: it assigns partitions itself and
    commits nothing. confluent-kafka still wants a group.id; this one is never
    joined, and the broker's refusal of it (GROUP_AUTHORIZATION_FAILED) is
    expected."""
    c = Consumer({**props, "group.id": "mallbots-external-never-joined", "enable.auto.commit": False})
    topic = c.list_topics(RESULTS, timeout=10).topics[RESULTS]
    if topic.error is not None:
        sys.exit(f"{RESULTS}: {topic.error}")
    ends = [TopicPartition(RESULTS, p) for p in sorted(topic.partitions)]
    for tp in ends:
        tp.offset = c.get_watermark_offsets(tp, timeout=10)[1]
    c.assign(ends)
    return c


def await_result(consumer, registry, command_id, deadline):
    while time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError.GROUP_AUTHORIZATION_FAILED:
                continue
            sys.exit(f"{RESULTS}: {msg.error()}")
        if msg.key() == command_id.encode():  # results are keyed by command id
            result = unwire(registry, msg.value())
            if result["commandId"] == command_id:
                return result
    sys.exit(f"no result for command {command_id} on {RESULTS} in time")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("properties", nargs="?",
                    default=os.environ.get("MALLBOTS_EXTERNAL_PROPERTIES", ".mallbots/credentials/external.properties"),
                    help="the external producers' client properties (default: $MALLBOTS_EXTERNAL_PROPERTIES, "
                         "else .mallbots/credentials/external.properties)")
    ap.add_argument("--registry", default=os.environ.get("MALLBOTS_SCHEMA_REGISTRY", "http://127.0.0.1:8081"),
                    help="the schema registry (default: $MALLBOTS_SCHEMA_REGISTRY, else http://127.0.0.1:8081)")
    ap.add_argument("--name", default="Waldorf Books")
    ap.add_argument("--location", default="Level 1")
    ap.add_argument("--timeout", type=float, default=30, help="seconds to wait for the result")
    ap.add_argument("--encode-only", metavar="FILE", help="write the encoded command to FILE, print its ids, send nothing")
    ap.add_argument("--decode", action="store_true", help="print the wire-format record on stdin as JSON")
    args = ap.parse_args()
    deadline = time.monotonic() + args.timeout
    registry = Registry(args.registry)
    if args.decode:
        print(as_json(unwire(registry, sys.stdin.buffer.read())))
        return 0

    props = read_properties(args.properties)
    # TopicRecordNameStrategy: the subject is <topic>-<record's full name>.
    schema_id, schema = registry.latest(f"{COMMANDS}-{RECORD}")
    store_id, command_id = str(uuid.uuid4()), str(uuid.uuid4())
    command = {
        "commandId": command_id,  # the idempotency key: a retry sends the same id
        "aggregateId": store_id,  # and the record's key
        "correlationId": command_id,  # no default: a new workflow starts with its command's id
        "causationId": "",  # nothing caused it
        "expectedVersion": None,  # no version check
        "issuedAt": datetime.datetime.now(datetime.timezone.utc),
        "issuedBy": props["sasl.username"],  # a claim MallBots does not check (ADR 0023)
        "issuerRole": "service",
        "name": args.name,
        "location": args.location,
    }
    value = wire(schema_id, schema, command)
    if args.encode_only:
        with open(args.encode_only, "wb") as f:
            f.write(value)
        print(json.dumps({"storeId": store_id, "commandId": command_id, "schemaId": schema_id}))
        return 0

    consumer = results_consumer(props)
    producer = Producer({**props, "partitioner": "murmur2_random"})  # Kafka's default partitioner
    delivered = []
    producer.produce(COMMANDS, key=store_id.encode(), value=value,
                     on_delivery=lambda err, msg: delivered.append((err, msg)))
    producer.flush(max(deadline - time.monotonic(), 0))
    if not delivered or delivered[0][0] is not None:
        sys.exit(f"{COMMANDS}: {delivered[0][0] if delivered else 'not delivered in time'}")
    print(f"sent CreateStore {store_id} (command {command_id}) to {COMMANDS}/{delivered[0][1].partition()} "
          f"with schema id {schema_id}", file=sys.stderr)

    result = await_result(consumer, registry, command_id, deadline)
    consumer.close()
    print(as_json(result))
    return 0 if result["accepted"] else 1


if __name__ == "__main__":
    sys.exit(main())
