#!/usr/bin/python3
"""confluent-kafka consumer group handover: two consumers share a 6-partition topic (3/3), consume
while 600 messages are produced, committing synchronously after every batch; then one leaves the
group and the other must take over all 6 partitions from the committed offsets and finish, with
every message consumed exactly once across both and the committed offsets adding up.

Usage: ck_group_rebalance.py --bootstrap HOST:PORT[,...] [--count 600]
Prints a JSON summary on its last line; exits 1 with a reason on failure.
"""
import argparse
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conformance_common import check, log, run, unique_name, wait_until

PARTITIONS = 6


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--topic", help="topic name (default: a fresh one)")
    parser.add_argument("--timeout", type=float, default=90.0, help="bound for each phase (s)")
    parser.add_argument("--mock", action="store_true",
                        help="librdkafka mock cluster: topic pre-created, no CreateTopics")
    return parser.parse_args()


class Member:
    """One group member, polled from the main thread; records what it consumed."""

    def __init__(self, name, bootstrap, group, topic, expected):
        self.name = name
        self.expected = expected
        self.consumed = []
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
            "auto.offset.reset": "earliest", "enable.auto.commit": False,
            "partition.assignment.strategy": "range", "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 500, "enable.partition.eof": False})
        self.consumer.subscribe([topic])
        self.open = True

    def assignment(self):
        return sorted(tp.partition for tp in self.consumer.assignment())

    def poll(self, seen, limit=100, timeout=0.1):
        """Consumes one batch (at most limit messages), checks it, then commits synchronously."""
        if limit <= 0:
            # Not polling at all: poll() could hand over (and lose) a message. librdkafka's
            # background thread keeps heartbeating; this member leaves long before
            # max.poll.interval.ms.
            return 0
        batch = self.consumer.consume(num_messages=limit, timeout=timeout)
        taken = 0
        for message in batch:
            if message.error() is not None:
                check(False, f"{self.name}: consumer error {message.error()}")
            value = message.value()
            where = (message.partition(), message.offset())
            check(value in self.expected, f"{self.name}: unexpected message {value!r}")
            check(value not in seen,
                  f"{self.name}: {value!r} at {where} already consumed by {seen.get(value)}")
            seen[value] = self.name
            self.consumed.append(where)
            taken += 1
        if taken:
            try:
                self.consumer.commit(asynchronous=False)
            except KafkaException as error:
                if error.args[0].code() != KafkaError._NO_OFFSET:
                    raise
        return taken

    def close(self):
        if self.open:
            self.open = False
            self.consumer.close()


def main():
    args = parse_args()
    topic = args.topic or unique_name("ck-group")
    group = unique_name("ck-group-g")
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

    values = [f"msg-{i:05d}".encode() for i in range(args.count)]
    expected = set(values)
    seen = {}
    first = Member("c1", args.bootstrap, group, topic, expected)
    second = Member("c2", args.bootstrap, group, topic, expected)
    members = [first, second]
    try:
        def balanced():
            for member in members:
                member.poll(seen, timeout=0.1)
            return [len(m.assignment()) for m in members] == [PARTITIONS // 2, PARTITIONS // 2]

        wait_until(balanced, args.timeout, "both members to hold 3 partitions", interval_s=0)
        initial = [first.assignment(), second.assignment()]
        check(sorted(initial[0] + initial[1]) == list(range(PARTITIONS)),
              f"initial assignments overlap or miss partitions: {initial}")
        log(f"initial assignment {initial}")

        producer = Producer({"bootstrap.servers": args.bootstrap, "acks": "all",
                             "enable.idempotence": True, "linger.ms": 5})
        errors = []
        producer_callback = (lambda err, msg: errors.append(str(err)) if err else None)
        # c1 stops taking messages after half of its share so that c2 has work left to take over.
        first_limit = args.count // 4
        for i, value in enumerate(values):
            producer.produce(topic, value=value, partition=i % PARTITIONS,
                             on_delivery=producer_callback)
            if i % 50 == 49:
                producer.poll(0)
                first.poll(seen, limit=min(10, first_limit - len(first.consumed)), timeout=0.05)
                second.poll(seen, timeout=0.05)
        check(producer.flush(args.timeout) == 0, "producer did not deliver everything in time")
        check(not errors, f"delivery errors: {errors[:3]}")

        def first_has_its_share():
            first.poll(seen, limit=min(10, first_limit - len(first.consumed)), timeout=0.05)
            second.poll(seen, timeout=0.05)
            return len(first.consumed) >= first_limit

        wait_until(first_has_its_share, args.timeout, f"c1 to consume {first_limit}", interval_s=0)
        before_leave = len(second.consumed)
        first.close()
        log(f"c1 left after {len(first.consumed)} messages; c2 had {before_leave}")

        def second_finishes():
            second.poll(seen, timeout=0.1)
            return len(seen) == args.count and len(second.assignment()) == PARTITIONS

        wait_until(second_finishes, args.timeout,
                   f"c2 to take all partitions and finish (seen {len(seen)})", interval_s=0)
        final = second.assignment()
        check(final == list(range(PARTITIONS)), f"c2 final assignment {final}")
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        committed = second.consumer.committed(partitions, timeout=args.timeout / 3)
        committed_offsets = {tp.partition: tp.offset for tp in committed}
        for tp in committed:
            check(tp.error is None, f"committed offset error on {tp.partition}: {tp.error}")
        committed_total = sum(max(0, o) for o in committed_offsets.values())
        check(committed_total == args.count,
              f"committed offsets add up to {committed_total}, expected {args.count}: "
              f"{committed_offsets}")
        check(len(seen) == args.count, f"consumed {len(seen)} of {args.count}")
        return {"produced": args.count, "consumed": len(seen),
                "consumed_c1": len(first.consumed), "consumed_c2": len(second.consumed),
                "c2_after_leave": len(second.consumed) - before_leave,
                "assign_initial": [len(a) for a in initial], "assign_final": len(final),
                "committed_total": committed_total}
    finally:
        for member in members:
            member.close()


if __name__ == "__main__":
    run(main)
