#include "login.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <cmath>

namespace jarvis::console {

QNetworkReply *postLogin(QNetworkAccessManager *nam, const QUrl &server, const QString &password,
    const QString &user, int timeoutMs)
{
    QUrl url = server;
    url.setPath(QStringLiteral("/api/auth/login"));
    QNetworkRequest req(url);
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    req.setTransferTimeout(timeoutMs);
    QJsonObject body {{QStringLiteral("password"), password}};
    if (!user.isEmpty())
        body.insert(QStringLiteral("username"), user);
    return nam->post(req, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

LoginAnswer readLoginAnswer(QNetworkReply *reply)
{
    LoginAnswer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QJsonDocument doc = QJsonDocument::fromJson(reply->readAll());
    const QJsonObject body = doc.isObject() ? doc.object() : QJsonObject();
    const QJsonValue token = body.value(QLatin1String("token"));
    if (a.status == 200 && token.isString() && !token.toString().isEmpty()) {
        a.token = token.toString();
    } else if (a.status == 401) {
        a.failure = QStringLiteral("wrong user name or password");
    } else if (a.status == 429) {
        // From the server: bounded before it becomes an int.
        const int after = int(
            std::ceil(qBound(1.0, body.value(QLatin1String("retryAfter")).toDouble(60), 86400.0)));
        a.failure = QStringLiteral("too many attempts, try again in %1 s").arg(after);
    } else if (a.status == 0) {
        a.failure = QStringLiteral("cannot connect: %1").arg(reply->errorString());
    } else {
        a.failure = QStringLiteral("HTTP %1 %2")
                        .arg(a.status)
                        .arg(body.value(QLatin1String("error")).toString())
                        .trimmed();
    }
    return a;
}

} // namespace jarvis::console
