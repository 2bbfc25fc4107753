// Every validation rule of src/api/validation.cpp with good and bad cases:
// serialization (JSON types), model constraints with AWS's Coral messages,
// the §1.2 business rules, the seed's create request, and the regex/Unicode
// building blocks.
#include "api/validation.hpp"

#include "api/detail/regex.hpp"
#include "api/detail/unicode.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace plumbline::api {
namespace {

namespace json = boost::json;

// Spec §1.2's captured CreateLabelingJob body: valid as is.
constexpr char kCreateJob[] = R"({
 "LabelingJobName": "demo-text-job", "LabelAttributeName": "sentiment",
 "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": "s3://my-bucket/input/input.manifest"}},
                 "DataAttributes": {"ContentClassifiers": ["FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent"]}},
 "OutputConfig": {"S3OutputPath": "s3://my-bucket/output/",
                  "KmsKeyId": "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
 "RoleArn": "arn:aws:iam::123456789012:role/GroundTruthExecutionRole",
 "LabelCategoryConfigS3Uri": "s3://my-bucket/input/labels.json",
 "StoppingConditions": {"MaxHumanLabeledObjectCount": 100, "MaxPercentageOfInputDatasetLabeled": 100},
 "HumanTaskConfig": {"WorkteamArn": "arn:aws:sagemaker:us-west-2:123456789012:workteam/private-crowd/my-team",
   "UiConfig": {"UiTemplateS3Uri": "s3://my-bucket/templates/text.liquid.html"},
   "PreHumanTaskLambdaArn": "arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass",
   "TaskKeywords": ["Text", "Sentiment"], "TaskTitle": "Classify sentiment",
   "TaskDescription": "Pick the sentiment of each sentence",
   "NumberOfHumanWorkersPerDataObject": 3, "TaskTimeLimitInSeconds": 300,
   "TaskAvailabilityLifetimeInSeconds": 86400, "MaxConcurrentTaskCount": 100,
   "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": "arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass"}},
 "Tags": [{"Key": "project", "Value": "plumbline"}]})";

constexpr char kCreateTeam[] = R"({"WorkteamName": "my-team",
 "MemberDefinitions": [{"CognitoMemberDefinition": {"UserPool": "us-west-2_abc123", "UserGroup": "labelers", "ClientId": "client123"}}],
 "Description": "Team", "NotificationConfiguration": {"NotificationTopicArn": "arn:aws:sns:us-west-2:123456789012:gt-notify"},
 "Tags": [{"Key": "a", "Value": "b"}]})";

json::value Parse(std::string_view text) { return json::parse(text); }

// A copy of `base` with the member at the '/'-separated `path` set to `value`
// (JSON text), or removed when `value` is empty.
json::value With(std::string_view base, std::string_view path, std::string_view value) {
  json::value doc = Parse(base);
  json::value* cur = &doc;
  std::string p(path);
  size_t start = 0;
  while (true) {
    size_t slash = p.find('/', start);
    std::string key =
        p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (slash == std::string::npos) {
      if (cur->is_array()) {
        cur->as_array()[std::stoul(key)] = Parse(value);
      } else if (value.empty()) {
        cur->as_object().erase(key);
      } else {
        cur->as_object()[key] = Parse(value);
      }
      return doc;
    }
    cur = cur->is_array() ? &cur->as_array()[std::stoul(key)] : &cur->as_object()[key];
    start = slash + 1;
  }
}

std::string Q(std::string_view s) { return json::serialize(json::value(json::string(s))); }

::testing::AssertionResult Valid(std::string_view op, const json::value& body) {
  auto e = ValidateRequest(op, body);
  if (!e) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << e->code << ": " << e->message;
}

// Expects exactly one Coral validation error with this text.
void ExpectOne(std::string_view op, const json::value& body, const std::string& error) {
  auto e = ValidateRequest(op, body);
  ASSERT_TRUE(e.has_value()) << "accepted: " << json::serialize(body);
  EXPECT_EQ(e->code, "ValidationException");
  EXPECT_EQ(e->message, "1 validation error detected: " + error);
}

void ExpectRule(std::string_view op, const json::value& body, const std::string& message) {
  auto e = ValidateRequest(op, body);
  ASSERT_TRUE(e.has_value()) << "accepted: " << json::serialize(body);
  EXPECT_EQ(e->code, "ValidationException");
  EXPECT_EQ(e->message, message);
}

void ExpectSerialization(std::string_view op, const json::value& body, const std::string& message) {
  auto e = ValidateRequest(op, body);
  ASSERT_TRUE(e.has_value()) << "accepted: " << json::serialize(body);
  EXPECT_EQ(e->code, "SerializationException");
  EXPECT_EQ(e->message, message);
}

void ExpectMessage(std::string_view op, const json::value& body, const std::string& message) {
  auto e = ValidateRequest(op, body);
  ASSERT_TRUE(e.has_value()) << "accepted: " << json::serialize(body);
  EXPECT_EQ(e->code, "ValidationException");
  EXPECT_EQ(e->message, message);
}

const std::string kNamePattern = "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}";

// ---------------------------------------------------------------------------
// Operations and good requests

TEST(ValidationTest, KnowsTheTenOperations) {
  for (const char* op : {"CreateLabelingJob", "DescribeLabelingJob", "ListLabelingJobs",
                         "StopLabelingJob", "ListLabelingJobsForWorkteam", "CreateWorkteam",
                         "DescribeWorkteam", "ListWorkteams", "UpdateWorkteam", "DeleteWorkteam"})
    EXPECT_TRUE(HasRequestShape(op)) << op;
  EXPECT_FALSE(HasRequestShape("AddTags"));
  EXPECT_FALSE(ValidateRequest("AddTags", Parse("[1]")).has_value());
}

TEST(ValidationTest, CapturedRequestsAreValid) {
  EXPECT_TRUE(Valid("CreateLabelingJob", Parse(kCreateJob)));
  EXPECT_TRUE(Valid("CreateWorkteam", Parse(kCreateTeam)));
  EXPECT_TRUE(Valid("DescribeLabelingJob", Parse(R"({"LabelingJobName": "demo-text-job"})")));
  EXPECT_TRUE(Valid("StopLabelingJob", Parse(R"({"LabelingJobName": "demo-text-job"})")));
  EXPECT_TRUE(Valid("ListLabelingJobs", Parse("{}")));
  EXPECT_TRUE(Valid("ListLabelingJobs",
                    Parse(R"({"CreationTimeAfter": 1672531200, "CreationTimeBefore": 1700000000.5,
                              "LastModifiedTimeAfter": 1, "LastModifiedTimeBefore": 2,
                              "NameContains": "demo", "SortBy": "CreationTime", "SortOrder": "Descending",
                              "StatusEquals": "InProgress", "MaxResults": 100, "NextToken": "page2"})")));
  EXPECT_TRUE(Valid(
      "ListLabelingJobsForWorkteam",
      Parse(R"({"WorkteamArn": "arn:aws:sagemaker:us-west-2:123456789012:workteam/private-crowd/t",
                              "JobReferenceCodeContains": "1234", "SortBy": "CreationTime", "MaxResults": 1})")));
  EXPECT_TRUE(Valid("ListWorkteams",
                    Parse(R"({"MaxResults": 1, "NextToken": "page2", "SortBy": "CreateDate",
                                               "SortOrder": "Ascending", "NameContains": "team"})")));
  EXPECT_TRUE(Valid("DescribeWorkteam", Parse(R"({"WorkteamName": "my-team"})")));
  EXPECT_TRUE(Valid("DeleteWorkteam", Parse(R"({"WorkteamName": "my-team"})")));
  EXPECT_TRUE(Valid("UpdateWorkteam", Parse(R"({"WorkteamName": "my-team"})")));
  EXPECT_TRUE(Valid("UpdateWorkteam", Parse(R"({"WorkteamName": "my-team", "Description": "New",
                              "MemberDefinitions": [{"OidcMemberDefinition": {"Groups": ["a", "b"]}}],
                              "WorkerAccessConfiguration": {"S3Presign": {"IamPolicyConstraints": {"SourceIp": "Enabled", "VpcSourceIp": "Disabled"}}}})")));
}

TEST(ValidationTest, MinimalCreateLabelingJobIsValid) {
  // Newer clients may omit the PRE/ACS hooks (spec §1.12).
  EXPECT_TRUE(Valid("CreateLabelingJob", Parse(R"({
    "LabelingJobName": "j", "LabelAttributeName": "label",
    "InputConfig": {"DataSource": {"SnsDataSource": {"SnsTopicArn": "arn:aws:sns:us-west-2:123456789012:in"}}},
    "OutputConfig": {"S3OutputPath": "s3://b"}, "RoleArn": "arn:aws:iam::123456789012:role/R",
    "HumanTaskConfig": {"WorkteamArn": "arn:aws:sagemaker:us-west-2:123456789012:workteam/private-crowd/t",
      "UiConfig": {"UiTemplateS3Uri": "https://host/t.html"}, "TaskTitle": "t", "TaskDescription": "d",
      "NumberOfHumanWorkersPerDataObject": 1, "TaskTimeLimitInSeconds": 30}})")));
}

TEST(ValidationTest, UnknownMembersAndNullsAreIgnored) {
  EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, "Bogus", R"({"x": [1, 2]})")));
  EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, "HumanTaskConfig/Extra", "1")));
  EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, "Tags", "null")));
  EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, "HumanTaskConfig/TaskKeywords", "null")));
}

