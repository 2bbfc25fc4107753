// The request side of the SageMaker model for the ten operations (shapes),
// the walk that checks a body against them, and Ground Truth's rules on a
// shape-valid request. The regex engine and the Unicode table it needs are in
// detail/.
#include "api/validation.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <deque>
#include <memory>
#include <stdexcept>
#include <vector>

#include "api/detail/regex.hpp"
#include "api/detail/unicode.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::api {

// ===========================================================================
// Shapes: the request side of the SageMaker model for the ten operations.
// ===========================================================================
namespace {

namespace json = boost::json;

struct Shape;

struct Member {
  std::string name;  // model name, e.g. "LabelingJobName"
  const Shape* shape;
  bool required;
};

struct Shape {
  enum Kind { kString, kInteger, kTimestamp, kList, kStructure } kind = kString;
  std::optional<int64_t> min, max;  // length (string, list) or value (integer)
  std::string pattern;              // as printed in messages
  std::unique_ptr<detail::Regex> regex;
  std::vector<std::string> enum_values;
  const Shape* member = nullptr;  // list element
  std::vector<Member> members;    // structure
};

class Schema {
 public:
  static const Schema& Get() {
    static const Schema schema;
    return schema;
  }
  const Shape* Input(std::string_view operation) const {
    for (const auto& [name, shape] : inputs_)
      if (name == operation) return shape;
    return nullptr;
  }

 private:
  using Opt = std::optional<int64_t>;

  const Shape* Str(Opt min, Opt max, std::string pattern = {}) {
    Shape& s = shapes_.emplace_back();
    s.kind = Shape::kString;
    s.min = min;
    s.max = max;
    if (!pattern.empty()) s.regex = std::make_unique<detail::Regex>(pattern);
    s.pattern = std::move(pattern);
    return &s;
  }
  const Shape* Enum(std::vector<std::string> values) {
    Shape& s = shapes_.emplace_back();
    s.kind = Shape::kString;
    s.enum_values = std::move(values);
    return &s;
  }
  const Shape* Int(Opt min, Opt max) {
    Shape& s = shapes_.emplace_back();
    s.kind = Shape::kInteger;
    s.min = min;
    s.max = max;
    return &s;
  }
  const Shape* Time() {
    Shape& s = shapes_.emplace_back();
    s.kind = Shape::kTimestamp;
    return &s;
  }
  const Shape* List(const Shape* member, Opt min, Opt max) {
    Shape& s = shapes_.emplace_back();
    s.kind = Shape::kList;
    s.member = member;
    s.min = min;
    s.max = max;
    return &s;
  }
  const Shape* Struct(std::vector<Member> members) {
    Shape& s = shapes_.emplace_back();
    s.kind = Shape::kStructure;
    s.members = std::move(members);
    return &s;
  }

