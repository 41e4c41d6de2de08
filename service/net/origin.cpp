#include "net/origin.h"

#include <QUrl>

namespace jarvis::net {

std::optional<QString> normaliseOrigin(const QString &text)
{
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    const bool http = scheme == QLatin1String("http");
    const bool https = scheme == QLatin1String("https");
    if (!url.isValid() || !(http || https) || url.host().isEmpty() || !url.userInfo().isEmpty()
        || url.hasQuery() || url.hasFragment()
        || !(url.path().isEmpty() || url.path() == QLatin1String("/")))
        return std::nullopt;
    QString host = url.host().toLower();
    if (host.contains(QLatin1Char(':')))
        host = QLatin1Char('[') + host + QLatin1Char(']');
    QString origin = scheme + QLatin1String("://") + host;
    const int port = url.port();
    if (port != -1 && !(http && port == 80) && !(https && port == 443))
        origin += QLatin1Char(':') + QString::number(port);
    return origin;
}

} // namespace jarvis::net
