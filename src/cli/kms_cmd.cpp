#include "cli/kms_cmd.hpp"

#include "cli/audit_cmd.hpp"

#include <curl/curl.h>
#include <sodium.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/data_dir.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "kms/kms.hpp"
#include "crypto/sigv4.hpp"

namespace plumbline::cli {
namespace {

template <class T>
T OrThrow(Result<T> r) {
  if (!r) throw ErrorException(r.error());
  return std::move(*r);
}
void OrThrow(Status s) {
  if (!s) throw ErrorException(s.error());
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::string DefaultRegion() { return EnvOr("AWS_REGION", EnvOr("AWS_DEFAULT_REGION", "us-east-1")); }

std::unique_ptr<kms::KeyRing> OpenRing(const std::string& dir, const std::string& region,
                                          OpenedDataDir* dd) {
  *dd = OrThrow(OpenDataDir(dir));
  kms::KeyRingOptions o;
  o.data_dir = dir;
  o.region = region.empty() ? DefaultRegion() : region;
  o.account_id = dd->account_id;
  return OrThrow(kms::KeyRing::Open(*dd->store, o));
}

boost::json::object Metadata(const kms::KeyInfo& k) {
  boost::json::object m;
  m["KeyId"] = k.key_id;
  m["Arn"] = k.arn;
  if (!k.alias.empty()) m["Alias"] = k.alias;
  m["Description"] = k.description;
  m["Enabled"] = k.enabled;
  m["KeyState"] = k.enabled ? "Enabled" : "Disabled";
  m["CreationDate"] = static_cast<double>(k.created_ms) / 1000.0;
  boost::json::array users;
  for (const auto& u : k.allowed_users) users.emplace_back(u);
  m["AllowDecrypt"] = std::move(users);
  return m;
}

size_t CollectBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

Error FromKmsError(long status, const std::string& body) {
  std::string code = "HTTP " + std::to_string(status);
  std::string message = body;
  if (auto v = json::Parse(body); v && v->is_object()) {
    code = json::GetString(v->get_object(), "__type").value_or(code);
    message = json::GetString(v->get_object(), "message")
                  .value_or(json::GetString(v->get_object(), "Message").value_or(body));
  }
  std::string text = code + ": " + message;
  if (code == "AccessDeniedException") return PermissionDenied(text);
  if (code == "NotFoundException") return NotFound(text);
  if (code == "DisabledException") return Conflict(text);
  if (code == "InvalidCiphertextException" || code == "ValidationException") return InvalidArgument(text);
  if (status == 403) return Unauthenticated(text);
  if (status >= 500) return Unavailable(text);
  return InvalidArgument(text);
}

}  // namespace

Result<KmsClientOptions> KmsClientFromEnvironment(const std::string& endpoint_url) {
  KmsClientOptions o;
  o.endpoint_url = endpoint_url;
  o.region = DefaultRegion();
  o.access_key_id = EnvOr("AWS_ACCESS_KEY_ID", "");
  o.secret_access_key = EnvOr("AWS_SECRET_ACCESS_KEY", "");
  o.session_token = EnvOr("AWS_SESSION_TOKEN", "");
  if (o.access_key_id.empty() || o.secret_access_key.empty())
    return Unauthenticated("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (a Plumbline access key)");
  return o;
}

Result<std::string> FetchDataKey(const KmsClientOptions& client, const crypto::EnvelopeHeader& header) {
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (global != CURLE_OK) return Internal("libcurl failed to initialise");
  // Host and path as curl will send them, so that the signature matches.
  std::unique_ptr<CURLU, CurlFree> url(curl_url());
  if (curl_url_set(url.get(), CURLUPART_URL, client.endpoint_url.c_str(), 0) != CURLUE_OK)
    return InvalidArgument("bad --endpoint-url " + client.endpoint_url);
  char* host = nullptr;
  char* port = nullptr;
  char* path = nullptr;
  curl_url_get(url.get(), CURLUPART_HOST, &host, 0);
  curl_url_get(url.get(), CURLUPART_PORT, &port, 0);
  curl_url_get(url.get(), CURLUPART_PATH, &path, 0);
  std::string host_header = host ? host : "";
  if (port) host_header += std::string(":") + port;
  std::string target = path && *path ? path : "/";
  curl_free(host);
  curl_free(port);
  curl_free(path);

  boost::json::object req;
  req["CiphertextBlob"] = crypto::Base64Encode(header.wrapped);
  req["KeyId"] = header.key_arn;
  const std::string body = json::Serialize(req);
  std::vector<crypto::Header> headers = {{"Content-Type", "application/x-amz-json-1.1"},
                                         {"Host", host_header},
                                         {"X-Amz-Target", "TrentService.Decrypt"}};
  crypto::SigningParams params;
  params.access_key_id = client.access_key_id;
  params.secret_access_key = client.secret_access_key;
  params.session_token = client.session_token;
  params.region = client.region;
  params.service = "kms";
  params.time = SystemClock::Get().Now();
  crypto::RequestView view{"POST", target, headers, body};
  crypto::SigningResult signed_req = crypto::Sign(view, params);
  for (auto& h : signed_req.headers_to_add) headers.push_back(h);

  std::unique_ptr<curl_slist, CurlFree> list;
  curl_slist* raw = nullptr;
  for (const auto& [name, value] : headers) raw = curl_slist_append(raw, (name + ": " + value).c_str());
  raw = curl_slist_append(raw, "Expect:");
  list.reset(raw);
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  std::string response;
  std::string full_url = client.endpoint_url;
  curl_easy_setopt(curl.get(), CURLOPT_URL, full_url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, client.timeout_seconds);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK)
    return Unavailable("cannot reach " + client.endpoint_url + ": " + curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) return FromKmsError(status, response);
  auto v = json::Parse(response);
  if (!v || !v->is_object()) return Unavailable("the KMS answer is not JSON");
  auto plain64 = json::GetString(v->get_object(), "Plaintext");
  if (!plain64) return Unavailable("the KMS answer has no Plaintext");
  PLB_ASSIGN_OR_RETURN(std::string key, crypto::Base64Decode(*plain64));
  if (key.size() != crypto::kDataKeyBytes) return Unavailable("the KMS answer's data key is not 32 bytes");
  return key;
}

Status DecryptFile(const KmsClientOptions& client, const std::string& in_path,
                   const std::string& out_path, std::ostream* out) {
  std::ifstream in(in_path, std::ios::binary);
  if (!in) return NotFound("cannot open " + in_path);
  std::string tmp;
  std::ofstream file;
  std::ostream* sink = out;
  if (!out_path.empty()) {
    tmp = out_path + ".tmp-" + RandomHex(6);
    file.open(tmp, std::ios::binary | std::ios::trunc);
    if (!file) return Unavailable("cannot write " + tmp);
    sink = &file;
  }
  auto fail = [&](Error e) -> Status {
    if (!tmp.empty()) {
      file.close();
      std::remove(tmp.c_str());
    }
    e.message = in_path + ": " + e.message;
    return e;
  };
  crypto::EnvelopeDecryptor dec;
  bool keyed = false;
  std::string buf(1u << 16, '\0');
  for (;;) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    size_t got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    auto plain = dec.Update(std::string_view(buf.data(), got));
    if (!plain) return fail(plain.error());
    if (dec.header_ready() && !keyed) {
      auto key = FetchDataKey(client, dec.header());
      if (!key) return fail(key.error());
      auto set = dec.SetDataKey(*key);
      sodium_memzero(key->data(), key->size());
      if (!set) return fail(set.error());
      keyed = true;
      auto more = dec.Update({});
      if (!more) return fail(more.error());
      *plain += *more;
    }
    sink->write(plain->data(), static_cast<std::streamsize>(plain->size()));
  }
  if (!dec.header_ready()) return fail(InvalidArgument("not a Plumbline encrypted file"));
  auto tail = dec.Finish();
  if (!tail) return fail(tail.error());
  sink->write(tail->data(), static_cast<std::streamsize>(tail->size()));
  sink->flush();
  if (!*sink) return fail(Unavailable("write failed"));
  if (!tmp.empty()) {
    file.close();
    if (std::rename(tmp.c_str(), out_path.c_str()) != 0) return fail(Unavailable("cannot rename to " + out_path));
  }
  return {};
}

