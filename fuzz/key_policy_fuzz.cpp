// Fuzz entry point: key policy documents (kms::ParseKeyPolicy), then the
// evaluation of what it accepts for a few principals and actions, and the
// AWS form GetKeyPolicy shows (which must parse again).
// Links plumbline_kms.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/wildcard.hpp"
#include "kms/policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plumbline::kms;
  const std::string account = "123456789012";
  const std::string root = "arn:aws:iam::123456789012:root";
  std::string_view doc(reinterpret_cast<const char*>(data), size);
  auto policy = ParseKeyPolicy(doc, account);
  if (!policy) {
    if (policy.error().code != plumbline::ErrorCode::kInvalidArgument) __builtin_trap();
    return 0;
  }
  const std::vector<std::vector<std::string>> callers = {
      {root},
      {"arn:aws:iam::123456789012:user/alice"},
      {"arn:aws:sts::123456789012:assumed-role/r/s", "arn:aws:iam::123456789012:user/bob"}};
  for (const auto& who : callers)
    for (std::string_view action : {"kms:Decrypt", "kms:PutKeyPolicy", "kms:GenerateDataKeyPair"})
      (void)Evaluate(*policy, who, action, root);
  for (const auto& s : policy->statements)
    for (const auto& a : s.actions) (void)plumbline::WildcardMatch(a, doc.substr(0, 64), /*fold_case=*/true);
  // The shown form of an accepted document is itself accepted. (Only for
  // small inputs: a legacy document's usernames grow into ARNs, so a large
  // one's AWS form can pass the 32768-character limit.)
  if (doc.size() < 2048 && !ParseKeyPolicy(AwsFormOf(std::string(doc), account), account))
    __builtin_trap();
  return 0;
}
