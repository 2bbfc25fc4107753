#include "portal/media.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/ids.hpp"
#include "support/loopback.hpp"
#include "storage/object_store.hpp"

namespace plumbline::portal {
namespace {
namespace fs = std::filesystem;

// The response's body, streamed or not; a streamed one must be exactly
// body_size bytes long.
std::string BodyOf(const http::Response& r) {
  if (!r.body_source) return r.body;
  std::string out;
  char buf[3];  // small reads: the source must keep its place
  for (;;) {
    auto n = r.body_source->Read(buf, sizeof buf);
    EXPECT_TRUE(n.has_value());
    if (!n || *n == 0) break;
    out.append(buf, *n);
  }
  EXPECT_EQ(out.size(), r.body_size);
  return out;
}

std::string HeaderOf(const http::Response& r, std::string_view name) {
  for (const auto& h : r.headers)
    if (h.name == name) return h.value;
  return "";
}

// A store whose readers cannot say what they read before reading it (as
// the decrypting one): media are then read whole and tagged by digest.
class OpaqueStore final : public storage::ObjectStore {
 public:
  explicit OpaqueStore(storage::ObjectStore& inner) : inner_(inner) {}
  Result<std::unique_ptr<storage::Reader>> OpenRead(const std::string& uri) override {
    PLB_ASSIGN_OR_RETURN(auto r, inner_.OpenRead(uri));
    return std::unique_ptr<storage::Reader>(new Plain(std::move(r)));
  }
  Result<std::unique_ptr<storage::Writer>> OpenWrite(const std::string& uri) override {
    return inner_.OpenWrite(uri);
  }

 private:
  struct Plain final : storage::Reader {
    explicit Plain(std::unique_ptr<storage::Reader> r) : r(std::move(r)) {}
    Result<size_t> Read(char* buf, size_t n) override { return r->Read(buf, n); }
    std::unique_ptr<storage::Reader> r;
  };
  storage::ObjectStore& inner_;
};

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
  http::Response Get(const std::string& target, std::vector<http::Header> headers = {},
                     const char* method = "GET") {
    http::Request r;
    r.method = method;
    r.target = target;
    r.path = target.substr(0, target.find('?'));
    r.query = target.substr(target.find('?') + 1);
    r.headers = std::move(headers);
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
  EXPECT_EQ(BodyOf(ok), "JPEGDATA");
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

TEST_F(MediaTest, WholeObjectIsCacheableWhileTheLinkLastsAndStreamed) {
  std::string url = signer_->Sign("s3://b/cat.jpg", 600);
  auto r = Get(url);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.body_source) << "a store object is streamed, not copied into the response";
  EXPECT_EQ(BodyOf(r), "JPEGDATA");
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "image/jpeg");
  EXPECT_EQ(HeaderOf(r, "Accept-Ranges"), "bytes");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "private, max-age=600");
  std::string etag = HeaderOf(r, "ETag");
  ASSERT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  // Later the cache may keep it only for what is left of the link's life.
  clock_.Advance(std::chrono::seconds(100));
  EXPECT_EQ(HeaderOf(Get(url), "Cache-Control"), "private, max-age=500");
  // Refusals are never cached.
  EXPECT_EQ(HeaderOf(Get(url + "0"), "Cache-Control"), "no-store");
}

TEST_F(MediaTest, RangesAnswer206WithContentRange) {
  std::string url = signer_->Sign("s3://b/cat.jpg", 60);  // "JPEGDATA": 8 bytes
  struct Case {
    const char* range;
    const char* content_range;
    const char* body;
  };
  for (const Case& c : {Case{"bytes=0-3", "bytes 0-3/8", "JPEG"}, Case{"bytes=4-", "bytes 4-7/8", "DATA"},
                        Case{"bytes=-2", "bytes 6-7/8", "TA"}, Case{"bytes=2-100", "bytes 2-7/8", "EGDATA"}}) {
    auto r = Get(url, {{"Range", c.range}});
    EXPECT_EQ(r.status, 206) << c.range;
    EXPECT_EQ(HeaderOf(r, "Content-Range"), c.content_range) << c.range;
    EXPECT_EQ(BodyOf(r), c.body) << c.range;
  }
}

