// The one table of Ground Truth's built-in task types (spec §3.1, §3.2) and
// the hook ARNs that name them. To run a new type: add its file, declare its
// function in detail/builtin_types.hpp and point its row at it.
#include <algorithm>
#include <array>

#include "tasktypes/detail/builtin_types.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::tasktypes {

namespace {

// clang-format off
// name, output type, "-ref" label attribute, labels min / max (0: unlimited),
// hosted UI, frame or cloud, implementation.
constexpr BuiltinTaskType kBuiltins[] = {
    {"BoundingBox",                  "groundtruth/object-detection",            false, 1, 50, false, false, &detail::BoundingBoxType},
    {"ImageMultiClass",              "groundtruth/image-classification",        false, 2, 0,  false, false, &detail::ImageMultiClassType},
    {"ImageMultiClassMultiLabel",    "groundtruth/image-classification-multilabel", false, 2, 50, false, false, &detail::ImageMultiClassMultiLabelType},
    {"SemanticSegmentation",         "groundtruth/semantic-segmentation",       true,  1, 0,  false, false, &detail::SemanticSegmentationType},
    {"TextMultiClass",               "groundtruth/text-classification",         false, 2, 0,  false, false, &detail::TextMultiClassType},
    {"TextMultiClassMultiLabel",     "groundtruth/text-classification-multilabel", false, 2, 50, false, false, &detail::TextMultiClassMultiLabelType},
    {"NamedEntityRecognition",       "groundtruth/text-span",                   false, 1, 0,  true,  false, &detail::NamedEntityRecognitionType},
    {"VideoMultiClass",              "groundtruth/video-classification",        false, 2, 30, false, false, nullptr},
    {"VideoObjectDetection",         "groundtruth/video-object-detection",      true,  1, 30, true,  true,  nullptr},
    {"VideoObjectTracking",          "groundtruth/video-object-tracking",       true,  1, 30, true,  true,  nullptr},
    {"3DPointCloudObjectDetection",  "groundtruth/point_cloud_object_detection", false, 1, 30, true,  true,  nullptr},
    {"3DPointCloudObjectTracking",   "groundtruth/point_cloud_object_tracking", true,  1, 30, true,  true,  nullptr},
    {"3DPointCloudSemanticSegmentation", "groundtruth/point_cloud_single_frame_semantic_segmentation", true, 1, 30, true, true, nullptr},
    {"VerificationBoundingBox",      "groundtruth/label-verification",          false, 1, 0,  false, false, &detail::VerificationBoundingBoxType},
    {"AdjustmentBoundingBox",        "groundtruth/object-detection",            false, 1, 50, false, false, &detail::AdjustmentBoundingBoxType},
    {"VerificationSemanticSegmentation", "groundtruth/label-verification",      true,  1, 0,  false, false, &detail::VerificationSemanticSegmentationType},
    {"AdjustmentSemanticSegmentation", "groundtruth/semantic-segmentation",     true,  1, 0,  false, false, &detail::AdjustmentSemanticSegmentationType},
    {"AdjustmentVideoObjectDetection", "groundtruth/video-object-detection",    true,  1, 30, true,  true,  nullptr},
    {"AdjustmentVideoObjectTracking", "groundtruth/video-object-tracking",      true,  1, 30, true,  true,  nullptr},
    {"Adjustment3DPointCloudObjectDetection", "groundtruth/point_cloud_object_detection", false, 1, 30, true, true, nullptr},
    {"Adjustment3DPointCloudObjectTracking", "groundtruth/point_cloud_object_tracking", true, 1, 30, true, true, nullptr},
    {"Adjustment3DPointCloudSemanticSegmentation", "groundtruth/point_cloud_single_frame_semantic_segmentation", true, 1, 30, true, true, nullptr},
    // Newer models only; not in §3.2: no output of its own.
    {"PassThrough",                  "groundtruth/custom",                      false, 1, 0,  false, false, nullptr},
    // Plumbline's own, not Ground Truth's: the drawn shapes of custom
    // templates (crowd-polygon, crowd-line, crowd-polyline, crowd-keypoint)
    // consolidated by PRE-/ACS-PlumblineShapes. Output type: a custom job's.
    {"PlumblineShapes",              "groundtruth/custom",                      false, 1, 0,  false, false, &detail::PlumblineShapesType},
};

// Ground Truth's account per region (spec §3.1), the same for PRE and ACS.
constexpr std::pair<std::string_view, std::string_view> kAccounts[] = {
    {"us-east-1",      "432418664414"},
    {"us-east-2",      "266458841044"},
    {"us-west-2",      "081040173940"},
    {"ca-central-1",   "918755190332"},
    {"eu-west-1",      "568282634449"},
    {"eu-west-2",      "487402164563"},
    {"eu-central-1",   "203001061592"},
    {"ap-northeast-1", "477331159723"},
    {"ap-northeast-2", "845288260483"},
    {"ap-south-1",     "565803892007"},
    {"ap-southeast-1", "377565633583"},
    {"ap-southeast-2", "454466003867"},
};
// clang-format on

constexpr std::string_view kFunction = ":function:";

}  // namespace

