// Filter-as-you-type and numeric sort for the topic table (or any snapshot table model): the
// filter text matches the name column case-insensitively as a substring, or as a regular
// expression when it starts with '/'. Sorting uses SortRole, so numbers sort as numbers.
#pragma once

#include <QSortFilterProxyModel>
#include <QString>

namespace faultline::models {

class TopicFilterProxyModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit TopicFilterProxyModel(QObject* parent = nullptr);

    void setFilterText(const QString& text);
    [[nodiscard]] QString filterText() const { return m_text; }
    // False while the text is an invalid "/regex"; the filter then lets every row through.
    [[nodiscard]] bool filterValid() const { return m_valid; }
    [[nodiscard]] QString filterError() const { return m_error; }

signals:
    void filterValidityChanged(bool valid, const QString& error);

private:
    QString m_text;
    bool m_valid = true;
    QString m_error;
};

} // namespace faultline::models
