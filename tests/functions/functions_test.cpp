// The functions subsystem: packages, the three runtimes (warm python
// workers, executables, HTTP endpoints) and their faults, and the registry.
#include "functions/functions.hpp"

#include <arpa/inet.h>
#include <signal.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/ids.hpp"
#include "common/json.hpp"

namespace plumbline::functions {
namespace {
namespace fs = std::filesystem;

// A zip archive of the given files (path, content, unix mode), deflated
// when `deflate` is set: what `zip -r` or Python's zipfile would make.
std::string MakeZip(const std::vector<std::tuple<std::string, std::string, int>>& files,
                    bool deflated) {
  std::string out, central;
  auto u16 = [](std::string& s, uint32_t v) {
    s += static_cast<char>(v & 0xff);
    s += static_cast<char>((v >> 8) & 0xff);
  };
  auto u32 = [&](std::string& s, uint32_t v) {
    u16(s, v & 0xffff);
    u16(s, v >> 16);
  };
  for (const auto& [name, content, mode] : files) {
    uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(content.data()),
                         static_cast<uInt>(content.size()));
    std::string data = content;
    if (deflated) {
      z_stream z{};
      deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
      data.resize(deflateBound(&z, content.size()));
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(content.data()));
      z.avail_in = static_cast<uInt>(content.size());
      z.next_out = reinterpret_cast<Bytef*>(data.data());
      z.avail_out = static_cast<uInt>(data.size());
      ::deflate(&z, Z_FINISH);
      data.resize(z.total_out);
      deflateEnd(&z);
    }
    uint32_t offset = static_cast<uint32_t>(out.size());
    uint32_t method = deflated ? 8 : 0;
    u32(out, 0x04034b50);
    u16(out, 20);
    u16(out, 0);
    u16(out, method);
    u32(out, 0);
    u32(out, crc);
    u32(out, static_cast<uint32_t>(data.size()));
    u32(out, static_cast<uint32_t>(content.size()));
    u16(out, static_cast<uint32_t>(name.size()));
    u16(out, 0);
    out += name + data;
    u32(central, 0x02014b50);
    u16(central, 0x0314);  // made by Unix
    u16(central, 20);
    u16(central, 0);
    u16(central, method);
    u32(central, 0);
    u32(central, crc);
    u32(central, static_cast<uint32_t>(data.size()));
    u32(central, static_cast<uint32_t>(content.size()));
    u16(central, static_cast<uint32_t>(name.size()));
    u16(central, 0);
    u16(central, 0);
    u16(central, 0);
    u16(central, 0);
    u32(central, static_cast<uint32_t>(0100000 | mode) << 16);
    u32(central, offset);
    central += name;
  }
  uint32_t cd_offset = static_cast<uint32_t>(out.size());
  out += central;
  u32(out, 0x06054b50);
  u16(out, 0);
  u16(out, 0);
  u16(out, static_cast<uint32_t>(files.size()));
  u16(out, static_cast<uint32_t>(files.size()));
  u32(out, static_cast<uint32_t>(central.size()));
  u32(out, cd_offset);
  u16(out, 0);
  return out;
}

class FunctionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-functions-" + RandomHex(6));
    fs::create_directories(dir_);
    store_ = store::OpenStore({"sqlite:" + (dir_ / "db").string(), false}).value();
    RunnerOptions o;
    o.python_workers = 2;
    runner_ = std::make_unique<Runner>(o);
    registry_ = std::make_unique<Registry>(*store_, (dir_ / "functions").string(),
                                           "123456789012", *runner_, clock_);
  }
  void TearDown() override {
    registry_.reset();
    runner_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  store::Function Python(const std::string& name, const std::string& code, int timeout_s = 3) {
    FunctionSpec s;
    s.name = name;
    s.runtime = "python3.11";
    s.handler = "handler.lambda_handler";
    s.timeout_s = timeout_s;
    s.zip = MakeZip({{"handler.py", code, 0644}}, true);
    return registry_->Create(s, "us-west-2").value();
  }
  store::Function Program(const std::string& name, const std::string& script, int timeout_s = 3) {
    FunctionSpec s;
    s.name = name;
    s.runtime = "provided.al2";
    s.handler = "run.sh";
    s.timeout_s = timeout_s;
    s.zip = MakeZip({{"run.sh", "#!/bin/sh\n" + script, 0755}}, false);
    return registry_->Create(s, "us-west-2").value();
  }
  Invocation Call(const std::string& name, const std::string& event, RunContext ctx = {}) {
    return registry_->Invoke(name, event, ctx).value();
  }
  boost::json::object Obj(const Invocation& inv) {
    auto v = json::Parse(inv.payload);
    EXPECT_TRUE(v && v->is_object()) << inv.payload;
    return v && v->is_object() ? v->get_object() : boost::json::object();
  }

  fs::path dir_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Runner> runner_;
  std::unique_ptr<Registry> registry_;
};

TEST(FunctionNames, NamesAndArnsWithQualifiers) {
  EXPECT_EQ(FunctionNameOf("gt-pre").value(), "gt-pre");
  EXPECT_EQ(FunctionNameOf("gt-pre:$LATEST").value(), "gt-pre");
  EXPECT_EQ(FunctionNameOf("arn:aws:lambda:us-east-1:111122223333:function:gt_acs").value(),
            "gt_acs");
  EXPECT_EQ(FunctionNameOf("arn:aws:lambda:eu-west-1:111122223333:function:gt_acs:prod").value(),
            "gt_acs");
  EXPECT_FALSE(FunctionNameOf("arn:aws:s3:::bucket"));
  EXPECT_FALSE(FunctionNameOf("has space"));
  EXPECT_FALSE(FunctionNameOf(""));
}

