// The MCP server core (service/mcp/mcpserver.h, jsonrpc.h) without a transport: JSON-RPC errors
// (data-driven), version negotiation, tools/list from the tiers, tools/call through the real
// ToolExecutor and AuditLog (RED needs confirmation, progress, cancellation), resources and their
// subscriptions.
#include "mcp/jsonrpc.h"
#include "mcp/mcpserver.h"
#include "tools/auditlog.h"
#include "tools/toolexecutor.h"
#include "tools/toolsink.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace jarvis;
using namespace jarvis::mcp;

// (Messages with "//" in them are plain string literals: moc 6.4 reads "//" inside a raw string as
// a comment and then finds no class in this file.)

namespace {

// Snapshots held in memory: what a test sets is what resources read.
class TestSnapshots final : public ClusterSnapshots
{
public:
    std::optional<QByteArray> json(Kind kind) const override
    {
        if (!texts.contains(int(kind)))
            return std::nullopt;
        return texts.value(int(kind));
    }
    void refresh(Kind kind, const QObject *, std::function<void()> done) override
    {
        ++refreshes;
        texts.insert(int(kind), QByteArrayLiteral("[\"refreshed\"]"));
        done();
    }
    void setWatched(bool on) override { watched = on; }

    QHash<int, QByteArray> texts;
    bool watched = false;
    int refreshes = 0;
};

QJsonObject schemaWith(const QJsonObject &properties, const QStringList &required)
{
    return {{QStringLiteral("type"), QStringLiteral("object")},
        {QStringLiteral("properties"), properties},
        {QStringLiteral("required"), QJsonArray::fromStringList(required)},
        {QStringLiteral("additionalProperties"), false}};
}

QJsonObject integerProp()
{
    return {{QStringLiteral("type"), QStringLiteral("integer")}};
}

} // namespace

