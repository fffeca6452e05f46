#!/usr/bin/python3
"""confluent-kafka (librdkafka) end to end: admin create / describe_configs / delete, an idempotent
acks=all producer, one topic per compression codec, and a group consumer that must read every
message exactly once and in order per partition.

Usage: ck_produce_consume.py --bootstrap HOST:PORT[,...] [--count 1000] [--per-codec 200]
Prints a JSON summary on its last line; exits 1 with a reason on failure.
"""
import argparse
import time

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from conformance_common import check, log, run, unique_name, wait_until

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
PARTITIONS = 3
REPLICATION = 3


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--per-codec", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=90.0, help="bound for each phase (s)")
    parser.add_argument("--mock", action="store_true",
                        help="librdkafka mock cluster: skip the admin API steps it lacks")
    return parser.parse_args()


def topic_ready(admin, topic, partitions):
    metadata = admin.list_topics(topic=topic, timeout=5)
    entry = metadata.topics.get(topic)
    if entry is None or entry.error is not None or len(entry.partitions) != partitions:
        return False
    return all(p.leader >= 0 and p.error is None for p in entry.partitions.values())


def create_topics(admin, topics, timeout):
    futures = admin.create_topics(
        [NewTopic(t, num_partitions=PARTITIONS, replication_factor=REPLICATION) for t in topics],
        operation_timeout=timeout / 3, request_timeout=timeout / 3)
    for topic, future in futures.items():
        future.result(timeout=timeout)
        log(f"created {topic}")
    for topic in topics:
        wait_until(lambda t=topic: topic_ready(admin, t, PARTITIONS), timeout,
                   f"topic {topic} with {PARTITIONS} led partitions in metadata")


def describe_retention(admin, topic, timeout):
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    futures = admin.describe_configs([resource], request_timeout=timeout / 3)
    configs = futures[resource].result(timeout=timeout)
    check("retention.ms" in configs,
          f"describe_configs({topic}) has no retention.ms; got {sorted(configs)[:20]}")
    entry = configs["retention.ms"]
    check(entry.value is not None and entry.value.lstrip("-").isdigit(),
          f"retention.ms value is {entry.value!r}, expected a number")
    # librdkafka 2.0.2 fills is_default only from DescribeConfigs v0; with v1+ the broker answers
    # with a config source instead, so either says "default": DEFAULT_CONFIG (5) or, when the
    # broker sets it, the static broker value (4 in the client's enum).
    source = int(entry.source)
    check(entry.is_default or source in (4, 5),
          f"retention.ms of a fresh topic should be a default, got {entry} (source {source})")
    check(entry.value == "604800000", f"retention.ms default is 604800000, got {entry.value!r}")
    return entry.value, len(configs)


def produce(bootstrap, topic, count, codec, timeout):
    """Produces count keyed messages; returns {value: (partition, offset)} from delivery reports."""
    config = {"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
              "linger.ms": 5, "message.timeout.ms": int(timeout * 1000),
              "compression.type": codec}
    producer = Producer(config)
    delivered = {}
    errors = []

    def on_delivery(error, message):
        if error is not None:
            errors.append(f"{message.value()!r}: {error}")
        else:
            delivered[message.value()] = (message.partition(), message.offset())

    for i in range(count):
        value = f"{topic}|{codec}|{i:06d}|".encode() + bytes([65 + i % 26]) * (i % 120)
        while True:
            try:
                producer.produce(topic, key=f"key-{i % 37}".encode(), value=value,
                                 on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(timeout)
    check(not errors, f"{len(errors)} delivery errors on {topic}, first: {errors[:3]}")
    check(remaining == 0, f"{remaining} messages to {topic} still undelivered after {timeout}s")
    check(len(delivered) == count, f"{len(delivered)} delivery reports for {count} messages")
    return delivered


def consume_all(bootstrap, expected, timeout):
    """expected: {topic: {value: (partition, offset)}}; checks exactly once, in partition order."""
    total = sum(len(v) for v in expected.values())
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique_name("ck-pc-group"),
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "session.timeout.ms": 10000})
    consumer.subscribe(list(expected))
    seen = {}
    last_offset = {}
    per_topic = {t: 0 for t in expected}
    deadline = time.monotonic() + timeout
    try:
        while len(seen) < total and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=500, timeout=0.5):
                if message.error() is not None:
                    check(message.error().code() == KafkaError._PARTITION_EOF,
                          f"consumer error: {message.error()}")
                    continue
                topic, partition, offset = message.topic(), message.partition(), message.offset()
                value = message.value()
                where = expected.get(topic, {}).get(value)
                check(where is not None, f"unexpected message {value[:40]!r} in {topic}")
                check(where == (partition, offset),
                      f"{value[:40]!r} read at {partition}/{offset}, delivered at {where}")
                check((topic, value) not in seen, f"{value[:40]!r} consumed twice")
                previous = last_offset.get((topic, partition), -1)
                check(offset > previous,
                      f"{topic}/{partition}: offset {offset} after {previous} (out of order)")
                last_offset[(topic, partition)] = offset
                seen[(topic, value)] = True
                per_topic[topic] += 1
        if len(seen) < total:
            missing = {t: len(v) - per_topic[t] for t, v in expected.items()
                       if len(v) != per_topic[t]}
            check(False, f"consumed {len(seen)} of {total} within {timeout}s; missing {missing}")
    finally:
        consumer.close()
    return per_topic


def delete_topics(admin, topics, timeout):
    futures = admin.delete_topics(topics, operation_timeout=timeout / 3,
                                  request_timeout=timeout / 3)
    for topic, future in futures.items():
        future.result(timeout=timeout)

    def gone():
        names = admin.list_topics(timeout=5).topics
        return not any(t in names for t in topics)

    wait_until(gone, timeout, f"deleted topics {topics} to leave the metadata")


def main():
    args = parse_args()
    base = unique_name("ck-pc")
    main_topic = f"{base}-main"
    codec_topics = {codec: f"{base}-{codec}" for codec in CODECS}
    topics = [main_topic] + list(codec_topics.values())
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    summary = {"topics": len(topics)}
    if not args.mock:
        create_topics(admin, topics, args.timeout)
        summary["retention_ms"], summary["config_count"] = describe_retention(
            admin, main_topic, args.timeout)

    expected = {main_topic: produce(args.bootstrap, main_topic, args.count, "none", args.timeout)}
    for codec, topic in codec_topics.items():
        expected[topic] = produce(args.bootstrap, topic, args.per_codec, codec, args.timeout)
    summary["produced"] = sum(len(v) for v in expected.values())
    log(f"produced {summary['produced']} messages")

    per_topic = consume_all(args.bootstrap, expected, args.timeout)
    summary["consumed"] = sum(per_topic.values())
    summary["consumed_main"] = per_topic[main_topic]
    summary["codecs"] = {codec: per_topic[topic] for codec, topic in codec_topics.items()}
    summary["partitions_used"] = len({p for p, _ in expected[main_topic].values()})

    if not args.mock:
        delete_topics(admin, topics, args.timeout)
        summary["deleted"] = len(topics)
    return summary


if __name__ == "__main__":
    run(main)