void AddKmsCommands(CLI::App& app) {
  CLI::App* kms = app.add_subcommand("kms", "The local key service (KMS-like keys for encrypted outputs)");
  kms->require_subcommand(1);

  struct CreateArgs {
    std::string data_dir, description, alias, region;
    std::vector<std::string> allow;
  };
  auto create = std::make_shared<CreateArgs>();
  CLI::App* c = kms->add_subcommand("create-key", "Create a key; prints {\"KeyId\",\"Arn\"}");
  c->add_option("--data-dir", create->data_dir, "The server's data dir")->required();
  c->add_option("--description", create->description, "What the key is for");
  c->add_option("--alias", create->alias, "An alias: NAME or alias/NAME");
  c->add_option("--allow", create->allow, "Users allowed to decrypt with the key (root always is)");
  c->add_option("--region", create->region, "Region of the key's ARN (default: AWS_REGION, us-east-1)");
  c->callback([create] {
    OpenedDataDir dd;
    auto ring = OpenRing(create->data_dir, create->region, &dd);
    for (const auto& u : create->allow)
      if (!dd.identity->GetUser(u))
        std::cerr << "plumbline: warning: no user '" << u << "' yet; the policy names them anyway\n";
    auto k = OrThrow(ring->CreateKey({create->description, create->alias, create->allow}));
    boost::json::object out;
    out["KeyId"] = k.key_id;
    out["Arn"] = k.arn;
    if (!k.alias.empty()) out["Alias"] = k.alias;
    std::string allowed;
    for (const auto& u : create->allow) allowed += (allowed.empty() ? "allow=" : ",") + u;
    AuditCli(*dd.identity, "kms:create-key", k.key_id, "ok", allowed);
    std::cout << json::Serialize(out) << "\n";
  });

  auto list_dir = std::make_shared<std::string>();
  CLI::App* l = kms->add_subcommand("list-keys", "List keys");
  l->add_option("--data-dir", *list_dir, "The server's data dir")->required();
  l->callback([list_dir] {
    OpenedDataDir dd;
    auto ring = OpenRing(*list_dir, "", &dd);
    boost::json::array keys;
    for (const auto& k : OrThrow(ring->ListKeys())) {
      boost::json::object o;
      o["KeyId"] = k.key_id;
      o["KeyArn"] = k.arn;
      keys.push_back(std::move(o));
    }
    boost::json::object out;
    out["Keys"] = std::move(keys);
    std::cout << json::Serialize(out) << "\n";
  });

  struct KeyArgs {
    std::string data_dir, key_id;
  };
  auto add_key_command = [kms](const char* name, const char* help, int action) {
    auto args = std::make_shared<KeyArgs>();
    CLI::App* cmd = kms->add_subcommand(name, help);
    cmd->add_option("--data-dir", args->data_dir, "The server's data dir")->required();
    cmd->add_option("--key-id", args->key_id, "Key id, key ARN, alias/NAME or alias ARN")->required();
    cmd->callback([args, action] {
      OpenedDataDir dd;
      auto ring = OpenRing(args->data_dir, "", &dd);
      if (action == 1) OrThrow(ring->DisableKey(args->key_id));
      if (action == 2) OrThrow(ring->EnableKey(args->key_id));
      if (action != 0)
        AuditCli(*dd.identity, action == 1 ? "kms:disable-key" : "kms:enable-key", args->key_id, "ok");
      boost::json::object out;
      out["KeyMetadata"] = Metadata(OrThrow(ring->DescribeKey(args->key_id)));
      std::cout << json::Serialize(out) << "\n";
    });
  };
  add_key_command("describe-key", "Show a key", 0);
  add_key_command("disable-key", "Disable a key: nothing new is encrypted or decrypted with it", 1);
  add_key_command("enable-key", "Enable a disabled key", 2);

  struct DecryptArgs {
    std::string file, endpoint, output;
  };
  auto dec = std::make_shared<DecryptArgs>();
  CLI::App* d = kms->add_subcommand("decrypt", "Decrypt an encrypted output file with the server's key service");
  d->add_option("FILE", dec->file, "The encrypted file")->required();
  d->add_option("--endpoint-url", dec->endpoint, "The Plumbline server, e.g. http://127.0.0.1:8080")->required();
  d->add_option("-o,--output", dec->output, "Write the plaintext here (default: stdout)");
  d->callback([dec] {
    auto client = OrThrow(KmsClientFromEnvironment(dec->endpoint));
    OrThrow(DecryptFile(client, dec->file, dec->output, &std::cout));
  });
}

}  // namespace plumbline::cli
