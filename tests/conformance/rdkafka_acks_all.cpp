// librdkafka C++ conformance check: an idempotent acks=all producer sends N keyed messages to one
// topic (auto-created by the engine), waits for every delivery report without error, then a group
// KafkaConsumer reads the topic from the beginning and each message must arrive exactly once, at
// the partition and offset its delivery report named, in offset order per partition.
//
// Usage: conformance_rdkafka_acks_all --bootstrap HOST:PORT[,...] [--topic T] [--count N]
//                                     [--timeout SECONDS]
// The last stdout line is a JSON summary; the exit code is 0 on success and 1 with a reason.
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

struct Options {
    std::string bootstrap;
    std::string topic;
    int count = 2000;
    int timeoutSeconds = 60;
};

struct Placement {
    int32_t partition = -1;
    int64_t offset = -1;
};

[[noreturn]] void fail(const std::string& reason)
{
    std::string escaped;
    for (char c : reason) {
        if (c == '"' || c == '\\') {
            escaped += '\\';
        }
        escaped += (c == '\n') ? ' ' : c;
    }
    std::cout << "{\"ok\": false, \"reason\": \"" << escaped << "\"}" << std::endl;
    std::exit(1);
}

std::string valueFor(int index)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "rk-%07d", index);
    return buffer;
}

std::optional<int> indexOf(const std::string& value)
{
    if (value.size() != 10 || value.compare(0, 3, "rk-") != 0) {
        return std::nullopt;
    }
    return std::atoi(value.c_str() + 3);
}

Options parseOptions(int argc, char** argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) {
            fail("missing value for " + arg);
        }
        const std::string value = argv[++i];
        if (arg == "--bootstrap") {
            options.bootstrap = value;
        } else if (arg == "--topic") {
            options.topic = value;
        } else if (arg == "--count") {
            options.count = std::atoi(value.c_str());
        } else if (arg == "--timeout") {
            options.timeoutSeconds = std::atoi(value.c_str());
        } else {
            fail("unknown option " + arg);
        }
    }
    if (options.bootstrap.empty()) {
        fail("--bootstrap is required");
    }
    if (options.count <= 0 || options.count > 9'999'999) {
        fail("--count must be in 1..9999999");
    }
    if (options.topic.empty()) {
        const auto now = std::chrono::system_clock::now().time_since_epoch();
        options.topic = "rdkafka-acks-all-"
            + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
    }
    return options;
}

void set(RdKafka::Conf& conf, const std::string& name, const std::string& value)
{
    std::string error;
    if (conf.set(name, value, error) != RdKafka::Conf::CONF_OK) {
        fail("config " + name + "=" + value + ": " + error);
    }
}

class DeliveryReports : public RdKafka::DeliveryReportCb {
public:
    explicit DeliveryReports(int count) : m_placements(static_cast<size_t>(count)) {}

    void dr_cb(RdKafka::Message& message) override
    {
        const std::string value(static_cast<const char*>(message.payload()), message.len());
        if (message.err() != RdKafka::ERR_NO_ERROR) {
            m_errors.push_back(value + ": " + message.errstr());
            return;
        }
        const auto index = indexOf(value);
        if (!index || *index < 0 || static_cast<size_t>(*index) >= m_placements.size()) {
            m_errors.push_back("delivery report for unknown payload " + value);
            return;
        }
        auto& placement = m_placements[static_cast<size_t>(*index)];
        if (placement.partition >= 0) {
            m_errors.push_back("second delivery report for " + value);
        }
        placement = {message.partition(), message.offset()};
        ++m_delivered;
    }

    const std::vector<Placement>& placements() const { return m_placements; }
    const std::vector<std::string>& errors() const { return m_errors; }
    int delivered() const { return m_delivered; }

private:
    std::vector<Placement> m_placements;
    std::vector<std::string> m_errors;
    int m_delivered = 0;
};

int partitionCount(RdKafka::Handle& handle, const std::string& topicName)
{
    std::string error;
    std::unique_ptr<RdKafka::Topic> topic(
        RdKafka::Topic::create(&handle, topicName, nullptr, error));
    if (!topic) {
        fail("Topic::create: " + error);
    }
    RdKafka::Metadata* raw = nullptr;
    if (handle.metadata(false, topic.get(), &raw, 10000) != RdKafka::ERR_NO_ERROR || !raw) {
        fail("metadata request for " + topicName + " failed");
    }
    std::unique_ptr<RdKafka::Metadata> metadata(raw);
    for (const auto* entry : *metadata->topics()) {
        if (entry->topic() == topicName) {
            return static_cast<int>(entry->partitions()->size());
        }
    }
    return 0;
}