TEST(Unzip, StoredAndDeflatedEntriesKeepTheirModesAndBadArchivesAreNamed) {
  auto dir = fs::temp_directory_path() / ("plb-unzip-" + RandomHex(6));
  fs::create_directories(dir);
  std::string big(100000, 'x');
  ASSERT_TRUE(Unzip(MakeZip({{"pkg/a.py", "A = 1\n", 0644}, {"run", big, 0755}}, true),
                    dir.string()));
  std::ifstream in(dir / "pkg/a.py");
  std::string a((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(a, "A = 1\n");
  EXPECT_EQ(fs::file_size(dir / "run"), big.size());
  EXPECT_NE(fs::status(dir / "run").permissions() & fs::perms::owner_exec, fs::perms::none);
  auto escape = Unzip(MakeZip({{"../evil", "x", 0644}}, false), dir.string());
  ASSERT_FALSE(escape);
  EXPECT_NE(escape.error().message.find("../evil"), std::string::npos);
  std::string broken = MakeZip({{"b.txt", "hello", 0644}}, false);
  broken[30 + 5] = 'J';  // the entry's data: its CRC no longer matches
  auto crc = Unzip(broken, dir.string());
  ASSERT_FALSE(crc);
  EXPECT_NE(crc.error().message.find("b.txt"), std::string::npos);
  EXPECT_FALSE(Unzip("not a zip at all, really not", dir.string()));
  fs::remove_all(dir);
}

TEST_F(FunctionsTest, PythonHandlerRunsWarmWithLambdasContextAndTheRunsEnvironment) {
  auto fn = Python("echo", R"py(
import os
LOADED = os.getpid()
CALLS = []

def lambda_handler(event, context):
    CALLS.append(1)
    print("handling", event.get("n"))
    return {
        "n": event["n"],
        "pid": LOADED,
        "calls": len(CALLS),
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "arn": context.invoked_function_arn,
        "remaining": context.get_remaining_time_in_millis(),
        "key": os.environ.get("AWS_ACCESS_KEY_ID"),
        "endpoint": os.environ.get("PLUMBLINE_ENDPOINT_URL"),
        "root": os.environ.get("PLUMBLINE_ROOT_SECRET_ACCESS_KEY"),
        "setting": os.environ.get("SETTING"),
        "region": os.environ.get("AWS_REGION"),
    }
)py");
  EXPECT_EQ(fn.arn, "arn:aws:lambda:us-west-2:123456789012:function:echo");
  ::setenv("PLUMBLINE_ROOT_SECRET_ACCESS_KEY", "server-secret", 1);
  RunContext ctx;
  ctx.env["AWS_ACCESS_KEY_ID"] = "ASIATEMP";
  ctx.env["PLUMBLINE_ENDPOINT_URL"] = "http://127.0.0.1:1";
  auto first = Call("echo", R"({"n":1})", ctx);
  ::unsetenv("PLUMBLINE_ROOT_SECRET_ACCESS_KEY");
  ASSERT_TRUE(first.ok) << first.payload;
  auto o = Obj(first);
  EXPECT_EQ(o["n"].as_int64(), 1);
  EXPECT_EQ(o["request_id"].as_string(), first.request_id);
  EXPECT_EQ(o["function_name"].as_string(), "echo");
  EXPECT_EQ(o["arn"].as_string(), fn.arn);
  EXPECT_GT(o["remaining"].as_int64(), 1000);
  EXPECT_LE(o["remaining"].as_int64(), 3000);
  EXPECT_EQ(o["key"].as_string(), "ASIATEMP");
  EXPECT_EQ(o["endpoint"].as_string(), "http://127.0.0.1:1");
  EXPECT_TRUE(o["root"].is_null());  // the server's environment stays out
  EXPECT_EQ(o["region"].as_string(), "us-west-2");

  // The next run without credentials does not see the previous run's.
  auto second = Call("echo", R"({"n":2})");
  ASSERT_TRUE(second.ok) << second.payload;
  EXPECT_TRUE(Obj(second)["key"].is_null());

  // A batch is served by the warm workers (the module is imported once per
  // worker, never per event).
  std::vector<std::string> events;
  for (int i = 0; i < 400; ++i) events.push_back("{\"n\":" + std::to_string(i) + "}");
  auto all = registry_->InvokeBatch("echo", events, {}).value();
  ASSERT_EQ(all.size(), 400u);
  std::set<int64_t> pids;
  int64_t max_calls = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_TRUE(all[i].ok) << all[i].payload;
    auto r = Obj(all[i]);
    EXPECT_EQ(r["n"].as_int64(), static_cast<int64_t>(i));
    pids.insert(r["pid"].as_int64());
    max_calls = std::max(max_calls, r["calls"].as_int64());
  }
  EXPECT_LE(pids.size(), 2u);
  EXPECT_GE(max_calls, 200);
  EXPECT_LE(runner_->WarmWorkers(), 2);
  auto logs = registry_->Logs("echo").value();
  EXPECT_NE(logs.find("START RequestId: " + first.request_id), std::string::npos);
  EXPECT_NE(logs.find("handling 1"), std::string::npos);
  EXPECT_NE(logs.find("REPORT RequestId: " + first.request_id), std::string::npos);
}

TEST_F(FunctionsTest, PythonFaultsRaiseTimeOutAndCrashAndWorkersAreReplaced) {
  Python("faulty", R"py(
import os, signal, time

def lambda_handler(event, context):
    what = event["do"]
    if what == "raise":
        raise ValueError("bad object " + str(event.get("id")))
    if what == "sleep":
        time.sleep(30)
    if what == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if what == "unserialisable":
        return {"x": object()}
    return {"fine": os.getpid()}
)py",
         1);
  auto raised = Call("faulty", R"({"do":"raise","id":7})");
  EXPECT_FALSE(raised.ok);
  EXPECT_EQ(raised.error_type, "Unhandled");
  EXPECT_EQ(Obj(raised)["errorType"].as_string(), "ValueError");
  EXPECT_EQ(raised.Message(), "bad object 7");

  auto start = std::chrono::steady_clock::now();
  auto slow = Call("faulty", R"({"do":"sleep"})");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_FALSE(slow.ok);
  EXPECT_EQ(slow.error_type, "Timeout");
  EXPECT_NE(slow.Message().find("timed out after 1.00 seconds"), std::string::npos);

  auto died = Call("faulty", R"({"do":"die"})");
  EXPECT_FALSE(died.ok);
  EXPECT_EQ(died.error_type, "Crashed");
  EXPECT_NE(died.Message().find("signal 9"), std::string::npos) << died.Message();

  auto marshal = Call("faulty", R"({"do":"unserialisable"})");
  EXPECT_FALSE(marshal.ok);
  EXPECT_EQ(Obj(marshal)["errorType"].as_string(), "Runtime.MarshalError");

  // A batch where one event kills its worker: the events answered before
  // keep their answers, the rest are reported not run, and a new worker
  // serves the next call.
  std::vector<std::string> batch = {R"({"do":"ok"})", R"({"do":"die"})", R"({"do":"ok"})"};
  RunnerOptions one;
  one.python_workers = 1;
  Runner single(one);
  auto fn = registry_->Get("faulty").value();
  auto results = single.InvokeBatch(fn, batch, {}, (dir_ / "log").string());
  EXPECT_TRUE(results[0].ok);
  EXPECT_EQ(results[1].error_type, "Crashed");
  EXPECT_EQ(results[2].error_type, "Crashed");
  EXPECT_NE(results[2].Message().find("not run"), std::string::npos);
  auto again = single.Invoke(fn, R"({"do":"ok"})", {}, (dir_ / "log").string());
  EXPECT_TRUE(again.ok) << again.payload;
}