// The seed's createCustom.sh, turned into the request body the aws CLI sends,
// with its placeholders replaced by valid values.
TEST(ValidationTest, SeedCreateRequestIsValid) {
  std::ifstream in(std::filesystem::path(PLUMBLINE_SHARED_DIR) / "seed" / "createCustom.sh");
  ASSERT_TRUE(in) << "missing seed/createCustom.sh";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string script = ss.str();
  const std::pair<std::string, std::string> kPlaceholders[] = {
      {"$1", "seed-job-1"},
      {"YOUR_BUCKET_NAME", "plumbline-seed"},
      {"YOUR_SAGEMAKER_GROUNDTRUTH_EXECUTION_ROLE_ARN",
       "arn:aws:iam::123456789012:role/service-role/GroundTruthExecutionRole"},
      {"YOUR_KMS_KEY_ID",
       "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
      {"YOUR_WORKTEAM_ARN",
       "arn:aws:sagemaker:us-west-2:123456789012:workteam/private-crowd/seed-team"}};
  for (const auto& [from, to] : kPlaceholders)
    for (size_t at; (at = script.find(from)) != std::string::npos;)
      script.replace(at, from.size(), to);

  // Shell words: quotes group, whitespace separates.
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < script.size(); ++i) {
    char c = script[i];
    if (c == '\'' || c == '"') {
      size_t end = script.find(c, i + 1);
      word += script.substr(i + 1, end - i - 1);
      i = end;
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c)) || c == '\\') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);

  // --label-category-config-s3-uri -> LabelCategoryConfigS3Uri
  json::object body;
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    if (!words[i].starts_with("--")) continue;
    std::string member;
    bool upper = true;
    for (char c : words[i].substr(2)) {
      if (c == '-') {
        upper = true;
        continue;
      }
      member.push_back(upper ? static_cast<char>(std::toupper(c)) : c);
      upper = false;
    }
    const std::string& v = words[++i];
    body[member] = v.starts_with("{") ? Parse(v) : json::value(v);
  }
  ASSERT_EQ(body.size(), 7u) << json::serialize(body);
  EXPECT_TRUE(Valid("CreateLabelingJob", body)) << json::serialize(body);
}

// ---------------------------------------------------------------------------
// SerializationException: the body or a member has the wrong JSON type.

TEST(ValidationTest, BodyMustBeAnObject) {
  ExpectSerialization("ListLabelingJobs", Parse("[]"), "Start of list found where not expected.");
  ExpectSerialization("ListLabelingJobs", Parse("\"x\""),
                      "STRING_VALUE can not be converted to Structure");
  ExpectSerialization("ListLabelingJobs", Parse("3"),
                      "NUMBER_VALUE can not be converted to Structure");
  ExpectSerialization("ListLabelingJobs", Parse("null"),
                      "Expected a JSON object as the request body.");
}

TEST(ValidationTest, WrongMemberTypes) {
  ExpectSerialization(
      "CreateLabelingJob",
      With(kCreateJob, "HumanTaskConfig/NumberOfHumanWorkersPerDataObject", "\"3\""),
      "STRING_VALUE can not be converted to Integer");
  ExpectSerialization("CreateLabelingJob", With(kCreateJob, "LabelingJobName", "5"),
                      "NUMBER_VALUE can not be converted to String");
  ExpectSerialization("CreateLabelingJob", With(kCreateJob, "LabelingJobName", "true"),
                      "BOOLEAN_VALUE can not be converted to String");
  ExpectSerialization("CreateLabelingJob", With(kCreateJob, "RoleArn", "{}"),
                      "Start of structure or map found where not expected.");
  ExpectSerialization("CreateLabelingJob", With(kCreateJob, "InputConfig", "[]"),
                      "Start of list found where not expected.");
  ExpectSerialization("CreateLabelingJob", With(kCreateJob, "Tags", "\"a\""),
                      "STRING_VALUE can not be converted to List");
  ExpectSerialization("CreateLabelingJob", With(kCreateJob, "OutputConfig", "1"),
                      "NUMBER_VALUE can not be converted to Structure");
  ExpectSerialization("CreateLabelingJob",
                      With(kCreateJob, "HumanTaskConfig/TaskKeywords", "[\"a\", 1]"),
                      "NUMBER_VALUE can not be converted to String");
  ExpectSerialization("CreateLabelingJob", With(kCreateJob, "Tags/0/Key", "[]"),
                      "Start of list found where not expected.");
}

TEST(ValidationTest, IntegersMustBeIntegral32Bit) {
  EXPECT_TRUE(Valid("ListLabelingJobs", Parse(R"({"MaxResults": 3.0})")));
  ExpectSerialization("ListLabelingJobs", Parse(R"({"MaxResults": 3.5})"),
                      "NUMBER_VALUE can not be converted to Integer");
  ExpectSerialization("ListLabelingJobs", Parse(R"({"MaxResults": 4294967296})"),
                      "NUMBER_VALUE can not be converted to Integer");
  ExpectSerialization("ListLabelingJobs", Parse(R"({"MaxResults": 18446744073709551615})"),
                      "NUMBER_VALUE can not be converted to Integer");
}

TEST(ValidationTest, TimestampsAreNumbers) {
  EXPECT_TRUE(Valid("ListLabelingJobs", Parse(R"({"CreationTimeAfter": 1672531200})")));
  EXPECT_TRUE(Valid("ListLabelingJobs", Parse(R"({"CreationTimeAfter": 1672531200.123})")));
  ExpectSerialization("ListLabelingJobs", Parse(R"({"CreationTimeAfter": "2023-01-01T00:00:00Z"})"),
                      "STRING_VALUE can not be converted to Timestamp");
  ExpectSerialization(
      "ListLabelingJobsForWorkteam",
      Parse(
          R"({"WorkteamArn": "arn:aws:sagemaker:r:123456789012:workteam/x", "CreationTimeBefore": {}})"),
      "Start of structure or map found where not expected.");
}

TEST(ValidationTest, SerializationBeatsValidation) {
  json::value body = With(kCreateJob, "LabelingJobName", "\"bad!\"");
  body = With(json::serialize(body), "RoleArn", "7");
  ExpectSerialization("CreateLabelingJob", body, "NUMBER_VALUE can not be converted to String");
}

// ---------------------------------------------------------------------------
// ValidationException: model constraints.

TEST(ValidationTest, RequiredMembers) {
  ExpectOne(
      "DescribeLabelingJob", Parse("{}"),
      "Value null at 'labelingJobName' failed to satisfy constraint: Member must not be null");
  ExpectOne(
      "DescribeLabelingJob", Parse(R"({"LabelingJobName": null})"),
      "Value null at 'labelingJobName' failed to satisfy constraint: Member must not be null");
  ExpectOne("CreateLabelingJob", With(kCreateJob, "HumanTaskConfig/TaskTitle", ""),
            "Value null at 'humanTaskConfig.taskTitle' failed to satisfy constraint: Member must "
            "not be null");
  ExpectOne("CreateLabelingJob",
            With(kCreateJob, "InputConfig/DataSource/S3DataSource/ManifestS3Uri", ""),
            "Value null at 'inputConfig.dataSource.s3DataSource.manifestS3Uri' failed to satisfy "
            "constraint: Member must not be null");
  ExpectOne(
      "CreateLabelingJob",
      With(kCreateJob,
           "HumanTaskConfig/AnnotationConsolidationConfig/AnnotationConsolidationLambdaArn", ""),
      "Value null at "
      "'humanTaskConfig.annotationConsolidationConfig.annotationConsolidationLambdaArn' "
      "failed to satisfy constraint: Member must not be null");
  ExpectOne("ListLabelingJobsForWorkteam", Parse("{}"),
            "Value null at 'workteamArn' failed to satisfy constraint: Member must not be null");
  ExpectOne("UpdateWorkteam", Parse(R"({"Description": "x"})"),
            "Value null at 'workteamName' failed to satisfy constraint: Member must not be null");
}