class TestMcpServer : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<tools::AuditLog> m_audit;
    std::unique_ptr<tools::ToolExecutor> m_executor;
    TestSnapshots m_snapshots;
    std::unique_ptr<Server> m_server;
    Session *m_session = nullptr;
    QList<QJsonObject> m_sent;
    QList<QJsonValue> m_related;
    QList<QJsonValue> m_dropped;
    tools::Done m_slowDone; // the "slow" tool's pending completion
    tools::TaskObserver m_slowTask;

    Session *newSession(const QString &user = QStringLiteral("mcp:test"))
    {
        Session *session = m_server->createSession(user, this);
        session->setOutput(
            Session::Output {[this](const QJsonObject &message, const QJsonValue &related) {
                                 m_sent.append(message);
                                 m_related.append(related);
                             },
                [this](const QJsonValue &id) { m_dropped.append(id); }});
        return session;
    }

    void send(Session *session, const QByteArray &text) { session->receive(parseMessage(text)); }

    void initialize(Session *session)
    {
        send(session,
            R"({"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
        QCOMPARE(m_sent.last()
                     .value(QStringLiteral("result"))
                     .toObject()
                     .value(QStringLiteral("protocolVersion"))
                     .toString(),
            QStringLiteral("2025-11-25"));
        m_sent.clear();
        m_related.clear();
    }

    QJsonObject call(const QByteArray &text)
    {
        m_sent.clear();
        send(m_session, text);
        if (m_sent.isEmpty())
            return {};
        return m_sent.last();
    }

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_audit = std::make_unique<tools::AuditLog>(
            m_dir.filePath(QStringLiteral("audit-%1.jsonl").arg(QTest::currentTestFunction())));
        QString error;
        QVERIFY2(m_audit->open(&error), qPrintable(error));
        m_executor = std::make_unique<tools::ToolExecutor>(
            tools::SafetyPolicy({QStringLiteral("guarded")}, {}), m_audit.get(), nullptr);
        const QJsonObject guest =
            schemaWith({{QStringLiteral("vmid"), integerProp()}}, {QStringLiteral("vmid")});
        tools::Tool green;
        green.name = QStringLiteral("look");
        green.title = QStringLiteral("Look");
        green.description = QStringLiteral("reads");
        green.tier = tools::Tier::Green;
        green.inputSchema = schemaWith({}, {});
        green.resultSchema = {{QStringLiteral("type"), QStringLiteral("array")}};
        green.handler = [](const tools::ToolCall &, tools::Done done) {
            done(tools::Outcome::success(QJsonArray {1, 2}));
        };
        m_executor->add(green);
        tools::Tool red;
        red.name = QStringLiteral("zap");
        red.description = QStringLiteral("stops something");
        red.tier = tools::Tier::Red;
        red.idempotent = true;
        red.inputSchema = guest;
        red.handler = [](const tools::ToolCall &call, tools::Done done) {
            done(tools::Outcome::success(QJsonObject {{QStringLiteral("zapped"), call.args}}));
        };
        m_executor->add(red);
        tools::Tool slow;
        slow.name = QStringLiteral("slow");
        slow.description = QStringLiteral("follows a task");
        slow.tier = tools::Tier::Yellow;
        slow.inputSchema = schemaWith({}, {});
        slow.handler = [this](const tools::ToolCall &call, tools::Done done) {
            m_slowDone = std::move(done);
            m_slowTask = call.onTask;
        };
        m_executor->add(slow);
        tools::Tool black;
        black.name = QStringLiteral("destroy");
        black.description = QStringLiteral("forbidden");
        black.tier = tools::Tier::Black;
        black.inputSchema = guest;
        m_executor->add(black);

        m_snapshots = TestSnapshots();
        m_server = std::make_unique<Server>(m_executor.get(), &m_snapshots,
            Server::Info {QStringLiteral("jarvisd"), QStringLiteral("1"), {}});
        m_sent.clear();
        m_related.clear();
        m_dropped.clear();
        m_session = newSession();
    }

    void cleanup()
    {
        delete m_session;
        m_session = nullptr;
        m_server.reset();
        m_executor.reset();
        m_audit.reset();
        m_slowDone = {};
        m_slowTask = {};
    }

    void negotiate_data()
    {
        QTest::addColumn<QString>("requested");
        QTest::addColumn<QString>("answered");
        QTest::newRow("current") << "2025-11-25"
                                 << "2025-11-25";
        QTest::newRow("previous") << "2025-06-18"
                                  << "2025-06-18";
        QTest::newRow("older: the newest") << "2024-11-05"
                                           << "2025-11-25";
        QTest::newRow("garbage: the newest") << "x"
                                             << "2025-11-25";
    }
    void negotiate()
    {
        QFETCH(QString, requested);
        QFETCH(QString, answered);
        QCOMPARE(negotiateVersion(requested), answered);
    }

    // Every malformed or misplaced message gets the right JSON-RPC error (or nothing, for what
    // needs no answer).
    void errors_data()
    {
        QTest::addColumn<bool>("initialized");
        QTest::addColumn<QByteArray>("message");
        QTest::addColumn<int>("code"); // 0: a result; 1: no answer at all

        auto row = [](const char *name, bool initialized, const char *message, int code) {
            QTest::newRow(name) << initialized << QByteArray(message) << code;
        };
        row("not JSON", true, "{bad", code::ParseError);
        row("empty", true, "", code::ParseError);
        row("truncated", true, R"({"jsonrpc":"2.0","id":1,"method":)", code::ParseError);
        row("batch", true, R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", code::InvalidRequest);
        row("a string", true, R"("ping")", code::InvalidRequest);
        row("a number", true, "42", code::InvalidRequest);
        row("null", true, " null ", code::InvalidRequest);
        row("trailing text", true, R"({"jsonrpc":"2.0","id":1,"method":"ping"} x)",
            code::ParseError);
        row("invalid UTF-8", true, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xff\"}",
            code::ParseError);
        row("jsonrpc 1.0", true, R"({"jsonrpc":"1.0","id":1,"method":"ping"})",
            code::InvalidRequest);
        row("no jsonrpc", true, R"({"id":1,"method":"ping"})", code::InvalidRequest);
        row("null id", true, R"({"jsonrpc":"2.0","id":null,"method":"ping"})",
            code::InvalidRequest);
        row("object id", true, R"({"jsonrpc":"2.0","id":{},"method":"ping"})",
            code::InvalidRequest);
        row("fraction id", true, R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})",
            code::InvalidRequest);
        row("method a number", true, R"({"jsonrpc":"2.0","id":1,"method":5})",
            code::InvalidRequest);
        row("params a string", true, R"({"jsonrpc":"2.0","id":1,"method":"ping","params":"x"})",
            code::InvalidRequest);
        row("neither", true, R"({"jsonrpc":"2.0","id":1})", code::InvalidRequest);
        row("unknown method", true, R"({"jsonrpc":"2.0","id":1,"method":"nope"})",
            code::MethodNotFound);
        row("params an array", true,
            R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":[]})", code::InvalidParams);
        row("tools/list cursor", true,
            R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"x"}})",
            code::InvalidParams);
        row("call without name", true,
            R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}})", code::InvalidParams);
        row("call unknown tool", true,
            R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope"}})",
            code::InvalidParams);
        row("call arguments a string", true,
            R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"look","arguments":"x"}})",
            code::InvalidParams);
        row("read without uri", true,
            R"({"jsonrpc":"2.0","id":1,"method":"resources/read","params":{}})",
            code::InvalidParams);
        row("read unknown uri", true,
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/"
            "read\",\"params\":{\"uri\":\"jarvis://x\"}}",
            code::ResourceNotFound);
        row("subscribe unknown uri", true,
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/"
            "subscribe\",\"params\":{\"uri\":\"file:///etc\"}}",
            code::ResourceNotFound);
        row("initialize twice", true,
            R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})",
            code::InvalidRequest);
        row("initialize without version", false,
            R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{},"clientInfo":{"name":"t","version":"1"}}})",
            code::InvalidParams);
        row("initialize without clientInfo", false,
            R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}})",
            code::InvalidParams);
        row("tools/list before initialize", false,
            R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})", code::ServerError);
        row("ping before initialize", false, R"({"jsonrpc":"2.0","id":1,"method":"ping"})", 0);
        row("ping", true, R"({"jsonrpc":"2.0","id":"p","method":"ping"})", 0);
        row("unknown notification", true, R"({"jsonrpc":"2.0","method":"notifications/nope"})", 1);
        row("a response", true, R"({"jsonrpc":"2.0","id":7,"result":{}})", 1);
        row("cancel of nothing", true,
            R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":99}})", 1);
    }
    void errors()
    {
        QFETCH(bool, initialized);
        QFETCH(QByteArray, message);
        QFETCH(int, code);
        if (initialized)
            initialize(m_session);
        const QJsonObject answer = call(message);
        if (code == 1) {
            QVERIFY2(answer.isEmpty(), QJsonDocument(answer).toJson().constData());
            return;
        }
        QCOMPARE(answer.value(QStringLiteral("jsonrpc")).toString(), QStringLiteral("2.0"));
        if (code == 0) {
            QVERIFY2(answer.contains(QStringLiteral("result")),
                QJsonDocument(answer).toJson().constData());
            return;
        }
        const QJsonObject error = answer.value(QStringLiteral("error")).toObject();
        QCOMPARE(error.value(QStringLiteral("code")).toInt(), code);
        QVERIFY(!error.value(QStringLiteral("message")).toString().isEmpty());
    }

    void toolList()
    {
        initialize(m_session);
        const QJsonArray tools = call(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})")
                                     .value(QStringLiteral("result"))
                                     .toObject()
                                     .value(QStringLiteral("tools"))
                                     .toArray();
        QHash<QString, QJsonObject> byName;
        for (const QJsonValue &t : tools)
            byName.insert(t.toObject().value(QStringLiteral("name")).toString(), t.toObject());
        QCOMPARE(byName.size(), 3); // BLACK is not listed
        QVERIFY(!byName.contains(QStringLiteral("destroy")));
        const QJsonObject look = byName.value(QStringLiteral("look"));
        QCOMPARE(look.value(QStringLiteral("annotations"))
                     .toObject()
                     .value(QStringLiteral("readOnlyHint")),
            QJsonValue(true));
        QCOMPARE(look.value(QStringLiteral("title")).toString(), QStringLiteral("Look"));
        QCOMPARE(look.value(QStringLiteral("outputSchema"))
                     .toObject()
                     .value(QStringLiteral("properties"))
                     .toObject()
                     .value(QStringLiteral("result"))
                     .toObject()
                     .value(QStringLiteral("type"))
                     .toString(),
            QStringLiteral("array"));
        const QJsonObject zap = byName.value(QStringLiteral("zap"));
        const QJsonObject zapHints = zap.value(QStringLiteral("annotations")).toObject();
        QCOMPARE(zapHints.value(QStringLiteral("destructiveHint")), QJsonValue(true));
        QCOMPARE(zapHints.value(QStringLiteral("readOnlyHint")), QJsonValue(false));
        QCOMPARE(zapHints.value(QStringLiteral("idempotentHint")), QJsonValue(true));
        QCOMPARE(zap.value(QStringLiteral("inputSchema"))
                     .toObject()
                     .value(QStringLiteral("properties"))
                     .toObject()
                     .value(QStringLiteral("confirmed"))
                     .toObject()
                     .value(QStringLiteral("type"))
                     .toString(),
            QStringLiteral("boolean"));
        QVERIFY(!zap.contains(QStringLiteral("outputSchema")));
        const QJsonObject slowHints =
            byName.value(QStringLiteral("slow")).value(QStringLiteral("annotations")).toObject();
        QCOMPARE(slowHints.value(QStringLiteral("destructiveHint")), QJsonValue(false));
        QCOMPARE(slowHints.value(QStringLiteral("idempotentHint")), QJsonValue(false));
    }

    void greenCall()
    {
        initialize(m_session);
        const QJsonObject result =
            call(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"look"}})")
                .value(QStringLiteral("result"))
                .toObject();
        QVERIFY(!result.value(QStringLiteral("isError")).toBool());
        QCOMPARE(result.value(QStringLiteral("structuredContent"))
                     .toObject()
                     .value(QStringLiteral("result")),
            QJsonValue(QJsonArray {1, 2}));
        QCOMPARE(result.value(QStringLiteral("content"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QStringLiteral("text"))
                     .toString(),
            QStringLiteral("[1,2]"));
        const QJsonObject entry = m_audit->recent(1).first().toObject();
        QCOMPARE(entry.value(QStringLiteral("source")).toString(), QStringLiteral("mcp"));
        QCOMPARE(entry.value(QStringLiteral("user")).toString(), QStringLiteral("mcp:test"));
        QCOMPARE(entry.value(QStringLiteral("status")).toString(), QStringLiteral("succeeded"));
    }

    // RED without confirmed: a tool error telling the assistant to ask; with it: done. A protected
    // target is refused whatever is confirmed, without the ask-the-human text.
    void redNeedsConfirmation()
    {
        initialize(m_session);
        QJsonObject result = call(
            R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"zap","arguments":{"vmid":5}}})")
                                 .value(QStringLiteral("result"))
                                 .toObject();
        QCOMPARE(result.value(QStringLiteral("isError")), QJsonValue(true));
        QString text = result.value(QStringLiteral("content"))
                           .toArray()
                           .first()
                           .toObject()
                           .value(QStringLiteral("text"))
                           .toString();
        QVERIFY2(text.contains(QStringLiteral("Ask the user first")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("\"confirmed\": true")));
        QCOMPARE(m_audit->recent(1).first().toObject().value(QStringLiteral("status")).toString(),
            QStringLiteral("blocked"));

        result = call(
            R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"zap","arguments":{"vmid":5,"confirmed":true}}})")
                     .value(QStringLiteral("result"))
                     .toObject();
        QVERIFY(!result.value(QStringLiteral("isError")).toBool());
        QCOMPARE(result.value(QStringLiteral("structuredContent"))
                     .toObject()
                     .value(QStringLiteral("tier"))
                     .toString(),
            QStringLiteral("RED"));
        const QJsonObject entry = m_audit->recent(1).first().toObject();
        QCOMPARE(entry.value(QStringLiteral("status")).toString(), QStringLiteral("succeeded"));
        QCOMPARE(entry.value(QStringLiteral("confirmed")), QJsonValue(true));

        // BLACK, called by name although not listed: refused and audited, no ask-the-human text.
        result = call(
            R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"destroy","arguments":{"vmid":5,"confirmed":true}}})")
                     .value(QStringLiteral("result"))
                     .toObject();
        QCOMPARE(result.value(QStringLiteral("isError")), QJsonValue(true));
        text = result.value(QStringLiteral("content"))
                   .toArray()
                   .first()
                   .toObject()
                   .value(QStringLiteral("text"))
                   .toString();
        QVERIFY2(!text.contains(QStringLiteral("Ask the user")), qPrintable(text));
        QCOMPARE(m_audit->recent(1).first().toObject().value(QStringLiteral("status")).toString(),
            QStringLiteral("blocked"));
    }

    // Task steps become notifications/progress for the call that gave a token; a cancelled call
    // gets no response (the transport hears `dropped`), and its task runs to its end, audited.
    void progressAndCancellation()
    {
        initialize(m_session);
        call(
            R"({"jsonrpc":"2.0","id":"s1","method":"tools/call","params":{"name":"slow","_meta":{"progressToken":"tok"}}})");
        QVERIFY(m_slowTask);
        QCOMPARE(m_session->pendingRequests(), 1);
        tools::TaskStep step;
        step.type = QStringLiteral("qmstop");
        step.id = QStringLiteral("100");
        step.node = QStringLiteral("pve1");
        step.status = QStringLiteral("running");
        m_slowTask(step);
        step.status = QStringLiteral("stopped");
        step.exitstatus = QStringLiteral("OK");
        m_slowTask(step);
        QCOMPARE(m_sent.size(), 2);
        for (int i = 0; i < 2; ++i) {
            const QJsonObject n = m_sent.at(i);
            QCOMPARE(n.value(QStringLiteral("method")).toString(),
                QStringLiteral("notifications/progress"));
            const QJsonObject params = n.value(QStringLiteral("params")).toObject();
            QCOMPARE(
                params.value(QStringLiteral("progressToken")).toString(), QStringLiteral("tok"));
            QCOMPARE(params.value(QStringLiteral("progress")).toDouble(), double(i + 1));
            QCOMPARE(m_related.at(i), QJsonValue(QStringLiteral("s1")));
        }
        QVERIFY(m_sent.at(1)
                    .value(QStringLiteral("params"))
                    .toObject()
                    .value(QStringLiteral("message"))
                    .toString()
                    .contains(QStringLiteral("(OK)")));
        m_slowDone(tools::Outcome::success(QJsonObject {}));
        QCOMPARE(m_sent.size(), 3);
        QCOMPARE(m_sent.last().value(QStringLiteral("id")), QJsonValue(QStringLiteral("s1")));

        // without a token: no progress; cancelled: no response
        m_sent.clear();
        QSignalSpy idle(m_session, &Session::idle);
        call(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow"}})");
        m_slowTask(step);
        QVERIFY(m_sent.isEmpty());
        call(
            R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"changed my mind"}})");
        QCOMPARE(m_dropped.size(), 1);
        QCOMPARE(m_dropped.first(), QJsonValue(7));
        m_slowDone(tools::Outcome::success(QJsonObject {}));
        QVERIFY(m_sent.isEmpty());
        QCOMPARE(m_session->pendingRequests(), 0);
        QCOMPARE(idle.size(), 1);
        QCOMPARE(m_audit->recent(1).first().toObject().value(QStringLiteral("status")).toString(),
            QStringLiteral("succeeded"));
    }

    void resources()
    {
        initialize(m_session);
        QJsonArray list = call(R"({"jsonrpc":"2.0","id":1,"method":"resources/list"})")
                              .value(QStringLiteral("result"))
                              .toObject()
                              .value(QStringLiteral("resources"))
                              .toArray();
        QCOMPARE(list.size(), 4);
        // nothing polled yet: read polls first
        QJsonObject read = call("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/"
                                "read\",\"params\":{\"uri\":\"jarvis://cluster/storage\"}}");
        QCOMPARE(m_snapshots.refreshes, 1);
        QJsonObject content = read.value(QStringLiteral("result"))
                                  .toObject()
                                  .value(QStringLiteral("contents"))
                                  .toArray()
                                  .first()
                                  .toObject();
        QCOMPARE(
            content.value(QStringLiteral("text")).toString(), QStringLiteral("[\"refreshed\"]"));
        QCOMPARE(content.value(QStringLiteral("mimeType")).toString(),
            QStringLiteral("application/json"));
        m_snapshots.texts.insert(int(ClusterSnapshots::Kind::Vms), "[1]");
        read = call("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/"
                    "read\",\"params\":{\"uri\":\"jarvis://cluster/vms\"}}");
        QCOMPARE(read.value(QStringLiteral("result"))
                     .toObject()
                     .value(QStringLiteral("contents"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QStringLiteral("text"))
                     .toString(),
            QStringLiteral("[1]"));
        QCOMPARE(m_snapshots.refreshes, 1);
    }

    // A subscription keeps the snapshots polled and hears of content changes only (not of every
    // re-publication), on the session as a whole (no related request).
    void subscriptions()
    {
        initialize(m_session);
        Session *other = newSession(QStringLiteral("mcp:other"));
        initialize(other);
        m_snapshots.texts.insert(int(ClusterSnapshots::Kind::Vms), "[1]");
        QVERIFY(!m_snapshots.watched);
        call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/"
             "subscribe\",\"params\":{\"uri\":\"jarvis://cluster/vms\"}}");
        QVERIFY(m_snapshots.watched);
        m_sent.clear();
        m_server->snapshotChanged(ClusterSnapshots::Kind::Vms); // re-sent, same text
        QVERIFY(m_sent.isEmpty());
        m_snapshots.texts.insert(int(ClusterSnapshots::Kind::Vms), "[2]");
        m_server->snapshotChanged(ClusterSnapshots::Kind::Nodes); // another resource
        QVERIFY(m_sent.isEmpty());
        m_server->snapshotChanged(ClusterSnapshots::Kind::Vms);
        QCOMPARE(m_sent.size(), 1); // the subscriber only, once
        QCOMPARE(m_sent.first().value(QStringLiteral("method")).toString(),
            QStringLiteral("notifications/resources/updated"));
        QCOMPARE(m_sent.first()
                     .value(QStringLiteral("params"))
                     .toObject()
                     .value(QStringLiteral("uri"))
                     .toString(),
            QStringLiteral("jarvis://cluster/vms"));
        QVERIFY(m_related.last().isUndefined());
        m_server->snapshotChanged(ClusterSnapshots::Kind::Vms);
        QCOMPARE(m_sent.size(), 1);
        call("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/"
             "unsubscribe\",\"params\":{\"uri\":\"jarvis://cluster/vms\"}}");
        QVERIFY(!m_snapshots.watched);
        // a session that goes away takes its subscriptions with it
        call("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/"
             "subscribe\",\"params\":{\"uri\":\"jarvis://cluster/nodes\"}}");
        QVERIFY(m_snapshots.watched);
        delete m_session;
        m_session = nullptr;
        QVERIFY(!m_snapshots.watched);
        delete other;
        m_session = newSession();
    }
};

QTEST_GUILESS_MAIN(TestMcpServer)
#include "tst_mcpserver.moc"
