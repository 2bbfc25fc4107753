// The SageMaker API's request validation: an awsJson body checked against the
// shape of one operation (the model's types, lengths, patterns with the
// regex engine, Ground Truth's rules). The first byte picks the operation.
#include <boost/json.hpp>
#include <cstdint>
#include <string_view>

#include "api/validation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static constexpr std::string_view kOperations[] = {
      "CreateLabelingJob", "DescribeLabelingJob", "ListLabelingJobs", "StopLabelingJob",
      "CreateWorkteam", "DescribeWorkteam", "ListWorkteams", "UpdateWorkteam",
      "DeleteWorkteam", "ListLabelingJobsForWorkteam", "CreateWorkforce", "DescribeWorkforce"};
  if (size == 0) return 0;
  std::string_view op = kOperations[data[0] % std::size(kOperations)];
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec) return 0;
  (void)plumbline::api::ValidateRequest(op, v);
  return 0;
}
