#!/usr/bin/python3
"""kafka-python end to end: KafkaAdminClient create_topics / list_topics / describe_configs /
delete_topics, KafkaProducer(acks='all'), a group KafkaConsumer that reads everything exactly once
and commits, then a second consumer in the same group that must start at the committed offsets.

Usage: kp_client.py --bootstrap HOST:PORT[,...] [--count 500]
Prints a JSON summary on its last line; exits 1 with a reason on failure.
"""
import argparse
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from conformance_common import check, log, run, unique_name, wait_until

PARTITIONS = 3


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=90.0, help="bound for each phase (s)")
    parser.add_argument("--mock", action="store_true",
                        help="librdkafka mock cluster: skip the admin API steps it lacks")
    return parser.parse_args()


def servers(bootstrap):
    return bootstrap.split(",")


def admin_create_and_describe(args, topic):
    admin = KafkaAdminClient(bootstrap_servers=servers(args.bootstrap), client_id="kp-admin",
                             request_timeout_ms=int(args.timeout * 1000 / 3))
    try:
        response = admin.create_topics(
            [NewTopic(name=topic, num_partitions=PARTITIONS, replication_factor=3)],
            timeout_ms=int(args.timeout * 1000 / 3))
        for error in getattr(response, "topic_errors", []):
            check(error[1] == 0, f"create_topics({topic}) answered {error}")
        wait_until(lambda: topic in admin.list_topics(), args.timeout, f"{topic} in list_topics()")
        responses = admin.describe_configs(
            config_resources=[ConfigResource(ConfigResourceType.TOPIC, topic)])
        entries = {}
        for response in responses:
            for resource in response.resources:
                check(resource[0] == 0, f"describe_configs({topic}) error {resource[:2]}")
                check(resource[3] == topic, f"describe_configs answered for {resource[3]!r}")
                entries.update({entry[0]: entry[1] for entry in resource[4]})
        check("retention.ms" in entries, f"no retention.ms among {sorted(entries)[:20]}")
        value = entries["retention.ms"]
        check(value is not None and value.lstrip("-").isdigit(), f"retention.ms = {value!r}")
        return value, len(entries)
    finally:
        admin.close()


def admin_delete(args, topic):
    admin = KafkaAdminClient(bootstrap_servers=servers(args.bootstrap), client_id="kp-admin",
                             request_timeout_ms=int(args.timeout * 1000 / 3))
    try:
        response = admin.delete_topics([topic], timeout_ms=int(args.timeout * 1000 / 3))
        for error in getattr(response, "topic_error_codes", []):
            check(error[1] == 0, f"delete_topics({topic}) answered {error}")
        wait_until(lambda: topic not in admin.list_topics(), args.timeout,
                   f"{topic} to leave list_topics()")
    finally:
        admin.close()


def produce(args, topic):
    producer = KafkaProducer(bootstrap_servers=servers(args.bootstrap), acks="all",
                             request_timeout_ms=int(args.timeout * 1000 / 3),
                             max_block_ms=int(args.timeout * 1000))
    try:
        futures = []
        for i in range(args.count):
            futures.append(producer.send(topic, key=f"key-{i % 23}".encode(),
                                         value=f"kp-{i:06d}".encode()))
        producer.flush(timeout=args.timeout)
        delivered = {}
        for i, future in enumerate(futures):
            metadata = future.get(timeout=args.timeout)
            delivered[f"kp-{i:06d}".encode()] = (metadata.partition, metadata.offset)
        return delivered
    finally:
        producer.close(timeout=10)


def make_consumer(args, topic, group):
    return KafkaConsumer(topic, bootstrap_servers=servers(args.bootstrap), group_id=group,
                         auto_offset_reset="earliest", enable_auto_commit=False,
                         session_timeout_ms=10000, heartbeat_interval_ms=1000,
                         request_timeout_ms=30000)


def consume_all(args, topic, group, delivered):
    consumer = make_consumer(args, topic, group)
    seen = set()
    last = {}
    deadline = time.monotonic() + args.timeout
    try:
        while len(seen) < args.count and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    where = delivered.get(record.value)
                    check(where is not None, f"unexpected record {record.value!r}")
                    check(where == (tp.partition, record.offset),
                          f"{record.value!r} read at {tp.partition}/{record.offset}, "
                          f"delivered at {where}")
                    check(record.value not in seen, f"{record.value!r} read twice")
                    check(record.offset > last.get(tp.partition, -1),
                          f"partition {tp.partition}: offset {record.offset} out of order")
                    last[tp.partition] = record.offset
                    seen.add(record.value)
        check(len(seen) == args.count, f"read {len(seen)} of {args.count} in {args.timeout}s")
        consumer.commit()
        known = consumer.partitions_for_topic(topic) or set()
        partitions = [TopicPartition(topic, p) for p in sorted(known)]
        committed = {tp.partition: consumer.committed(tp) for tp in partitions}
        return len(seen), committed
    finally:
        consumer.close(autocommit=False)


def second_consumer(args, topic, group):
    """Joins the same group; must be positioned at the committed offsets and read nothing."""
    consumer = make_consumer(args, topic, group)
    try:
        reread = 0

        def assigned():
            nonlocal reread
            reread += sum(len(r) for r in consumer.poll(timeout_ms=200).values())
            return consumer.assignment()

        assignment = wait_until(assigned, args.timeout, "the second consumer's assignment",
                                interval_s=0)
        quiet_until = time.monotonic() + 3.0
        while time.monotonic() < quiet_until:
            reread += sum(len(r) for r in consumer.poll(timeout_ms=200).values())
        positions = {tp.partition: consumer.position(tp) for tp in assignment}
        return reread, positions
    finally:
        consumer.close(autocommit=False)


def main():
    args = parse_args()
    topic = unique_name("kp-topic")
    group = unique_name("kp-group")
    summary = {}
    if not args.mock:
        summary["retention_ms"], summary["config_count"] = admin_create_and_describe(args, topic)
    delivered = produce(args, topic)
    summary["produced"] = len(delivered)
    log(f"produced {len(delivered)}")
    summary["consumed"], committed = consume_all(args, topic, group, delivered)
    summary["committed_total"] = sum(o for o in committed.values() if o is not None)
    ends = {}
    for partition, offset in delivered.values():
        ends[partition] = max(ends.get(partition, 0), offset + 1)
    for partition, end in ends.items():
        check(committed.get(partition) == end,
              f"committed offset of partition {partition} is {committed.get(partition)}, "
              f"expected {end}")
    summary["reread"], positions = second_consumer(args, topic, group)
    check(summary["reread"] == 0, f"second consumer re-read {summary['reread']} records")
    for partition, end in ends.items():
        check(positions.get(partition) == end,
              f"second consumer at {positions.get(partition)} on partition {partition}, "
              f"expected the committed {end}")
    if not args.mock:
        admin_delete(args, topic)
        summary["deleted"] = 1
    return summary


if __name__ == "__main__":
    run(main)