TEST(ValidationTest, AllErrorsAreCountedAndJoined) {
  auto e = ValidateRequest("CreateWorkteam", Parse("{}"));
  ASSERT_TRUE(e);
  EXPECT_EQ(
      e->message,
      "3 validation errors detected: "
      "Value null at 'workteamName' failed to satisfy constraint: Member must not be null; "
      "Value null at 'memberDefinitions' failed to satisfy constraint: Member must not be null; "
      "Value null at 'description' failed to satisfy constraint: Member must not be null");
}

TEST(ValidationTest, NamePattern) {
  ExpectOne("DescribeLabelingJob", Parse(R"({"LabelingJobName": "bad_name!"})"),
            "Value 'bad_name!' at 'labelingJobName' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: " +
                kNamePattern);
  for (const char* ok : {"a", "A-b--c", "job-2026-11-23", "x9"})
    EXPECT_TRUE(
        Valid("DescribeLabelingJob", Parse(std::string(R"({"LabelingJobName": )") + Q(ok) + "}")))
        << ok;
  for (const char* bad : {"-a", "a-", "a b", "a.b", "é"})
    EXPECT_FALSE(
        Valid("DescribeLabelingJob", Parse(std::string(R"({"LabelingJobName": )") + Q(bad) + "}")))
        << bad;
}

TEST(ValidationTest, StringLengths) {
  const std::string name63(63, 'a'), name64(64, 'a');
  EXPECT_TRUE(Valid("DescribeWorkteam", Parse(R"({"WorkteamName": ")" + name63 + "\"}")));
  auto e = ValidateRequest("DescribeWorkteam", Parse(R"({"WorkteamName": ")" + name64 + "\"}"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "2 validation errors detected: Value '" + name64 +
                            "' at 'workteamName' failed to satisfy constraint: Member must satisfy "
                            "regular expression pattern: " +
                            kNamePattern + "; Value '" + name64 +
                            "' at 'workteamName' failed to satisfy constraint: Member must have "
                            "length less than or equal to 63");
  e = ValidateRequest("DescribeWorkteam", Parse(R"({"WorkteamName": ""})"));
  ASSERT_TRUE(e);
  EXPECT_EQ(
      e->message,
      "2 validation errors detected: Value '' at 'workteamName' failed to satisfy constraint: "
      "Member must satisfy regular expression pattern: " +
          kNamePattern +
          "; Value '' at 'workteamName' failed to satisfy constraint: Member must have length "
          "greater than or equal to 1");
  // RoleArn: min 20 (only), max 2048.
  ExpectOne("CreateLabelingJob", With(kCreateJob, "RoleArn", "\"arn:aws:iam::1:role/\""),
            "Value 'arn:aws:iam::1:role/' at 'roleArn' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: "
            "^arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+$");
  ExpectOne(
      "CreateLabelingJob",
      With(kCreateJob, "RoleArn", Q("arn:aws:iam::123456789012:role/" + std::string(2020, 'r'))),
      "Value 'arn:aws:iam::123456789012:role/" + std::string(2020, 'r') +
          "' at 'roleArn' failed to satisfy constraint: Member must have length less than or equal "
          "to 2048");
  // TaskDescription 255, Description 200, TagValue may be empty.
  EXPECT_TRUE(Valid("CreateLabelingJob",
                    With(kCreateJob, "HumanTaskConfig/TaskDescription", Q(std::string(255, 'd')))));
  ExpectOne("CreateLabelingJob",
            With(kCreateJob, "HumanTaskConfig/TaskDescription", Q(std::string(256, 'd'))),
            "Value '" + std::string(256, 'd') +
                "' at 'humanTaskConfig.taskDescription' failed to "
                "satisfy constraint: Member must have length less than or equal to 255");
  ExpectOne("CreateWorkteam", With(kCreateTeam, "Description", Q(std::string(201, 'x'))),
            "Value '" + std::string(201, 'x') +
                "' at 'description' failed to satisfy constraint: "
                "Member must have length less than or equal to 200");
  EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, "Tags/0/Value", "\"\"")));
}

TEST(ValidationTest, LengthsCountUtf16Units) {
  // 64 CJK characters: 64 units; 32 emoji: 64 units (surrogate pairs).
  std::string cjk, emoji;
  for (int i = 0; i < 64; ++i) cjk += "\xE6\x96\x87";        // 文
  for (int i = 0; i < 32; ++i) emoji += "\xF0\x9F\x98\x80";  // 😀
  EXPECT_TRUE(Valid("UpdateWorkteam", Parse(R"({"WorkteamName": "t", "Description": )" +
                                            Q(cjk.substr(0, 3 * 64)) + "}")));
  std::string group63;
  for (int i = 0; i < 31; ++i) group63 += "\xF0\x9F\x98\x80";  // 62 units
  group63 += "a";
  EXPECT_TRUE(Valid("CreateWorkteam",
                    With(kCreateTeam, "MemberDefinitions",
                         R"([{"OidcMemberDefinition": {"Groups": [)" + Q(group63) + "]}}]")));
  ExpectOne("CreateWorkteam",
            With(kCreateTeam, "MemberDefinitions",
                 R"([{"OidcMemberDefinition": {"Groups": [)" + Q(emoji) + "]}}]"),
            "Value '[" + emoji +
                "]' at 'memberDefinitions.1.member.oidcMemberDefinition.groups' failed "
                "to satisfy constraint: Member must satisfy constraint: [Member must have length "
                "less than or equal to 63]");
}

TEST(ValidationTest, IntegerRanges) {
  const char* path = "HumanTaskConfig/NumberOfHumanWorkersPerDataObject";
  EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, path, "1")));
  EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, path, "9")));
  ExpectOne("CreateLabelingJob", With(kCreateJob, path, "10"),
            "Value '10' at 'humanTaskConfig.numberOfHumanWorkersPerDataObject' failed to satisfy "
            "constraint: Member must have value less than or equal to 9");
  ExpectOne("CreateLabelingJob", With(kCreateJob, path, "0"),
            "Value '0' at 'humanTaskConfig.numberOfHumanWorkersPerDataObject' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1");
  ExpectOne("CreateLabelingJob", With(kCreateJob, "HumanTaskConfig/TaskTimeLimitInSeconds", "29"),
            "Value '29' at 'humanTaskConfig.taskTimeLimitInSeconds' failed to satisfy constraint: "
            "Member must have value greater than or equal to 30");
  ExpectOne("CreateLabelingJob",
            With(kCreateJob, "HumanTaskConfig/TaskAvailabilityLifetimeInSeconds", "59"),
            "Value '59' at 'humanTaskConfig.taskAvailabilityLifetimeInSeconds' failed to satisfy "
            "constraint: Member must have value greater than or equal to 60");
  ExpectOne(
      "CreateLabelingJob", With(kCreateJob, "HumanTaskConfig/MaxConcurrentTaskCount", "5001"),
      "Value '5001' at 'humanTaskConfig.maxConcurrentTaskCount' failed to satisfy constraint: "
      "Member must have value less than or equal to 5000");
  EXPECT_TRUE(Valid("CreateLabelingJob",
                    With(kCreateJob, "HumanTaskConfig/MaxConcurrentTaskCount", "5000")));
  ExpectOne("CreateLabelingJob",
            With(kCreateJob, "StoppingConditions/MaxHumanLabeledObjectCount", "0"),
            "Value '0' at 'stoppingConditions.maxHumanLabeledObjectCount' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1");
  ExpectOne("CreateLabelingJob",
            With(kCreateJob, "StoppingConditions/MaxPercentageOfInputDatasetLabeled", "101"),
            "Value '101' at 'stoppingConditions.maxPercentageOfInputDatasetLabeled' failed to "
            "satisfy constraint: Member must have value less than or equal to 100");
  ExpectOne("ListLabelingJobs", Parse(R"({"MaxResults": 500})"),
            "Value '500' at 'maxResults' failed to satisfy constraint: Member must have value less "
            "than or equal to 100");
  ExpectOne(
      "ListWorkteams", Parse(R"({"MaxResults": 0})"),
      "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater "
      "than or equal to 1");
}

