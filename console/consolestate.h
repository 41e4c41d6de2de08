#pragma once

#include "consolesession.h"
#include "models/eventlogmodel.h"
#include "models/guestfiltermodel.h"
#include "models/guestlistmodel.h"
#include "models/nodelistmodel.h"
#include "models/storagelistmodel.h"

#include <QObject>
#include <QVariantMap>

namespace jarvis::console {

class SecretStore;

// Everything the console's window shows, wired once: the session and the list models it feeds
// (nodes and temperatures, guests with their busy flag, storage, events). The app and the tests
// build the window from initialProperties() (Main.qml's properties).
class ConsoleState : public QObject
{
    Q_OBJECT
public:
    // `store` (not owned) keeps the remembered token.
    explicit ConsoleState(SecretStore *store, QObject *parent = nullptr);

    ConsoleSession session;
    NodeListModel nodes;
    GuestListModel guests;
    GuestFilterModel guestFilter;
    StorageListModel storage;
    EventLogModel events;

    // session, nodesModel, guestsModel, guestFilter, storageModel, eventsModel.
    QVariantMap initialProperties();
};

} // namespace jarvis::console