TEST_F(FunctionsTest, PythonImportErrorsAnswerEveryEventWithLambdasErrorType) {
  Python("broken", "import no_such_module_here\n");
  auto r = Call("broken", "{}");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(Obj(r)["errorType"].as_string(), "Runtime.ImportModuleError");
  EXPECT_NE(r.Message().find("no_such_module_here"), std::string::npos);
}

TEST_F(FunctionsTest, ExecutablesReadTheEventOnStdinAndAnswerOnStdout) {
  Program("upper", R"(read -r line
echo "diagnostics go to the log" >&2
printf '{"got": %s, "request": "%s"}' "$line" "$AWS_LAMBDA_REQUEST_ID"
)");
  auto ok = Call("upper", R"({"a":1})");
  ASSERT_TRUE(ok.ok) << ok.payload;
  auto o = Obj(ok);
  EXPECT_EQ(o["got"].as_object().at("a").as_int64(), 1);
  EXPECT_EQ(o["request"].as_string(), ok.request_id);
  EXPECT_NE(registry_->Logs("upper").value().find("diagnostics go to the log"), std::string::npos);

  Program("garbage", "echo 'this is not json'\n");
  auto bad = Call("garbage", "{}");
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.error_type, "BadResponse");
  EXPECT_NE(bad.Message().find("this is not json"), std::string::npos);

  Program("fails", "echo '{}'; exit 3\n");
  auto failed = Call("fails", "{}");
  EXPECT_FALSE(failed.ok);
  EXPECT_NE(failed.Message().find("status 3"), std::string::npos);

  Program("slow", "sleep 20; echo '{}'\n", 1);
  auto start = std::chrono::steady_clock::now();
  auto slow = Call("slow", "{}");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(slow.error_type, "Timeout");
}

