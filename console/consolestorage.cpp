#include "consolestorage.h"

#include <QStandardPaths>

namespace jarvis::console::storage {

QUrl normaliseServer(const QString &text)
{
    QString t = text.trimmed();
    if (t.isEmpty())
        return {};
    if (!t.contains(QLatin1String("://")))
        t.prepend(QLatin1String("http://"));
    const QUrl url(t, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || url.host().isEmpty()
        || (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
        || !url.userInfo().isEmpty() || url.hasQuery() || url.hasFragment()
        || (!url.path().isEmpty() && url.path() != QLatin1String("/")))
        return {};
    QUrl base;
    base.setScheme(scheme);
    base.setHost(url.host());
    base.setPort(url.port());
    return base;
}

QString tokenKey(const QUrl &server)
{
    return QStringLiteral("token:") + server.toString();
}

QString pinFile()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QLatin1Char('/')
        + QLatin1String(Organization) + QLatin1Char('/') + QLatin1String(Application)
        + QStringLiteral("/tls-pins");
}

} // namespace jarvis::console::storage
