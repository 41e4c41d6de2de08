#pragma once

#include "terminalitem.h" // Q_PROPERTY and QPointer need the whole type

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QSize>
#include <QString>
#include <QTimer>
#include <QUrl>

#ifndef QT_NO_SSL
#include <QSslConfiguration>
#endif

#include <functional>
#include <optional>

namespace jarvis::client {
class SocketIoClient;
}

namespace jarvis::console {

// One shell on a node through the server's /terminal namespace (docs/PROTOCOL.md section 3):
// `start {node, cols, rows}` with its ack, `data` both ways, `resize` when the TerminalItem's
// size in cells changes (coalesced: the last size of a frame is sent, once), `exit`, `error`.
// Input goes out in messages of at most MaxInputMessage bytes of UTF-8 (never splitting a
// character); a large paste is paced (InputBurst at once, then one message per frame) so the
// server's 1 MiB limit of input the shell has not taken is not reached by a reading shell, and
// at most MaxQueuedInput bytes wait here (a larger paste is refused with inputRefused, nothing
// sent). Output is written to the item as it arrives; the server pauses the shell while more
// than 1 MiB waits for this client, so the client needs nothing more than to keep reading.
// state: "idle" -> "connecting" -> "open" -> "exited" | "failed"; open() again starts over.
class TerminalSession : public QObject
{
    Q_OBJECT
    Q_PROPERTY(jarvis::console::TerminalItem *terminal READ terminal WRITE setTerminal NOTIFY
            terminalChanged)
    Q_PROPERTY(QString state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString errorText READ errorText NOTIFY errorTextChanged)
    Q_PROPERTY(int exitCode READ exitCode NOTIFY exited)
    Q_PROPERTY(QString node READ node NOTIFY stateChanged)
    Q_PROPERTY(QString host READ host NOTIFY stateChanged)
    // The size (cols x rows) the server was last told, by `start` or `resize`.
    Q_PROPERTY(QSize sentSize READ sentSize NOTIFY sentSizeChanged)

public:
    static constexpr int MaxInputMessage = 16 * 1024; // the server takes up to 64 KiB
    static constexpr int InputBurst = 64 * 1024; // sent at once, then one message per frame
    static constexpr int MaxQueuedInput = 8 * 1024 * 1024;
    static constexpr int MaxInputBeforeOpen = 64 * 1024; // what the server keeps before `ready`
    static constexpr int FrameMs = 16;

    explicit TerminalSession(QObject *parent = nullptr);
    ~TerminalSession() override;

    TerminalItem *terminal() const { return m_terminal; }
    void setTerminal(TerminalItem *terminal);

    QString state() const { return m_state; }
    QString errorText() const { return m_errorText; }
    int exitCode() const { return m_exitCode; }
    QString node() const { return m_node; }
    QString host() const { return m_host; }
    QSize sentSize() const { return m_sentSize; }

#ifndef QT_NO_SSL
    void setSslConfiguration(const QSslConfiguration &configuration);
#endif
    // Called with every new SocketIoClient before it connects (e.g. the TLS pin's hook).
    void setClientSetup(std::function<void(client::SocketIoClient *)> setup);

    // Opens a shell on `node` at `server` (http(s)://host:port) with the login's token; a
    // session already open is closed first.
    Q_INVOKABLE void open(const QUrl &server, const QString &token, const QString &node);
    // Closes the shell (the socket leaves /terminal); state becomes "idle" unless it ended.
    Q_INVOKABLE void close();

    // Bytes for the shell (the TerminalItem's input is connected here).
    Q_INVOKABLE void sendInput(const QByteArray &bytes);
    // Input accepted but not sent yet.
    qint64 queuedInput() const
    {
        return m_input.size();
    }

Q_SIGNALS:
    void terminalChanged();
    void sentSizeChanged();
    void stateChanged();
    void errorTextChanged();
    void opened();
    void exited(int code);
    void failed(const QString &message);
    // The server refused some input or a size (the session goes on): its message.
    void warning(const QString &message);
    // A paste too large to queue, refused whole.
    void inputRefused(const QString &message);

private:
    void setState(const QString &state);
    void setErrorText(const QString &text);
    void fail(const QString &message);
    void onConnected();
    void onEvent(const QString &event, const QJsonArray &args);
    void onTerminalResized(int cols, int rows);
    void flushResize();
    void pumpInput();
    void dropClient();

    QPointer<TerminalItem> m_terminal;
    client::SocketIoClient *m_client = nullptr; // child; replaced at every open()
    QString m_state = QStringLiteral("idle");
    QString m_errorText;
    int m_exitCode = -1;
    QString m_node;
    QString m_host;
    bool m_started = false; // `start` emitted on the current connection
    QByteArray m_input; // not sent yet
    int m_burstLeft = InputBurst;
    QTimer m_inputTimer; // paces a long paste, one message per frame
    QTimer m_resizeTimer; // coalesces resizes to one per frame
    QSize m_sentSize; // cols x rows the server has
    std::function<void(client::SocketIoClient *)> m_clientSetup;
#ifndef QT_NO_SSL
    std::optional<QSslConfiguration> m_ssl;
#endif
};

} // namespace jarvis::console