TEST_F(MediaTest, UnsatisfiableRangeIs416AndSeveralRangesGetTheWhole) {
  std::string url = signer_->Sign("s3://b/cat.jpg", 60);
  auto past = Get(url, {{"Range", "bytes=8-"}});
  EXPECT_EQ(past.status, 416);
  EXPECT_EQ(HeaderOf(past, "Content-Range"), "bytes */8");
  auto several = Get(url, {{"Range", "bytes=0-1,4-5"}});
  EXPECT_EQ(several.status, 200);
  EXPECT_EQ(BodyOf(several), "JPEGDATA");
  auto malformed = Get(url, {{"Range", "bytes=5-2"}});
  EXPECT_EQ(malformed.status, 200);
  EXPECT_EQ(BodyOf(malformed), "JPEGDATA");
}

TEST_F(MediaTest, IfNoneMatchIs304AndIfRangeNeedsTheCurrentTag) {
  std::string url = signer_->Sign("s3://b/cat.jpg", 60);
  std::string etag = HeaderOf(Get(url), "ETag");
  auto same = Get(url, {{"If-None-Match", etag}});
  EXPECT_EQ(same.status, 304);
  EXPECT_EQ(BodyOf(same), "");
  EXPECT_EQ(HeaderOf(same, "ETag"), etag);
  EXPECT_EQ(Get(url, {{"If-None-Match", "\"other\""}}).status, 200);
  auto resumed = Get(url, {{"Range", "bytes=4-"}, {"If-Range", etag}});
  EXPECT_EQ(resumed.status, 206);
  EXPECT_EQ(BodyOf(resumed), "DATA");
  auto stale = Get(url, {{"Range", "bytes=4-"}, {"If-Range", "\"old\""}});
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(BodyOf(stale), "JPEGDATA");

  // A new version of the object under the same URI has another tag: the
  // browser's copy is no longer current.
  ASSERT_TRUE(objects_->WriteAll("s3://b/cat.jpg", "PNGDATA!"));
  auto changed = Get(url, {{"If-None-Match", etag}});
  EXPECT_EQ(changed.status, 200);
  EXPECT_NE(HeaderOf(changed, "ETag"), etag);
  EXPECT_EQ(BodyOf(changed), "PNGDATA!");
}

// HEAD answers what GET would, headers only: the same status and headers
// (ETag, caching, Content-Range) and the length GET would send, with a body
// source that reads nothing.
TEST_F(MediaTest, HeadAnswersAsGetWithoutTheBody) {
  const std::string url = signer_->Sign("s3://b/cat.jpg", 600);
  const std::string etag = HeaderOf(Get(url), "ETag");
  const std::vector<std::pair<std::vector<http::Header>, int>> cases = {
      {{}, 200},
      {{{"Range", "bytes=1-2"}}, 206},
      {{{"Range", "bytes=100-"}}, 416},
      {{{"If-None-Match", etag}}, 304},
  };
  for (const auto& [headers, status] : cases) {
    const auto get = Get(url, headers);
    const auto head = Get(url, headers, "HEAD");
    ASSERT_EQ(get.status, status);
    EXPECT_EQ(head.status, status);
    ASSERT_EQ(head.headers.size(), get.headers.size()) << status;
    for (size_t i = 0; i < get.headers.size(); ++i) {
      EXPECT_EQ(head.headers[i].name, get.headers[i].name) << status;
      EXPECT_EQ(head.headers[i].value, get.headers[i].value) << status;
    }
    if (get.body_source) {
      ASSERT_NE(head.body_source, nullptr) << status;
      EXPECT_EQ(head.body_size, get.body_size) << status;
      char buf[16];
      EXPECT_EQ(head.body_source->Read(buf, sizeof buf).value(), 0u) << status;
      EXPECT_FALSE(head.body_source->File()) << status;  // no file kept open to send
    }
  }
  EXPECT_EQ(Get(url, {}, "HEAD").body_size, 8u);
  EXPECT_EQ(Get(url, {{"Range", "bytes=1-2"}}, "HEAD").body_size, 2u);
  EXPECT_EQ(Get(signer_->Sign("s3://b/missing.jpg", 60), {}, "HEAD").status, 404);
  EXPECT_EQ(Get(url + "0", {}, "HEAD").status, 403);
  // Objects read whole to be tagged (decrypted ones) answer HEAD alike.
  OpaqueStore opaque(*objects_);
  MediaSigner signer("k", opaque, clock_);
  http::Request r;
  r.method = "HEAD";
  r.target = signer.Sign("s3://b/cat.jpg", 60);
  r.query = r.target.substr(r.target.find('?') + 1);
  const auto whole = signer.Serve(r);
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body_size, 8u);
  EXPECT_TRUE(whole.body.empty());
  EXPECT_EQ(HeaderOf(whole, "ETag").size(), 34u);  // a digest's 32 hex digits, quoted
}

