#include "cli/data_dir.hpp"

#include <cstdlib>
#include <filesystem>

#include "common/ids.hpp"
#include "crypto/secretbox.hpp"

namespace plumbline::cli {

std::string StoreUrlFor(const std::string& dir, const std::string& store_url) {
  if (!store_url.empty()) return store_url;
  if (const char* env = std::getenv("PLUMBLINE_STORE"); env != nullptr && *env != '\0') return env;
  return "sqlite:" + dir + "/plumbline.db";
}

Result<OpenedDataDir> OpenDataDir(const std::string& dir, const std::string& store_url,
                                  bool migrate) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create data dir " + dir + ": " + ec.message());
  std::filesystem::create_directories(dir + "/buckets", ec);
  OpenedDataDir out;
  // Access-key secrets are sealed under a key kept outside the database.
  PLB_ASSIGN_OR_RETURN(auto box, crypto::SecretBox::LoadOrCreate(dir));
  store::StoreOptions sopts{StoreUrlFor(dir, store_url), true, std::nullopt};
  sopts.migrate = migrate;
  sopts.secret_sealer = store::SecretSealer{
      [box](const std::string& plain, const std::string& ctx) -> Result<std::string> {
        return box->Seal(plain, ctx);
      },
      [box](const std::string& sealed, const std::string& ctx) { return box->Open(sealed, ctx); },
      [](const std::string& stored) { return crypto::SecretBox::IsSealed(stored); }};
  PLB_ASSIGN_OR_RETURN(out.store, store::OpenStore(sopts));
  PLB_ASSIGN_OR_RETURN(auto account, out.store->GetSetting("account_id"));
  if (!account) {
    std::string digits = RandomHex(12);
    for (auto& c : digits) c = static_cast<char>('0' + (static_cast<unsigned char>(c) % 10));
    digits = digits.substr(0, 12);
    PLB_TRY(out.store->PutSetting("account_id", digits));
    account = digits;
  }
  out.account_id = *account;
  identity::IdentityOptions iopts;
  iopts.account_id = out.account_id;
  iopts.session_box = box;  // STS session tokens: sealed under the secrets key too
  out.identity = std::make_unique<identity::Identity>(*out.store, SystemClock::Get(), iopts);
  return out;
}

}  // namespace plumbline::cli
