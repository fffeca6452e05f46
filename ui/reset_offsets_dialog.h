// Reset a consumer group's offsets: to earliest, latest, a timestamp or explicit offsets, on the
// chosen topics. Preview first (a preview-only ResetOffsetsJob); Apply is enabled only once the
// preview of the current choice is shown. The owner runs the jobs (previewRequested /
// applyRequested) and feeds the answers back (setPreview / setApplied / setError).
#pragma once

#include "models/cluster_snapshot.h"
#include "models/group_jobs.h"

#include <QDialog>
#include <QList>

class QButtonGroup;
class QDateTimeEdit;
class QLabel;
class QListWidget;
class QPushButton;
class QTableWidget;

namespace faultline::ui {

class ResetOffsetsDialog : public QDialog {
    Q_OBJECT
public:
    // offsets: the group's current committed offsets (topic, partition, committed ...)
    ResetOffsetsDialog(QString group, const QVector<models::GroupOffsetRow>& offsets, QWidget* parent = nullptr);

    [[nodiscard]] QString group() const { return m_group; }
    [[nodiscard]] QStringList topics() const; // checked topics
    [[nodiscard]] models::OffsetResetTarget target() const;
    void setMode(models::ResetMode mode);
    void setTimestamp(qint64 ms);
    void setExplicitOffset(const QString& topic, int partition, qint64 offset);

    void requestPreview();
    void requestApply();
    void setPreview(const QList<models::OffsetResetRow>& rows);
    void setApplied(const QString& summary);
    void setError(const QString& message);
    [[nodiscard]] bool canApply() const;
    [[nodiscard]] int previewRowCount() const;
    [[nodiscard]] QString statusText() const;

signals:
    void previewRequested(const QString& group, const QStringList& topics, const models::OffsetResetTarget& target);
    void applyRequested(const QString& group, const QStringList& topics, const models::OffsetResetTarget& target);

private:
    void invalidatePreview();
    void updateModeWidgets();

    QString m_group;
    QVector<models::GroupOffsetRow> m_offsets;
    QListWidget* m_topics = nullptr;
    QButtonGroup* m_modes = nullptr;
    QDateTimeEdit* m_timestamp = nullptr;
    QTableWidget* m_explicit = nullptr;
    QTableWidget* m_preview = nullptr;
    QLabel* m_status = nullptr;
    QPushButton* m_previewButton = nullptr;
    QPushButton* m_applyButton = nullptr;
    bool m_previewCurrent = false;
    bool m_applied = false;
};

} // namespace faultline::ui
