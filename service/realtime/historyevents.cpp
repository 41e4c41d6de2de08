#include "realtime/historyevents.h"

#include "history/recorder.h"
#include "realtime/clusteremitter.h"
#include "realtime/sioserver.h"

#include <QJsonArray>

namespace jarvis::realtime {

namespace {

QJsonObject failure(const QString &error)
{
    return QJsonObject {{QStringLiteral("ok"), false}, {QStringLiteral("error"), error}};
}
} // namespace

HistoryEvents::HistoryEvents(
    history::Recorder *recorder, ClusterEmitter *emitter, Namespace *cluster, QObject *parent)
    : QObject(parent)
    , m_recorder(recorder)
    , m_emitter(emitter)
{
    connect(m_emitter, &ClusterEmitter::snapshotApplied, this,
        [this](ClusterEmitter::Source source, qint64 fetchedAtMs) {
            if (source == ClusterEmitter::Source::Nodes)
                m_recorder->recordNodes(fetchedAtMs, m_emitter->nodes(), m_emitter->temperatures());
            else if (source == ClusterEmitter::Source::Vms)
                m_recorder->recordGuests(fetchedAtMs, m_emitter->vms());
        });

    // After the emitter's own handler (connected first), so `history` follows the snapshots.
    connect(cluster, &Namespace::connected, this, [this](SioSocket *socket) {
        QJsonArray series;
        for (const history::Series &s : m_recorder->nodeSeries(history::Range::Hour))
            series.append(history::toJson(s));
        socket->emitEvent(QStringLiteral("history"),
            Message::of(QJsonObject {{QStringLiteral("range"), QStringLiteral("hour")},
                {QStringLiteral("series"), series}}));
    });

    cluster->on(QStringLiteral("history"),
        [this](SioSocket *, const Message &message, const AckCallback &ack) {
            if (!ack)
                return; // nobody to answer
            const QJsonValue arg = message.args.isEmpty() ? QJsonValue() : message.args.first();
            if (!arg.isObject())
                return ack(Message::of(
                    failure(QStringLiteral("history: expected one object {id, range}"))));
            const QJsonObject request = arg.toObject();
            const QJsonValue id = request.value(QStringLiteral("id"));
            const QJsonValue range = request.value(QStringLiteral("range"));
            if (!id.isString())
                return ack(Message::of(failure(QStringLiteral(
                    "history: id must be a string: \"node/<name>\", \"qemu/<vmid>\" or "
                    "\"lxc/<vmid>\""))));
            const std::optional<history::Range> r =
                range.isString() ? history::rangeFromName(range.toString()) : std::nullopt;
            if (!r)
                return ack(Message::of(
                    failure(QStringLiteral("history: range must be \"hour\" or \"day\""))));
            const std::optional<history::Series> s = m_recorder->series(id.toString(), *r);
            if (!s)
                return ack(Message::of(
                    failure(QStringLiteral("history: unknown id \"%1\" (no such node or guest now)")
                                .arg(id.toString().left(200)))));
            ack(Message::of(QJsonObject {
                {QStringLiteral("ok"), true}, {QStringLiteral("series"), history::toJson(*s)}}));
        });
}

} // namespace jarvis::realtime