// A one-connection-at-a-time HTTP server that answers every request with
// the given status, headers and body, recording what it was sent.
class TinyServer {
 public:
  TinyServer(std::string answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 8);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) ::close(c);
          return;
        }
        std::string req;
        char buf[4096];
        for (;;) {
          ssize_t n = ::recv(c, buf, sizeof buf, 0);
          if (n <= 0) break;
          req.append(buf, static_cast<size_t>(n));
          size_t h = req.find("\r\n\r\n");
          if (h == std::string::npos) continue;
          size_t cl = req.find("Content-Length: ");
          size_t body = cl == std::string::npos ? 0 : std::stoul(req.substr(cl + 16));
          if (req.size() >= h + 4 + body) break;
        }
        last_request_ = req;
        (void)!::send(c, answer_.data(), answer_.size(), MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~TinyServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  std::string last_request_;

 private:
  std::string answer_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(FunctionsTest, HttpFunctionsSpeakLambdasInvokeApi) {
  TinyServer ok("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"taskInput\":{}}");
  FunctionSpec s;
  s.name = "remote";
  s.runtime = "http";
  s.handler = "http://127.0.0.1:" + std::to_string(ok.port());
  ASSERT_TRUE(registry_->Create(s, "us-east-1"));
  auto r = Call("remote", R"({"version":"2018-10-16"})");
  ASSERT_TRUE(r.ok) << r.payload;
  EXPECT_EQ(r.payload, R"({"taskInput":{}})");
  EXPECT_EQ(ok.last_request_.rfind("POST /2015-03-31/functions/function/invocations ", 0), 0u)
      << ok.last_request_;
  EXPECT_NE(ok.last_request_.find(R"({"version":"2018-10-16"})"), std::string::npos);

  TinyServer err(
      "HTTP/1.1 200 OK\r\nX-Amz-Function-Error: Unhandled\r\n\r\n"
      "{\"errorMessage\":\"boom\",\"errorType\":\"KeyError\"}");
  s.name = "remote-error";
  s.handler = "http://127.0.0.1:" + std::to_string(err.port()) +
              "/2015-03-31/functions/remote-error/invocations";
  ASSERT_TRUE(registry_->Create(s, "us-east-1"));
  auto e = Call("remote-error", "{}");
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.Message(), "boom");
  EXPECT_NE(err.last_request_.find("/2015-03-31/functions/remote-error/invocations"),
            std::string::npos);

  s.name = "nowhere";
  s.handler = "http://127.0.0.1:1";
  ASSERT_TRUE(registry_->Create(s, "us-east-1"));
  auto down = Call("nowhere", "{}");
  EXPECT_FALSE(down.ok);
  EXPECT_EQ(down.error_type, "Unavailable");
}

TEST_F(FunctionsTest, TheRegistryValidatesUpdatesAndDeletes) {
  FunctionSpec bad;
  bad.name = "bad name";
  bad.runtime = "python3.11";
  bad.handler = "h.f";
  bad.zip = MakeZip({{"h.py", "def f(e, c): return 1\n", 0644}}, false);
  EXPECT_NE(registry_->Create(bad, "us-east-1").error().message.find("FunctionName"),
            std::string::npos);
  bad.name = "ok";
  bad.runtime = "nodejs18.x";
  EXPECT_NE(registry_->Create(bad, "us-east-1").error().message.find("Runtime"),
            std::string::npos);
  bad.runtime = "python3.11";
  bad.handler = "no_function_part";
  EXPECT_NE(registry_->Create(bad, "us-east-1").error().message.find("Handler"),
            std::string::npos);
  bad.handler = "h.f";
  bad.timeout_s = 0;
  EXPECT_NE(registry_->Create(bad, "us-east-1").error().message.find("Timeout"),
            std::string::npos);
  bad.timeout_s = 3;
  bad.zip = "garbage";
  EXPECT_NE(registry_->Create(bad, "us-east-1").error().message.find("ZipFile"),
            std::string::npos);
  EXPECT_EQ(store_->ListFunctions().value().size(), 0u);

  Python("versioned", "def lambda_handler(e, c):\n    return 'one'\n");
  EXPECT_EQ(Call("versioned", "{}").payload, "\"one\"");
  EXPECT_EQ(registry_->Create([&] {
                          FunctionSpec s;
                          s.name = "versioned";
                          s.runtime = "python3.11";
                          s.handler = "handler.lambda_handler";
                          s.zip = MakeZip({{"handler.py", "", 0644}}, false);
                          return s;
                        }(),
                        "us-east-1")
                .error()
                .code,
            ErrorCode::kAlreadyExists);
  auto updated = registry_->UpdateCode(
      "arn:aws:lambda:us-west-2:123456789012:function:versioned",
      MakeZip({{"handler.py", "def lambda_handler(e, c):\n    return 'two'\n", 0644}}, true),
      std::nullopt);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->revision, 2);
  EXPECT_EQ(Call("versioned", "{}").payload, "\"two\"");  // the warm workers were replaced
  ASSERT_TRUE(registry_->Delete("versioned"));
  EXPECT_EQ(registry_->Invoke("versioned", "{}", {}).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir_ / "functions" / "versioned"));
}