std::span<const BuiltinTaskType> BuiltinTaskTypes() { return kBuiltins; }

const BuiltinTaskType* FindBuiltin(std::string_view name) {
  for (const auto& row : kBuiltins)
    if (row.name == name) return &row;
  return nullptr;
}

const TaskType* Find(std::string_view task_type) {
  const BuiltinTaskType* row = FindBuiltin(task_type);
  return row && row->implementation ? &row->implementation() : nullptr;
}

std::optional<std::string_view> GroundTruthAccount(std::string_view region) {
  for (const auto& [r, account] : kAccounts)
    if (r == region) return account;
  return std::nullopt;
}

std::string BuiltinHookArn(HookKind kind, std::string_view task_type, std::string_view region) {
  std::string_view account = GroundTruthAccount(region).value_or(kAccounts[0].second);
  std::string partition = region.starts_with("cn-") ? "aws-cn" : "aws";
  return "arn:" + partition + ":lambda:" + std::string(region) + ":" + std::string(account) +
         ":function:" + (kind == HookKind::kPre ? "PRE-" : "ACS-") + std::string(task_type);
}

HookRef ParseHookArn(std::string_view arn) {
  HookRef ref;
  // The model's pattern: arn:aws[a-z-]*:lambda:<region>:<12 digits>:function:
  // <name>(:($LATEST|<qualifier>))?. Built-ins are known by <name> alone.
  size_t at = arn.find(kFunction);
  if (at == std::string_view::npos) return ref;
  std::string_view head = arn.substr(0, at);  // arn:<partition>:lambda:<region>:<account>
  std::string_view tail = arn.substr(at + kFunction.size());
  size_t colon = tail.find(':');
  ref.function_name = std::string(tail.substr(0, colon));
  if (colon != std::string_view::npos) ref.qualifier = std::string(tail.substr(colon + 1));
  std::array<std::string_view, 5> parts;
  size_t n = 0;
  for (size_t start = 0; n < parts.size();) {
    size_t end = head.find(':', start);
    parts[n++] = head.substr(start, end == std::string_view::npos ? end : end - start);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (std::count(head.begin(), head.end(), ':') == 4 && parts[0] == "arn" && parts[2] == "lambda") {
    ref.region = std::string(parts[3]);
    ref.account = std::string(parts[4]);
    ref.ground_truth_account = GroundTruthAccount(ref.region) == parts[4];
  }
  std::string_view name = ref.function_name;
  if (name.starts_with("PRE-")) {
    ref.kind = HookKind::kPre;
  } else if (name.starts_with("ACS-")) {
    ref.kind = HookKind::kAcs;
  } else {
    return ref;
  }
  if (const BuiltinTaskType* row = FindBuiltin(name.substr(4))) {
    ref.builtin = true;
    ref.task_type = std::string(row->name);
  }
  return ref;
}

}  // namespace plumbline::tasktypes
