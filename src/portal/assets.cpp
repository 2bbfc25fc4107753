#include "portal/assets.hpp"

namespace plumbline::portal {

const EmbeddedAsset* FindAsset(std::string_view path) {
  for (const auto& a : EmbeddedAssets())
    if (a.path == path) return &a;
  return nullptr;
}

void RegisterAssets(http::Router& router) {
  for (const auto& a : EmbeddedAssets()) {
    router.Add("GET", std::string(a.path), [&a](const http::Request&) {
      http::Response r = http::Response::Text(200, std::string(a.body), std::string(a.content_type));
      r.Set("Cache-Control", "public, max-age=300");
      r.Set("X-Content-Type-Options", "nosniff");
      return r;
    });
  }
}

}  // namespace plumbline::portal