TEST(ValidationTest, PublicWorkforceTaskPrice) {
  const std::string base = json::serialize(
      With(kCreateJob, "HumanTaskConfig/PublicWorkforceTaskPrice",
           R"({"AmountInUsd": {"Dollars": 0, "Cents": 1, "TenthFractionsOfACent": 2}})"));
  EXPECT_TRUE(Valid("CreateLabelingJob", Parse(base)));
  ExpectOne("CreateLabelingJob",
            With(base, "HumanTaskConfig/PublicWorkforceTaskPrice/AmountInUsd/Dollars", "3"),
            "Value '3' at 'humanTaskConfig.publicWorkforceTaskPrice.amountInUsd.dollars' failed to "
            "satisfy constraint: Member must have value less than or equal to 2");
  ExpectOne("CreateLabelingJob",
            With(base, "HumanTaskConfig/PublicWorkforceTaskPrice/AmountInUsd/Cents", "100"),
            "Value '100' at 'humanTaskConfig.publicWorkforceTaskPrice.amountInUsd.cents' failed to "
            "satisfy constraint: Member must have value less than or equal to 99");
  ExpectOne(
      "CreateLabelingJob",
      With(base, "HumanTaskConfig/PublicWorkforceTaskPrice/AmountInUsd/TenthFractionsOfACent",
           "-1"),
      "Value '-1' at 'humanTaskConfig.publicWorkforceTaskPrice.amountInUsd.tenthFractionsOfACent' "
      "failed to satisfy constraint: Member must have value greater than or equal to 0");
}

TEST(ValidationTest, Enums) {
  ExpectOne(
      "ListLabelingJobs", Parse(R"({"SortBy": "Bogus"})"),
      "Value 'Bogus' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value "
      "set: [Name, CreationTime, Status]");
  ExpectOne(
      "ListLabelingJobs", Parse(R"({"SortOrder": "ascending"})"),
      "Value 'ascending' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum "
      "value set: [Ascending, Descending]");
  ExpectOne(
      "ListLabelingJobs", Parse(R"({"StatusEquals": "Running"})"),
      "Value 'Running' at 'statusEquals' failed to satisfy constraint: Member must satisfy enum "
      "value set: [Initializing, InProgress, Completed, Failed, Stopping, Stopped]");
  for (const char* s : {"Initializing", "InProgress", "Completed", "Failed", "Stopping", "Stopped"})
    EXPECT_TRUE(Valid("ListLabelingJobs", Parse(std::string(R"({"StatusEquals": ")") + s + "\"}")));
  ExpectOne(
      "ListLabelingJobsForWorkteam",
      Parse(R"({"WorkteamArn": "arn:aws:sagemaker:r:123456789012:workteam/x", "SortBy": "Name"})"),
      "Value 'Name' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value "
      "set: [CreationTime]");
  ExpectOne(
      "ListWorkteams", Parse(R"({"SortBy": "CreationTime"})"),
      "Value 'CreationTime' at 'sortBy' failed to satisfy constraint: Member must satisfy enum "
      "value set: [Name, CreateDate]");
  ExpectOne(
      "UpdateWorkteam",
      Parse(
          R"({"WorkteamName": "t", "WorkerAccessConfiguration": {"S3Presign": {"IamPolicyConstraints": {"SourceIp": "On"}}}})"),
      "Value 'On' at 'workerAccessConfiguration.s3Presign.iamPolicyConstraints.sourceIp' failed "
      "to satisfy constraint: Member must satisfy enum value set: [Enabled, Disabled]");
  // A list of enums reports the whole list.
  ExpectOne(
      "CreateLabelingJob",
      With(kCreateJob, "InputConfig/DataAttributes/ContentClassifiers",
           R"(["FreeOfAdultContent", "Nope"])"),
      "Value '[FreeOfAdultContent, Nope]' at 'inputConfig.dataAttributes.contentClassifiers' "
      "failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum "
      "value set: [FreeOfPersonallyIdentifiableInformation, FreeOfAdultContent]]");
}

TEST(ValidationTest, ListSizes) {
  ExpectOne("CreateLabelingJob",
            With(kCreateJob, "HumanTaskConfig/TaskKeywords", R"(["a","b","c","d","e","f"])"),
            "Value '[a, b, c, d, e, f]' at 'humanTaskConfig.taskKeywords' failed to satisfy "
            "constraint: Member must have length less than or equal to 5");
  ExpectOne(
      "CreateLabelingJob", With(kCreateJob, "HumanTaskConfig/TaskKeywords", "[]"),
      "Value '[]' at 'humanTaskConfig.taskKeywords' failed to satisfy constraint: Member must "
      "have length greater than or equal to 1");
  EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, "Tags", "[]")));
  std::string tags50 = "[", tags51;
  for (int i = 0; i < 50; ++i)
    tags50 +=
        std::string(i ? "," : "") + R"({"Key": "k)" + std::to_string(i) + R"(", "Value": "v"})";
  tags51 = tags50 + R"(,{"Key": "k50", "Value": "v"}])";
  tags50 += "]";
  EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, "Tags", tags50)));
  auto e = ValidateRequest("CreateLabelingJob", With(kCreateJob, "Tags", tags51));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->message.starts_with(
      "1 validation error detected: Value '[{\"Key\":\"k0\",\"Value\":\"v\"}, "));
  EXPECT_TRUE(e->message.ends_with(
      "' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"))
      << e->message;
  ExpectOne(
      "CreateWorkteam", With(kCreateTeam, "MemberDefinitions", "[]"),
      "Value '[]' at 'memberDefinitions' failed to satisfy constraint: Member must have length "
      "greater than or equal to 1");
  std::string groups11 = "[";
  for (int i = 0; i < 11; ++i)
    groups11 += std::string(i ? "," : "") + "\"g" + std::to_string(i) + "\"";
  groups11 += "]";
  ExpectOne(
      "CreateWorkteam",
      With(kCreateTeam, "MemberDefinitions",
           R"([{"OidcMemberDefinition": {"Groups": )" + groups11 + "}}]"),
      "Value '[g0, g1, g2, g3, g4, g5, g6, g7, g8, g9, g10]' at "
      "'memberDefinitions.1.member.oidcMemberDefinition.groups' failed to satisfy constraint: "
      "Member must have length less than or equal to 10");
}

TEST(ValidationTest, ListMembers) {
  // Scalar members: one error for the list, every broken rule once.
  ExpectOne(
      "CreateLabelingJob",
      With(kCreateJob, "HumanTaskConfig/TaskKeywords", R"(["ok", "bad!", "two  spaces", ""])"),
      "Value '[ok, bad!, two  spaces, ]' at 'humanTaskConfig.taskKeywords' failed to satisfy "
      "constraint: Member must satisfy constraint: [Member must satisfy regular expression "
      "pattern: ^[A-Za-z0-9]+( [A-Za-z0-9]+)*$, Member must have length greater than or equal to "
      "1]");
  EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, "HumanTaskConfig/TaskKeywords",
                                              R"(["Image classification", "x1"])")));
  ExpectOne(
      "CreateLabelingJob", With(kCreateJob, "HumanTaskConfig/TaskKeywords", R"(["a", null])"),
      "Value '[a, null]' at 'humanTaskConfig.taskKeywords' failed to satisfy constraint: Member "
      "must satisfy constraint: [Member must not be null]");
  // Structure members: indexed from 1.
  ExpectOne(
      "CreateLabelingJob",
      With(kCreateJob, "Tags", R"([{"Key": "a", "Value": "b"}, {"Key": "c"}])"),
      "Value null at 'tags.2.member.value' failed to satisfy constraint: Member must not be null");
  ExpectOne("CreateLabelingJob", With(kCreateJob, "Tags", R"([null])"),
            "Value null at 'tags.1.member' failed to satisfy constraint: Member must not be null");
  ExpectOne(
      "CreateWorkteam",
      With(kCreateTeam, "MemberDefinitions/0/CognitoMemberDefinition/UserPool", "\"bad\""),
      "Value 'bad' at 'memberDefinitions.1.member.cognitoMemberDefinition.userPool' failed to "
      "satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+");
}

