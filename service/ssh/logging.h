#pragma once

#include <QLoggingCategory>

// "jarvis.ssh": connections, channels and the pool.
Q_DECLARE_LOGGING_CATEGORY(lcSsh)
