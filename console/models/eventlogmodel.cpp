#include "eventlogmodel.h"

#include <QDateTime>

namespace jarvis::console {

namespace {

// A present field must be a string (null counts as absent).
bool readString(const QJsonObject &o, QLatin1StringView key, QString &out)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return true;
    if (!v.isString())
        return false;
    out = v.toString();
    return true;
}

} // namespace

EventLogModel::EventLogModel(QObject *parent)
    : SnapshotListModel(parent)
{ }

bool EventLogModel::append(const QJsonObject &event)
{
    using namespace Qt::Literals::StringLiterals;
    Entry e;
    if (!readString(event, "id"_L1, e.id) || !readString(event, "type"_L1, e.type)
        || !readString(event, "severity"_L1, e.severity) || !readString(event, "title"_L1, e.title)
        || !readString(event, "message"_L1, e.message) || !readString(event, "node"_L1, e.node)
        || !readString(event, "timestamp"_L1, e.timestamp)
        || !readString(event, "resolvedAt"_L1, e.resolvedAt) || e.type.isEmpty())
        return false;
    const QJsonValue data = event.value("data"_L1);
    if (data.isObject())
        e.data = data.toObject();
    else if (!data.isUndefined() && !data.isNull())
        return false;
    if (!readString(e.data, "kind"_L1, e.kind))
        return false;

    beginInsertRows({}, 0, 0);
    m_rows.prepend(std::move(e));
    endInsertRows();
    if (m_rows.size() > Cap) {
        beginRemoveRows({}, Cap, int(m_rows.size()) - 1);
        m_rows.resize(Cap);
        endRemoveRows();
    } else {
        Q_EMIT countChanged();
    }
    return true;
}

void EventLogModel::clear()
{
    removeAllRows(m_rows);
}

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Entry &e = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case TitleRole:
        return e.title;
    case EventIdRole:
        return e.id;
    case TypeRole:
        return e.type;
    case SeverityRole:
        return e.severity;
    case MessageRole:
        return e.message;
    case NodeRole:
        return e.node;
    case TimestampRole:
        return e.timestamp;
    case TimeRole:
        return QDateTime::fromString(e.timestamp, Qt::ISODateWithMs);
    case ResolvedAtRole:
        return e.resolvedAt;
    case KindRole:
        return e.kind;
    case DataRole:
        return e.data.toVariantMap();
    default:
        return {};
    }
}

QHash<int, QByteArray> EventLogModel::roleNames() const
{
    return {
        {EventIdRole, "eventId"},
        {TypeRole, "type"},
        {SeverityRole, "severity"},
        {TitleRole, "title"},
        {MessageRole, "message"},
        {NodeRole, "node"},
        {TimestampRole, "timestamp"},
        {TimeRole, "time"},
        {ResolvedAtRole, "resolvedAt"},
        {KindRole, "kind"},
        {DataRole, "data"},
    };
}

QVariantMap EventLogModel::get(int row) const
{
    return rowToMap(row);
}

} // namespace jarvis::console
