// Routing by the service of the SigV4 credential scope (api/aws_endpoint).
#include "api/aws_endpoint.hpp"

#include <gtest/gtest.h>

namespace plumbline::api {
namespace {

http::Request Make(std::string method, std::string target, std::vector<http::Header> headers = {}) {
  http::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  size_t q = r.target.find('?');
  r.path = r.target.substr(0, q);
  r.query = q == std::string::npos ? "" : r.target.substr(q + 1);
  r.headers = std::move(headers);
  return r;
}

http::Header Auth(const std::string& credential) {
  return {"Authorization", "AWS4-HMAC-SHA256 Credential=" + credential +
                               ", SignedHeaders=host;x-amz-date, Signature=abc"};
}

TEST(SignedServiceTest, ReadsTheScopeOfTheAuthorizationHeader) {
  EXPECT_EQ(SignedService(Make("POST", "/", {Auth("AKID/20261205/us-east-1/kms/aws4_request")})),
            "kms");
  EXPECT_EQ(SignedService(Make("PUT", "/b/k", {Auth("AKID/20261205/eu-west-1/s3/aws4_request")})),
            "s3");
  // Header names are case-insensitive, and the part order is free.
  EXPECT_EQ(SignedService(Make("POST", "/", {{"authorization",
                                              "AWS4-HMAC-SHA256 SignedHeaders=host, "
                                              "Credential=K/20261205/us-east-1/sts/aws4_request, "
                                              "Signature=00"}})),
            "sts");
}

TEST(SignedServiceTest, ReadsTheScopeOfAPresignedUrl) {
  EXPECT_EQ(SignedService(Make("GET",
                               "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                               "AKID%2F20261205%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=x")),
            "s3");
}

TEST(SignedServiceTest, EmptyWhenUnsignedOrMalformed) {
  EXPECT_EQ(SignedService(Make("GET", "/worker/")), "");
  EXPECT_EQ(SignedService(Make("GET", "/", {{"Authorization", "AWS AKID:signature"}})), "");
  EXPECT_EQ(SignedService(Make("POST", "/", {Auth("AKID/20261205/us-east-1/kms")})), "");
  EXPECT_EQ(SignedService(Make("POST", "/", {Auth("AKID/20261205/us-east-1//aws4_request")})), "");
  EXPECT_EQ(SignedService(Make("POST", "/", {Auth("AKID/20261205/us-east-1/kms/aws4")})), "");
  EXPECT_EQ(SignedService(Make("GET", "/k?X-Amz-Credential=AKID%2Fx")), "");
}

class AwsEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/healthz", [](const http::Request&) { return http::Response::Text(200, "router"); });
    endpoint_.AddService("kms", http::Answering([](const http::Request&) {
      return http::Response::Text(200, "kms");
    }));
    endpoint_.AddService("sagemaker", http::Answering([](const http::Request&) {
      return http::Response::Text(200, "sagemaker");
    }));
  }
  http::Response Send(http::Request r) {
    http::Response out;
    endpoint_.Dispatch(r, [&](std::function<http::Response()> make) { out = make(); });
    return out;
  }
  http::Router router_;
  AwsEndpoint endpoint_{router_};
};

TEST_F(AwsEndpointTest, SignedRequestsGoToTheirService) {
  EXPECT_EQ(Send(Make("POST", "/", {Auth("A/20261205/us-east-1/kms/aws4_request")})).body, "kms");
  EXPECT_EQ(Send(Make("POST", "/", {Auth("A/20261205/us-east-1/sagemaker/aws4_request")})).body,
            "sagemaker");
  // Even on a path the router also knows: the scope decides.
  EXPECT_EQ(Send(Make("GET", "/healthz", {Auth("A/20261205/us-east-1/kms/aws4_request")})).body,
            "kms");
}

TEST_F(AwsEndpointTest, UnsignedRequestsGoToTheRouter) {
  http::Response r = Send(Make("GET", "/healthz"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "router");
  EXPECT_EQ(Send(Make("GET", "/nowhere")).status, 404);
}

TEST_F(AwsEndpointTest, AServiceNotServedIsNamedInTheError) {
  http::Response r = Send(Make("POST", "/", {Auth("A/20261205/us-east-1/dynamodb/aws4_request")}));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("UnknownOperationException"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("'dynamodb'"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("kms, sagemaker"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace plumbline::api
