// The server's log lines (spdlog, stderr): key=value text, or one JSON object
// per line (`plumbline serve --log-format json`), and the request ids of the
// access log.
//
// Messages are written as key=value pairs ("msg=request method=GET
// status=200"; a value with spaces is double-quoted, its quotes and
// backslashes escaped with a backslash). The text format prints them as
// they are after `time=` and `level=`; the JSON format turns the pairs into
// members of one object
// ({"time":...,"level":...,"msg":"request","method":"GET","status":200}):
// values made of digits only become numbers, the rest strings. A message that
// is not made of pairs entirely becomes {"msg": the whole message}.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class formatter;
}

namespace plumbline::cli {

enum class LogFormat { kText, kJson };

// The JSON object (without time and level, and without the braces) for one
// message: `"msg":"request","status":200`.
std::string MessageAsJsonMembers(std::string_view message);

// The formatter of one line in `format`, with UTC timestamps.
std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format);

// Installs the `plumbline` logger on stderr as the default, in `format`.
void SetUpLogging(LogFormat format);

// A request's id: the caller's X-Request-Id when it is 1-64 characters of
// letters, digits, '-', '_', '.', ':' (so a proxy's id follows the request),
// else a new one (NewRequestId).
std::string RequestIdFor(const std::string* given);
// A new request id: 16 lowercase hex digits, unique within the process,
// made without a system call.
std::string NewRequestId();

}  // namespace plumbline::cli
