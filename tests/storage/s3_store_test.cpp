// The S3 store against a real S3 protocol peer: s3rver (npm, installed by
// `npm ci` at the repository root), started on 127.0.0.1 with a free port for
// this test binary and stopped by PID at the end. Without node or s3rver the
// tests FAIL (they must not pass silently in CI).
#include "storage/object_store.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/ids.hpp"

namespace plumbline::storage {
namespace {
namespace fs = std::filesystem;

constexpr const char* kBucket = "plumbline-test";

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// One s3rver process for the whole binary.
class S3rver {
 public:
  static S3rver& Get() {
    static S3rver instance;
    return instance;
  }
  const std::string& error() const { return error_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  ~S3rver() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

 private:
  S3rver() {
    const std::string script = std::string(PLUMBLINE_SOURCE_DIR) + "/node_modules/s3rver/bin/s3rver.js";
    if (::access("/usr/bin/node", X_OK) != 0 && std::system("command -v node >/dev/null 2>&1") != 0) {
      error_ = "node is not installed; the S3 tests need node and the npm package s3rver (run npm ci)";
      return;
    }
    if (!fs::exists(script)) {
      error_ = "s3rver is missing (" + script + "); run `npm ci` in the repository root";
      return;
    }
    dir_ = fs::temp_directory_path() / ("plb-s3rver-" + RandomHex(6));
    fs::create_directories(dir_);
    port_ = FreePort();
    int out[2];
    if (::pipe(out) != 0) {
      error_ = "pipe failed";
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      ::close(out[0]);
      std::string port = std::to_string(port_);
      std::string data = dir_.string();
      ::execlp("node", "node", script.c_str(), "-d", data.c_str(), "-a", "127.0.0.1", "-p", port.c_str(),
               "--configure-bucket", kBucket, static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    // Wait for "S3rver listening on 127.0.0.1:PORT".
    std::string seen;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (seen.find("listening") == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) {
        error_ = "s3rver did not start within 30 s; it printed: " + seen;
        break;
      }
      pollfd p{out[0], POLLIN, 0};
      if (::poll(&p, 1, 200) > 0) {
        char buf[512];
        ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0) {
          error_ = "s3rver exited at start; it printed: " + seen;
          break;
        }
        seen.append(buf, static_cast<size_t>(n));
      }
    }
    // Keep draining its output so that it never blocks on a full pipe.
    int fd = out[0];
    std::thread([fd] {
      char buf[4096];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
      ::close(fd);
    }).detach();
  }

  pid_t pid_ = -1;
  uint16_t port_ = 0;
  fs::path dir_;
  std::string error_;
};

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& server = S3rver::Get();
    if (!server.error().empty()) GTEST_FAIL() << server.error();
    S3Options o;
    o.endpoint = server.endpoint();
    o.access_key_id = "S3RVER";
    o.secret_access_key = "S3RVER";
    o.part_bytes = 5u << 20;
    o.read_bytes = 1u << 20;
    o.backoff_ms = 10;
    store_ = OpenS3(o);
    prefix_ = std::string("s3://") + kBucket + "/" + RandomHex(4) + "/";
  }
  std::unique_ptr<ObjectStore> store_;
  std::string prefix_;
};

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 4096) & 0xff);
  return s;
}

TEST_F(S3StoreTest, PutAndGet) {
  ASSERT_TRUE(store_->WriteAll(prefix_ + "dir/a b+c.txt", "hello s3"));
  EXPECT_EQ(store_->ReadAll(prefix_ + "dir/a b+c.txt").value(), "hello s3");
  ASSERT_TRUE(store_->WriteAll(prefix_ + "empty", ""));
  EXPECT_EQ(store_->ReadAll(prefix_ + "empty").value(), "");
  // Overwrite.
  ASSERT_TRUE(store_->WriteAll(prefix_ + "dir/a b+c.txt", "second"));
  EXPECT_EQ(store_->ReadAll(prefix_ + "dir/a b+c.txt").value(), "second");
}

