#include "common/json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace plumbline::json {
namespace {

TEST(JsonTest, SerializesNumbersLikeGroundTruthFiles) {
  boost::json::object o;
  o["confidence"] = 0.84;
  o["zero"] = 0;
  o["one"] = 1.0;
  o["t"] = 1763926841.501;
  EXPECT_EQ(Serialize(o), R"({"confidence":0.84,"zero":0,"one":1.0,"t":1763926841.501})");
}

TEST(JsonTest, EscapesControlCharactersAndKeepsUtf8) {
  EXPECT_EQ(Serialize(boost::json::string("a\"b\\c\n\x01é")), "\"a\\\"b\\\\c\\n\\u0001é\"");
}

TEST(JsonTest, KeepsKeyOrderAndParsesErrors) {
  auto v = Parse(R"({"b":1,"a":[true,null,"x"]})");
  ASSERT_TRUE(v);
  EXPECT_EQ(Serialize(*v), R"({"b":1,"a":[true,null,"x"]})");
  EXPECT_FALSE(Parse("{\"a\":"));
  EXPECT_EQ(GetInt(v->as_object(), "b"), 1);
  EXPECT_FALSE(GetString(v->as_object(), "b"));
}

}  // namespace
}  // namespace plumbline::json