  Schema() {
    constexpr bool kReq = true, kOpt = false;
    const std::nullopt_t kNone = std::nullopt;

    // Scalars (service-2.json 2017-07-24; spec §1.1).
    const Shape* labeling_job_name = Str(1, 63, "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}");
    const Shape* workteam_name = labeling_job_name;  // same constraints
    const Shape* label_attribute_name = Str(1, 127, "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,126}");
    const Shape* s3_uri = Str(kNone, 1024, "^(https|s3)://([^/]+)/?(.*)$");
    const Shape* sns_topic_arn =
        Str(kNone, 2048, "arn:aws[a-z\\-]*:sns:[a-z0-9\\-]*:[0-9]{12}:[a-zA-Z0-9_.-]+");
    const Shape* kms_key_id = Str(kNone, 2048, ".*");
    const Shape* role_arn =
        Str(20, 2048, "^arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+$");
    const Shape* workteam_arn =
        Str(kNone, 256, "arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:workteam/.*");
    const Shape* lambda_arn =
        Str(kNone, 2048, "arn:aws[a-z\\-]*:lambda:[a-z0-9\\-]*:[0-9]{12}:function:.*");
    const Shape* human_task_ui_arn =
        Str(kNone, 1024, "arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:human-task-ui/.*");
    const Shape* model_arn =
        Str(20, 2048, "arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:model/.*");
    const Shape* algorithm_arn = Str(kNone, 2048, "arn:.*");
    const Shape* vpc_id_part = Str(kNone, 32, "[-0-9a-zA-Z]+");
    const Shape* task_keyword = Str(1, 30, "^[A-Za-z0-9]+( [A-Za-z0-9]+)*$");
    const Shape* task_title = Str(1, 128, "^[\\t\\n\\r -\\uD7FF\\uE000-\\uFFFD]*$");
    const Shape* task_description = Str(1, 255, ".+");
    const Shape* tag_key = Str(1, 128, "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$");
    const Shape* tag_value = Str(0, 256, "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$");
    const Shape* next_token = Str(kNone, 8192, ".*");
    const Shape* max_results = Int(1, 100);
    const Shape* timestamp = Time();
    const Shape* sort_order = Enum({"Ascending", "Descending"});
    const Shape* string200 = Str(1, 200, ".+");
    const Shape* enabled = Enum({"Enabled", "Disabled"});

    const Shape* tags = List(Struct({{"Key", tag_key, kReq}, {"Value", tag_value, kReq}}), 0, 50);

    // CreateLabelingJob
    const Shape* input_config = Struct({
        {"DataSource",
         Struct({{"S3DataSource", Struct({{"ManifestS3Uri", s3_uri, kReq}}), kOpt},
                 {"SnsDataSource", Struct({{"SnsTopicArn", sns_topic_arn, kReq}}), kOpt}}),
         kReq},
        {"DataAttributes",
         Struct({{"ContentClassifiers",
                  List(Enum({"FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent"}),
                       kNone, 256),
                  kOpt}}),
         kOpt},
    });
    const Shape* output_config = Struct({{"S3OutputPath", s3_uri, kReq},
                                         {"KmsKeyId", kms_key_id, kOpt},
                                         {"SnsTopicArn", sns_topic_arn, kOpt}});
    const Shape* stopping = Struct({{"MaxHumanLabeledObjectCount", Int(1, kNone), kOpt},
                                    {"MaxPercentageOfInputDatasetLabeled", Int(1, 100), kOpt}});
    const Shape* algorithms = Struct({
        {"LabelingJobAlgorithmSpecificationArn", algorithm_arn, kReq},
        {"InitialActiveLearningModelArn", model_arn, kOpt},
        {"LabelingJobResourceConfig",
         Struct({{"VolumeKmsKeyId", kms_key_id, kOpt},
                 {"VpcConfig",
                  Struct({{"SecurityGroupIds", List(vpc_id_part, 1, 5), kReq},
                          {"Subnets", List(vpc_id_part, 1, 16), kReq}}),
                  kOpt}}),
         kOpt},
    });
    // PreHumanTaskLambdaArn and AnnotationConsolidationConfig are required in
    // the 2023 model and optional in the newer one; we accept both (§1.12).
    const Shape* human_task_config = Struct({
        {"WorkteamArn", workteam_arn, kReq},
        {"UiConfig",
         Struct({{"UiTemplateS3Uri", s3_uri, kOpt}, {"HumanTaskUiArn", human_task_ui_arn, kOpt}}),
         kReq},
        {"PreHumanTaskLambdaArn", lambda_arn, kOpt},
        {"TaskKeywords", List(task_keyword, 1, 5), kOpt},
        {"TaskTitle", task_title, kReq},
        {"TaskDescription", task_description, kReq},
        {"NumberOfHumanWorkersPerDataObject", Int(1, 9), kReq},
        {"TaskTimeLimitInSeconds", Int(30, kNone), kReq},
        {"TaskAvailabilityLifetimeInSeconds", Int(60, kNone), kOpt},
        {"MaxConcurrentTaskCount", Int(1, 5000), kOpt},
        {"AnnotationConsolidationConfig",
         Struct({{"AnnotationConsolidationLambdaArn", lambda_arn, kReq}}), kOpt},
        {"PublicWorkforceTaskPrice",
         Struct({{"AmountInUsd",
                  Struct({{"Dollars", Int(0, 2), kOpt},
                          {"Cents", Int(0, 99), kOpt},
                          {"TenthFractionsOfACent", Int(0, 9), kOpt}}),
                  kOpt}}),
         kOpt},
    });
    inputs_.emplace_back("CreateLabelingJob",
                         Struct({{"LabelingJobName", labeling_job_name, kReq},
                                 {"LabelAttributeName", label_attribute_name, kReq},
                                 {"InputConfig", input_config, kReq},
                                 {"OutputConfig", output_config, kReq},
                                 {"RoleArn", role_arn, kReq},
                                 {"LabelCategoryConfigS3Uri", s3_uri, kOpt},
                                 {"StoppingConditions", stopping, kOpt},
                                 {"LabelingJobAlgorithmsConfig", algorithms, kOpt},
                                 {"HumanTaskConfig", human_task_config, kReq},
                                 {"Tags", tags, kOpt}}));

    const Shape* by_job_name = Struct({{"LabelingJobName", labeling_job_name, kReq}});
    inputs_.emplace_back("DescribeLabelingJob", by_job_name);
    inputs_.emplace_back("StopLabelingJob", by_job_name);
    inputs_.emplace_back(
        "ListLabelingJobs",
        Struct({{"CreationTimeAfter", timestamp, kOpt},
                {"CreationTimeBefore", timestamp, kOpt},
                {"LastModifiedTimeAfter", timestamp, kOpt},
                {"LastModifiedTimeBefore", timestamp, kOpt},
                {"MaxResults", max_results, kOpt},
                {"NextToken", next_token, kOpt},
                {"NameContains", Str(kNone, 63, "[a-zA-Z0-9\\-]+"), kOpt},
                {"SortBy", Enum({"Name", "CreationTime", "Status"}), kOpt},
                {"SortOrder", sort_order, kOpt},
                {"StatusEquals",
                 Enum({"Initializing", "InProgress", "Completed", "Failed", "Stopping", "Stopped"}),
                 kOpt}}));
    inputs_.emplace_back("ListLabelingJobsForWorkteam",
                         Struct({{"WorkteamArn", workteam_arn, kReq},
                                 {"MaxResults", max_results, kOpt},
                                 {"NextToken", next_token, kOpt},
                                 {"CreationTimeAfter", timestamp, kOpt},
                                 {"CreationTimeBefore", timestamp, kOpt},
                                 {"JobReferenceCodeContains", Str(1, 255, ".+"), kOpt},
                                 {"SortBy", Enum({"CreationTime"}), kOpt},
                                 {"SortOrder", sort_order, kOpt}}));

    // Work teams. OidcMemberDefinition.Groups is optional in the newer model.
    const Shape* member_definitions = List(
        Struct({{"CognitoMemberDefinition",
                 Struct({{"UserPool", Str(1, 55, "[\\w-]+_[0-9a-zA-Z]+"), kReq},
                         {"UserGroup", Str(1, 128, "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"), kReq},
                         {"ClientId", Str(1, 1024, "[ -~]+"), kReq}}),
                 kOpt},
                {"OidcMemberDefinition",
                 Struct({{"Groups", List(Str(1, 63, "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"), 1, 10),
                          kOpt}}),
                 kOpt}}),
        1, 10);
    const Shape* notification = Struct(
        {{"NotificationTopicArn",
          Str(kNone, kNone, "arn:aws[a-z\\-]*:sns:[a-z0-9\\-]*:[0-9]{12}:[a-zA-Z0-9_.-]*"), kOpt}});
    const Shape* worker_access = Struct(
        {{"S3Presign",
          Struct({{"IamPolicyConstraints",
                   Struct({{"SourceIp", enabled, kOpt}, {"VpcSourceIp", enabled, kOpt}}), kOpt}}),
          kOpt}});
    inputs_.emplace_back(
        "CreateWorkteam",
        Struct({{"WorkteamName", workteam_name, kReq},
                {"WorkforceName", Str(1, 63, "^[a-zA-Z0-9]([a-zA-Z0-9\\-]){0,62}$"), kOpt},
                {"MemberDefinitions", member_definitions, kReq},
                {"Description", string200, kReq},
                {"NotificationConfiguration", notification, kOpt},
                {"WorkerAccessConfiguration", worker_access, kOpt},
                {"Tags", tags, kOpt}}));
    const Shape* by_team_name = Struct({{"WorkteamName", workteam_name, kReq}});
    inputs_.emplace_back("DescribeWorkteam", by_team_name);
    inputs_.emplace_back("DeleteWorkteam", by_team_name);
    inputs_.emplace_back("ListWorkteams", Struct({{"SortBy", Enum({"Name", "CreateDate"}), kOpt},
                                                  {"SortOrder", sort_order, kOpt},
                                                  {"NameContains", workteam_name, kOpt},
                                                  {"NextToken", next_token, kOpt},
                                                  {"MaxResults", max_results, kOpt}}));
    inputs_.emplace_back("UpdateWorkteam",
                         Struct({{"WorkteamName", workteam_name, kReq},
                                 {"MemberDefinitions", member_definitions, kOpt},
                                 {"Description", string200, kOpt},
                                 {"NotificationConfiguration", notification, kOpt},
                                 {"WorkerAccessConfiguration", worker_access, kOpt}}));
  }