TEST_F(S3StoreTest, StreamsAMultiMebibyteObjectInRanges) {
  std::string data = Pattern((3u << 20) + 12345);
  ASSERT_TRUE(store_->WriteAll(prefix_ + "big.bin", data));
  auto reader = store_->OpenRead(prefix_ + "big.bin").value();
  std::string got;
  char buf[100000];
  for (;;) {
    size_t n = reader->Read(buf, sizeof buf).value();
    if (n == 0) break;
    got.append(buf, n);
  }
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
  // Line by line, as the runner reads manifests.
  std::string manifest;
  for (int i = 0; i < 50000; ++i) manifest += "{\"source\":\"line " + std::to_string(i) + "\"}\n";
  ASSERT_TRUE(store_->WriteAll(prefix_ + "dataset.manifest", manifest));
  LineReader lines(store_->OpenRead(prefix_ + "dataset.manifest").value());
  std::string_view line;
  int n = 0;
  while (lines.Next(&line).value()) {
    ASSERT_EQ(line, "{\"source\":\"line " + std::to_string(n) + "\"}");
    ++n;
  }
  EXPECT_EQ(n, 50000);
}

TEST_F(S3StoreTest, MultipartUploadAboveFiveMebibytes) {
  std::string data = Pattern((11u << 20) + 777);
  auto w = store_->OpenWrite(prefix_ + "multi.bin").value();
  for (size_t i = 0; i < data.size(); i += 300000) ASSERT_TRUE(w->Append(std::string_view(data).substr(i, 300000)));
  // Not visible before Commit.
  EXPECT_EQ(store_->ReadAll(prefix_ + "multi.bin").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(w->Commit());
  std::string got = store_->ReadAll(prefix_ + "multi.bin").value();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
}

TEST_F(S3StoreTest, DroppedWriterPublishesNothing) {
  {
    auto w = store_->OpenWrite(prefix_ + "dropped.bin").value();
    ASSERT_TRUE(w->Append(Pattern(6u << 20)));  // a multipart upload is under way
  }
  EXPECT_EQ(store_->ReadAll(prefix_ + "dropped.bin").error().code, ErrorCode::kNotFound);
}

TEST_F(S3StoreTest, MissingObjectIsNotFoundNamingTheUri) {
  auto r = store_->OpenRead(prefix_ + "nope.txt");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find(prefix_ + "nope.txt"), std::string::npos) << r.error().message;
  auto bucket = store_->OpenRead("s3://no-such-bucket-plb/x");
  ASSERT_FALSE(bucket);
  EXPECT_EQ(bucket.error().code, ErrorCode::kNotFound);
}

TEST_F(S3StoreTest, UnknownAccessKeyIsPermissionDeniedNamingTheUri) {
  S3Options o;
  o.endpoint = S3rver::Get().endpoint();
  o.access_key_id = "NOT-S3RVER";
  o.secret_access_key = "x";
  auto denied = OpenS3(o)->OpenRead(prefix_ + "a.txt");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(denied.error().message.find(prefix_ + "a.txt"), std::string::npos) << denied.error().message;
}

TEST_F(S3StoreTest, OtherUrisGoToTheFallback) {
  auto dir = fs::temp_directory_path() / ("plb-s3-fallback-" + RandomHex(4));
  auto local = OpenLocal(dir.string());
  S3Options o;
  o.endpoint = S3rver::Get().endpoint();
  o.access_key_id = o.secret_access_key = "S3RVER";
  o.fallback = local.get();
  auto s3 = OpenS3(o);
  ASSERT_TRUE(s3->WriteAll((dir / "x.txt").string(), "local"));
  EXPECT_EQ(local->ReadAll((dir / "x.txt").string()).value(), "local");
  o.fallback = nullptr;
  EXPECT_EQ(OpenS3(o)->ReadAll("/etc/hostname").error().code, ErrorCode::kInvalidArgument);
  fs::remove_all(dir);
}