TEST(ValidationTest, NestedShapes) {
  ExpectOne(
      "CreateLabelingJob",
      With(kCreateJob, "InputConfig/DataSource/S3DataSource/ManifestS3Uri", "\"ftp://b/k\""),
      "Value 'ftp://b/k' at 'inputConfig.dataSource.s3DataSource.manifestS3Uri' failed to satisfy "
      "constraint: Member must satisfy regular expression pattern: ^(https|s3)://([^/]+)/?(.*)$");
  ExpectOne("CreateLabelingJob", With(kCreateJob, "InputConfig/DataSource/SnsDataSource", "{}"),
            "Value null at 'inputConfig.dataSource.snsDataSource.snsTopicArn' failed to satisfy "
            "constraint: Member must not be null");
  ExpectOne("CreateLabelingJob",
            With(kCreateJob, "OutputConfig/SnsTopicArn", "\"arn:aws:sns:us-west-2:123:t\""),
            "Value 'arn:aws:sns:us-west-2:123:t' at 'outputConfig.snsTopicArn' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "arn:aws[a-z\\-]*:sns:[a-z0-9\\-]*:[0-9]{12}:[a-zA-Z0-9_.-]+");
  const std::string algo = json::serialize(With(kCreateJob, "LabelingJobAlgorithmsConfig", R"({
      "LabelingJobAlgorithmSpecificationArn": "arn:aws:sagemaker:us-west-2:027400017018:labeling-job-algorithm-specification/text-classification",
      "InitialActiveLearningModelArn": "arn:aws:sagemaker:us-west-2:123456789012:model/m",
      "LabelingJobResourceConfig": {"VolumeKmsKeyId": "k", "VpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]}}})"));
  EXPECT_TRUE(Valid("CreateLabelingJob", Parse(algo)));
  ExpectOne(
      "CreateLabelingJob",
      With(algo, "LabelingJobAlgorithmsConfig/LabelingJobAlgorithmSpecificationArn", ""),
      "Value null at 'labelingJobAlgorithmsConfig.labelingJobAlgorithmSpecificationArn' failed "
      "to satisfy constraint: Member must not be null");
  ExpectOne(
      "CreateLabelingJob",
      With(algo, "LabelingJobAlgorithmsConfig/LabelingJobAlgorithmSpecificationArn", "\"nope\""),
      "Value 'nope' at 'labelingJobAlgorithmsConfig.labelingJobAlgorithmSpecificationArn' failed "
      "to satisfy constraint: Member must satisfy regular expression pattern: arn:.*");
  ExpectMessage(
      "CreateLabelingJob",
      With(algo, "LabelingJobAlgorithmsConfig/InitialActiveLearningModelArn",
           "\"arn:aws:sagemaker:x\""),
      "2 validation errors detected: Value 'arn:aws:sagemaker:x' at "
      "'labelingJobAlgorithmsConfig.initialActiveLearningModelArn' "
      "failed to satisfy constraint: Member must satisfy regular expression pattern: "
      "arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:model/.*; Value 'arn:aws:sagemaker:x' at "
      "'labelingJobAlgorithmsConfig.initialActiveLearningModelArn' failed to satisfy constraint: "
      "Member must have length greater than or equal to 20");
  ExpectOne(
      "CreateLabelingJob",
      With(algo, "LabelingJobAlgorithmsConfig/LabelingJobResourceConfig/VpcConfig/SecurityGroupIds",
           "[]"),
      "Value '[]' at "
      "'labelingJobAlgorithmsConfig.labelingJobResourceConfig.vpcConfig.securityGroupIds' "
      "failed to satisfy constraint: Member must have length greater than or equal to 1");
  ExpectOne(
      "CreateLabelingJob",
      With(algo, "LabelingJobAlgorithmsConfig/LabelingJobResourceConfig/VpcConfig/Subnets",
           R"(["subnet_1"])"),
      "Value '[subnet_1]' at "
      "'labelingJobAlgorithmsConfig.labelingJobResourceConfig.vpcConfig.subnets' "
      "failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy regular "
      "expression pattern: [-0-9a-zA-Z]+]");
  ExpectOne(
      "CreateLabelingJob",
      With(algo, "LabelingJobAlgorithmsConfig/LabelingJobResourceConfig/VpcConfig/SecurityGroupIds",
           R"(["a","b","c","d","e","f"])"),
      "Value '[a, b, c, d, e, f]' at "
      "'labelingJobAlgorithmsConfig.labelingJobResourceConfig.vpcConfig.securityGroupIds' "
      "failed to satisfy constraint: Member must have length less than or equal to 5");
}

TEST(ValidationTest, ArnPatterns) {
  ExpectOne(
      "CreateLabelingJob", With(kCreateJob, "HumanTaskConfig/WorkteamArn", "\"my-team\""),
      "Value 'my-team' at 'humanTaskConfig.workteamArn' failed to satisfy constraint: Member must "
      "satisfy regular expression pattern: "
      "arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:workteam/.*");
  ExpectOne(
      "CreateLabelingJob",
      With(kCreateJob, "HumanTaskConfig/PreHumanTaskLambdaArn", "\"PRE-TextMultiClass\""),
      "Value 'PRE-TextMultiClass' at 'humanTaskConfig.preHumanTaskLambdaArn' failed to satisfy "
      "constraint: Member must satisfy regular expression pattern: "
      "arn:aws[a-z\\-]*:lambda:[a-z0-9\\-]*:[0-9]{12}:function:.*");
  // Full match: a valid ARN with a prefix is not valid.
  EXPECT_FALSE(Valid("CreateLabelingJob",
                     With(kCreateJob, "HumanTaskConfig/WorkteamArn",
                          "\"x arn:aws:sagemaker:us-west-2:123456789012:workteam/t\"")));
  EXPECT_TRUE(
      Valid("CreateLabelingJob",
            With(kCreateJob, "HumanTaskConfig/WorkteamArn",
                 "\"arn:aws-cn:sagemaker:cn-north-1:123456789012:workteam/private-crowd/t\"")));
  ExpectOne("CreateLabelingJob",
            With(kCreateJob, "HumanTaskConfig/WorkteamArn",
                 Q("arn:aws:sagemaker:us-west-2:123456789012:workteam/" + std::string(210, 't'))),
            "Value 'arn:aws:sagemaker:us-west-2:123456789012:workteam/" + std::string(210, 't') +
                "' at 'humanTaskConfig.workteamArn' failed to satisfy constraint: Member must have "
                "length less than or equal to 256");
  ExpectOne(
      "CreateWorkteam",
      With(kCreateTeam, "NotificationConfiguration/NotificationTopicArn", "\"arn:aws:sns:x\""),
      "Value 'arn:aws:sns:x' at 'notificationConfiguration.notificationTopicArn' failed to satisfy "
      "constraint: Member must satisfy regular expression pattern: "
      "arn:aws[a-z\\-]*:sns:[a-z0-9\\-]*:[0-9]{12}:[a-zA-Z0-9_.-]*");
  EXPECT_TRUE(
      Valid("CreateWorkteam", With(kCreateTeam, "NotificationConfiguration/NotificationTopicArn",
                                   "\"arn:aws:sns:us-west-2:123456789012:\"")));
}

TEST(ValidationTest, OtherStringPatterns) {
  EXPECT_TRUE(Valid("ListLabelingJobs", Parse(R"({"NameContains": "demo-1"})")));
  ExpectOne("ListLabelingJobs", Parse(R"({"NameContains": "demo job"})"),
            "Value 'demo job' at 'nameContains' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: [a-zA-Z0-9\\-]+");
  ExpectMessage(
      "ListLabelingJobsForWorkteam",
      Parse(
          R"({"WorkteamArn": "arn:aws:sagemaker:r:123456789012:workteam/x", "JobReferenceCodeContains": ""})"),
      "2 validation errors detected: Value '' at 'jobReferenceCodeContains' failed to "
      "satisfy constraint: Member must satisfy regular expression pattern: .+; Value '' at "
      "'jobReferenceCodeContains' failed to satisfy constraint: Member must have length "
      "greater than or equal to 1");
  ExpectOne("ListLabelingJobs", Parse(R"({"NextToken": ")" + std::string(8193, 't') + "\"}"),
            "Value '" + std::string(8193, 't') +
                "' at 'nextToken' failed to satisfy constraint: "
                "Member must have length less than or equal to 8192");
  // WorkforceName allows a trailing '-', WorkteamName does not.
  EXPECT_TRUE(Valid("CreateWorkteam", With(kCreateTeam, "WorkforceName", "\"default-\"")));
  ExpectOne("CreateWorkteam", With(kCreateTeam, "WorkforceName", "\"-default\""),
            "Value '-default' at 'workforceName' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: ^[a-zA-Z0-9]([a-zA-Z0-9\\-]){0,62}$");
  EXPECT_FALSE(Valid("CreateWorkteam", With(kCreateTeam, "WorkteamName", "\"team-\"")));
  // ClientId: printable ASCII only.
  ExpectOne(
      "CreateWorkteam",
      With(kCreateTeam, "MemberDefinitions/0/CognitoMemberDefinition/ClientId", Q("cl\xC3\xA9")),
      "Value 'cl\xC3\xA9' at 'memberDefinitions.1.member.cognitoMemberDefinition.clientId' failed "
      "to satisfy constraint: Member must satisfy regular expression pattern: [ -~]+");
  EXPECT_TRUE(Valid(
      "CreateWorkteam",
      With(kCreateTeam, "MemberDefinitions/0/CognitoMemberDefinition/ClientId", "\"a b~c\"")));
  // Java's '.' does not match line terminators: ".+" rejects a newline.
  ExpectOne(
      "CreateWorkteam", With(kCreateTeam, "Description", "\"line1\\nline2\""),
      "Value 'line1\nline2' at 'description' failed to satisfy constraint: Member must satisfy "
      "regular expression pattern: .+");
  EXPECT_TRUE(Valid("CreateWorkteam", With(kCreateTeam, "Description", "\"tab\\there\"")));
  // KmsKeyId: ".*" accepts anything, even empty (DescribeLabelingJob echoes "").
  EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, "OutputConfig/KmsKeyId", "\"\"")));
}