std::vector<Placement> produce(const Options& options, int& partitions)
{
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    DeliveryReports reports(options.count);
    std::string error;
    set(*conf, "bootstrap.servers", options.bootstrap);
    set(*conf, "acks", "all");
    set(*conf, "enable.idempotence", "true");
    set(*conf, "linger.ms", "5");
    set(*conf, "message.timeout.ms", std::to_string(options.timeoutSeconds * 1000));
    if (conf->set("dr_cb", &reports, error) != RdKafka::Conf::CONF_OK) {
        fail("dr_cb: " + error);
    }
    std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), error));
    if (!producer) {
        fail("Producer::create: " + error);
    }
    for (int i = 0; i < options.count; ++i) {
        std::string value = valueFor(i);
        std::string key = "key-" + std::to_string(i % 37);
        for (;;) {
            const auto result = producer->produce(options.topic, RdKafka::Topic::PARTITION_UA,
                RdKafka::Producer::RK_MSG_COPY, value.data(), value.size(), key.data(),
                key.size(), 0, nullptr);
            if (result == RdKafka::ERR_NO_ERROR) {
                break;
            }
            if (result != RdKafka::ERR__QUEUE_FULL) {
                fail("produce: " + RdKafka::err2str(result));
            }
            producer->poll(100);
        }
        producer->poll(0);
    }
    const auto flushed = producer->flush(options.timeoutSeconds * 1000);
    if (flushed != RdKafka::ERR_NO_ERROR || producer->outq_len() != 0) {
        fail("flush: " + std::to_string(producer->outq_len()) + " messages still queued ("
            + RdKafka::err2str(flushed) + ")");
    }
    if (!reports.errors().empty()) {
        fail(std::to_string(reports.errors().size())
            + " delivery errors, first: " + reports.errors().front());
    }
    if (reports.delivered() != options.count) {
        fail("delivery reports for " + std::to_string(reports.delivered()) + " of "
            + std::to_string(options.count));
    }
    partitions = partitionCount(*producer, options.topic);
    return reports.placements();
}

int consume(const Options& options, const std::vector<Placement>& placements, int& errors)
{
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    std::string error;
    set(*conf, "bootstrap.servers", options.bootstrap);
    set(*conf, "group.id", options.topic + "-group");
    set(*conf, "auto.offset.reset", "earliest");
    set(*conf, "enable.auto.commit", "false");
    set(*conf, "session.timeout.ms", "10000");
    std::unique_ptr<RdKafka::KafkaConsumer> consumer(
        RdKafka::KafkaConsumer::create(conf.get(), error));
    if (!consumer) {
        fail("KafkaConsumer::create: " + error);
    }
    if (const auto result = consumer->subscribe({options.topic});
        result != RdKafka::ERR_NO_ERROR) {
        fail("subscribe: " + RdKafka::err2str(result));
    }
    std::vector<bool> seen(placements.size(), false);
    std::map<int32_t, int64_t> lastOffset;
    int consumed = 0;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(options.timeoutSeconds);
    while (consumed < options.count && std::chrono::steady_clock::now() < deadline) {
        std::unique_ptr<RdKafka::Message> message(consumer->consume(500));
        if (message->err() == RdKafka::ERR__TIMED_OUT
            || message->err() == RdKafka::ERR__PARTITION_EOF) {
            continue;
        }
        if (message->err() != RdKafka::ERR_NO_ERROR) {
            ++errors;
            std::cerr << "consumer error: " << message->errstr() << std::endl;
            continue;
        }
        const std::string value(static_cast<const char*>(message->payload()), message->len());
        const auto index = indexOf(value);
        if (!index || *index < 0 || static_cast<size_t>(*index) >= placements.size()) {
            fail("unexpected message " + value);
        }
        const auto where = std::to_string(message->partition()) + "/"
            + std::to_string(message->offset());
        const auto& placement = placements[static_cast<size_t>(*index)];
        if (placement.partition != message->partition() || placement.offset != message->offset()) {
            fail(value + " read at " + where + ", delivered at "
                + std::to_string(placement.partition) + "/" + std::to_string(placement.offset));
        }
        if (seen[static_cast<size_t>(*index)]) {
            fail(value + " consumed twice (at " + where + ")");
        }
        const auto last = lastOffset.find(message->partition());
        if (last != lastOffset.end() && message->offset() <= last->second) {
            fail("out of order: " + where + " after offset " + std::to_string(last->second));
        }
        lastOffset[message->partition()] = message->offset();
        seen[static_cast<size_t>(*index)] = true;
        ++consumed;
    }
    consumer->close();
    if (consumed != options.count) {
        fail("consumed " + std::to_string(consumed) + " of " + std::to_string(options.count)
            + " within " + std::to_string(options.timeoutSeconds) + " s");
    }
    return consumed;
}

} // namespace

int main(int argc, char** argv)
{
    const Options options = parseOptions(argc, argv);
    const auto started = std::chrono::steady_clock::now();
    int partitions = 0;
    const auto placements = produce(options, partitions);
    std::cerr << "delivered " << options.count << " messages to " << options.topic << std::endl;
    int consumerErrors = 0;
    const int consumed = consume(options, placements, consumerErrors);
    std::map<int32_t, int> perPartition;
    for (const auto& placement : placements) {
        ++perPartition[placement.partition];
    }
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    std::cout << "{\"ok\": true, \"topic\": \"" << options.topic << "\", \"produced\": "
              << options.count << ", \"delivered\": " << placements.size()
              << ", \"consumed\": " << consumed << ", \"partitions\": " << partitions
              << ", \"partitions_used\": " << perPartition.size()
              << ", \"consumer_errors\": " << consumerErrors
              << ", \"seconds\": " << seconds.count() << "}" << std::endl;
    RdKafka::wait_destroyed(5000);
    return 0;
}
