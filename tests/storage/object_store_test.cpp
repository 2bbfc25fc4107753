#include "storage/object_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/ids.hpp"

namespace plumbline::storage {
namespace {
namespace fs = std::filesystem;

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-storage-" + RandomHex(6));
    fs::create_directories(dir_);
    store_ = OpenLocal(dir_.string());
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(LocalStoreTest, S3UrisMapToBucketsFolder) {
  ASSERT_TRUE(store_->WriteAll("s3://bucket/a/b.txt", "hello"));
  EXPECT_TRUE(fs::exists(dir_ / "buckets" / "bucket" / "a" / "b.txt"));
  EXPECT_EQ(store_->ReadAll("s3://bucket/a/b.txt").value(), "hello");
  auto path = (dir_ / "buckets" / "bucket" / "a" / "b.txt").string();
  EXPECT_EQ(store_->ReadAll(path).value(), "hello");
  EXPECT_EQ(store_->ReadAll("file://" + path).value(), "hello");
}

TEST_F(LocalStoreTest, MissingObjectIsNotFoundAndNamesUri) {
  auto r = store_->ReadAll("s3://bucket/nope");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("s3://bucket/nope"), std::string::npos);
}

TEST_F(LocalStoreTest, RejectsKeysEscapingTheBucketAndUnknownSchemes) {
  EXPECT_EQ(store_->ReadAll("s3://bucket/../../etc/passwd").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->ReadAll("gs://bucket/x").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(LocalStoreTest, UncommittedWriterLeavesNothing) {
  {
    auto w = store_->OpenWrite("s3://bucket/partial").value();
    ASSERT_TRUE(w->Append("half"));
  }
  EXPECT_EQ(store_->ReadAll("s3://bucket/partial").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "buckets" / "bucket"),
                          fs::directory_iterator()),
            0);
}

TEST_F(LocalStoreTest, BatchWritesEveryObjectOrLeavesNoTemporaryFile) {
  ASSERT_TRUE(store_->WriteAllBatch({{"s3://bucket/a/1.json", "one"}, {"s3://bucket/b/2.json", "two"}}));
  EXPECT_EQ(store_->ReadAll("s3://bucket/a/1.json").value(), "one");
  EXPECT_EQ(store_->ReadAll("s3://bucket/b/2.json").value(), "two");
  // A bad key after a good one: an error, and the good one's temporary file is gone.
  auto failed = store_->WriteAllBatch({{"s3://bucket/c/3.json", "three"}, {"s3://bucket/../x", "x"}});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->ReadAll("s3://bucket/c/3.json").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "buckets" / "bucket" / "c"),
                          fs::directory_iterator()),
            0);
}

// A write makes the folders its key names, however deep and whether or not
// the last one exists; a key under an object (a file, not a folder) fails
// and leaves the object as it was.
TEST_F(LocalStoreTest, WritesMakeTheirFoldersAndRefuseAFileAsOne) {
  ASSERT_TRUE(store_->WriteAllBatch({{"s3://bucket/x/y/z/1.json", "deep"},
                                     {"s3://bucket/x/y/z/2.json", "beside"},
                                     {"s3://bucket/x/y/w/3.json", "sibling"}}));
  EXPECT_EQ(store_->ReadAll("s3://bucket/x/y/z/1.json").value(), "deep");
  EXPECT_EQ(store_->ReadAll("s3://bucket/x/y/z/2.json").value(), "beside");
  EXPECT_EQ(store_->ReadAll("s3://bucket/x/y/w/3.json").value(), "sibling");
  ASSERT_TRUE(store_->WriteAll("s3://bucket/x/y/z/1.json", "again"));
  EXPECT_EQ(store_->ReadAll("s3://bucket/x/y/z/1.json").value(), "again");
  auto under_file = store_->WriteAll("s3://bucket/x/y/z/1.json/inner.json", "no");
  ASSERT_FALSE(under_file);
  EXPECT_NE(under_file.error().message.find("s3://bucket/x/y/z/1.json/inner.json"),
            std::string::npos)
      << under_file.error().message;
  EXPECT_EQ(store_->ReadAll("s3://bucket/x/y/z/1.json").value(), "again");
}

TEST_F(LocalStoreTest, LineReaderNumbersLinesAndHandlesCrLf) {
  std::string big(70000, 'x');
  ASSERT_TRUE(store_->WriteAll("s3://b/m", "a\r\n\nb\n" + big + "\nlast"));
  LineReader lines(store_->OpenRead("s3://b/m").value());
  std::string_view line;
  std::vector<std::string> got;
  while (lines.Next(&line).value()) got.emplace_back(line);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0], "a");
  EXPECT_EQ(got[1], "");
  EXPECT_EQ(got[3].size(), 70000u);
  EXPECT_EQ(got[4], "last");
  EXPECT_EQ(lines.line_number(), 5u);
}

TEST_F(LocalStoreTest, LineReaderBoundsLineLength) {
  ASSERT_TRUE(store_->WriteAll("s3://b/long", "ok\n" + std::string(5000, 'y') + "\n"));
  LineReader lines(store_->OpenRead("s3://b/long").value(), 1000);
  std::string_view line;
  EXPECT_TRUE(lines.Next(&line).value());
  auto r = lines.Next(&line);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos);
}

TEST(UriTest, ParseAndJoin) {
  std::string b, k;
  EXPECT_TRUE(ParseS3Uri("s3://bkt/x/y", &b, &k));
  EXPECT_EQ(b, "bkt");
  EXPECT_EQ(k, "x/y");
  EXPECT_FALSE(ParseS3Uri("s3:///x", &b, &k));
  EXPECT_EQ(JoinUri("s3://b/out/", "/job/manifests"), "s3://b/out/job/manifests");
  EXPECT_EQ(JoinUri("s3://b/out", "job"), "s3://b/out/job");
}

}  // namespace
}  // namespace plumbline::storage
