#pragma once

#include "tools/toolsink.h"

namespace jarvis::realtime {

class ClusterEmitter;
class EventBus;

// tools::ToolSink on the EventBus: tool steps and task progress go to /events as `event`s of
// type "action" (PROTOCOL.md section 5: data.kind "tool" | "task"). Main thread; `bus` outlives it.
class ToolEvents final : public tools::ToolSink
{
public:
    explicit ToolEvents(EventBus *bus);

    void toolStep(const tools::ToolStep &step) override;
    void taskStep(const tools::TaskStep &step) override;

private:
    EventBus *m_bus;
};

// tools::ClusterView on the ClusterEmitter: its latest snapshots, and refreshNow() (the fresh
// snapshots go out on /cluster before `done` runs). Main thread; `emitter` outlives it.
class EmitterView final : public tools::ClusterView
{
public:
    explicit EmitterView(ClusterEmitter *emitter);

    QList<model::NodeData> nodes() const override;
    QList<model::VmData> guests() const override;
    void refresh(
        const QList<Data> &what, const QObject *context, std::function<void()> done) override;

private:
    ClusterEmitter *m_emitter;
};

} // namespace jarvis::realtime