  std::deque<Shape> shapes_;  // stable addresses
  std::vector<std::pair<std::string, const Shape*>> inputs_;
};

// ===========================================================================
// The walk over a request body.
// ===========================================================================

std::string CamelPath(const std::string& prefix, std::string_view member) {
  std::string out = prefix;
  if (!out.empty()) out.push_back('.');
  out += member;
  const size_t first = prefix.empty() ? 0 : prefix.size() + 1;
  if (first < out.size() && out[first] >= 'A' && out[first] <= 'Z') out[first] += 'a' - 'A';
  return out;
}

// How a value appears in "Value '...'": strings raw, lists as Java prints
// them ("[a, b]"), anything else as JSON.
std::string Render(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_array()) {
    std::string out = "[";
    bool first = true;
    for (const json::value& e : v.get_array()) {
      if (!first) out += ", ";
      first = false;
      out += e.is_null() ? "null" : Render(e);
    }
    return out + "]";
  }
  return json::serialize(v);
}

const char* JsonKind(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return "STRING_VALUE";
    case json::kind::bool_:
      return "BOOLEAN_VALUE";
    default:
      return "NUMBER_VALUE";
  }
}

class Walker {
 public:
  std::vector<std::string> errors;
  std::optional<std::string> serialization;  // first type error, if any