TEST(ValidationTest, TaskTitleCharacters) {
  const char* path = "HumanTaskConfig/TaskTitle";
  for (const char* ok :
       {"Label the birds", "tab\tnew\nline\rok", "\xE7\x8C\xAB\xE3\x81\xAE\xE5\x88\x86\xE9\xA1\x9E",
        "\xD0\x9A\xD0\xBB\xD0\xB0\xD1\x81\xD1\x81", "\xEF\xBF\xBD", "\xEE\x80\x80"})
    EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, path, Q(ok)))) << ok;
  const std::string pattern = "^[\\t\\n\\r -\\uD7FF\\uE000-\\uFFFD]*$";
  ExpectOne(
      "CreateLabelingJob", With(kCreateJob, path, "\"bell\\u0007\""),
      "Value 'bell\a' at 'humanTaskConfig.taskTitle' failed to satisfy constraint: Member must "
      "satisfy regular expression pattern: " +
          pattern);
  // Characters outside the BMP (emoji) are outside the class.
  ExpectOne("CreateLabelingJob", With(kCreateJob, path, Q("smile \xF0\x9F\x98\x80")),
            "Value 'smile \xF0\x9F\x98\x80' at 'humanTaskConfig.taskTitle' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: " +
                pattern);
  EXPECT_FALSE(Valid("CreateLabelingJob", With(kCreateJob, path, "\"\\uFFFE\"")));
}

TEST(ValidationTest, TagKeyUnicodeClasses) {
  const std::string pattern = "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$";
  for (const char* ok :
       {"project", "cost-center:team/a=b+c@d_e.f", "with space",
        "\xE3\x83\x97\xE3\x83\xAD\xE3\x82\xB8\xE3\x82\xA7\xE3\x82\xAF\xE3\x83\x88",  // プロジェクト
        "cl\xC3\xA9", "\xD9\xA3\xD9\xA4", "\xCE\xB1\xCE\xB2\xCE\xB3",
        "\xE2\x85\xA0",                                              // é, ٣٤, αβγ, Ⅰ
        "\xED\x95\x9C\xEA\xB8\x80", "\xE0\xA4\xB9\xE0\xA4\xBF"}) {   // 한글, हि (has a mark)
    bool expect_ok = std::string(ok) != "\xE0\xA4\xB9\xE0\xA4\xBF";  // U+093F is \p{M}: not allowed
    EXPECT_EQ(Valid("CreateLabelingJob", With(kCreateJob, "Tags/0/Key", Q(ok))), expect_ok) << ok;
  }
  ExpectOne("CreateLabelingJob", With(kCreateJob, "Tags/0/Key", "\"tag!\""),
            "Value 'tag!' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: " +
                pattern);
  ExpectOne(
      "CreateLabelingJob", With(kCreateJob, "Tags/0/Value", Q("\xF0\x9F\x98\x80")),
      "Value '\xF0\x9F\x98\x80' at 'tags.1.member.value' failed to satisfy constraint: Member "
      "must satisfy regular expression pattern: " +
          pattern);
  ExpectOne("CreateLabelingJob", With(kCreateJob, "Tags/0/Key", "\"\""),
            "Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1");
}

TEST(ValidationTest, GroupUnicodeClasses) {
  auto team_with = [](std::string_view group) {
    return With(kCreateTeam, "MemberDefinitions",
                R"([{"OidcMemberDefinition": {"Groups": [)" + Q(group) + "]}}]");
  };
  for (const char* ok :
       {"labelers", "\xC3\xA9quipe-\xCE\xB1", "\xE3\x83\x87\xE3\x83\xBC\xE3\x82\xBF", "a+b$c",
        "\xE0\xA4\xB9\xE0\xA4\xBF", "e\xCC\x81", "team#1!", "\xE2\x82\xAC\xE2\x84\xA2"})
    EXPECT_TRUE(Valid("CreateWorkteam", team_with(ok))) << ok;
  const std::string pattern = "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+";
  for (const char* bad : {"with space", "tab\there", "nbsp\xC2\xA0x", "ctl\x01"}) {
    ExpectOne(
        "CreateWorkteam", team_with(bad),
        "Value '[" + std::string(bad) +
            "]' at 'memberDefinitions.1.member.oidcMemberDefinition.groups' "
            "failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy "
            "regular expression pattern: " +
            pattern + "]");
  }
  EXPECT_TRUE(Valid("CreateWorkteam",
                    With(kCreateTeam, "MemberDefinitions/0/CognitoMemberDefinition/UserGroup",
                         Q("\xD0\xB3\xD1\x80\xD1\x83\xD0\xBF\xD0\xBF\xD0\xB0"))));
  ExpectOne(
      "CreateWorkteam",
      With(kCreateTeam, "MemberDefinitions/0/CognitoMemberDefinition/UserGroup", "\"a b\""),
      "Value 'a b' at 'memberDefinitions.1.member.cognitoMemberDefinition.userGroup' failed to "
      "satisfy constraint: Member must satisfy regular expression pattern: " +
          pattern);
}

// ---------------------------------------------------------------------------
// §1.2 business rules: checked only on shape-valid requests, first one wins.

std::string JobWith(std::string_view path, std::string_view value,
                    std::string_view base = kCreateJob) {
  return json::serialize(With(base, path, value));
}
std::string Lambda(std::string_view fn) {
  return Q("arn:aws:lambda:us-west-2:081040173940:function:" + std::string(fn));
}
// A job of the given built-in type: PRE/ACS pair and label attribute name.
std::string JobOfType(std::string_view type, std::string_view label) {
  std::string j =
      JobWith("HumanTaskConfig/PreHumanTaskLambdaArn", Lambda("PRE-" + std::string(type)));
  j = JobWith("HumanTaskConfig/AnnotationConsolidationConfig/AnnotationConsolidationLambdaArn",
              Lambda("ACS-" + std::string(type)), j);
  return JobWith("LabelAttributeName", Q(label), j);
}
std::string HostedUi(std::string_view base, std::string_view name) {
  std::string j = JobWith("HumanTaskConfig/UiConfig/UiTemplateS3Uri", "", base);
  return JobWith("HumanTaskConfig/UiConfig/HumanTaskUiArn",
                 Q("arn:aws:sagemaker:us-west-2:394669845002:human-task-ui/" + std::string(name)),
                 j);
}

TEST(ValidationRulesTest, UiConfigExactlyOneMember) {
  const std::string msg =
      "UiConfig must contain exactly one of UiTemplateS3Uri and HumanTaskUiArn.";
  ExpectRule("CreateLabelingJob", With(kCreateJob, "HumanTaskConfig/UiConfig", "{}"), msg);
  ExpectRule(
      "CreateLabelingJob",
      With(kCreateJob, "HumanTaskConfig/UiConfig/HumanTaskUiArn",
           "\"arn:aws:sagemaker:us-west-2:394669845002:human-task-ui/NamedEntityRecognition\""),
      msg);
  // Shape errors come first; the rule is not reached.
  auto e = ValidateRequest("CreateLabelingJob",
                           With(JobWith("HumanTaskConfig/UiConfig", "{}"), "RoleArn", "\"x\""));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->message.starts_with("2 validation errors detected: Value 'x' at 'roleArn'"))
      << e->message;
}

TEST(ValidationRulesTest, LabelAttributeNameReservedForms) {
  ExpectRule("CreateLabelingJob", With(kCreateJob, "LabelAttributeName", "\"sentiment-metadata\""),
             "LabelAttributeName 'sentiment-metadata' must not end with \"-metadata\".");
  for (const char* reserved : {"source", "source-ref"})
    ExpectRule(
        "CreateLabelingJob", With(kCreateJob, "LabelAttributeName", Q(reserved)),
        "LabelAttributeName must not be \"source\" or \"source-ref\": those keys hold the data "
        "object in the manifest.");
  EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, "LabelAttributeName", "\"source2\"")));
  EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, "LabelAttributeName", "\"metadata\"")));
}

