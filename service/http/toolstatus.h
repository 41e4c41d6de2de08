#pragma once

#include "tools/tool.h"

// The one place a tool's error kind becomes an HTTP status (PROTOCOL.md section 4,
// POST /api/tools/execute): tools/ knows nothing of HTTP.
namespace jarvis::http {

// None 200, InvalidRequest 400, Blocked 403, UnknownTool 404, Upstream 502.
int toolStatus(tools::ErrorKind kind);

} // namespace jarvis::http
