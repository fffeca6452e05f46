// Topic and broker config definitions: Kafka's names, defaults, synonyms, validation, effective
// values with their sources, and the storage settings derived from them.
#include "engine/broker/topic_config.h"

#include <QObject>
#include <QString>
#include <QTest>
#include <map>
#include <string>

using namespace faultline::broker;
using faultline::protocol::ErrorCode;

using ConfigMap = std::map<std::string, std::string>;
Q_DECLARE_METATYPE(ConfigMap)
Q_DECLARE_METATYPE(ConfigSource)
Q_DECLARE_METATYPE(ConfigType)
Q_DECLARE_METATYPE(ErrorCode)

namespace {
QString q(const std::string& s) {
    return QString::fromStdString(s);
}
} // namespace

class TestTopicConfig : public QObject {
    Q_OBJECT

private slots:
    void topicDefaults_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<ConfigType>("type");
        QTest::addColumn<QString>("defaultValue");
        QTest::addColumn<QString>("synonym");
        const auto row = [](const char* name, ConfigType type, const char* value, const char* syn) {
            QTest::newRow(name) << QString(name) << type << QString(value) << QString(syn);
        };
        using T = ConfigType;
        row("cleanup.policy", T::List, "delete", "log.cleanup.policy");
        row("compression.type", T::String, "producer", "compression.type");
        row("delete.retention.ms", T::Long, "86400000", "log.cleaner.delete.retention.ms");
        row("file.delete.delay.ms", T::Long, "60000", "log.segment.delete.delay.ms");
        row("flush.messages", T::Long, "9223372036854775807", "log.flush.interval.messages");
        row("flush.ms", T::Long, "9223372036854775807", "log.flush.interval.ms");
        row("follower.replication.throttled.replicas", T::List, "", "");
        row("index.interval.bytes", T::Int, "4096", "log.index.interval.bytes");
        row("leader.replication.throttled.replicas", T::List, "", "");
        row("local.retention.bytes", T::Long, "-2", "log.local.retention.bytes");
        row("local.retention.ms", T::Long, "-2", "log.local.retention.ms");
        row("max.compaction.lag.ms", T::Long, "9223372036854775807",
            "log.cleaner.max.compaction.lag.ms");
        row("max.message.bytes", T::Int, "1048588", "message.max.bytes");
        row("message.downconversion.enable", T::Boolean, "true",
            "log.message.downconversion.enable");
        row("message.format.version", T::String, "3.0-IV1", "log.message.format.version");
        row("message.timestamp.difference.max.ms", T::Long, "9223372036854775807",
            "log.message.timestamp.difference.max.ms");
        row("message.timestamp.type", T::String, "CreateTime", "log.message.timestamp.type");
        row("min.cleanable.dirty.ratio", T::Double, "0.5", "log.cleaner.min.cleanable.ratio");
        row("min.compaction.lag.ms", T::Long, "0", "log.cleaner.min.compaction.lag.ms");
        row("min.insync.replicas", T::Int, "1", "min.insync.replicas");
        row("preallocate", T::Boolean, "false", "log.preallocate");
        row("remote.storage.enable", T::Boolean, "false", "");
        row("retention.bytes", T::Long, "-1", "log.retention.bytes");
        row("retention.ms", T::Long, "604800000", "log.retention.ms");
        row("segment.bytes", T::Int, "1073741824", "log.segment.bytes");
        row("segment.index.bytes", T::Int, "10485760", "log.index.size.max.bytes");
        row("segment.jitter.ms", T::Long, "0", "log.roll.jitter.ms");
        row("segment.ms", T::Long, "604800000", "log.roll.ms");
        row("unclean.leader.election.enable", T::Boolean, "false",
            "unclean.leader.election.enable");
    }
    void topicDefaults() {
        QFETCH(QString, name);
        QFETCH(ConfigType, type);
        QFETCH(QString, defaultValue);
        QFETCH(QString, synonym);
        const ConfigDef* def = findTopicConfig(name.toStdString());
        QVERIFY(def != nullptr);
        QCOMPARE(q(def->name), name);
        QCOMPARE(def->type, type);
        QCOMPARE(q(def->defaultValue), defaultValue);
        QCOMPARE(q(def->brokerSynonym), synonym);
        QVERIFY(!def->documentation.empty());
        QVERIFY(!def->readOnly);
        // the default passes its own validation
        QVERIFY(validateTopicConfig(def->name, def->defaultValue).has_value());
        // and the broker synonym, when there is one, is reported for BROKER resources
        if (!synonym.isEmpty()) {
            const ConfigDef* broker = findBrokerConfig(synonym.toStdString());
            QVERIFY2(broker != nullptr, qPrintable(synonym));
            QCOMPARE(q(broker->defaultValue), defaultValue);
        }
    }

    void topicDefsAreUniqueAndFindable() {
        const auto defs = topicConfigDefs();
        QVERIFY(defs.size() >= 29);
        for (std::size_t i = 0; i < defs.size(); ++i) {
            QCOMPARE(findTopicConfig(defs[i].name), &defs[i]);
            for (std::size_t j = i + 1; j < defs.size(); ++j) {
                QVERIFY(defs[i].name != defs[j].name);
            }
        }
        QVERIFY(findTopicConfig("no.such.config") == nullptr);
        const auto brokers = brokerConfigDefs();
        for (std::size_t i = 0; i < brokers.size(); ++i) {
            QCOMPARE(findBrokerConfig(brokers[i].name), &brokers[i]);
            QVERIFY2(validateConfigValue(brokers[i], brokers[i].defaultValue).has_value() ||
                         brokers[i].defaultValue.empty(),
                     brokers[i].name.c_str());
        }
    }

    void brokerDefaults_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("defaultValue");
        QTest::addColumn<bool>("readOnly");
        const auto row = [](const char* name, const char* value, bool readOnly) {
            QTest::newRow(name) << QString(name) << QString(value) << readOnly;
        };
        row("broker.id", "-1", true);
        row("broker.rack", "", true);
        row("auto.create.topics.enable", "true", false);
        row("num.partitions", "3", false);
        row("default.replication.factor", "3", false);
        row("min.insync.replicas", "1", false);
        row("offsets.topic.num.partitions", "50", true);
        row("offsets.topic.replication.factor", "3", true);
        row("replica.lag.time.max.ms", "30000", false);
        row("log.retention.ms", "604800000", false);
        row("log.retention.hours", "168", false);
        row("log.segment.bytes", "1073741824", false);
        row("message.max.bytes", "1048588", false);
        row("socket.request.max.bytes", "104857600", false);
        row("group.initial.rebalance.delay.ms", "0", false);
        row("group.min.session.timeout.ms", "6000", false);
        row("group.max.session.timeout.ms", "1800000", false);
        row("leader.replication.throttled.rate", "9223372036854775807", false);
        row("follower.replication.throttled.rate", "9223372036854775807", false);
        row("log.flush.interval.messages", "9223372036854775807", false);
        row("log.flush.interval.ms", "9223372036854775807", false);
        row("delete.topic.enable", "true", false);
        row("log.message.timestamp.type", "CreateTime", false);
        row("compression.type", "producer", false);
    }
    void brokerDefaults() {
        QFETCH(QString, name);
        QFETCH(QString, defaultValue);
        QFETCH(bool, readOnly);
        const ConfigDef* def = findBrokerConfig(name.toStdString());
        QVERIFY(def != nullptr);
        QCOMPARE(q(def->defaultValue), defaultValue);
        QCOMPARE(def->readOnly, readOnly);
        const auto effective = effectiveBrokerConfig(*def, {});
        QCOMPARE(q(effective.value), defaultValue);
        QCOMPARE(effective.source, ConfigSource::DefaultConfig);
    }

    void validation_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("value");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("message"); // substring of the error message
        const auto row = [](const char* tag, const char* name, const char* value, bool ok,
                            const char* message = "") {
            QTest::newRow(tag) << QString(name) << QString(value) << ok << QString(message);
        };
        row("unknown name", "retention.mss", "1", false,
            "Unknown topic config name: retention.mss");
        row("retention.ms -1", "retention.ms", "-1", true);
        row("retention.ms -2", "retention.ms", "-2", false, "Value must be at least -1");
        row("retention.ms text", "retention.ms", "week", false, "Invalid value week");
        row("retention.ms long max", "retention.ms", "9223372036854775807", true);
        row("retention.ms overflow", "retention.ms", "9223372036854775808", false, "LONG");
        row("retention.bytes -1", "retention.bytes", "-1", true);
        row("segment.bytes 14", "segment.bytes", "14", true);
        row("segment.bytes 13", "segment.bytes", "13", false, "Value must be at least 14");
        row("segment.bytes beyond int", "segment.bytes", "4294967296", false, "INT");
        row("segment.ms 0", "segment.ms", "0", false, "at least 1");
        row("min.insync 0", "min.insync.replicas", "0", false, "Value must be at least 1");
        row("min.insync 2", "min.insync.replicas", "2", true);
        row("min.insync spaces", "min.insync.replicas", " 2 ", true);
        row("max.message.bytes 0", "max.message.bytes", "0", true);
        row("max.message.bytes -1", "max.message.bytes", "-1", false, "at least 0");
        row("cleanup delete", "cleanup.policy", "delete", true);
        row("cleanup compact", "cleanup.policy", "compact", true);
        row("cleanup both", "cleanup.policy", "compact,delete", true);
        row("cleanup both spaced", "cleanup.policy", "delete, compact", true);
        row("cleanup bad", "cleanup.policy", "shred", false,
            "String must be one of: compact, delete");
        row("cleanup empty", "cleanup.policy", "", false, "cleanup.policy");
        row("timestamp create", "message.timestamp.type", "CreateTime", true);
        row("timestamp append", "message.timestamp.type", "LogAppendTime", true);
        row("timestamp bad", "message.timestamp.type", "Now", false, "CreateTime, LogAppendTime");
        row("compression zstd", "compression.type", "zstd", true);
        row("compression lz4", "compression.type", "lz4", true);
        row("compression snappy", "compression.type", "snappy", true);
        row("compression gzip", "compression.type", "gzip", true);
        row("compression uncompressed", "compression.type", "uncompressed", true);
        row("compression producer", "compression.type", "producer", true);
        row("compression brotli", "compression.type", "brotli", false, "String must be one of");
        row("bool true", "preallocate", "true", true);
        row("bool TRUE", "unclean.leader.election.enable", "TRUE", true);
        row("bool yes", "preallocate", "yes", false, "true or false");
        row("ratio 0.9", "min.cleanable.dirty.ratio", "0.9", true);
        row("ratio 1.5", "min.cleanable.dirty.ratio", "1.5", false, "no more than 1");
        row("ratio text", "min.cleanable.dirty.ratio", "half", false, "DOUBLE");
        row("throttled star", "leader.replication.throttled.replicas", "*", true);
        row("throttled list", "follower.replication.throttled.replicas", "0:1,1:2", true);
        row("throttled empty", "leader.replication.throttled.replicas", "", true);
        row("throttled bad", "leader.replication.throttled.replicas", "0-1", false,
            "[partitionId]:[brokerId]");
        row("local.retention -2", "local.retention.ms", "-2", true);
        row("local.retention -3", "local.retention.bytes", "-3", false, "at least -2");
    }
    void validation() {
        QFETCH(QString, name);
        QFETCH(QString, value);
        QFETCH(bool, ok);
        QFETCH(QString, message);
        const auto result = validateTopicConfig(name.toStdString(), value.toStdString());
        QCOMPARE(result.has_value(), ok);
        if (!ok) {
            QCOMPARE(result.error().code, ErrorCode::InvalidConfig);
            QVERIFY2(q(result.error().message).contains(message), result.error().message.c_str());
        }
        // a whole set fails exactly when one of its members does
        const ConfigMap set{{"delete.retention.ms", "1000"},
                            {name.toStdString(), value.toStdString()}};
        QCOMPARE(validateTopicConfigs(set).has_value(), ok);
    }

    void brokerValidation_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("value");
        QTest::addColumn<ErrorCode>("code");
        QTest::newRow("num.partitions 6") << "num.partitions"
                                          << "6" << ErrorCode::None;
        QTest::newRow("num.partitions 0") << "num.partitions"
                                          << "0" << ErrorCode::InvalidConfig;
        QTest::newRow("auto create off") << "auto.create.topics.enable"
                                         << "false" << ErrorCode::None;
        QTest::newRow("unknown") << "log.retention.weeks"
                                 << "1" << ErrorCode::InvalidConfig;
        QTest::newRow("broker.id read-only") << "broker.id"
                                             << "7" << ErrorCode::InvalidRequest;
        QTest::newRow("throttle rate") << "leader.replication.throttled.rate"
                                       << "1048576" << ErrorCode::None;
        QTest::newRow("throttle rate negative") << "follower.replication.throttled.rate"
                                                << "-5" << ErrorCode::InvalidConfig;
        QTest::newRow("rf short") << "offsets.topic.replication.factor"
                                  << "1" << ErrorCode::InvalidRequest;
    }
    void brokerValidation() {
        QFETCH(QString, name);
        QFETCH(QString, value);
        QFETCH(ErrorCode, code);
        const auto result = validateBrokerConfig(name.toStdString(), value.toStdString());
        QCOMPARE(result.has_value(), code == ErrorCode::None);
        if (!result) {
            QCOMPARE(result.error().code, code);
            QVERIFY(!result.error().message.empty());
        }
    }

    void effective_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<ConfigMap>("overrides");
        QTest::addColumn<ConfigMap>("broker");
        QTest::addColumn<QString>("value");
        QTest::addColumn<ConfigSource>("source");
        QTest::newRow("default") << "retention.ms" << ConfigMap{} << ConfigMap{} << "604800000"
                                 << ConfigSource::DefaultConfig;
        QTest::newRow("override") << "retention.ms" << ConfigMap{{"retention.ms", "1000"}}
                                  << ConfigMap{{"log.retention.ms", "5"}} << "1000"
                                  << ConfigSource::DynamicTopicConfig;
        QTest::newRow("broker ms")
            << "retention.ms" << ConfigMap{} << ConfigMap{{"log.retention.ms", "5000"}} << "5000"
            << ConfigSource::DynamicDefaultBrokerConfig;
        QTest::newRow("broker hours")
            << "retention.ms" << ConfigMap{} << ConfigMap{{"log.retention.hours", "24"}}
            << "86400000" << ConfigSource::DynamicDefaultBrokerConfig;
        QTest::newRow("broker minutes beat hours")
            << "retention.ms" << ConfigMap{}
            << ConfigMap{{"log.retention.hours", "24"}, {"log.retention.minutes", "2"}} << "120000"
            << ConfigSource::DynamicDefaultBrokerConfig;
        QTest::newRow("roll hours")
            << "segment.ms" << ConfigMap{} << ConfigMap{{"log.roll.hours", "1"}} << "3600000"
            << ConfigSource::DynamicDefaultBrokerConfig;
        QTest::newRow("message.max.bytes")
            << "max.message.bytes" << ConfigMap{} << ConfigMap{{"message.max.bytes", "2000000"}}
            << "2000000" << ConfigSource::DynamicDefaultBrokerConfig;
        QTest::newRow("min.insync broker")
            << "min.insync.replicas" << ConfigMap{} << ConfigMap{{"min.insync.replicas", "2"}}
            << "2" << ConfigSource::DynamicDefaultBrokerConfig;
        QTest::newRow("no synonym ignores broker")
            << "leader.replication.throttled.replicas" << ConfigMap{}
            << ConfigMap{{"leader.replication.throttled.replicas", "*"}} << ""
            << ConfigSource::DefaultConfig;
        QTest::newRow("cleanup broker")
            << "cleanup.policy" << ConfigMap{} << ConfigMap{{"log.cleanup.policy", "compact"}}
            << "compact" << ConfigSource::DynamicDefaultBrokerConfig;
    }
    void effective() {
        QFETCH(QString, name);
        QFETCH(ConfigMap, overrides);
        QFETCH(ConfigMap, broker);
        QFETCH(QString, value);
        QFETCH(ConfigSource, source);
        const ConfigDef* def = findTopicConfig(name.toStdString());
        QVERIFY(def != nullptr);
        const auto effective = effectiveTopicConfig(*def, overrides, broker);
        QCOMPARE(q(effective.value), value);
        QCOMPARE(effective.source, source);
        // synonyms: most specific first, the effective one leads, a default closes the list
        const auto synonyms = topicConfigSynonyms(*def, overrides, broker);
        QVERIFY(!synonyms.empty());
        QCOMPARE(synonyms.front().source, source);
        QCOMPARE(synonyms.back().source, ConfigSource::DefaultConfig);
        if (source == ConfigSource::DynamicTopicConfig) {
            QCOMPARE(q(synonyms.front().value), value);
        }
    }

    void synonymsOfRetention() {
        const ConfigDef* def = findTopicConfig("retention.ms");
        const auto synonyms =
            topicConfigSynonyms(*def, {{"retention.ms", "1000"}}, {{"log.retention.hours", "24"}});
        QCOMPARE(synonyms.size(), std::size_t(3));
        QCOMPARE(q(synonyms[0].name), QString("retention.ms"));
        QCOMPARE(q(synonyms[0].value), QString("1000"));
        QCOMPARE(synonyms[0].source, ConfigSource::DynamicTopicConfig);
        QCOMPARE(q(synonyms[1].name), QString("log.retention.hours"));
        QCOMPARE(q(synonyms[1].value), QString("24"));
        QCOMPARE(synonyms[1].source, ConfigSource::DynamicDefaultBrokerConfig);
        QCOMPARE(q(synonyms[2].name), QString("log.retention.hours"));
        QCOMPARE(q(synonyms[2].value), QString("168"));
        QCOMPARE(synonyms[2].source, ConfigSource::DefaultConfig);

        const ConfigDef* broker = findBrokerConfig("log.retention.ms");
        const auto derived = effectiveBrokerConfig(*broker, {{"log.retention.hours", "1"}});
        QCOMPARE(q(derived.value), QString("3600000"));
        QCOMPARE(derived.source, ConfigSource::DynamicDefaultBrokerConfig);
        const auto brokerSynonyms = brokerConfigSynonyms(*broker, {{"log.retention.hours", "1"}});
        QCOMPARE(brokerSynonyms.size(), std::size_t(2));
        QCOMPARE(q(brokerSynonyms[0].name), QString("log.retention.hours"));
        QCOMPARE(brokerSynonyms[1].source, ConfigSource::DefaultConfig);
    }

    void typedLookup_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<ConfigMap>("overrides");
        QTest::addColumn<ConfigMap>("broker");
        QTest::addColumn<qint64>("value");
        QTest::newRow("min.insync default")
            << "min.insync.replicas" << ConfigMap{} << ConfigMap{} << qint64(1);
        QTest::newRow("min.insync topic")
            << "min.insync.replicas" << ConfigMap{{"min.insync.replicas", "2"}} << ConfigMap{}
            << qint64(2);
        QTest::newRow("bool") << "unclean.leader.election.enable"
                              << ConfigMap{{"unclean.leader.election.enable", "true"}}
                              << ConfigMap{} << qint64(1);
        QTest::newRow("long max") << "flush.ms" << ConfigMap{} << ConfigMap{}
                                  << qint64(9223372036854775807LL);
        QTest::newRow("unknown") << "nope" << ConfigMap{} << ConfigMap{} << qint64(0);
    }
    void typedLookup() {
        QFETCH(QString, name);
        QFETCH(ConfigMap, overrides);
        QFETCH(ConfigMap, broker);
        QFETCH(qint64, value);
        QCOMPARE(qint64(topicConfigInt(name.toStdString(), overrides, broker)), value);
    }

    void logConfig_data() {
        QTest::addColumn<ConfigMap>("overrides");
        QTest::addColumn<ConfigMap>("broker");
        QTest::addColumn<qint64>("segmentBytes");
        QTest::addColumn<qint64>("segmentMs");
        QTest::addColumn<qint64>("retentionMs");
        QTest::addColumn<qint64>("retentionBytes");
        QTest::addColumn<qint64>("flushMessages");
        QTest::addColumn<int>("maxMessageBytes");
        QTest::addColumn<int>("indexIntervalBytes");
        QTest::addColumn<bool>("logAppendTime");
        constexpr qint64 longMax = 9223372036854775807LL;
        QTest::newRow("defaults") << ConfigMap{} << ConfigMap{} << qint64(1073741824)
                                  << qint64(604800000) << qint64(604800000) << qint64(-1) << longMax
                                  << 1048588 << 4096 << false;
        QTest::newRow("overrides")
            << ConfigMap{{"segment.bytes", "1024"},     {"segment.ms", "60000"},
                         {"retention.ms", "-1"},        {"retention.bytes", "1000000"},
                         {"flush.messages", "1"},       {"max.message.bytes", "100"},
                         {"index.interval.bytes", "1"}, {"message.timestamp.type", "LogAppendTime"}}
            << ConfigMap{} << qint64(1024) << qint64(60000) << qint64(-1) << qint64(1000000)
            << qint64(1) << 100 << 1 << true;
        QTest::newRow("broker level") << ConfigMap{{"retention.bytes", "5"}}
                                      << ConfigMap{{"log.segment.bytes", "2048"},
                                                   {"log.retention.hours", "1"},
                                                   {"log.retention.bytes", "7"},
                                                   {"message.max.bytes", "4000"},
                                                   {"log.message.timestamp.type", "LogAppendTime"}}
                                      << qint64(2048) << qint64(604800000) << qint64(3600000)
                                      << qint64(5) << longMax << 4000 << 4096 << true;
    }
    void logConfig() {
        QFETCH(ConfigMap, overrides);
        QFETCH(ConfigMap, broker);
        const auto config = toLogConfig(overrides, broker);
        QTEST(qint64(config.segmentBytes), "segmentBytes");
        QTEST(qint64(config.segmentMs), "segmentMs");
        QTEST(qint64(config.retentionMs), "retentionMs");
        QTEST(qint64(config.retentionBytes), "retentionBytes");
        QTEST(qint64(config.flushMessages), "flushMessages");
        QTEST(int(config.maxMessageBytes), "maxMessageBytes");
        QTEST(int(config.indexIntervalBytes), "indexIntervalBytes");
        QTEST(config.logAppendTime, "logAppendTime");
    }

    void topicNames_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("ok");
        QTest::newRow("plain") << "orders" << true;
        QTest::newRow("all chars") << "A-z_0.9" << true;
        QTest::newRow("internal") << "__consumer_offsets" << true;
        QTest::newRow("249") << QString(249, 'a') << true;
        QTest::newRow("250") << QString(250, 'a') << false;
        QTest::newRow("empty") << "" << false;
        QTest::newRow("dot") << "." << false;
        QTest::newRow("dotdot") << ".." << false;
        QTest::newRow("three dots") << "..." << true;
        QTest::newRow("space") << "my topic" << false;
        QTest::newRow("slash") << "a/b" << false;
        QTest::newRow("unicode") << QString::fromUtf8("caf\xc3\xa9") << false;
    }
    void topicNames() {
        QFETCH(QString, name);
        QFETCH(bool, ok);
        const auto result = validateTopicName(name.toStdString());
        QCOMPARE(result.has_value(), ok);
        if (!ok) {
            QCOMPARE(result.error().code, ErrorCode::InvalidTopicException);
            QVERIFY(!result.error().message.empty());
        }
    }
};

QTEST_GUILESS_MAIN(TestTopicConfig)
#include "test_topic_config.moc"