TEST_F(FunctionsTest, MemorySizeBoundsPythonAndExecutablesAndTheWorkerIsReplaced) {
  Python("hog", "import os\n"
                "def lambda_handler(e, c):\n"
                "    data = bytearray(e['mb'] << 20)\n"
                "    return os.getpid()\n");
  auto small = Call("hog", R"({"mb": 8})");
  ASSERT_TRUE(small.ok) << small.payload;
  auto big = Call("hog", R"({"mb": 400})");
  EXPECT_FALSE(big.ok);
  EXPECT_EQ(big.error_type, "OutOfMemory");
  EXPECT_NE(big.Message().find("hog"), std::string::npos) << big.Message();
  EXPECT_NE(big.Message().find("128 MB"), std::string::npos) << big.Message();
  // Only the other (never started) worker slot is left: a new process answers.
  auto again = Call("hog", R"({"mb": 8})");
  ASSERT_TRUE(again.ok) << again.payload;
  EXPECT_NE(again.payload, small.payload);
  EXPECT_EQ(::kill(std::stoi(small.payload), 0), -1);  // the old worker is gone

  // An executable under the same limit: a shell that builds a 300 MB string.
  Program("sh-hog", "s=x; i=0; while [ $i -lt 29 ]; do s=$s$s; i=$((i+1)); done; echo '{}'\n", 20);
  auto inv = Call("sh-hog", "{}");
  EXPECT_FALSE(inv.ok);
  EXPECT_NE(inv.Message().find("MemorySize 128 MB"), std::string::npos) << inv.Message();
}

TEST_F(FunctionsTest, UpdateConfigurationTakesEffectOnTheNextInvocation) {
  Python("conf", "import os\n"
                 "def lambda_handler(e, c):\n"
                 "    return [os.environ.get('MODE'), int(c.memory_limit_in_mb), os.getpid()]\n");
  auto before = json::Parse(Call("conf", "{}").payload).value().as_array();
  EXPECT_EQ(before[0], nullptr);
  EXPECT_EQ(before[1].as_int64(), 128);
  ConfigUpdate u;
  u.memory_mb = 1024;
  u.environment_json = R"({"MODE":"b"})";
  auto updated = registry_->UpdateConfiguration("conf", u);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->revision, 2);
  auto after = json::Parse(Call("conf", "{}").payload).value().as_array();
  EXPECT_EQ(after[0].as_string(), "b");
  EXPECT_EQ(after[1].as_int64(), 1024);
  EXPECT_NE(after[2].as_int64(), before[2].as_int64());
  ConfigUpdate bad;
  bad.memory_mb = 64;
  EXPECT_NE(registry_->UpdateConfiguration("conf", bad).error().message.find("MemorySize"),
            std::string::npos);
  bad = {};
  bad.environment_json = R"({"N":1})";
  EXPECT_NE(registry_->UpdateConfiguration("conf", bad).error().message.find("Environment.Variables.N"),
            std::string::npos);
  EXPECT_EQ(registry_->Get("conf")->memory_mb, 1024);  // refused updates change nothing
  EXPECT_EQ(registry_->UpdateConfiguration("nope", u).error().code, ErrorCode::kNotFound);
}