// A tiny HTTP server that answers 503 `failures` times, then 200 "payload".
class FlakyServer {
 public:
  explicit FlakyServer(int failures) : failures_(failures) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FlakyServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  int requests() const { return requests_; }
  std::string last_request() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_ = req;
      }
      int k = requests_++;
      std::string resp = k < failures_
          ? "HTTP/1.1 503 Slow Down\r\nContent-Length: 63\r\nConnection: close\r\n\r\n"
            "<Error><Code>SlowDown</Code><Message>later</Message></Error>\n\n\n"
          : "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nETag: \"e\"\r\nConnection: close\r\n\r\npayload";
      (void)::write(c, resp.data(), resp.size());
      ::close(c);
    }
  }
  int failures_;
  mutable std::mutex mu_;
  std::string last_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(S3Retries, FiveHundredsAreRetriedWithBackoff) {
  FlakyServer server(2);
  S3Options o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(server.port());
  o.access_key_id = o.secret_access_key = "x";
  o.backoff_ms = 10;
  auto store = OpenS3(o);
  EXPECT_EQ(store->ReadAll("s3://b/k").value(), "payload");
  EXPECT_EQ(server.requests(), 4);  // HEAD: 503, 503, 200; then the GET
}

TEST(S3Retries, GivesUpAfterMaxAttemptsWithUnavailable) {
  FlakyServer server(100);
  S3Options o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(server.port());
  o.access_key_id = o.secret_access_key = "x";
  o.backoff_ms = 5;
  o.max_attempts = 3;
  auto r = OpenS3(o)->ReadAll("s3://b/k");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("s3://b/k"), std::string::npos);
  EXPECT_EQ(server.requests(), 3);
}

TEST(S3Retries, ConnectionRefusedIsRetriedThenUnavailable) {
  S3Options o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(FreePort());
  o.access_key_id = o.secret_access_key = "x";
  o.backoff_ms = 5;
  o.max_attempts = 2;
  auto start = std::chrono::steady_clock::now();
  auto r = OpenS3(o)->ReadAll("s3://b/k");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("2 attempts"), std::string::npos) << r.error().message;
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(5));
}

TEST(S3Options, FromEnvironmentAndSharedFiles) {
  auto dir = fs::temp_directory_path() / ("plb-s3-env-" + RandomHex(4));
  fs::create_directories(dir);
  {
    std::ofstream(dir / "credentials") << "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key=FILESECRET\n"
                                       << "[other]\naws_access_key_id=OTHER\naws_secret_access_key=OS\n";
    std::ofstream(dir / "config") << "[default]\nregion = eu-west-3\n[profile other]\nregion=ap-south-1\n";
  }
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_SESSION_TOKEN");
  ::unsetenv("AWS_REGION");
  ::unsetenv("AWS_DEFAULT_REGION");
  ::unsetenv("AWS_PROFILE");
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", (dir / "credentials").c_str(), 1);
  ::setenv("AWS_CONFIG_FILE", (dir / "config").c_str(), 1);
  auto o = S3OptionsFromEnvironment("http://h:1").value();
  EXPECT_EQ(o.access_key_id, "FILEKEY");
  EXPECT_EQ(o.secret_access_key, "FILESECRET");
  EXPECT_EQ(o.region, "eu-west-3");
  ::setenv("AWS_PROFILE", "other", 1);
  o = S3OptionsFromEnvironment("http://h:1").value();
  EXPECT_EQ(o.access_key_id, "OTHER");
  EXPECT_EQ(o.region, "ap-south-1");
  ::setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
  ::setenv("AWS_REGION", "us-west-2", 1);
  o = S3OptionsFromEnvironment("http://h:1").value();
  EXPECT_EQ(o.access_key_id, "ENVKEY");
  EXPECT_EQ(o.region, "us-west-2");
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_REGION");
  ::unsetenv("AWS_PROFILE");
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", (dir / "none").c_str(), 1);
  EXPECT_EQ(S3OptionsFromEnvironment("").error().code, ErrorCode::kUnauthenticated);
  ::unsetenv("AWS_SHARED_CREDENTIALS_FILE");
  ::unsetenv("AWS_CONFIG_FILE");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace plumbline::storage
