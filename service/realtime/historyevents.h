#pragma once

#include <QObject>

namespace jarvis::history {
class Recorder;
}

namespace jarvis::realtime {

class ClusterEmitter;
class Namespace;

// The history on /cluster (PROTOCOL.md section 3): feeds every `nodes` and `vms` snapshot the
// emitter applies into the recorder (with the fetch time of its Proxmox answer and the latest
// temperatures), sends `history` {range: "hour", series: [every node]} to each new client right
// after the emitter's snapshots, and answers `history` requests {id, range} through their ack.
// Build it after the emitter (it sends after the emitter's own `connected` handler). Main thread.
class HistoryEvents : public QObject
{
    Q_OBJECT
public:
    HistoryEvents(history::Recorder *recorder, ClusterEmitter *emitter, Namespace *cluster,
        QObject *parent = nullptr);

private:
    history::Recorder *m_recorder;
    ClusterEmitter *m_emitter;
};

} // namespace jarvis::realtime