  void Structure(const Shape& shape, const json::object& obj, const std::string& prefix) {
    for (const Member& m : shape.members) {
      if (serialization) return;
      const std::string path = CamelPath(prefix, m.name);
      const json::value* v = obj.if_contains(m.name);
      if (v == nullptr || v->is_null()) {
        if (m.required) Fail(path, "Value null", "not be null");
        continue;
      }
      Value(*m.shape, *v, path);
    }
  }

 private:
  void Fail(const std::string& path, const std::string& value_text, std::string_view rule) {
    errors.push_back(value_text + " at '" + path + "' failed to satisfy constraint: Member must " +
                     std::string(rule));
  }
  static std::string Quoted(const json::value& v) { return "Value '" + Render(v) + "'"; }

  // Type check; on mismatch records a SerializationException message.
  bool TypeOk(const Shape& shape, const json::value& v) {
    auto mismatch = [&](const char* target) {
      if (v.is_object())
        serialization = "Start of structure or map found where not expected.";
      else if (v.is_array())
        serialization = "Start of list found where not expected.";
      else
        serialization = std::string(JsonKind(v)) + " can not be converted to " + target;
      return false;
    };
    switch (shape.kind) {
      case Shape::kString:
        return v.is_string() || mismatch("String");
      case Shape::kTimestamp:
        return v.is_number() || mismatch("Timestamp");
      case Shape::kList:
        return v.is_array() || mismatch("List");
      case Shape::kStructure:
        return v.is_object() || mismatch("Structure");
      case Shape::kInteger: {
        // Java Integer: integral and 32-bit. 3.0 is accepted, 3.5 is not.
        std::optional<int64_t> i = AsInt(v);
        if (i && *i >= INT32_MIN && *i <= INT32_MAX) return true;
        return mismatch("Integer");
      }
    }
    return false;
  }

