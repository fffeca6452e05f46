#include "models/topic_filter_proxy_model.h"

#include "models/snapshot_diff.h"

#include <QRegularExpression>

namespace faultline::models {

TopicFilterProxyModel::TopicFilterProxyModel(QObject* parent) : QSortFilterProxyModel(parent)
{
    setSortRole(SortRole);
    setFilterKeyColumn(0);
    setFilterCaseSensitivity(Qt::CaseInsensitive);
    setDynamicSortFilter(true);
}

void TopicFilterProxyModel::setFilterText(const QString& text)
{
    if (text == m_text) {
        return;
    }
    m_text = text;
    bool valid = true;
    QString error;
    if (text.startsWith(QLatin1Char('/'))) {
        QRegularExpression expression(text.mid(1), QRegularExpression::CaseInsensitiveOption);
        valid = expression.isValid();
        if (valid) {
            setFilterRegularExpression(expression);
        } else {
            error = expression.errorString();
            setFilterFixedString(QString());
        }
    } else {
        setFilterFixedString(text);
    }
    if (valid != m_valid || error != m_error) {
        m_valid = valid;
        m_error = error;
        emit filterValidityChanged(m_valid, m_error);
    }
}

} // namespace faultline::models
