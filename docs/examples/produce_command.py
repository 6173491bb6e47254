#!/usr/bin/env python3
"""Send one command to MallBots as an external producer and print its result.

It creates a store: it reads the external producers' client properties (what
`mallbots run` writes to <data-dir>/credentials/external.properties and prints
at start), encodes a CreateStore in Avro with the latest schema registered for
it, produces it to mallbots.stores.commands keyed by the store id, waits for
the command's CommandResult on mallbots.results and prints it as one JSON line.
Exits 0 when the command was accepted, 1 otherwise.

    python3 docs/examples/produce_command.py .mallbots/credentials/external.properties

Needs confluent-kafka (Debian's python3-confluent-kafka, for /usr/bin/python3)
and nothing else: the Avro binary encoding is written out below, for the types
MallBots' records use.
"""
import argparse
import json
import os
import struct
import sys
import time
import urllib.parse
import urllib.request
import uuid

try:
    from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
except ImportError:
    sys.exit(f"{sys.executable} cannot import confluent_kafka: install Debian's "
             "python3-confluent-kafka (./deploy/scripts/setup) and run this with "
             "/usr/bin/python3, or pip install confluent-kafka")

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
        self.schemas[v["id"]] = json.loads(v["schema"])
        return v["id"], self.schemas[v["id"]]

    def by_id(self, schema_id):
        if schema_id not in self.schemas:
            self.schemas[schema_id] = json.loads(self._get(f"/schemas/ids/{schema_id}")["schema"])
        return self.schemas[schema_id]


def write_long(out, n):
    n = (n << 1) ^ (n >> 63)  # zigzag, then 7 bits a byte
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)


def encode(schema, value, out):
    """Appends value in Avro binary. A field left out takes its default; one
    without a default must be given (correlationId has none)."""
    if isinstance(schema, list):  # a union: null, or the first other branch
        i = next(i for i, b in enumerate(schema) if (b == "null") == (value is None))
        write_long(out, i)
        return encode(schema[i], value, out)
    t = schema["type"] if isinstance(schema, dict) else schema
    if t == "null":
        return
    if t == "boolean":
        out.append(1 if value else 0)
    elif t in ("int", "long"):  # timestamp-millis is a long
        write_long(out, value)
    elif t in ("float", "double"):
        out += struct.pack("<f" if t == "float" else "<d", value)
    elif t in ("string", "bytes"):
        b = value.encode() if t == "string" else value
        write_long(out, len(b))
        out += b
    elif t == "enum":
        write_long(out, schema["symbols"].index(value))
    elif t in ("array", "map"):
        if value:
            write_long(out, len(value))
            for item in value if t == "array" else value.items():
                if t == "map":
                    encode("string", item[0], out)
                encode(schema["items" if t == "array" else "values"], item if t == "array" else item[1], out)
        write_long(out, 0)
    elif t == "record":
        unknown = set(value) - {f["name"] for f in schema["fields"]}
        if unknown:
            raise ValueError(f"{schema['name']} has no field {sorted(unknown)}")
        for f in schema["fields"]:
            if f["name"] not in value and "default" not in f:
                raise ValueError(f"{schema['name']}.{f['name']} has no default: give it")
            encode(f["type"], value.get(f["name"], f.get("default")), out)
    else:
        raise ValueError(f"Avro type {t!r} is not in this example")
    return out


class Reader:
    def __init__(self, b):
        self.b, self.i = b, 0

    def take(self, n):
        if self.i + n > len(self.b):
            raise ValueError("truncated Avro record")
        self.i += n
        return self.b[self.i - n:self.i]

    def long(self):
        n = shift = 0
        while True:
            byte = self.take(1)[0]
            n |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return (n >> 1) ^ -(n & 1)


def decode(schema, r):
    if isinstance(schema, list):
        return decode(schema[r.long()], r)
    t = schema["type"] if isinstance(schema, dict) else schema
    if t == "null":
        return None
    if t == "boolean":
        return r.take(1) != b"\0"
    if t in ("int", "long"):
        return r.long()
    if t in ("float", "double"):
        return struct.unpack("<f" if t == "float" else "<d", r.take(4 if t == "float" else 8))[0]
    if t in ("string", "bytes"):
        b = r.take(r.long())
        return b.decode() if t == "string" else b
    if t == "enum":
        return schema["symbols"][r.long()]
    if t in ("array", "map"):
        items = []
        while (n := r.long()) != 0:
            if n < 0:  # a block with its size in bytes
                n = -n
                r.long()
            for _ in range(n):
                key = decode("string", r) if t == "map" else None
                items.append((key, decode(schema["items" if t == "array" else "values"], r)))
        return [v for _, v in items] if t == "array" else dict(items)
    if t == "record":
        return {f["name"]: decode(f["type"], r) for f in schema["fields"]}
    raise ValueError(f"Avro type {t!r} is not in this example")


def wire(schema_id, body):
    """The Confluent wire format: magic byte 0, the schema id (4 bytes, big-endian), Avro."""
    return b"\0" + struct.pack(">I", schema_id) + bytes(body)


def unwire(registry, value):
    if len(value) < 5 or value[0] != 0:
        raise ValueError("not in the Confluent wire format")
    (schema_id,) = struct.unpack(">I", value[1:5])
    return decode(registry.by_id(schema_id), Reader(value[5:]))


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
    args = ap.parse_args()
    deadline = time.monotonic() + args.timeout

    props = read_properties(args.properties)
    registry = Registry(args.registry)
    # TopicRecordNameStrategy: the subject is <topic>-<record's full name>.
    schema_id, schema = registry.latest(f"{COMMANDS}-{RECORD}")
    store_id, command_id = str(uuid.uuid4()), str(uuid.uuid4())
    command = {
        "commandId": command_id,  # the idempotency key: a retry sends the same id
        "aggregateId": store_id,  # and the record's key
        "correlationId": command_id,  # no default: a new workflow starts with its command's id
        "issuedAt": int(time.time() * 1000),
        "issuedBy": props["sasl.username"],  # a claim MallBots does not check (ADR 0023)
        "issuerRole": "service",
        "name": args.name,
        "location": args.location,
    }  # causationId and expectedVersion take their defaults: "" and null
    value = wire(schema_id, encode(schema, command, bytearray()))

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
    print(json.dumps(result))
    return 0 if result["accepted"] else 1


if __name__ == "__main__":
    sys.exit(main())
