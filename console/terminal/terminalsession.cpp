#include "terminalsession.h"

#include "terminalitem.h"

#include "client/socketioclient.h"
#include "core/utf8.h"

#include <QJsonArray>
#include <QJsonObject>

namespace jarvis::console {

using client::AckResult;
using client::SocketIoClient;

namespace {
// How many leading bytes of `bytes` (at most `limit`) end on a UTF-8 character boundary.
qsizetype utf8Prefix(const QByteArray &bytes, qsizetype limit)
{
    if (bytes.size() <= limit)
        return bytes.size();
    qsizetype n = limit;
    // Step back over continuation bytes to the start of the character that would be cut.
    while (n > 0 && (uchar(bytes.at(n)) & 0xC0) == 0x80)
        --n;
    return n > 0 ? n : limit; // not UTF-8 at all: cut anywhere
}

// The server's `error`s for input it refused: the session goes on (docs/PROTOCOL.md).
bool isInputError(const QString &message)
{
    return message.startsWith(QLatin1String("data:"))
        || message.startsWith(QLatin1String("resize:"))
        || message.startsWith(QLatin1String("input "));
}
} // namespace

TerminalSession::TerminalSession(QObject *parent)
    : QObject(parent)
{
    m_inputTimer.setInterval(FrameMs);
    connect(&m_inputTimer, &QTimer::timeout, this, [this] {
        m_burstLeft = MaxInputMessage; // one message per frame once the burst is spent
        pumpInput();
    });
    m_resizeTimer.setSingleShot(true);
    m_resizeTimer.setInterval(FrameMs);
    connect(&m_resizeTimer, &QTimer::timeout, this, &TerminalSession::flushResize);
}

TerminalSession::~TerminalSession()
{
    dropClient();
}

void TerminalSession::setTerminal(TerminalItem *terminal)
{
    if (terminal == m_terminal)
        return;
    if (m_terminal)
        disconnect(m_terminal, nullptr, this, nullptr);
    m_terminal = terminal;
    if (terminal) {
        connect(terminal, &TerminalItem::input, this, &TerminalSession::sendInput);
        connect(
            terminal, &TerminalItem::terminalResized, this, &TerminalSession::onTerminalResized);
    }
    Q_EMIT terminalChanged();
    if (terminal && m_started)
        onTerminalResized(terminal->cols(), terminal->rows());
}

#ifndef QT_NO_SSL
void TerminalSession::setSslConfiguration(const QSslConfiguration &configuration)
{
    m_ssl = configuration;
}
#endif

void TerminalSession::setClientSetup(std::function<void(client::SocketIoClient *)> setup)
{
    m_clientSetup = std::move(setup);
}

void TerminalSession::setState(const QString &state)
{
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged();
}

void TerminalSession::setErrorText(const QString &text)
{
    if (text == m_errorText)
        return;
    m_errorText = text;
    Q_EMIT errorTextChanged();
}

void TerminalSession::dropClient()
{
    m_inputTimer.stop();
    m_resizeTimer.stop();
    m_started = false;
    if (!m_client)
        return;
    SocketIoClient *c = std::exchange(m_client, nullptr);
    disconnect(c, nullptr, this, nullptr);
    c->disconnectFromServer();
    c->deleteLater();
}

void TerminalSession::open(const QUrl &server, const QString &token, const QString &node)
{
    dropClient();
    m_input.clear();
    m_burstLeft = InputBurst;
    m_sentSize = QSize();
    m_node = node.trimmed();
    m_host.clear();
    m_exitCode = -1;
    setErrorText(QString());
    if (m_node.isEmpty()) {
        setState(QStringLiteral("connecting"));
        return fail(tr("No node given"));
    }
    if (!server.isValid() || server.host().isEmpty()) {
        setState(QStringLiteral("connecting"));
        return fail(tr("Invalid server address: %1").arg(server.toString()));
    }
    m_client = new SocketIoClient(this);
    // Output comes in events of at most 16 KiB (PROTOCOL.md section 3); a bigger message is a
    // broken or hostile server, closed before it is parsed on the GUI thread.
    m_client->setMaxIncomingMessageSize(256 * 1024);
#ifndef QT_NO_SSL
    if (m_ssl)
        m_client->setSslConfiguration(*m_ssl);
#endif
    if (m_clientSetup)
        m_clientSetup(m_client);
    connect(m_client, &SocketIoClient::connected, this, &TerminalSession::onConnected);
    connect(m_client, &SocketIoClient::connectError, this,
        [this](const QString &message, const QJsonValue &) {
            // A terminal does not outlive its connection: no silent retries.
            fail(tr("Cannot connect to the terminal: %1").arg(message));
        });
    connect(m_client, &SocketIoClient::disconnected, this, [this](const QString &reason) {
        if (m_state == QLatin1String("connecting") || m_state == QLatin1String("open"))
            fail(tr("Connection lost (%1)").arg(reason));
    });
    connect(m_client, &SocketIoClient::eventReceived, this,
        [this](const QString &event, const QJsonArray &args, const QList<QByteArray> &) {
            onEvent(event, args);
        });
    setState(QStringLiteral("connecting"));
    m_client->connectToServer(
        server, QStringLiteral("/terminal"), QJsonObject {{QStringLiteral("token"), token}});
}

void TerminalSession::close()
{
    dropClient();
    m_input.clear();
    if (m_state == QLatin1String("connecting") || m_state == QLatin1String("open"))
        setState(QStringLiteral("idle"));
}

void TerminalSession::fail(const QString &message)
{
    if (m_state == QLatin1String("failed") || m_state == QLatin1String("exited"))
        return;
    dropClient();
    m_input.clear();
    setErrorText(message);
    setState(QStringLiteral("failed"));
    Q_EMIT failed(message);
}

void TerminalSession::onConnected()
{
    if (m_started) // a reconnect: the shell of the lost connection is gone
        return fail(tr("Connection lost"));
    const int cols = m_terminal ? m_terminal->cols() : 80;
    const int rows = m_terminal ? m_terminal->rows() : 24;
    m_sentSize = QSize(cols, rows);
    Q_EMIT sentSizeChanged();
    m_started = true;
    m_client->emitEvent(
        QStringLiteral("start"),
        QJsonArray {QJsonObject {{QStringLiteral("node"), m_node}, {QStringLiteral("cols"), cols},
            {QStringLiteral("rows"), rows}}},
        {}, this,
        [this](const AckResult &result) {
            if (m_state != QLatin1String("connecting"))
                return;
            if (!result.ok())
                return fail(tr("The terminal did not start: %1").arg(result.errorString()));
            const QJsonObject answer = result.args.at(0).toObject();
            if (!answer.value(QStringLiteral("ok")).toBool()) {
                QString error = answer.value(QStringLiteral("error")).toString();
                if (error.isEmpty())
                    error = m_errorText.isEmpty() ? tr("refused") : m_errorText;
                return fail(error);
            }
            setState(QStringLiteral("open"));
            Q_EMIT opened();
            if (m_terminal)
                onTerminalResized(m_terminal->cols(), m_terminal->rows());
        },
        30000);
    pumpInput(); // what was typed while connecting (the server keeps it until `ready`)
}

void TerminalSession::onEvent(const QString &event, const QJsonArray &args)
{
    if (event == QLatin1String("data")) {
        const QJsonValue v = args.at(0);
        if (v.isString() && m_terminal)
            m_terminal->write(v.toString().toUtf8());
    } else if (event == QLatin1String("ready")) {
        const QJsonObject ready = args.at(0).toObject();
        m_host = ready.value(QStringLiteral("host")).toString();
        const QString node = ready.value(QStringLiteral("node")).toString();
        if (!node.isEmpty())
            m_node = node;
        Q_EMIT stateChanged();
    } else if (event == QLatin1String("exit")) {
        const QJsonValue code = args.at(0).toObject().value(QStringLiteral("code"));
        m_exitCode = code.isDouble() ? code.toInt() : -1;
        dropClient();
        m_input.clear();
        setState(QStringLiteral("exited"));
        Q_EMIT exited(m_exitCode);
    } else if (event == QLatin1String("error")) {
        const QJsonValue v = args.at(0);
        const QString message = v.isString() ? v.toString() : tr("unknown error");
        if (m_state == QLatin1String("open") && isInputError(message)) {
            setErrorText(message);
            Q_EMIT warning(message);
        } else if (m_state == QLatin1String("open")) {
            fail(message); // SSH problems end the session; no `exit` follows
        } else {
            setErrorText(message); // the start's ack says the rest
        }
    }
}

void TerminalSession::onTerminalResized(int, int)
{
    m_resizeTimer.start(); // restarts: the last size within a frame wins
}

void TerminalSession::flushResize()
{
    if (!m_terminal || !m_client || !m_started)
        return;
    const QSize size(m_terminal->cols(), m_terminal->rows());
    if (size == m_sentSize)
        return;
    m_sentSize = size;
    Q_EMIT sentSizeChanged();
    m_client->emitEvent(QStringLiteral("resize"),
        QJsonArray {QJsonObject {
            {QStringLiteral("cols"), size.width()}, {QStringLiteral("rows"), size.height()}}});
}

void TerminalSession::sendInput(const QByteArray &bytes)
{
    if (bytes.isEmpty())
        return;
    if (m_state != QLatin1String("connecting") && m_state != QLatin1String("open"))
        return; // nobody to send it to
    const qint64 limit = m_state == QLatin1String("open") ? MaxQueuedInput : MaxInputBeforeOpen;
    if (m_input.size() + bytes.size() > limit) {
        const QString message =
            tr("Input of %1 bytes refused: at most %2 bytes may wait to be sent")
                .arg(bytes.size())
                .arg(limit);
        setErrorText(message);
        Q_EMIT inputRefused(message);
        return;
    }
    m_input.append(bytes);
    if (m_resizeTimer.isActive()) {
        // The size first: a key typed right after a resize is meant for the new size.
        m_resizeTimer.stop();
        flushResize();
    }
    pumpInput();
}

void TerminalSession::pumpInput()
{
    if (!m_client || !m_started) {
        m_inputTimer.stop();
        return;
    }
    while (!m_input.isEmpty() && m_burstLeft > 0) {
        const qsizetype n = utf8Prefix(m_input, std::min<qsizetype>(MaxInputMessage, m_burstLeft));
        m_client->emitEvent(QStringLiteral("data"),
            QJsonArray {jarvis::utf8ToString(QByteArrayView(m_input).first(n))});
        m_input.remove(0, n);
        m_burstLeft -= int(n);
    }
    if (m_input.isEmpty()) {
        // Idle: the burst refills once a frame has passed without more to send.
        m_inputTimer.stop();
        QTimer::singleShot(FrameMs, this, [this] {
            if (m_input.isEmpty())
                m_burstLeft = InputBurst;
        });
    } else if (!m_inputTimer.isActive()) {
        m_inputTimer.start();
    }
}

} // namespace jarvis::console