TEST(ValidationRulesTest, RefSuffixByTaskType) {
  for (const char* t : {"TextMultiClass", "TextMultiClassMultiLabel", "ImageMultiClass",
                        "ImageMultiClassMultiLabel", "BoundingBox", "VerificationBoundingBox"}) {
    EXPECT_TRUE(Valid("CreateLabelingJob", Parse(JobOfType(t, "label")))) << t;
    ExpectRule("CreateLabelingJob", Parse(JobOfType(t, "label-ref")),
               "LabelAttributeName 'label-ref' must not end with \"-ref\" for task type " +
                   std::string(t) + ".");
  }
  for (const char* t : {"SemanticSegmentation", "AdjustmentSemanticSegmentation",
                        "VerificationSemanticSegmentation"}) {
    EXPECT_TRUE(Valid("CreateLabelingJob", Parse(JobOfType(t, "mask-ref")))) << t;
    ExpectRule(
        "CreateLabelingJob", Parse(JobOfType(t, "mask")),
        "LabelAttributeName 'mask' must end with \"-ref\" for task type " + std::string(t) + ".");
  }
  // Custom hooks: -ref is forbidden too (AWS: only the listed types use it).
  std::string custom = JobWith("HumanTaskConfig/PreHumanTaskLambdaArn",
                               "\"arn:aws:lambda:us-west-2:123456789012:function:my-pre\"");
  custom = JobWith("HumanTaskConfig/AnnotationConsolidationConfig/AnnotationConsolidationLambdaArn",
                   "\"arn:aws:lambda:us-west-2:123456789012:function:my-post\"", custom);
  EXPECT_TRUE(Valid("CreateLabelingJob", Parse(custom)));
  ExpectRule("CreateLabelingJob", Parse(JobWith("LabelAttributeName", "\"x-ref\"", custom)),
             "LabelAttributeName 'x-ref' must not end with \"-ref\" for custom labeling jobs.");
}

TEST(ValidationRulesTest, PreAndAcsPairing) {
  ExpectRule("CreateLabelingJob",
             Parse(JobWith(
                 "HumanTaskConfig/AnnotationConsolidationConfig/AnnotationConsolidationLambdaArn",
                 Lambda("ACS-ImageMultiClass"))),
             "PreHumanTaskLambdaArn (PRE-TextMultiClass) and AnnotationConsolidationLambdaArn "
             "(ACS-ImageMultiClass) must belong to the same built-in task type.");
  ExpectRule("CreateLabelingJob",
             Parse(JobWith("HumanTaskConfig/AnnotationConsolidationConfig", "")),
             "AnnotationConsolidationConfig is required when PreHumanTaskLambdaArn is the built-in "
             "function PRE-TextMultiClass.");
  ExpectRule(
      "CreateLabelingJob",
      Parse(JobWith("HumanTaskConfig/PreHumanTaskLambdaArn", Lambda("ACS-TextMultiClass"))),
      "PreHumanTaskLambdaArn names a consolidation function (ACS-TextMultiClass); use the PRE- "
      "function of the task type.");
  ExpectRule(
      "CreateLabelingJob",
      Parse(
          JobWith("HumanTaskConfig/AnnotationConsolidationConfig/AnnotationConsolidationLambdaArn",
                  Lambda("PRE-TextMultiClass"))),
      "AnnotationConsolidationLambdaArn names a pre-annotation function (PRE-TextMultiClass); "
      "use the ACS- function of the task type.");
  // A custom pre hook with a built-in consolidation, other regions, qualifiers.
  EXPECT_TRUE(Valid("CreateLabelingJob",
                    Parse(JobWith("HumanTaskConfig/PreHumanTaskLambdaArn",
                                  "\"arn:aws:lambda:eu-west-1:123456789012:function:my-pre\""))));
  EXPECT_TRUE(Valid(
      "CreateLabelingJob",
      Parse(JobWith("HumanTaskConfig/PreHumanTaskLambdaArn",
                    "\"arn:aws:lambda:eu-west-1:568282634449:function:PRE-TextMultiClass:1\""))));
  // No PRE hook (newer model): the ACS alone decides the task type.
  EXPECT_TRUE(
      Valid("CreateLabelingJob", Parse(JobWith("HumanTaskConfig/PreHumanTaskLambdaArn", ""))));
}

TEST(ValidationRulesTest, QualifiedHookArnsNameTheirBuiltin) {
  // A version or alias after the function name changes nothing: the rules
  // see the same built-in task type as without it (tasktypes' table).
  std::string q = JobWith("HumanTaskConfig/PreHumanTaskLambdaArn",
                          Lambda("PRE-SemanticSegmentation:3"));
  q = JobWith("HumanTaskConfig/AnnotationConsolidationConfig/AnnotationConsolidationLambdaArn",
              Lambda("ACS-SemanticSegmentation:$LATEST"), q);
  ExpectRule("CreateLabelingJob", Parse(JobWith("LabelAttributeName", "\"mask\"", q)),
             "LabelAttributeName 'mask' must end with \"-ref\" for task type "
             "SemanticSegmentation.");
  EXPECT_TRUE(Valid("CreateLabelingJob", Parse(JobWith("LabelAttributeName", "\"mask-ref\"", q))));
  ExpectRule("CreateLabelingJob",
             Parse(JobWith(
                 "HumanTaskConfig/AnnotationConsolidationConfig/AnnotationConsolidationLambdaArn",
                 Lambda("ACS-ImageMultiClass:prod"))),
             "PreHumanTaskLambdaArn (PRE-TextMultiClass) and AnnotationConsolidationLambdaArn "
             "(ACS-ImageMultiClass) must belong to the same built-in task type.");
  ExpectRule(
      "CreateLabelingJob",
      Parse(JobWith("HumanTaskConfig/PreHumanTaskLambdaArn", Lambda("ACS-TextMultiClass:2"))),
      "PreHumanTaskLambdaArn names a consolidation function (ACS-TextMultiClass); use the PRE- "
      "function of the task type.");
}

TEST(ValidationRulesTest, TaskTimeLimitMaximum) {
  EXPECT_TRUE(Valid("CreateLabelingJob",
                    With(kCreateJob, "HumanTaskConfig/TaskTimeLimitInSeconds", "28800")));
  ExpectRule("CreateLabelingJob",
             With(kCreateJob, "HumanTaskConfig/TaskTimeLimitInSeconds", "28801"),
             "TaskTimeLimitInSeconds (28801) must be less than or equal to 28800 for task type "
             "TextMultiClass.");
  // 3D point cloud and video frame jobs may run up to 30 days.
  const std::string cloud =
      HostedUi(JobOfType("3DPointCloudObjectDetection", "boxes"), "PointCloudObjectDetection");
  EXPECT_TRUE(Valid("CreateLabelingJob",
                    Parse(JobWith("HumanTaskConfig/TaskTimeLimitInSeconds", "604800", cloud))));
  ExpectRule("CreateLabelingJob",
             Parse(JobWith("HumanTaskConfig/TaskTimeLimitInSeconds", "2592001", cloud)),
             "TaskTimeLimitInSeconds (2592001) must be less than or equal to 2592000 for task type "
             "3DPointCloudObjectDetection.");
}

TEST(ValidationRulesTest, HostedUiOnlyForTypesThatUseOne) {
  EXPECT_TRUE(Valid("CreateLabelingJob", Parse(HostedUi(JobOfType("NamedEntityRecognition", "ner"),
                                                        "NamedEntityRecognition"))));
  EXPECT_TRUE(Valid(
      "CreateLabelingJob",
      Parse(HostedUi(JobOfType("VideoObjectTracking", "tracks-ref"), "VideoObjectTracking"))));
  ExpectRule("CreateLabelingJob", Parse(HostedUi(kCreateJob, "NamedEntityRecognition")),
             "HumanTaskUiArn cannot be used with task type TextMultiClass; give "
             "UiConfig.UiTemplateS3Uri instead.");
}

