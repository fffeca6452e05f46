#!/usr/bin/python3
"""confluent-kafka (librdkafka) AdminClient against the engine: create_topics with validate_only
(nothing created), a replication factor above the broker count and an invalid topic name refused,
an explicit replica assignment honoured, create_partitions, alter_configs then describe_configs
(source DYNAMIC_TOPIC_CONFIG), describe_configs of a broker, delete_topics.

Usage: ck_admin.py --bootstrap HOST:PORT[,...]
Prints a JSON summary on its last line; exits 1 with a reason on failure.
"""
import argparse

from confluent_kafka import KafkaException
from confluent_kafka.admin import (AdminClient, ConfigResource, ConfigSource, NewPartitions,
                                   NewTopic)

from conformance_common import check, log, run, unique_name, wait_until

BROKERS = 3


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--timeout", type=float, default=30.0, help="bound for each phase (s)")
    return parser.parse_args()


def topics_now(admin):
    """All topic names with their partitions' replica lists (metadata of every topic)."""
    metadata = admin.list_topics(timeout=5)
    return {name: {p.id: list(p.replicas) for p in t.partitions.values()}
            for name, t in metadata.topics.items() if t.error is None}


def source_of(entry):
    """ConfigEntry.source as a ConfigSource (the C layer may hand over a bare int)."""
    return ConfigSource(getattr(entry.source, "value", entry.source))


def create_error(admin, new_topic, timeout, **kwargs):
    """Creates one topic; returns None on success or the KafkaError it failed with."""
    futures = admin.create_topics([new_topic], request_timeout=timeout / 3,
                                  operation_timeout=timeout / 3, **kwargs)
    try:
        futures[new_topic.topic].result(timeout=timeout)
    except KafkaException as error:
        return error.args[0]
    return None


def main():
    args = parse_args()
    admin = AdminClient({"bootstrap.servers": args.bootstrap, "client.id": "ck-admin"})
    summary = {}
    timeout = args.timeout

    # validate_only: a valid request answers success and creates nothing.
    validated = unique_name("ck-validate")
    error = create_error(admin, NewTopic(validated, num_partitions=3, replication_factor=3),
                         timeout, validate_only=True)
    check(error is None, f"validate_only create of {validated} failed: {error}")
    check(validated not in topics_now(admin), f"validate_only created {validated}")
    summary["validate_only_created"] = False

    # Replication factor above the broker count.
    too_many = unique_name("ck-rf")
    error = create_error(admin, NewTopic(too_many, num_partitions=1,
                                         replication_factor=BROKERS + 2), timeout)
    check(error is not None, f"replication factor {BROKERS + 2} was accepted")
    check("INVALID_REPLICATION_FACTOR" in f"{error.name()} {error}",
          f"replication factor {BROKERS + 2} answered {error}")
    summary["rf_error"] = error.name()

    # An invalid topic name.
    error = create_error(admin, NewTopic("bad name!", num_partitions=1, replication_factor=1),
                         timeout)
    check(error is not None, "topic name 'bad name!' was accepted")
    summary["invalid_name_error"] = error.name()
    check("bad name!" not in topics_now(admin), "'bad name!' shows up in metadata")

    # Explicit replica assignment, honoured replica for replica (order = preference).
    assigned = unique_name("ck-assigned")
    assignment = [[1, 2], [2, 3], [3, 1]]
    error = create_error(admin, NewTopic(assigned, num_partitions=len(assignment),
                                         replica_assignment=assignment), timeout)
    check(error is None, f"create {assigned} with replica_assignment failed: {error}")
    seen = wait_until(lambda: topics_now(admin).get(assigned), timeout, f"{assigned} in metadata")
    check(seen == {i: r for i, r in enumerate(assignment)},
          f"replicas of {assigned}: {seen}, asked {assignment}")
    summary["assignment_honoured"] = True

    # create_partitions 3 -> 6.
    futures = admin.create_partitions([NewPartitions(assigned, 6)], request_timeout=timeout / 3,
                                      operation_timeout=timeout / 3)
    futures[assigned].result(timeout=timeout)
    wait_until(lambda: len(topics_now(admin).get(assigned, {})) == 6, timeout,
               f"{assigned} with 6 partitions")
    summary["partitions_after"] = len(topics_now(admin)[assigned])

    # alter_configs, then describe_configs shows the value as a dynamic topic config.
    resource = ConfigResource(ConfigResource.Type.TOPIC, assigned,
                              set_config={"retention.ms": "3600000"})
    admin.alter_configs([resource], request_timeout=timeout / 3)[resource].result(timeout=timeout)
    described = ConfigResource(ConfigResource.Type.TOPIC, assigned)
    configs = admin.describe_configs([described], request_timeout=timeout / 3)[described].result(
        timeout=timeout)
    entry = configs.get("retention.ms")
    check(entry is not None, f"describe_configs({assigned}) lacks retention.ms")
    check(entry.value == "3600000", f"retention.ms = {entry.value!r} after alter_configs")
    check(source_of(entry) == ConfigSource.DYNAMIC_TOPIC_CONFIG,
          f"retention.ms source {entry.source}, expected DYNAMIC_TOPIC_CONFIG")
    default_entry = configs.get("cleanup.policy")
    check(default_entry is not None and source_of(default_entry) == ConfigSource.DEFAULT_CONFIG,
          f"cleanup.policy should be a default config: {default_entry!r}")
    summary["retention_ms"] = entry.value
    summary["retention_source"] = source_of(entry).name
    summary["topic_configs"] = len(configs)

    # A broker resource.
    broker = ConfigResource(ConfigResource.Type.BROKER, "1")
    broker_configs = admin.describe_configs([broker], request_timeout=timeout / 3)[broker].result(
        timeout=timeout)
    check(len(broker_configs) > 0, "describe_configs(BROKER 1) returned nothing")
    summary["broker_configs"] = len(broker_configs)
    summary["broker_has_num_partitions"] = "num.partitions" in broker_configs

    # delete_topics.
    futures = admin.delete_topics([assigned], request_timeout=timeout / 3,
                                  operation_timeout=timeout / 3)
    futures[assigned].result(timeout=timeout)
    wait_until(lambda: assigned not in topics_now(admin), timeout, f"{assigned} gone")
    summary["deleted"] = 1
    log(f"summary so far: {summary}")
    return summary


if __name__ == "__main__":
    run(main)
