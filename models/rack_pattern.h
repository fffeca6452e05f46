// Parses a broker's broker.rack into a fault domain and an update domain. The defaults accept
// FD0UD1, fd0-ud1, FD0/UD1 (case-insensitive); a custom pattern is a regular expression with the
// named groups fd and ud. A rack that matches no pattern is a bare name: distinct bare names,
// sorted, get FD indices 0..n-1 and UD -1.
#pragma once

#include <QHash>
#include <QRegularExpression>
#include <QString>

#include <cstdint>
#include <optional>

namespace faultline::models {

struct RackPlacement {
    int faultDomain = -1;
    int updateDomain = -1;
    friend bool operator==(const RackPlacement&, const RackPlacement&) = default;
};

class RackPattern {
public:
    explicit RackPattern(const QString& customPattern = {}); // empty: the defaults
    [[nodiscard]] bool isValid() const { return m_valid; }   // false: a bad custom pattern
    [[nodiscard]] QString errorString() const { return m_error; }

    // (fd, ud) when the rack matches the pattern (ud -1 when the pattern has no ud); nullopt for
    // an empty rack or a bare name.
    [[nodiscard]] std::optional<RackPlacement> parse(const QString& rack) const;

    // Every broker's placement: matched racks parsed, bare names numbered as FDs, empty -> (-1,-1).
    [[nodiscard]] QHash<std::int32_t, RackPlacement>
    assign(const QHash<std::int32_t, QString>& racks) const;

private:
    QRegularExpression m_custom;
    bool m_hasCustom = false;
    bool m_valid = true;
    QString m_error;
};

} // namespace faultline::models
