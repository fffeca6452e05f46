// A keyed diff between two sorted row lists, for item models fed with immutable snapshots.
//
// The table models keep one small Entry per row (a pointer into the snapshot they hold plus a few
// derived values). When a new snapshot arrives they build the new entry list, sorted by the same key,
// and applyKeyedDiff() turns the old list into the new one with the fewest model signals:
//   1. keys that disappeared: one beginRemoveRows/endRemoveRows per contiguous range (last first);
//   2. keys that appeared: one beginInsertRows/endInsertRows per contiguous range (first first);
//   3. rows whose visible values changed: one dataChanged per contiguous row range, covering the
//      union of the changed columns.
// Everything is a linear merge over the sorted keys; no per-row allocation. Between two signals the
// list is always a consistent picture (old values for rows not yet updated), so views and
// QAbstractItemModelTester see a valid model at every step. A refresh never resets the model (the
// first load is one rowsInserted of every row).
//
// Also here: the roles and the presentation helpers the snapshot table models share.
#pragma once

#include <QAbstractItemModel>
#include <QString>
#include <QVariant>
#include <QVector>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace faultline::models {

// Roles every snapshot table model answers besides Qt's.
enum ItemDataRole : int {
    SortRole = Qt::UserRole + 1, // raw value: numbers for numeric columns (-1 when unknown)
    KeyRole = Qt::UserRole + 2,  // the row key: broker id, topic name, partition, group id, ...
    HealthRole = Qt::UserRole + 3, // int(RowHealth) of the row: what Foreground/Background show
};

// An inclusive index range; empty when first < 0.
struct IndexSpan {
    int first = -1;
    int last = -1;
    [[nodiscard]] bool empty() const { return first < 0; }
    void add(int i)
    {
        if (empty()) {
            first = last = i;
        } else {
            first = std::min(first, i);
            last = std::max(last, i);
        }
    }
    void unite(IndexSpan other)
    {
        if (!other.empty()) {
            add(other.first);
            add(other.last);
        }
    }
    friend bool operator==(const IndexSpan&, const IndexSpan&) = default;
};

// The columns in [0, columnCount) for which differs(column) is true, as one span.
template <typename Differs>
[[nodiscard]] IndexSpan differingColumns(int columnCount, Differs differs)
{
    IndexSpan span;
    for (int c = 0; c < columnCount; ++c) {
        if (differs(c)) {
            span.add(c);
        }
    }
    return span;
}

// The columns whose cells read differently between two versions of a row, comparing every role a
// view shows (text, sort key, tooltip). cell(entry, column, role) is the model's cell function.
template <typename Entry, typename Cell>
[[nodiscard]] IndexSpan differingCells(int columnCount, const Entry& before, const Entry& after,
                                       Cell cell)
{
    return differingColumns(columnCount, [&](int column) {
        for (int role : {int(Qt::DisplayRole), int(SortRole), int(Qt::ToolTipRole)}) {
            if (cell(before, column, role) != cell(after, column, role)) {
                return true;
            }
        }
        return false;
    });
}

// Sorts entries by key when they are not sorted already (snapshots promise sorted vectors; this
// keeps the models correct even when a producer breaks the promise). compare: <0 / 0 / >0.
template <typename Entry, typename Compare>
void ensureSortedByKey(std::vector<Entry>& entries, Compare compare)
{
    auto less = [&](const Entry& a, const Entry& b) { return compare(a, b) < 0; };
    if (!std::is_sorted(entries.begin(), entries.end(), less)) {
        std::stable_sort(entries.begin(), entries.end(), less);
    }
}

