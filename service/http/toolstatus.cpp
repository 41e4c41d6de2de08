#include "http/toolstatus.h"

namespace jarvis::http {

int toolStatus(tools::ErrorKind kind)
{
    using tools::ErrorKind;
    switch (kind) {
    case ErrorKind::None:
        return 200;
    case ErrorKind::InvalidRequest:
        return 400;
    case ErrorKind::Blocked:
        return 403;
    case ErrorKind::UnknownTool:
        return 404;
    case ErrorKind::Upstream:
        return 502;
    }
    return 500; // not reached: every kind is listed above (-Wswitch)
}

} // namespace jarvis::http