  static std::optional<int64_t> AsInt(const json::value& v) {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64()) {
      return v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)
                 ? std::optional<int64_t>(static_cast<int64_t>(v.get_uint64()))
                 : std::nullopt;
    }
    if (v.is_double()) {
      double d = v.get_double();
      if (d >= -9e15 && d <= 9e15 && d == static_cast<double>(static_cast<int64_t>(d)))
        return static_cast<int64_t>(d);
    }
    return std::nullopt;
  }

  // Rules a scalar breaks, as "satisfy ..."/"have ..." phrases.
  std::vector<std::string> ScalarRules(const Shape& shape, const json::value& v) {
    std::vector<std::string> rules;
    if (shape.kind == Shape::kString) {
      const std::string_view s = v.get_string();
      const size_t len = detail::Utf16Length(s);
      // Values far beyond any limit get the length error only.
      if (shape.regex && len <= 65536 && !shape.regex->FullMatch(s))
        rules.push_back("satisfy regular expression pattern: " + shape.pattern);
      if (shape.min && static_cast<int64_t>(len) < *shape.min)
        rules.push_back("have length greater than or equal to " + std::to_string(*shape.min));
      if (shape.max && static_cast<int64_t>(len) > *shape.max)
        rules.push_back("have length less than or equal to " + std::to_string(*shape.max));
      if (!shape.enum_values.empty() &&
          std::find(shape.enum_values.begin(), shape.enum_values.end(), s) ==
              shape.enum_values.end()) {
        std::string set;
        for (const std::string& e : shape.enum_values) set += (set.empty() ? "" : ", ") + e;
        rules.push_back("satisfy enum value set: [" + set + "]");
      }
    } else if (shape.kind == Shape::kInteger) {
      const int64_t i = *AsInt(v);
      if (shape.min && i < *shape.min)
        rules.push_back("have value greater than or equal to " + std::to_string(*shape.min));
      if (shape.max && i > *shape.max)
        rules.push_back("have value less than or equal to " + std::to_string(*shape.max));
    }
    return rules;
  }

  void Value(const Shape& shape, const json::value& v, const std::string& path) {
    if (!TypeOk(shape, v)) return;
    switch (shape.kind) {
      case Shape::kString:
      case Shape::kInteger: {
        const std::string shown =
            v.is_string() ? Quoted(v) : "Value '" + std::to_string(*AsInt(v)) + "'";
        for (const std::string& rule : ScalarRules(shape, v)) Fail(path, shown, rule);
        return;
      }
      case Shape::kTimestamp:
        return;
      case Shape::kStructure:
        Structure(shape, v.get_object(), path);
        return;
      case Shape::kList:
        List(shape, v.get_array(), v, path);
        return;
    }
  }

  void List(const Shape& shape, const json::array& arr, const json::value& whole,
            const std::string& path) {
    const int64_t n = static_cast<int64_t>(arr.size());
    if (shape.min && n < *shape.min)
      Fail(path, Quoted(whole),
           "have length greater than or equal to " + std::to_string(*shape.min));
    if (shape.max && n > *shape.max)
      Fail(path, Quoted(whole), "have length less than or equal to " + std::to_string(*shape.max));
    const Shape& member = *shape.member;
    if (member.kind == Shape::kStructure || member.kind == Shape::kList) {
      // AWS indexes members of structure lists from 1: "tags.1.member.key".
      for (size_t i = 0; i < arr.size() && !serialization; ++i) {
        const std::string item = path + "." + std::to_string(i + 1) + ".member";
        if (arr[i].is_null())
          Fail(item, "Value null", "not be null");
        else
          Value(member, arr[i], item);
      }
      return;
    }
    // Scalar members: one error for the whole list listing every broken rule.
    std::vector<std::string> broken;
    for (const json::value& e : arr) {
      std::vector<std::string> rules;
      if (e.is_null()) {
        rules.push_back("not be null");
      } else {
        if (!TypeOk(member, e)) return;
        rules = ScalarRules(member, e);
      }
      for (std::string& r : rules) {
        r = "Member must " + r;
        if (std::find(broken.begin(), broken.end(), r) == broken.end()) broken.push_back(r);
      }
    }
    if (broken.empty()) return;
    std::string joined;
    for (const std::string& r : broken) joined += (joined.empty() ? "" : ", ") + r;
    Fail(path, Quoted(whole), "satisfy constraint: [" + joined + "]");
  }
};

// ===========================================================================
// Ground Truth's server-side rules (spec §1.2, §1.7, §3.2), on shape-valid input.
// ===========================================================================

// The built-in task types and their rules come from tasktypes' table (spec
// §3.1, §3.2), the one the runner uses too.

