#!/usr/bin/python3
"""Durability across an engine restart, in two steps run against two engine processes that share
one data dir:

  verify_after_restart.py produce --bootstrap B --state FILE [--count 300]
      creates a topic, produces --count keyed messages (idempotent, acks=all), consumes them all
      with a group, commits synchronously and writes FILE (topic, group, where every message
      landed, the committed offsets).
  verify_after_restart.py verify --bootstrap B --state FILE
      reads FILE, consumes the topic from the beginning with a fresh group and checks every message
      is there, at its partition and offset, in order; then checks the first group's committed
      offsets are unchanged.

Prints a JSON summary on its last line; exits 1 with a reason on failure.
"""
import argparse
import json
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conformance_common import check, log, run, unique_name, wait_until

PARTITIONS = 3


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["produce", "verify"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--state", required=True, help="JSON file written by produce")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=90.0, help="bound for each phase (s)")
    parser.add_argument("--mock", action="store_true", help="no CreateTopics (mock cluster)")
    return parser.parse_args()


def consume_from_start(bootstrap, topic, group, count, timeout, commit):
    """Returns [(partition, offset, key, value)] in arrival order; commits if asked."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "session.timeout.ms": 10000})
    consumer.subscribe([topic])
    records = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < count and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=500, timeout=0.5):
                check(message.error() is None, f"consumer error: {message.error()}")
                records.append((message.partition(), message.offset(),
                                message.key().decode(), message.value().decode()))
        check(len(records) >= count, f"read {len(records)} of {count} within {timeout}s")
        if commit:
            consumer.commit(asynchronous=False)
        # Anything beyond count is a duplicate or a stranger; give it a short chance to show up.
        extra_until = time.monotonic() + 1.0
        while time.monotonic() < extra_until:
            for message in consumer.consume(num_messages=100, timeout=0.2):
                if message.error() is None:
                    records.append((message.partition(), message.offset(),
                                    message.key().decode(), message.value().decode()))
    finally:
        consumer.close()
    return records


def committed_offsets(bootstrap, topic, group, timeout):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "enable.auto.commit": False})
    try:
        entry = consumer.list_topics(topic=topic, timeout=timeout).topics.get(topic)
        check(entry is not None and entry.error is None and entry.partitions,
              f"{topic} missing from metadata: {entry and entry.error}")
        partitions = [TopicPartition(topic, p) for p in sorted(entry.partitions)]
        result = consumer.committed(partitions, timeout=timeout)
        for tp in result:
            check(tp.error is None, f"committed() error on partition {tp.partition}: {tp.error}")
        return {str(tp.partition): tp.offset for tp in result}
    finally:
        consumer.close()


def produce_step(args):
    topic = unique_name("restart-topic")
    group = unique_name("restart-group")
    if not args.mock:
        admin = AdminClient({"bootstrap.servers": args.bootstrap})
        admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=3)],
                            operation_timeout=30)[topic].result(timeout=args.timeout)

        def ready():
            entry = admin.list_topics(topic=topic, timeout=5).topics.get(topic)
            return (entry is not None and entry.error is None
                    and len(entry.partitions) == PARTITIONS
                    and all(p.leader >= 0 for p in entry.partitions.values()))

        wait_until(ready, args.timeout, f"{topic} with {PARTITIONS} led partitions")
    producer = Producer({"bootstrap.servers": args.bootstrap, "acks": "all",
                         "enable.idempotence": True, "linger.ms": 5,
                         "message.timeout.ms": int(args.timeout * 1000)})
    placed = {}
    errors = []

    def on_delivery(error, message):
        if error is not None:
            errors.append(str(error))
        else:
            placed[message.value().decode()] = [message.partition(), message.offset()]

    for i in range(args.count):
        producer.produce(topic, key=f"k{i % 17}".encode(), value=f"durable-{i:06d}".encode(),
                         on_delivery=on_delivery)
        producer.poll(0)
    check(producer.flush(args.timeout) == 0, "producer did not deliver everything in time")
    check(not errors, f"delivery errors: {errors[:3]}")
    check(len(placed) == args.count, f"{len(placed)} delivery reports for {args.count}")
    records = consume_from_start(args.bootstrap, topic, group, args.count, args.timeout, True)
    check(len(records) == args.count, f"first group read {len(records)}, expected {args.count}")
    committed = committed_offsets(args.bootstrap, topic, group, args.timeout / 3)
    total = sum(max(0, o) for o in committed.values())
    check(total == args.count, f"committed offsets add up to {total}: {committed}")
    state = {"topic": topic, "group": group, "count": args.count, "placed": placed,
             "committed": committed}
    with open(args.state, "w", encoding="utf-8") as out:
        json.dump(state, out)
    log(f"wrote {args.state}")
    return {"step": "produce", "topic": topic, "produced": args.count, "committed_total": total}


def verify_step(args):
    with open(args.state, encoding="utf-8") as source:
        state = json.load(source)
    topic, count = state["topic"], state["count"]
    placed = {value: tuple(where) for value, where in state["placed"].items()}
    records = consume_from_start(args.bootstrap, topic, unique_name("restart-verify"), count,
                                 args.timeout, False)
    seen = set()
    last = {}
    for partition, offset, key, value in records:
        check(value in placed, f"unknown message {value!r} at {partition}/{offset}")
        check(value not in seen, f"{value!r} read twice after the restart")
        check(placed[value] == (partition, offset),
              f"{value!r} now at {partition}/{offset}, before the restart at {placed[value]}")
        check(key == f"k{int(value.split('-')[1]) % 17}", f"{value!r} came back with key {key!r}")
        check(offset > last.get(partition, -1), f"partition {partition}: {offset} out of order")
        last[partition] = offset
        seen.add(value)
    check(len(seen) == count, f"{len(seen)} of {count} messages survived the restart")
    committed = committed_offsets(args.bootstrap, topic, state["group"], args.timeout / 3)
    check(committed == state["committed"],
          f"committed offsets after restart {committed}, before {state['committed']}")
    return {"step": "verify", "topic": topic, "consumed": len(seen),
            "committed_total": sum(max(0, o) for o in committed.values())}


def main():
    args = parse_args()
    return produce_step(args) if args.step == "produce" else verify_step(args)


if __name__ == "__main__":
    run(main)
