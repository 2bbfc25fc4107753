#include "api/aws_json.hpp"

#include <boost/json.hpp>

#include "common/ids.hpp"
#include "common/json.hpp"

namespace plumbline::api {

http::Response AwsJsonResponse(int status, const boost::json::value& body) {
  http::Response r = http::Response::Text(status, json::Serialize(body), "application/x-amz-json-1.1");
  r.Set("x-amzn-RequestId", RandomUuid());
  return r;
}

http::Response AwsErrorResponse(const AwsError& e) {
  boost::json::object body;
  body["__type"] = e.code;
  body["message"] = e.message;
  http::Response r = AwsJsonResponse(e.status, body);
  r.Set("x-amzn-ErrorType", e.code);
  return r;
}

AwsError FromAuthError(const crypto::AuthError& e) {
  if (e.code == "ServiceUnavailable") return {503, e.code, e.message};
  return {403, e.code, e.message};
}

}  // namespace plumbline::api
