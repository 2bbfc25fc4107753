#include <gtest/gtest.h>

#include <set>

#include "tasktypes/tasktypes.hpp"

namespace plumbline::tasktypes {
namespace {

TEST(RegistryTest, EveryBuiltinNameIsInTheTableOnce) {
  std::set<std::string_view> names;
  for (const auto& row : BuiltinTaskTypes()) {
    EXPECT_TRUE(names.insert(row.name).second) << row.name;
    EXPECT_TRUE(row.output_type.starts_with("groundtruth/")) << row.name;
    EXPECT_GE(row.min_labels, 1) << row.name;
    EXPECT_EQ(FindBuiltin(row.name), &row);
  }
  // The 2023 model's 22 plus PassThrough (spec §3.1), and Plumbline's own
  // PlumblineShapes, last.
  EXPECT_EQ(names.size(), 24u);
  EXPECT_EQ(BuiltinTaskTypes().back().name, "PlumblineShapes");
  EXPECT_EQ(FindBuiltin("textmulticlass"), nullptr);  // names are exact
  EXPECT_EQ(FindBuiltin("Custom"), nullptr);
}

TEST(RegistryTest, TheClassificationTypesAndNerRun) {
  const TaskType* text = Find("TextMultiClass");
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->Name(), "TextMultiClass");
  EXPECT_EQ(&text->Info(), FindBuiltin("TextMultiClass"));
  EXPECT_EQ(Find("TextMultiClass"), text);  // one instance for the process
  for (const char* name : {"ImageMultiClass", "TextMultiClassMultiLabel",
                           "ImageMultiClassMultiLabel", "NamedEntityRecognition"}) {
    ASSERT_NE(Find(name), nullptr) << name;
    EXPECT_EQ(Find(name)->Name(), name);
    EXPECT_EQ(&Find(name)->Info(), FindBuiltin(name));
  }
  EXPECT_EQ(Find("VideoMultiClass"), nullptr);  // known, not implemented
  EXPECT_NE(FindBuiltin("VideoMultiClass"), nullptr);
  EXPECT_EQ(Find("NoSuchType"), nullptr);
  EXPECT_EQ(Find(""), nullptr);
}

TEST(RegistryTest, TheTableCarriesSpecRules) {
  EXPECT_TRUE(FindBuiltin("SemanticSegmentation")->ref_label_attribute);
  EXPECT_TRUE(FindBuiltin("VerificationSemanticSegmentation")->ref_label_attribute);
  EXPECT_FALSE(FindBuiltin("3DPointCloudObjectDetection")->ref_label_attribute);
  EXPECT_TRUE(FindBuiltin("3DPointCloudObjectTracking")->ref_label_attribute);
  EXPECT_FALSE(FindBuiltin("BoundingBox")->ref_label_attribute);
  EXPECT_TRUE(FindBuiltin("NamedEntityRecognition")->hosted_ui);
  EXPECT_FALSE(FindBuiltin("NamedEntityRecognition")->frame_or_cloud);
  EXPECT_TRUE(FindBuiltin("AdjustmentVideoObjectTracking")->frame_or_cloud);
  EXPECT_FALSE(FindBuiltin("VideoMultiClass")->frame_or_cloud);
  EXPECT_EQ(FindBuiltin("TextMultiClassMultiLabel")->max_labels, 50);
  EXPECT_EQ(OutputType("BoundingBox"), "groundtruth/object-detection");
  EXPECT_EQ(OutputType("my-hook"), "groundtruth/custom");
}

TEST(HookArnTest, RegionAccountAndQualifierAreRead) {
  auto pre = ParseHookArn("arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass");
  EXPECT_TRUE(pre.builtin);
  EXPECT_EQ(pre.kind, HookKind::kPre);
  EXPECT_EQ(pre.task_type, "TextMultiClass");
  EXPECT_EQ(pre.function_name, "PRE-TextMultiClass");
  EXPECT_EQ(pre.region, "us-west-2");
  EXPECT_EQ(pre.account, "081040173940");
  EXPECT_EQ(pre.qualifier, "");
  EXPECT_TRUE(pre.ground_truth_account);

  // A version or alias after the name names the same built-in.
  for (const char* q : {"1", "$LATEST", "prod"}) {
    auto v = ParseHookArn(
        std::string("arn:aws:lambda:eu-west-1:568282634449:function:ACS-TextMultiClass:") + q);
    EXPECT_TRUE(v.builtin) << q;
    EXPECT_EQ(v.kind, HookKind::kAcs);
    EXPECT_EQ(v.task_type, "TextMultiClass");
    EXPECT_EQ(v.function_name, "ACS-TextMultiClass");
    EXPECT_EQ(v.qualifier, q);
    EXPECT_TRUE(v.ground_truth_account);
  }
  auto custom = ParseHookArn("arn:aws:lambda:us-west-2:111122223333:function:my-hook:7");
  EXPECT_FALSE(custom.builtin);
  EXPECT_EQ(custom.function_name, "my-hook");
  EXPECT_EQ(custom.qualifier, "7");
  EXPECT_EQ(custom.task_type, "");
  EXPECT_FALSE(ParseHookArn("PRE-TextMultiClass").builtin);  // not an ARN
  EXPECT_FALSE(ParseHookArn("").builtin);
}

TEST(HookArnTest, BuiltinsAreKnownByNameInEveryRegionAndAccount) {
  for (std::string_view region :
       {"us-east-1", "us-east-2", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2",
        "eu-central-1", "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1",
        "ap-southeast-2"}) {
    ASSERT_TRUE(GroundTruthAccount(region)) << region;
    for (const auto& row : BuiltinTaskTypes()) {
      auto ref = ParseHookArn(BuiltinHookArn(HookKind::kAcs, row.name, region));
      EXPECT_TRUE(ref.builtin) << row.name;
      EXPECT_EQ(ref.kind, HookKind::kAcs);
      EXPECT_EQ(ref.task_type, row.name);
      EXPECT_EQ(ref.region, region);
      EXPECT_TRUE(ref.ground_truth_account);
    }
  }
  EXPECT_EQ(BuiltinHookArn(HookKind::kPre, "TextMultiClass", "ap-south-1"),
            "arn:aws:lambda:ap-south-1:565803892007:function:PRE-TextMultiClass");
  // Copied from another region, or another partition: still the built-in.
  auto moved = ParseHookArn("arn:aws:lambda:us-east-1:081040173940:function:PRE-TextMultiClass");
  EXPECT_TRUE(moved.builtin);
  EXPECT_FALSE(moved.ground_truth_account);
  auto cn = ParseHookArn("arn:aws-cn:lambda:cn-north-1:000000000000:function:PRE-BoundingBox");
  EXPECT_TRUE(cn.builtin);
  EXPECT_EQ(cn.region, "cn-north-1");
  EXPECT_FALSE(cn.ground_truth_account);
  EXPECT_FALSE(GroundTruthAccount("cn-north-1"));
}

TEST(LabelAttributeTest, RulesFollowTheTypesRow) {
  EXPECT_FALSE(LabelAttributeNameProblem("label", FindBuiltin("TextMultiClass")));
  EXPECT_FALSE(LabelAttributeNameProblem("mask-ref", FindBuiltin("SemanticSegmentation")));
  EXPECT_EQ(LabelAttributeNameProblem("mask", FindBuiltin("SemanticSegmentation")).value(),
            "LabelAttributeName 'mask' must end with \"-ref\" for task type SemanticSegmentation.");
  EXPECT_EQ(LabelAttributeNameProblem("x-ref", nullptr).value(),
            "LabelAttributeName 'x-ref' must not end with \"-ref\" for custom labeling jobs.");
  EXPECT_TRUE(LabelAttributeNameProblem("source-ref", nullptr));
  EXPECT_TRUE(LabelAttributeNameProblem("a-metadata", FindBuiltin("BoundingBox")));
}

}  // namespace
}  // namespace plumbline::tasktypes
