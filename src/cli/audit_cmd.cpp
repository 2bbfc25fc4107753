#include "cli/audit_cmd.hpp"

#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "cli/data_dir.hpp"
#include "common/clock.hpp"
#include "common/json.hpp"

namespace plumbline::cli {
namespace {

// Entries hold strings from unauthenticated callers: no control characters
// reach the terminal (escape sequences).
std::string Printable(const std::string& s) {
  std::string out = s;
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

std::string OsUser() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return pw->pw_name;
  return "uid" + std::to_string(::geteuid());
}

}  // namespace

void AuditCli(identity::Identity& identity, const std::string& action, const std::string& target,
              const std::string& outcome, const std::string& detail) {
  store::AuditEntry e;
  e.actor = "cli:" + OsUser();
  e.action = action;
  e.target = target;
  e.source = "cli";
  e.outcome = outcome;
  e.detail = detail;
  identity.Audit(std::move(e));  // a failure is logged on stderr
}

std::optional<int64_t> ParseIsoToMs(const std::string& iso) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
  std::tm tm{};
  int n = std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec);
  if (n != 3 && n != 6) return std::nullopt;
  if (n == 6) {
    size_t dot = iso.find('.');
    if (dot != std::string::npos) std::sscanf(iso.c_str() + dot + 1, "%3d", &ms);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<int64_t>(::timegm(&tm)) * 1000 + ms;
}

void AddAuditCommand(CLI::App& app) {
  struct Args {
    std::string data_dir, since;
    size_t limit = 100;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("audit", "Show the audit log (admin actions and sign-ins)");
  cmd->add_option("--data-dir", a->data_dir, "The server's data dir")->required();
  cmd->add_option("--since", a->since, "Only entries at or after this UTC time (ISO 8601)");
  cmd->add_option("--limit", a->limit, "At most this many entries (the newest)")->capture_default_str();
  cmd->add_flag("--json", a->json, "One JSON object per line");
  cmd->callback([a] {
    int64_t since = 0;
    if (!a->since.empty()) {
      auto ms = ParseIsoToMs(a->since);
      if (!ms) throw ErrorException(InvalidArgument("--since must be an ISO 8601 time, got '" + a->since + "'"));
      since = *ms;
    }
    auto dd = OpenDataDir(a->data_dir);
    if (!dd) throw ErrorException(dd.error());
    auto entries = dd->identity->ListAudit(since, a->limit);
    if (!entries) throw ErrorException(entries.error());
    for (const auto& e : *entries) {
      std::string when = FormatIsoMillisZ(TimePoint(std::chrono::milliseconds(e.time_ms)));
      if (a->json) {
        boost::json::object o;
        o["time"] = when;
        o["actor"] = e.actor;
        o["action"] = e.action;
        o["target"] = e.target;
        o["source"] = e.source;
        o["outcome"] = e.outcome;
        o["detail"] = e.detail;
        std::cout << json::Serialize(o) << "\n";
      } else {
        std::cout << when << " " << Printable(e.actor) << " " << e.action
                  << " target=" << Printable(e.target) << " from=" << Printable(e.source)
                  << " outcome=" << Printable(e.outcome)
                  << (e.detail.empty() ? "" : " (" + Printable(e.detail) + ")") << "\n";
      }
    }
  });
}

}  // namespace plumbline::cli
