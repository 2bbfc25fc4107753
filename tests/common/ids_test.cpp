#include "common/ids.hpp"

#include <gtest/gtest.h>

#include <set>

namespace plumbline {
namespace {

TEST(IdsTest, AlphabetsAndLengths) {
  std::string a = RandomAlnum(40);
  EXPECT_EQ(a.size(), 40u);
  for (char c : a) EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)));
  std::string u = RandomUpperAlnum(16);
  for (char c : u) EXPECT_TRUE(isupper(static_cast<unsigned char>(c)) || isdigit(c));
  EXPECT_EQ(RandomHex(8).size(), 16u);
}

TEST(IdsTest, UuidShapeAndUniqueness) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = RandomUuid();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '4');
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace plumbline
