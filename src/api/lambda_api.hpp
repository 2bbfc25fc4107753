// AWS Lambda's API for Plumbline's functions (functions/): REST-JSON under
// /2015-03-31/functions, every call signed with SigV4 (service "lambda").
//
// Operations (shapes as Lambda's):
//  * CreateFunction      POST   /2015-03-31/functions                  -> 201 FunctionConfiguration
//  * ListFunctions       GET    /2015-03-31/functions/                 -> {"Functions": [...]}
//  * GetFunction         GET    /2015-03-31/functions/NAME             -> {"Configuration", "Code"}
//  * GetFunctionConfiguration GET /2015-03-31/functions/NAME/configuration
//  * UpdateFunctionCode  PUT    /2015-03-31/functions/NAME/code        -> FunctionConfiguration
//  * UpdateFunctionConfiguration PUT /2015-03-31/functions/NAME/configuration
//    {Handler?, Timeout?, MemorySize?, Environment?, Description?, Role?} ->
//    FunctionConfiguration; the next invocation runs with the new settings
//  * DeleteFunction      DELETE /2015-03-31/functions/NAME             -> 204
//  * Invoke              POST   /2015-03-31/functions/NAME/invocations -> the function's answer;
//    an error answer carries X-Amz-Function-Error: Unhandled, as Lambda's; LogType: Tail
//    adds the log's last 4 KiB (base64) as X-Amz-Log-Result; InvocationType DryRun -> 204.
// NAME is a function name or ARN (percent-encoded in the path), with an
// optional :QUALIFIER. Code is a zip archive (Code.ZipFile, base64, what
// `aws lambda create-function --zip-file fileb://...` sends); Runtime
// python3.x runs Handler module.function in warm workers, provided* /
// executable runs the program Handler names, http sends the event to the
// URL Handler names.
// Access: the root key and admins only (AccessDeniedException otherwise);
// a narrowed session (a hook run's credentials) only what its policy allows.
// Errors: ResourceNotFoundException (404), ResourceConflictException (409),
// InvalidParameterValueException (400), AccessDeniedException (403),
// UnsupportedMediaTypeException, ServiceException, the SigV4 ones (403).
// Calls run on the API's own threads (an invocation may take the function's
// whole timeout), never on the server's I/O threads.
#pragma once

#include <chrono>
#include <memory>

#include "http/http.hpp"

namespace plumbline::identity {
class Identity;
}
namespace plumbline::functions {
class Registry;
}

namespace plumbline::api {

struct LambdaApiOptions {
  std::chrono::seconds allowed_skew{300};
  int threads = 4;  // calls served at once (invocations block their thread)
};

class LambdaApi {
 public:
  // Borrows both; they must outlive the LambdaApi.
  LambdaApi(functions::Registry& registry, identity::Identity& identity,
            LambdaApiOptions options = {});
  ~LambdaApi();
  // For requests signed for "lambda": answers through `respond` from one of
  // the API's threads.
  void Handle(http::Request& request, http::Respond respond);
  // The same, blocking (tests).
  http::Response HandleNow(const http::Request& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace plumbline::api