// Turns `rows` into `next` (both sorted ascending by key), reporting to `sink`:
//   sink.beginRemove(first, last); sink.endRemove();
//   sink.beginInsert(first, last); sink.endInsert();
//   sink.changed(firstRow, lastRow, firstColumn, lastColumn);
// compare(a, b) orders keys (<0, 0, >0); changedColumns(old, new) returns the columns whose visible
// values differ (empty: nothing to signal). Every surviving row takes the new entry, signalled or not.
template <typename Entry, typename Compare, typename ChangedColumns, typename Sink>
void applyKeyedDiff(std::vector<Entry>& rows, std::vector<Entry>&& next, Compare compare,
                    ChangedColumns changedColumns, Sink& sink)
{
    // Pass 1: merge the keys; remember which old row each new entry matches (-1: new key) and
    // collect the removed old rows as contiguous ranges.
    std::vector<int> matched(next.size(), -1);
    std::vector<IndexSpan> removed;
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < rows.size() || j < next.size()) {
        int order = 0;
        if (i == rows.size()) {
            order = 1;
        } else if (j == next.size()) {
            order = -1;
        } else {
            order = compare(rows[i], next[j]);
        }
        if (order < 0) {
            const int row = static_cast<int>(i);
            if (!removed.empty() && removed.back().last == row - 1) {
                removed.back().last = row;
            } else {
                removed.push_back({row, row});
            }
            ++i;
        } else if (order > 0) {
            ++j;
        } else {
            matched[j] = static_cast<int>(i);
            ++i;
            ++j;
        }
    }

    // Pass 2: removals, last range first so earlier indices stay valid.
    for (auto it = removed.rbegin(); it != removed.rend(); ++it) {
        sink.beginRemove(it->first, it->last);
        rows.erase(rows.begin() + it->first, rows.begin() + it->last + 1);
        sink.endRemove();
    }

    // Pass 3: insertions in ascending new index. Every entry before a range is in place already, so
    // its new index is also its position now.
    const int count = static_cast<int>(next.size());
    for (int k = 0; k < count;) {
        if (matched[static_cast<std::size_t>(k)] >= 0) {
            ++k;
            continue;
        }
        int last = k;
        while (last + 1 < count && matched[static_cast<std::size_t>(last + 1)] < 0) {
            ++last;
        }
        sink.beginInsert(k, last);
        rows.insert(rows.begin() + k, next.begin() + k, next.begin() + last + 1);
        sink.endInsert();
        k = last + 1;
    }

    // Pass 4: surviving rows take their new entry; changed ones are signalled per contiguous range.
    int rangeFirst = -1;
    int rangeLast = -1;
    IndexSpan rangeColumns;
    auto flush = [&] {
        if (rangeFirst >= 0) {
            sink.changed(rangeFirst, rangeLast, rangeColumns.first, rangeColumns.last);
        }
        rangeFirst = -1;
        rangeColumns = {};
    };
    for (int k = 0; k < count; ++k) {
        const auto index = static_cast<std::size_t>(k);
        if (matched[index] < 0) {
            continue; // inserted above, already the new entry
        }
        const IndexSpan columns = changedColumns(rows[index], next[index]);
        rows[index] = std::move(next[index]);
        if (columns.empty()) {
            continue;
        }
        if (rangeFirst >= 0 && rangeLast == k - 1) {
            rangeLast = k;
            rangeColumns.unite(columns);
        } else {
            flush();
            rangeFirst = rangeLast = k;
            rangeColumns = columns;
        }
    }
    flush();
}

// Forwards applyKeyedDiff's calls to a QAbstractItemModel's protected row signals. A model that
// uses it declares `template <typename> friend class ModelDiffSignals;`.
template <typename Model>
class ModelDiffSignals {
public:
    explicit ModelDiffSignals(Model& model) : m_model(model) {}
    void beginRemove(int first, int last) { m_model.beginRemoveRows(QModelIndex(), first, last); }
    void endRemove() { m_model.endRemoveRows(); }
    void beginInsert(int first, int last) { m_model.beginInsertRows(QModelIndex(), first, last); }
    void endInsert() { m_model.endInsertRows(); }
    void changed(int firstRow, int lastRow, int firstColumn, int lastColumn)
    {
        Q_EMIT m_model.dataChanged(m_model.index(firstRow, firstColumn),
                                   m_model.index(lastRow, lastColumn));
    }

private:
    Model& m_model;
};

// Three-way comparisons for keys.
[[nodiscard]] inline int compareKeys(std::int32_t a, std::int32_t b) { return (a > b) - (a < b); }
[[nodiscard]] inline int compareKeys(const QString& a, const QString& b)
{
    return QString::compare(a, b, Qt::CaseSensitive);
}

// ---- Presentation shared by the snapshot table models ----

// How a row is highlighted.
enum class RowHealth { Normal, UnderReplicated, Offline, Down };

[[nodiscard]] QString unknownText();                 // "—"
[[nodiscard]] QString formatBytes(qint64 bytes);     // "512 B", "1.5 KiB", "3.2 MiB", "1.0 GiB"; "—" if < 0
[[nodiscard]] QString formatCount(qint64 value);     // the number; "—" if < 0
[[nodiscard]] QString formatBrokerId(std::int32_t id); // the id; "—" if < 0
// "1, 2, 3"; with markLeader >= 0 that broker reads "1 (L)". "—" when empty.
[[nodiscard]] QString formatBrokerList(const QVector<std::int32_t>& ids, std::int32_t markLeader = -1);
// A QColor (built through QMetaType, so models/ needs no QtGui at link time); invalid for Normal
// or when QtGui is not loaded in the process.
[[nodiscard]] QVariant healthForeground(RowHealth health);
[[nodiscard]] QVariant healthBackground(RowHealth health);
[[nodiscard]] QVariant numericAlignment();                 // right + vcenter, as an int

} // namespace faultline::models