// What a scoped worker saw at import (Lambda's init phase) and per event.
constexpr const char* kStartEnvReporter = R"py(
import os
AT_IMPORT = os.environ.get("AWS_ACCESS_KEY_ID")

def lambda_handler(event, context):
    return {"pid": os.getpid(), "at_import": AT_IMPORT,
            "now": os.environ.get("AWS_ACCESS_KEY_ID")}
)py";

RunContext Scoped(const std::string& scope, const std::string& key, int64_t lifetime_ms) {
  RunContext ctx;
  ctx.scope = scope;
  ctx.env["AWS_ACCESS_KEY_ID"] = key;
  ctx.expires_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count() +
                   lifetime_ms;
  return ctx;
}

TEST_F(FunctionsTest, ScopedWorkersStartWithTheirScopesCredentials) {
  Python("starts", kStartEnvReporter);
  constexpr int64_t kHour = 3600 * 1000;
  auto a = Obj(Call("starts", "{}", Scoped("job-a", "ASIAJOBA", kHour)));
  EXPECT_EQ(a["at_import"].as_string(), "ASIAJOBA");  // in the environment from the start
  EXPECT_EQ(a["now"].as_string(), "ASIAJOBA");
  // Another job's runs get a worker of their own, started with its credentials.
  auto b = Obj(Call("starts", "{}", Scoped("job-b", "ASIAJOBB", kHour)));
  EXPECT_EQ(b["at_import"].as_string(), "ASIAJOBB");
  EXPECT_NE(b["pid"].as_int64(), a["pid"].as_int64());
  // The first job again, with fresher credentials: its warm worker, which
  // sees them per event over the ones it started with.
  auto a2 = Obj(Call("starts", "{}", Scoped("job-a", "ASIAJOBA2", kHour)));
  EXPECT_EQ(a2["pid"].as_int64(), a["pid"].as_int64());
  EXPECT_EQ(a2["at_import"].as_string(), "ASIAJOBA");
  EXPECT_EQ(a2["now"].as_string(), "ASIAJOBA2");
  // After the message, the worker is back to its start environment.
  RunContext bare;
  bare.scope = "job-a";
  auto a3 = Obj(Call("starts", "{}", bare));
  EXPECT_EQ(a3["pid"].as_int64(), a["pid"].as_int64());
  EXPECT_EQ(a3["now"].as_string(), "ASIAJOBA");
  // Unscoped runs (aws lambda invoke) share no scoped worker and start
  // with no credentials; theirs come per event.
  RunContext unscoped;
  unscoped.env["AWS_ACCESS_KEY_ID"] = "ASIAEVENT";
  auto u = Obj(Call("starts", "{}", unscoped));
  EXPECT_TRUE(u["at_import"].is_null());
  EXPECT_EQ(u["now"].as_string(), "ASIAEVENT");
  EXPECT_TRUE(Obj(Call("starts", "{}"))["now"].is_null());
  EXPECT_EQ(runner_->WarmWorkers(), 3);
  // Deleting the function stops every scope's workers.
  ASSERT_TRUE(registry_->Delete("starts"));
  EXPECT_EQ(runner_->WarmWorkers(), 0);
  EXPECT_EQ(::kill(static_cast<pid_t>(a["pid"].as_int64()), 0), -1);
  EXPECT_EQ(::kill(static_cast<pid_t>(b["pid"].as_int64()), 0), -1);
}

