#include "portal/media.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/ids.hpp"
#include "storage/object_store.hpp"

namespace plumbline::portal {
namespace {
namespace fs = std::filesystem;

class MediaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-media-" + RandomHex(6));
    objects_ = storage::OpenLocal(dir_.string());
    ASSERT_TRUE(objects_->WriteAll("s3://b/cat.jpg", "JPEGDATA"));
    signer_ = std::make_unique<MediaSigner>("k", *objects_, clock_);
    signer_->Register(router_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  http::Response Get(const std::string& target) {
    http::Request r;
    r.method = "GET";
    r.target = target;
    r.path = target.substr(0, target.find('?'));
    r.query = target.substr(target.find('?') + 1);
    return router_.Dispatch(r);
  }
  fs::path dir_;
  FakeClock clock_{1'000'000'000'000};
  std::unique_ptr<storage::ObjectStore> objects_;
  std::unique_ptr<MediaSigner> signer_;
  http::Router router_;
};

TEST_F(MediaTest, SignedUrlServesTheObjectUntilItExpires) {
  std::string url = signer_->Sign("s3://b/cat.jpg", 60);
  EXPECT_EQ(url.rfind("/worker/media?uri=s3%3A%2F%2Fb%2Fcat.jpg&expires=", 0), 0u) << url;
  auto ok = Get(url);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "JPEGDATA");
  // Readable by the sandboxed task frame's canvas (CORS).
  bool cors = false;
  for (const auto& h : ok.headers) cors = cors || (h.name == "Access-Control-Allow-Origin" && h.value == "*");
  EXPECT_TRUE(cors);
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_EQ(Get(url).status, 403);
}

TEST_F(MediaTest, TamperedUriOrSignatureIsRefused) {
  std::string url = signer_->Sign("s3://b/cat.jpg", 60);
  std::string other = url;
  other.replace(other.find("cat.jpg"), 7, "dog.jpg");
  EXPECT_EQ(Get(other).status, 403);
  std::string bad_sig = url.substr(0, url.size() - 1) + (url.back() == '0' ? "1" : "0");
  EXPECT_EQ(Get(bad_sig).status, 403);
  EXPECT_EQ(Get(signer_->Sign("s3://b/missing.jpg", 60)).status, 404);
}

}  // namespace
}  // namespace plumbline::portal
