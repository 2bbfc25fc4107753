// Lambda's Invoke API as a client: POST the event to an HTTP endpoint.
// Private to functions/.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "common/result.hpp"

namespace plumbline::functions::detail {

struct HttpAnswer {
  int status = 0;
  std::string function_error;  // the X-Amz-Function-Error header ("" when absent)
  std::string body;
};

// `url`: http://HOST[:PORT][/PATH]; a URL without a path gets Lambda's
// invocation path for the emulator's function name
// (/2015-03-31/functions/function/invocations). kInvalidArgument for a URL
// that is not http://, kUnavailable when the endpoint cannot be reached or
// does not answer within `timeout` (the message says "timed out").
Result<HttpAnswer> HttpInvoke(const std::string& url, const std::string& event,
                              const std::string& request_id,
                              const std::map<std::string, std::string>& env,
                              std::chrono::milliseconds timeout);

// The parts of an http:// URL; kInvalidArgument naming what is wrong.
struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string path;
};
Result<HttpUrl> ParseHttpUrl(const std::string& url);

}  // namespace plumbline::functions::detail
