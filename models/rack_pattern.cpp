#include "models/rack_pattern.h"

#include <QSet>
#include <QStringList>

#include <algorithm>

namespace faultline::models {

namespace {

const QRegularExpression& defaultPattern() {
    static const QRegularExpression pattern(
        QStringLiteral(R"(^\s*fd\s*(?<fd>\d+)\s*[-_/:. ]?\s*ud\s*(?<ud>\d+)\s*$)"),
        QRegularExpression::CaseInsensitiveOption);
    return pattern;
}

std::optional<RackPlacement> match(const QRegularExpression& pattern, const QString& rack) {
    const auto m = pattern.match(rack);
    if (!m.hasMatch())
        return std::nullopt;
    RackPlacement placement;
    bool ok = false;
    const QString fd = m.captured(QStringLiteral("fd"));
    placement.faultDomain = fd.toInt(&ok);
    if (!ok)
        return std::nullopt;
    const QString ud = m.captured(QStringLiteral("ud"));
    placement.updateDomain = ud.isEmpty() ? -1 : ud.toInt(&ok);
    if (!ok)
        placement.updateDomain = -1;
    return placement;
}

} // namespace

RackPattern::RackPattern(const QString& customPattern) {
    if (customPattern.trimmed().isEmpty())
        return;
    m_custom = QRegularExpression(customPattern, QRegularExpression::CaseInsensitiveOption);
    m_hasCustom = true;
    if (!m_custom.isValid()) {
        m_valid = false;
        m_error = m_custom.errorString();
    } else if (!m_custom.namedCaptureGroups().contains(QStringLiteral("fd"))) {
        m_valid = false;
        m_error = QStringLiteral("the pattern has no named group fd");
    }
}

std::optional<RackPlacement> RackPattern::parse(const QString& rack) const {
    if (rack.trimmed().isEmpty())
        return std::nullopt;
    if (m_hasCustom && m_valid) {
        if (auto p = match(m_custom, rack))
            return p;
    }
    return match(defaultPattern(), rack);
}

QHash<std::int32_t, RackPlacement>
RackPattern::assign(const QHash<std::int32_t, QString>& racks) const {
    QHash<std::int32_t, RackPlacement> result;
    QStringList bare;
    for (auto it = racks.begin(); it != racks.end(); ++it) {
        if (auto p = parse(it.value()))
            result.insert(it.key(), *p);
        else if (!it.value().trimmed().isEmpty() && !bare.contains(it.value().trimmed()))
            bare.push_back(it.value().trimmed());
    }
    std::sort(bare.begin(), bare.end());
    for (auto it = racks.begin(); it != racks.end(); ++it) {
        if (result.contains(it.key()))
            continue;
        const int index = bare.indexOf(it.value().trimmed());
        result.insert(it.key(), RackPlacement{index, -1});
    }
    return result;
}

} // namespace faultline::models
