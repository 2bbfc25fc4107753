// Request validation for the SageMaker operations Plumbline serves: the
// service model's constraints (required members, JSON types, string lengths,
// integer ranges, list sizes, enums, regex patterns with full-match semantics,
// nested shapes) followed by Ground Truth's own server rules (spec §1.2).
//
// The shapes are written out in validation.cpp from the 2017-07-24 SageMaker
// model, widened where the newer model is more permissive (spec §1.12:
// PreHumanTaskLambdaArn, AnnotationConsolidationConfig and
// OidcMemberDefinition.Groups optional; WorkerAccessConfiguration accepted).
// Unknown members are ignored; JSON null counts as absent.
//
// Error format (AWS Coral style, spec §2.7):
//   "2 validation errors detected: Value 'x!' at 'labelingJobName' failed to
//    satisfy constraint: Member must satisfy regular expression pattern: ...;
//    Value null at 'roleArn' failed to satisfy constraint: Member must not be null"
// Paths are member names with a lower-case first letter joined by '.'. A list
// of structures is indexed from 1 ("memberDefinitions.1.member.cognitoMember
// Definition.userPool"); constraints on the members of a list of strings are
// reported once for the whole list, as AWS does ("Value '[a, b!]' at
// 'humanTaskConfig.taskKeywords' failed to satisfy constraint: Member must
// satisfy constraint: [Member must satisfy regular expression pattern: ...]").
// Lengths count UTF-16 code units, as Java does. Shape errors are reported all
// at once; the §1.2 business rules run only on a shape-valid request and
// report the first violation in prose.
//
// Built-in task types and their rules (the -ref suffix, hosted UIs, frame
// and point cloud limits) come from tasktypes' table; the regex engine and
// the Unicode table are in api/detail/ (regex.hpp, unicode.hpp).
//
// Thread safety: ValidateRequest is pure and may run concurrently. See
// tests/api/validation_test.cpp for every rule with good and bad examples.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plumbline::api {

struct ApiError {
  std::string code;     // "ValidationException" or "SerializationException"
  std::string message;  // AWS-style text for the "message" member
};

// Validates the JSON body of `operation` ("CreateLabelingJob", without the
// "SageMaker." prefix). Returns nullopt when the request is acceptable, or
// when the operation is not one of the ten this file knows (CreateLabelingJob,
// DescribeLabelingJob, ListLabelingJobs, StopLabelingJob,
// ListLabelingJobsForWorkteam, CreateWorkteam, DescribeWorkteam,
// ListWorkteams, UpdateWorkteam, DeleteWorkteam). Otherwise:
//  * SerializationException: the body is not a JSON object, or a member has
//    the wrong JSON type (integers must be integral numbers within 32 bits;
//    timestamps accept integer or floating epoch seconds);
//  * ValidationException: constraint violations, or a §1.2 rule.
std::optional<ApiError> ValidateRequest(std::string_view operation, const boost::json::value& body);

// True for the ten operations above.
bool HasRequestShape(std::string_view operation);

}  // namespace plumbline::api