TEST_F(FunctionsTest, WorkersAreReplacedBeforeTheirCredentialsExpire) {
  RunnerOptions o;
  o.python_workers = 1;
  o.refresh_before_ms = 60 * 1000;
  Runner runner(o);
  Registry registry(*store_, (dir_ / "functions").string(), "123456789012", runner, clock_);
  Python("refreshed", kStartEnvReporter, 3);
  auto call = [&](const RunContext& ctx) {
    auto inv = registry.Invoke("refreshed", "{}", ctx).value();
    EXPECT_TRUE(inv.ok) << inv.payload;
    return Obj(inv);
  };
  // Credentials good for 10 minutes: the worker is kept.
  auto first = call(Scoped("job", "ASIAONE", 10 * 60 * 1000));
  auto again = call(Scoped("job", "ASIATWO", 10 * 60 * 1000));
  EXPECT_EQ(again["pid"].as_int64(), first["pid"].as_int64());
  // A worker started with credentials that end within the margin (60 s
  // plus the 3 s timeout) is not given another event: the next run starts
  // a new one with that run's credentials.
  auto short_lived = call(Scoped("job-short", "ASIASHORT", 30 * 1000));
  auto replaced = call(Scoped("job-short", "ASIAFRESH", 10 * 60 * 1000));
  EXPECT_NE(replaced["pid"].as_int64(), short_lived["pid"].as_int64());
  EXPECT_EQ(replaced["at_import"].as_string(), "ASIAFRESH");
  EXPECT_EQ(::kill(static_cast<pid_t>(short_lived["pid"].as_int64()), 0), -1);
  // An idle one whose credentials run out is stopped by the sweep.
  auto idle = call(Scoped("job-idle", "ASIAIDLE", 30 * 1000));
  EXPECT_EQ(runner.WarmWorkers(), 3);
  ASSERT_TRUE(registry.SweepWarmWorkers());
  EXPECT_EQ(runner.WarmWorkers(), 2);
  EXPECT_EQ(::kill(static_cast<pid_t>(idle["pid"].as_int64()), 0), -1);
}

TEST_F(FunctionsTest, WarmPoolsAreBounded) {
  RunnerOptions o;
  o.python_workers = 1;
  o.max_warm_python = 2;
  o.idle_retire_ms = 300;
  Runner runner(o);
  Registry registry(*store_, (dir_ / "functions").string(), "123456789012", runner, clock_);
  Python("bounded", kStartEnvReporter);
  auto pid_of = [&](const std::string& scope) {
    auto inv = registry.Invoke("bounded", "{}", Scoped(scope, "ASIA" + scope, 3600 * 1000)).value();
    EXPECT_TRUE(inv.ok) << inv.payload;
    return static_cast<pid_t>(Obj(inv)["pid"].as_int64());
  };
  pid_t one = pid_of("one");
  pid_t two = pid_of("two");
  EXPECT_EQ(runner.WarmWorkers(), 2);
  // A third scope at the bound: the least recently used idle worker goes.
  pid_t three = pid_of("three");
  EXPECT_EQ(runner.WarmWorkers(), 2);
  EXPECT_EQ(::kill(one, 0), -1);
  EXPECT_EQ(::kill(two, 0), 0);
  EXPECT_EQ(pid_of("two"), two);  // still warm
  EXPECT_EQ(pid_of("three"), three);
  // Pools unused for idle_retire_ms are retired by the sweep.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ASSERT_TRUE(registry.SweepWarmWorkers());
  EXPECT_EQ(runner.WarmWorkers(), 0);
  EXPECT_EQ(::kill(two, 0), -1);
  EXPECT_EQ(::kill(three, 0), -1);
}

TEST_F(FunctionsTest, WarmWorkersOfFunctionsDeletedElsewhereAreStopped) {
  Python("swept", "import os\ndef lambda_handler(e, c):\n    return os.getpid()\n");
  pid_t pid = std::stoi(Call("swept", "{}").payload);
  EXPECT_EQ(runner_->WarmWorkers(), 1);
  ASSERT_TRUE(registry_->SweepWarmWorkers());
  EXPECT_EQ(runner_->WarmWorkers(), 1);  // still registered: kept
  // Another process (the CLI) deletes it from the store.
  ASSERT_TRUE(store_->DeleteFunction("swept"));
  ASSERT_TRUE(registry_->SweepWarmWorkers());
  EXPECT_EQ(runner_->WarmWorkers(), 0);
  EXPECT_EQ(::kill(pid, 0), -1);
}

}  // namespace
}  // namespace plumbline::functions
