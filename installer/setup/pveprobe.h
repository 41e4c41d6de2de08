#pragma once

#include <QSslCertificate>
#include <QString>
#include <QUrl>

#include <functional>

namespace jarvis::setup {

// How jarvis-setup trusts a Proxmox node's certificate: exactly one of these, like jarvisd.
struct PveTls
{
    QString fingerprint; // "AB:CD:..." (SHA-256): the certificate must be exactly this one
    QList<QSslCertificate> caCertificates; // or: the chain must lead to one of these
};

// The certificate a TLS server presents, read in a handshake that verifies nothing and sends
// nothing (the socket is aborted right after it): for showing and comparing fingerprints only.
struct PresentedCertificate
{
    QSslCertificate certificate;
    QString fingerprint; // "AB:CD:..." (upper-case, colon-separated SHA-256)
    QString error; // why there is none: "connection refused", "timed out", ...
};
PresentedCertificate fetchCertificate(const QUrl &url, int timeoutMs);

// "AB:CD:..." from any way of writing a SHA-256 fingerprint (case, ':' or no separator);
// empty when it is not 32 bytes of hex.
QString normaliseFingerprint(const QString &text);
QString fingerprintOf(const QSslCertificate &certificate);

// The connectivity test of one node: /version and /cluster/resources with the API token, over
// TLS trusted as `tls` says.
struct PveReport
{
    bool ok = false;
    QString version; // "8.2.4" when /version answered
    int nodes = 0;
    int guests = 0;
    int storages = 0;
    QString problem; // when !ok: what went wrong, in words, with what to do
    QString summary() const; // one line, in words
};
PveReport testConnectivity(const QUrl &apiUrl, const QString &tokenId, const QString &tokenSecret,
    const PveTls &tls, int timeoutMs);

// The least-privilege role and the token for Jarvis, as `pveum` commands (one per line) for the
// token ID USER@REALM!NAME.
QString pveumCommands(const QString &tokenId);

} // namespace jarvis::setup