// Video-frame and 3D point cloud types: AWS-hosted UI and the 30-day limit.
bool IsFrameOrCloudType(std::string_view t) {
  const tasktypes::BuiltinTaskType* row = tasktypes::FindBuiltin(t);
  return row && row->frame_or_cloud;
}
bool UsesHostedUi(std::string_view t) {
  const tasktypes::BuiltinTaskType* row = tasktypes::FindBuiltin(t);
  return row && row->hosted_ui;
}

// The built-in task type named by a hook ARN of the given kind (any region,
// any ":qualifier"), or "".
std::string BuiltinType(std::string_view arn, tasktypes::HookKind kind) {
  tasktypes::HookRef ref = tasktypes::ParseHookArn(arn);
  return ref.builtin && ref.kind == kind ? ref.task_type : std::string();
}

std::string_view Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}
const json::object* Obj(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

constexpr int64_t kMaxTaskTime = 28'800;            // 8 hours
constexpr int64_t kMaxFrameTaskTime = 2'592'000;    // 30 days
constexpr int64_t kMaxPublicLifetime = 43'200;      // 12 hours
constexpr int64_t kMaxPrivateLifetime = 2'592'000;  // 30 days

std::optional<std::string> CheckCreateLabelingJob(const json::object& req) {
  const json::object& htc = *Obj(req, "HumanTaskConfig");
  const json::object& ui = *Obj(htc, "UiConfig");
  const bool has_template = ui.contains("UiTemplateS3Uri") && !ui.at("UiTemplateS3Uri").is_null();
  const bool has_hosted = ui.contains("HumanTaskUiArn") && !ui.at("HumanTaskUiArn").is_null();
  if (has_template == has_hosted)
    return "UiConfig must contain exactly one of UiTemplateS3Uri and HumanTaskUiArn.";

  const std::string_view pre_arn = Str(htc, "PreHumanTaskLambdaArn");
  const json::object* acs_config = Obj(htc, "AnnotationConsolidationConfig");
  const std::string_view acs_arn =
      acs_config ? Str(*acs_config, "AnnotationConsolidationLambdaArn") : std::string_view{};
  const std::string pre_type = BuiltinType(pre_arn, tasktypes::HookKind::kPre);
  const std::string acs_type = BuiltinType(acs_arn, tasktypes::HookKind::kAcs);
  if (!BuiltinType(pre_arn, tasktypes::HookKind::kAcs).empty())
    return "PreHumanTaskLambdaArn names a consolidation function (" +
           tasktypes::ParseHookArn(pre_arn).function_name +
           "); use the PRE- function of the task type.";
  if (!BuiltinType(acs_arn, tasktypes::HookKind::kPre).empty())
    return "AnnotationConsolidationLambdaArn names a pre-annotation function (" +
           tasktypes::ParseHookArn(acs_arn).function_name +
           "); use the ACS- function of the task type.";
  if (!pre_type.empty() && acs_arn.empty())
    return "AnnotationConsolidationConfig is required when PreHumanTaskLambdaArn is the built-in "
           "function PRE-" +
           pre_type + ".";
  if (!pre_type.empty() && !acs_type.empty() && pre_type != acs_type)
    return "PreHumanTaskLambdaArn (PRE-" + pre_type + ") and AnnotationConsolidationLambdaArn (ACS-" +
           acs_type + ") must belong to the same built-in task type.";
  const std::string task_type = !pre_type.empty() ? pre_type : acs_type;  // "" = custom

  const std::string_view label = Str(req, "LabelAttributeName");
  if (auto problem =
          tasktypes::LabelAttributeNameProblem(label, tasktypes::FindBuiltin(task_type)))
    return problem;
  const std::string type_text =
      task_type.empty() ? std::string("custom labeling jobs") : "task type " + task_type;

  if (has_hosted && !task_type.empty() && !UsesHostedUi(task_type))
    return "HumanTaskUiArn cannot be used with task type " + std::string(task_type) +
           "; give UiConfig.UiTemplateS3Uri instead.";

  const int64_t time_limit = htc.at("TaskTimeLimitInSeconds").to_number<int64_t>();
  const int64_t max_time = IsFrameOrCloudType(task_type) ? kMaxFrameTaskTime : kMaxTaskTime;
  if (time_limit > max_time)
    return "TaskTimeLimitInSeconds (" + std::to_string(time_limit) +
           ") must be less than or equal to " + std::to_string(max_time) + " for " + type_text +
           ".";

  const bool public_team =
      Str(htc, "WorkteamArn").find(":workteam/public-crowd/") != std::string_view::npos;
  if (const json::value* life = htc.if_contains("TaskAvailabilityLifetimeInSeconds");
      life && !life->is_null()) {
    const int64_t max_life = public_team ? kMaxPublicLifetime : kMaxPrivateLifetime;
    const int64_t value = life->to_number<int64_t>();
    if (value > max_life)
      return "TaskAvailabilityLifetimeInSeconds (" + std::to_string(value) +
             ") must be less than or equal to " + std::to_string(max_life) + " for " +
             (public_team ? "the public workforce." : "a private workforce.");
  }
  if (public_team) {
    bool pii_free = false;
    if (const json::object* attrs = Obj(*Obj(req, "InputConfig"), "DataAttributes")) {
      if (const json::value* cc = attrs->if_contains("ContentClassifiers"); cc && cc->is_array())
        for (const json::value& c : cc->get_array())
          pii_free |= c.is_string() && c.get_string() == "FreeOfPersonallyIdentifiableInformation";
    }
    if (!pii_free)
      return "The public workforce requires InputConfig.DataAttributes.ContentClassifiers to "
             "contain FreeOfPersonallyIdentifiableInformation.";
  }
  return std::nullopt;
}

std::optional<std::string> CheckMemberDefinitions(const json::object& req) {
  const json::value* defs = req.if_contains("MemberDefinitions");
  if (defs == nullptr || !defs->is_array()) return std::nullopt;
  int cognito = 0, oidc = 0;
  std::string_view pool, client;
  for (const json::value& d : defs->get_array()) {
    const json::object& def = d.get_object();
    const json::object* c = Obj(def, "CognitoMemberDefinition");
    const json::object* o = Obj(def, "OidcMemberDefinition");
    if ((c != nullptr) == (o != nullptr))
      return "Each MemberDefinition must contain exactly one of CognitoMemberDefinition and "
             "OidcMemberDefinition.";
    if (c != nullptr) {
      if (cognito++ > 0 && (Str(*c, "UserPool") != pool || Str(*c, "ClientId") != client))
        return "All CognitoMemberDefinitions of a work team must use the same UserPool and "
               "ClientId.";
      pool = Str(*c, "UserPool");
      client = Str(*c, "ClientId");
    } else {
      ++oidc;
    }
  }
  if (cognito > 0 && oidc > 0)
    return "MemberDefinitions cannot mix CognitoMemberDefinition and OidcMemberDefinition.";
  return std::nullopt;
}

}  // namespace

