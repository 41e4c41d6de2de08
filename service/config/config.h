#pragma once

#include "auth/apikey.h"

#include <QByteArray>
#include <QList>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QUrl>

// jarvisd configuration: the INI file of PROTOCOL.md section 7, environment overrides, and the
// validation behind `--check-config`. Pure data plus a loader; no I/O besides reading the file
// and checking that referenced files exist. The file is read by a strict INI reader of our own
// (not QSettings, which splits values at commas and decodes keys); relative paths in it are
// resolved against the file's directory.
namespace jarvis::config {

struct NodeConfig
{
    QString name; // from the group name [node.NAME]
    QString host; // required
    QUrl apiUrl; // default https://<host>:8006
    int sshPort = 22;
    QString tlsFingerprint; // empty = use [proxmox] tlsFingerprint; upper-case AB:CD:...
};

struct Config
{
    // [server]
    QString listen = QStringLiteral("127.0.0.1");
    int port = 8080; // default 8443 when TLS is configured, else 8080
    QString tlsCert;
    QString tlsKey;
    QStringList allowedOrigins; // net::normaliseOrigin: "scheme://host[:port]", no default port
    qint64 maxPayload = 1000000; // Engine.IO maxPayload (bytes)
    qint64 maxBodySize = 1048576; // REST request bodies (bytes)
    int pingInterval = 25000; // ms
    int pingTimeout = 20000; // ms
    int connectTimeout = 45000;
    bool perMessageDeflate = true; // WebSocket compression when the client offers it // ms:
                                   // Socket.IO CONNECT must arrive within this

    // [auth]
    QString username = QStringLiteral("admin");
    QString passwordHash; // pbkdf2-sha256$...; empty when adminPassword is set
    QString adminPassword; // from JARVIS_ADMIN_PASSWORD only (never from the file)
    QByteArray jwtSecret; // UTF-8 bytes as written
    qint64 tokenLifetime = 86400; // seconds

    // [proxmox]
    QString tokenId;
    QString tokenSecret;
    QString tlsFingerprint; // upper-case AB:CD:... or empty
    QString caFile;
    bool insecure = false;

    // [intervals] (seconds)
    int intervalNodes = 10;
    int intervalVms = 15;
    int intervalStorage = 30;
    int intervalTemperature = 30;
    int intervalQuorum = 30; // /cluster/status, checked on `nodes` ticks
    int intervalNodeStatus = 60; // nodes/{node}/status (loadavg), checked on `nodes` ticks

    // [safety]
    QStringList protectedNodes;
    QList<int> protectedVmids;

    // [ssh]
    bool sshConfigured = false; // true when the [ssh] group exists
    QString sshUser = QStringLiteral("root");
    QString sshKeyFile;
    QString sshKnownHostsFile;
    bool strictHostKeys = true;

    // [temperature]
    QString temperatureCommand;

    // [history]
    // On in every configuration the loader makes (the file's default, and the demo's) unless
    // [history] enabled=false; off in a Config built in code (tests opt in), since it keeps
    // polling without clients.
    bool historyEnabled = false;
    QString historyFile; // default: history.bin beside the audit log; empty = not kept
    int historySaveInterval = 300; // seconds between writes of the file
    bool historyBackfill = true; // from Proxmox rrddata at start

    // [audit]
    QString auditFile; // default $STATE_DIRECTORY or /var/lib/jarvis, + /audit.jsonl;
                       // empty in demo (the caller decides)

    // [metrics]
    QList<auth::ApiKey> metricsTokens; // GET /metrics bearer keys (hashes); none: loopback only
    // [mcp] (PROTOCOL.md section 8)
    bool mcpEnabled = true; // POST/GET/DELETE /mcp, and jarvisd --mcp-stdio
    QList<auth::ApiKey> mcpApiKeys; // NAME:sha256:<hex>; JARVIS_MCP_API_KEYS adds to them
    int mcpMaxSessions = 64;
    int mcpSessionIdleTimeout = 1800; // seconds

    QList<NodeConfig> nodes;

    bool demo = false;
    QString webRoot; // jarvisd --web-root DIR (not in the file); empty = the embedded :/web
    QString sourceFile; // the file it was read from (empty in demo without a file)

    bool tlsEnabled() const { return !tlsCert.isEmpty() && !tlsKey.isEmpty(); }
};

// One problem found while loading: printed by --check-config as "<file>: <key>: <message>".
struct Problem
{
    QString file;
    QString key; // "server/port", "node.pve1/host", or "" for the file as a whole
    QString message;
    QString toString() const;
};

struct LoadResult
{
    Config config;
    QList<Problem> problems;
    bool ok() const { return problems.isEmpty(); }
};

// Reads `path` (INI), then applies the environment overrides JARVIS_PORT, JARVIS_LISTEN,
// JARVIS_ADMIN_PASSWORD, JARVIS_JWT_SECRET, JARVIS_PVE_TOKEN_SECRET, and validates everything:
// unknown groups/keys, wrong types, out-of-range values, missing required keys ([proxmox],
// at least one [node.NAME] with host, a password hash or JARVIS_ADMIN_PASSWORD, a jwtSecret of
// at least 43 characters), malformed fingerprints/origins/URLs, missing files (TLS cert/key,
// caFile, ssh keyFile). A missing or unreadable file is one problem with key "".
LoadResult load(const QString &path, const QProcessEnvironment &env);
// What load() does with the bytes it read from `path` (UTF-8 check, INI parse, validation): the
// file system is only asked whether the files the text names exist.
LoadResult loadText(const QByteArray &bytes, const QString &path, const QProcessEnvironment &env);

// Demo configuration (no file): loopback listen on 8080, env overrides applied the same way;
// the caller fills in the simulated cluster and generates secrets that the env does not set.
LoadResult demo(const QProcessEnvironment &env);

} // namespace jarvis::config