TEST(ValidationRulesTest, AvailabilityLifetimeAndPublicWorkforce) {
  const char* life = "HumanTaskConfig/TaskAvailabilityLifetimeInSeconds";
  EXPECT_TRUE(Valid("CreateLabelingJob", With(kCreateJob, life, "2592000")));
  ExpectRule(
      "CreateLabelingJob", With(kCreateJob, life, "2592001"),
      "TaskAvailabilityLifetimeInSeconds (2592001) must be less than or equal to 2592000 for a "
      "private workforce.");
  const std::string pub =
      JobWith("HumanTaskConfig/WorkteamArn",
              "\"arn:aws:sagemaker:us-west-2:394669845002:workteam/public-crowd/default\"");
  EXPECT_TRUE(Valid("CreateLabelingJob", Parse(JobWith(life, "43200", pub))));
  ExpectRule(
      "CreateLabelingJob", Parse(JobWith(life, "43201", pub)),
      "TaskAvailabilityLifetimeInSeconds (43201) must be less than or equal to 43200 for the "
      "public workforce.");
  ExpectRule(
      "CreateLabelingJob",
      Parse(JobWith("InputConfig/DataAttributes/ContentClassifiers", R"(["FreeOfAdultContent"])",
                    JobWith(life, "3600", pub))),
      "The public workforce requires InputConfig.DataAttributes.ContentClassifiers to contain "
      "FreeOfPersonallyIdentifiableInformation.");
}

TEST(ValidationRulesTest, MemberDefinitionsKinds) {
  const std::string cognito =
      R"({"CognitoMemberDefinition": {"UserPool": "us-west-2_abc123", "UserGroup": "g2", "ClientId": "client123"}})";
  const std::string oidc = R"({"OidcMemberDefinition": {"Groups": ["g"]}})";
  EXPECT_TRUE(Valid("CreateWorkteam",
                    With(kCreateTeam, "MemberDefinitions", "[" + cognito + "," + cognito + "]")));
  EXPECT_TRUE(Valid("CreateWorkteam",
                    With(kCreateTeam, "MemberDefinitions", "[" + oidc + "," + oidc + "]")));
  EXPECT_TRUE(Valid("CreateWorkteam",
                    With(kCreateTeam, "MemberDefinitions", R"([{"OidcMemberDefinition": {}}])")));
  ExpectRule("CreateWorkteam",
             With(kCreateTeam, "MemberDefinitions", "[" + cognito + "," + oidc + "]"),
             "MemberDefinitions cannot mix CognitoMemberDefinition and OidcMemberDefinition.");
  ExpectRule("UpdateWorkteam", Parse(R"({"WorkteamName": "t", "MemberDefinitions": [{}]})"),
             "Each MemberDefinition must contain exactly one of CognitoMemberDefinition and "
             "OidcMemberDefinition.");
  ExpectRule(
      "CreateWorkteam",
      With(
          kCreateTeam, "MemberDefinitions",
          R"([{"OidcMemberDefinition": {"Groups": ["g"]}, "CognitoMemberDefinition": {"UserPool": "p_1", "UserGroup": "g", "ClientId": "c"}}])"),
      "Each MemberDefinition must contain exactly one of CognitoMemberDefinition and "
      "OidcMemberDefinition.");
  ExpectRule(
      "CreateWorkteam",
      With(
          kCreateTeam, "MemberDefinitions",
          "[" + cognito +
              R"(, {"CognitoMemberDefinition": {"UserPool": "us-west-2_other", "UserGroup": "g", "ClientId": "client123"}}])"),
      "All CognitoMemberDefinitions of a work team must use the same UserPool and ClientId.");
}

// ---------------------------------------------------------------------------
// Building blocks.

TEST(RegexTest, FullMatchSemantics) {
  using detail::RegexFullMatch;
  EXPECT_TRUE(RegexFullMatch("arn:.*", "arn:x"));
  EXPECT_FALSE(RegexFullMatch("arn:.*", "xarn:x"));
  EXPECT_FALSE(RegexFullMatch("[a-z]+", "abc1"));
  EXPECT_TRUE(RegexFullMatch("^(https|s3)://([^/]+)/?(.*)$", "s3://b"));
  EXPECT_TRUE(RegexFullMatch("^(https|s3)://([^/]+)/?(.*)$", "https://host/a/b"));
  EXPECT_FALSE(RegexFullMatch("^(https|s3)://([^/]+)/?(.*)$", "http://host/a"));
  EXPECT_FALSE(RegexFullMatch("^(https|s3)://([^/]+)/?(.*)$", "s3:///key"));
  EXPECT_TRUE(RegexFullMatch("a{3}", "aaa"));
  EXPECT_FALSE(RegexFullMatch("a{3}", "aa"));
  EXPECT_TRUE(RegexFullMatch("a{2,}", "aaaaa"));
  EXPECT_TRUE(RegexFullMatch("a{1,2}b?", "aab"));
  EXPECT_FALSE(RegexFullMatch("a{1,2}b?", "aaab"));
  EXPECT_TRUE(RegexFullMatch("(?:ab|cd)*", "abcdab"));
  EXPECT_TRUE(RegexFullMatch("\\d{12}", "123456789012"));
  EXPECT_FALSE(RegexFullMatch("\\d{12}", "12345678901"));
  EXPECT_TRUE(RegexFullMatch("[\\w-]+_[0-9a-zA-Z]+", "us-west-2_abc123"));
  EXPECT_TRUE(RegexFullMatch("https://\\S+", "https://x/y"));
  EXPECT_FALSE(RegexFullMatch("https://\\S+", "https://x y"));
  EXPECT_TRUE(RegexFullMatch("[^/]+", "abc"));
  EXPECT_TRUE(RegexFullMatch("\\u00e9+", "\xC3\xA9\xC3\xA9"));
  EXPECT_TRUE(RegexFullMatch("", ""));
  EXPECT_TRUE(RegexFullMatch(".*", ""));
  EXPECT_FALSE(RegexFullMatch(".+", ""));
  EXPECT_FALSE(RegexFullMatch(".", "\xE2\x80\xA8"));  // U+2028 is a line terminator
  EXPECT_THROW(RegexFullMatch("(a", "a"), std::invalid_argument);
  EXPECT_THROW(RegexFullMatch("\\p{Lu}", "A"), std::invalid_argument);
  EXPECT_THROW(RegexFullMatch("a\\1", "a"), std::invalid_argument);
}

TEST(RegexTest, LinearTimeOnHostileInput) {
  // Classic catastrophic-backtracking shape; the NFA simulation stays linear.
  const std::string text = std::string(100000, 'a') + "!";
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(detail::RegexFullMatch("^[A-Za-z0-9]+( [A-Za-z0-9]+)*$", text));
  EXPECT_FALSE(detail::RegexFullMatch("(a*)*b", text));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(UnicodeTest, MajorCategories) {
  using detail::UnicodeMajorCategory;
  const std::pair<char32_t, char> cases[] = {
      {U'a', 'L'},    {U'Z', 'L'},    {U'5', 'N'},   {U' ', 'Z'},   {U'!', 'P'},    {U'-', 'P'},
      {U'_', 'P'},    {U'+', 'S'},    {U'$', 'S'},   {U'\t', 'C'},  {0x7F, 'C'},    {0xA0, 'Z'},
      {0xA9, 'S'},    {0xAD, 'C'},    {0xE9, 'L'},   {0xD7, 'S'},   {0x0301, 'M'},  {0x03B1, 'L'},
      {0x0416, 'L'},  {0x05D0, 'L'},  {0x0627, 'L'}, {0x0663, 'N'}, {0x060C, 'P'},  {0x0939, 'L'},
      {0x093F, 'M'},  {0x0966, 'N'},  {0x0995, 'L'}, {0x09BE, 'M'}, {0x09E6, 'N'},  {0x0B95, 'L'},
      {0x0E01, 'L'},  {0x0E31, 'M'},  {0x10D0, 'L'}, {0x1100, 'L'}, {0x2013, 'P'},  {0x2028, 'Z'},
      {0x200B, 'C'},  {0x20AC, 'S'},  {0x2122, 'S'}, {0x2160, 'N'}, {0x2192, 'S'},  {0x3000, 'Z'},
      {0x3001, 'P'},  {0x3042, 'L'},  {0x30A2, 'L'}, {0x4E2D, 'L'}, {0xAC00, 'L'},  {0xE000, 'C'},
      {0xFF01, 'P'},  {0xFF21, 'L'},  {0xFF10, 'N'}, {0xFFFD, 'S'}, {0x1F600, 'S'}, {0x1D400, 'L'},
      {0x20000, 'L'}, {0x10FFFF, 'C'}};
  for (const auto& [cp, cat] : cases)
    EXPECT_EQ(UnicodeMajorCategory(cp), cat) << std::hex << static_cast<uint32_t>(cp);
}

}  // namespace
}  // namespace plumbline::api