// ===========================================================================

bool HasRequestShape(std::string_view operation) {
  return Schema::Get().Input(operation) != nullptr;
}

std::optional<ApiError> ValidateRequest(std::string_view operation,
                                        const boost::json::value& body) {
  const Shape* shape = Schema::Get().Input(operation);
  if (shape == nullptr) return std::nullopt;
  if (!body.is_object()) {
    std::string message = body.is_array() ? "Start of list found where not expected."
                          : body.is_null()
                              ? "Expected a JSON object as the request body."
                              : std::string(JsonKind(body)) + " can not be converted to Structure";
    return ApiError{"SerializationException", std::move(message)};
  }
  Walker walker;
  walker.Structure(*shape, body.get_object(), "");
  if (walker.serialization) return ApiError{"SerializationException", *walker.serialization};
  if (!walker.errors.empty()) {
    const size_t n = walker.errors.size();
    std::string message =
        std::to_string(n) + (n == 1 ? " validation error" : " validation errors") + " detected: ";
    for (size_t i = 0; i < n; ++i) message += (i ? "; " : "") + walker.errors[i];
    return ApiError{"ValidationException", std::move(message)};
  }
  std::optional<std::string> rule;
  if (operation == "CreateLabelingJob")
    rule = CheckCreateLabelingJob(body.get_object());
  else if (operation == "CreateWorkteam" || operation == "UpdateWorkteam")
    rule = CheckMemberDefinitions(body.get_object());
  if (rule) return ApiError{"ValidationException", std::move(*rule)};
  return std::nullopt;
}

}  // namespace plumbline::api