// One request on a fresh connection to 127.0.0.1:port; the whole answer as
// it came over the wire (the server closes after it).
std::string Exchange(uint16_t port, const std::string& method, const std::string& target,
                     const std::string& headers = "") {
  return testing_support::RequestRaw(port, method, target, headers);
}

// The value of a header in a raw answer ("" when absent).
std::string RawHeader(const std::string& answer, const std::string& name) {
  size_t at = answer.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  at += name.size() + 4;
  return answer.substr(at, answer.find("\r\n", at) - at);
}

TEST_F(MediaTest, HeadOverHttpSendsTheHeadersOfGetAndNoBytes) {
  http::ServerOptions options;
  options.port = 0;
  options.threads = 1;
  auto server = http::Server::Start(options, [&](http::Request& r, http::Respond respond) {
                  router_.Dispatch(r, std::move(respond));
                }).value();
  std::thread io([&] { server->Run(); });
  const std::string url = signer_->Sign("s3://b/cat.jpg", 600);
  for (const std::string range : {"", "Range: bytes=2-5\r\n"}) {
    const std::string get = Exchange(server->port(), "GET", url, range);
    const std::string head = Exchange(server->port(), "HEAD", url, range);
    EXPECT_EQ(head.substr(0, 12), get.substr(0, 12)) << head;  // "HTTP/1.1 200" or 206
    for (const char* name : {"Content-Length", "ETag", "Cache-Control", "Content-Type", "Accept-Ranges", "Content-Range"})
      EXPECT_EQ(RawHeader(head, name), RawHeader(get, name)) << name;
    EXPECT_EQ(RawHeader(head, "Content-Length"), range.empty() ? "8" : "4");
    EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;  // nothing after the headers
    EXPECT_TRUE(get.ends_with(range.empty() ? "\r\n\r\nJPEGDATA" : "\r\n\r\nEGDA")) << get;
  }
  server->Stop();
  io.join();
}

TEST_F(MediaTest, LargeObjectRangeSkipsToItsStart) {
  std::string big(3u << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(objects_->WriteAll("s3://b/big.png", big));
  auto r = Get(signer_->Sign("s3://b/big.png", 60), {{"Range", "bytes=2097152-2097161"}});
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(HeaderOf(r, "Content-Range"), "bytes 2097152-2097161/3145728");
  EXPECT_EQ(BodyOf(r), big.substr(2097152, 10));
}

TEST_F(MediaTest, ObjectsWithoutAVersionAreTaggedByTheirBytes) {
  OpaqueStore opaque(*objects_);
  MediaSigner signer("k", opaque, clock_);
  http::Router router;
  signer.Register(router);
  std::string url = signer.Sign("s3://b/cat.jpg", 60);
  auto get = [&](std::vector<http::Header> headers) {
    http::Request r;
    r.method = "GET";
    r.target = url;
    r.path = "/worker/media";
    r.query = url.substr(url.find('?') + 1);
    r.headers = std::move(headers);
    return router.Dispatch(r);
  };
  auto whole = get({});
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(BodyOf(whole), "JPEGDATA");
  std::string etag = HeaderOf(whole, "ETag");
  EXPECT_EQ(get({{"If-None-Match", etag}}).status, 304);
  auto part = get({{"Range", "bytes=1-2"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(BodyOf(part), "PE");
  EXPECT_EQ(get({{"Range", "bytes=100-"}}).status, 416);
  // The same bytes, the same tag, whichever store they came from.
  ASSERT_TRUE(objects_->WriteAll("s3://b/cat.jpg", "JPEGDATA"));
  EXPECT_EQ(HeaderOf(get({}), "ETag"), etag);
}

}  // namespace
}  // namespace plumbline::portal
