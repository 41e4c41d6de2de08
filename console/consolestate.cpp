#include "consolestate.h"

namespace jarvis::console {

ConsoleState::ConsoleState(SecretStore *store, QObject *parent)
    : QObject(parent)
    , session(store)
{
    guestFilter.setSourceModel(&guests);
    session.setNodeModel(&nodes);
    connect(&session, &ConsoleSession::nodesReceived, &nodes, &NodeListModel::applyNodes);
    connect(
        &session, &ConsoleSession::temperaturesReceived, &nodes, &NodeListModel::applyTemperatures);
    connect(&session, &ConsoleSession::historyReceived, &nodes, &NodeListModel::applyHistory);
    connect(&session, &ConsoleSession::vmsReceived, &guests, &GuestListModel::applyVms);
    session.setVmsTextHandler(
        [this](QByteArrayView args) { return guests.applyVmsEventJson(args); });
    connect(&session, &ConsoleSession::storageReceived, &storage, &StorageListModel::applyStorage);
    connect(&session, &ConsoleSession::eventReceived, &events, &EventLogModel::append);
    connect(&session, &ConsoleSession::guestBusyChanged, &guests, &GuestListModel::setBusy);
    // A protected guest on a protected node is explained as the node's protection.
    connect(&nodes, &NodeListModel::protectedNodesChanged, this,
        [this] { guests.setProtectedNodes(nodes.protectedNodes()); });
    // Logged out or sent back to Connect: nothing of the old server stays on screen.
    connect(&session, &ConsoleSession::stateChanged, this, [this] {
        if (session.state() != QLatin1String("connect"))
            return;
        nodes.clear();
        guests.clear();
        storage.clear();
        events.clear();
    });
}

QVariantMap ConsoleState::initialProperties()
{
    return {
        {QStringLiteral("session"), QVariant::fromValue<QObject *>(&session)},
        {QStringLiteral("nodesModel"), QVariant::fromValue<QObject *>(&nodes)},
        {QStringLiteral("guestsModel"), QVariant::fromValue<QObject *>(&guests)},
        {QStringLiteral("guestFilter"), QVariant::fromValue<QObject *>(&guestFilter)},
        {QStringLiteral("storageModel"), QVariant::fromValue<QObject *>(&storage)},
        {QStringLiteral("eventsModel"), QVariant::fromValue<QObject *>(&events)},
    };
}

} // namespace jarvis::console
