#!/usr/bin/python3
"""kafka-python KafkaAdminClient against the engine: create_partitions, alter_configs then
describe_configs, list_consumer_groups / describe_consumer_groups / list_consumer_group_offsets
after a consumer committed, delete_topics.

Usage: kp_admin.py --bootstrap HOST:PORT[,...] [--count 60]
Prints a JSON summary on its last line; exits 1 with a reason on failure.
"""
import argparse
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic

from conformance_common import check, log, run, unique_name, wait_until

PARTITIONS = 3
GROWN = 5


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--timeout", type=float, default=30.0, help="bound for each phase (s)")
    return parser.parse_args()


def servers(bootstrap):
    return bootstrap.split(",")


def check_errors(response, field, what):
    for entry in getattr(response, field, []):
        check(entry[1] == 0, f"{what} answered {entry}")


def partition_count(admin, topic):
    described = admin.describe_topics([topic])
    check(len(described) == 1, f"describe_topics({topic}) answered {described}")
    entry = described[0]
    if entry["error_code"] != 0:
        return -1
    return len(entry["partitions"])


def topic_configs(admin, topic):
    entries = {}
    for response in admin.describe_configs(
            config_resources=[ConfigResource(ConfigResourceType.TOPIC, topic)]):
        for resource in response.resources:
            check(resource[0] == 0, f"describe_configs({topic}) error {resource[:2]}")
            check(resource[3] == topic, f"describe_configs answered for {resource[3]!r}")
            entries.update({entry[0]: entry[1] for entry in resource[4]})
    return entries


def produce(args, topic):
    producer = KafkaProducer(bootstrap_servers=servers(args.bootstrap), acks="all",
                             request_timeout_ms=int(args.timeout * 1000 / 3),
                             max_block_ms=int(args.timeout * 1000))
    try:
        futures = [producer.send(topic, partition=i % GROWN, value=f"kp-admin-{i}".encode())
                   for i in range(args.count)]
        producer.flush(timeout=args.timeout)
        for future in futures:
            future.get(timeout=args.timeout)
    finally:
        producer.close(timeout=10)


def consume_and_commit(args, topic, group):
    consumer = KafkaConsumer(topic, bootstrap_servers=servers(args.bootstrap), group_id=group,
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             session_timeout_ms=10000, heartbeat_interval_ms=1000,
                             request_timeout_ms=30000)
    read = 0
    deadline = time.monotonic() + args.timeout
    try:
        while read < args.count and time.monotonic() < deadline:
            read += sum(len(r) for r in consumer.poll(timeout_ms=500).values())
        check(read == args.count, f"consumer read {read} of {args.count}")
        consumer.commit()
    finally:
        consumer.close(autocommit=False)
    return read


def main():
    args = parse_args()
    topic = unique_name("kp-admin")
    group = unique_name("kp-admin-group")
    summary = {}
    admin = KafkaAdminClient(bootstrap_servers=servers(args.bootstrap), client_id="kp-admin",
                             request_timeout_ms=int(args.timeout * 1000 / 3))
    timeout_ms = int(args.timeout * 1000 / 3)
    try:
        response = admin.create_topics(
            [NewTopic(name=topic, num_partitions=PARTITIONS, replication_factor=3)],
            timeout_ms=timeout_ms)
        check_errors(response, "topic_errors", f"create_topics({topic})")
        wait_until(lambda: partition_count(admin, topic) == PARTITIONS, args.timeout,
                   f"{topic} with {PARTITIONS} partitions")

        response = admin.create_partitions({topic: NewPartitions(total_count=GROWN)},
                                           timeout_ms=timeout_ms)
        check_errors(response, "topic_errors", f"create_partitions({topic})")
        check(len(getattr(response, "topic_errors", [])) == 1,
              f"create_partitions answered {response}")
        wait_until(lambda: partition_count(admin, topic) == GROWN, args.timeout,
                   f"{topic} with {GROWN} partitions")
        summary["partitions"] = partition_count(admin, topic)

        response = admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic,
                            configs={"retention.ms": "7200000"})])
        for resource in response.resources:
            check(resource[0] == 0, f"alter_configs({topic}) error {resource[:2]}")
        entries = topic_configs(admin, topic)
        check(entries.get("retention.ms") == "7200000",
              f"retention.ms = {entries.get('retention.ms')!r} after alter_configs")
        summary["retention_ms"] = entries["retention.ms"]
        summary["config_count"] = len(entries)

        produce(args, topic)
        summary["produced"] = args.count
        summary["consumed"] = consume_and_commit(args, topic, group)
        log(f"consumed {summary['consumed']} in group {group}")

        groups = wait_until(lambda: [g for g in admin.list_consumer_groups() if g[0] == group],
                            args.timeout, f"{group} in list_consumer_groups()")
        check(groups[0][1] == "consumer", f"list_consumer_groups: {groups}")
        summary["listed"] = True

        described = admin.describe_consumer_groups([group])
        check(len(described) == 1, f"describe_consumer_groups answered {described}")
        info = described[0]
        check(info.error_code == 0, f"describe_consumer_groups({group}): {info}")
        check(info.group == group, f"describe_consumer_groups named {info.group!r}")
        check(info.protocol_type == "consumer", f"protocol type {info.protocol_type!r}")
        summary["group_state"] = info.state
        check(info.state == "Empty", f"group state {info.state!r} after the consumer left")

        offsets = admin.list_consumer_group_offsets(group)
        mine = {tp.partition: om.offset for tp, om in offsets.items() if tp.topic == topic}
        check(sorted(mine) == list(range(GROWN)),
              f"committed partitions {sorted(mine)}, expected 0..{GROWN - 1}")
        check(sum(mine.values()) == args.count,
              f"committed offsets {mine} sum to {sum(mine.values())}, expected {args.count}")
        summary["committed_total"] = sum(mine.values())

        response = admin.delete_topics([topic], timeout_ms=timeout_ms)
        check_errors(response, "topic_error_codes", f"delete_topics({topic})")
        wait_until(lambda: topic not in admin.list_topics(), args.timeout,
                   f"{topic} to leave list_topics()")
        summary["deleted"] = 1
    finally:
        admin.close()
    return summary


if __name__ == "__main__":
    run(main)
