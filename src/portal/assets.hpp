// Browser assets compiled into the binary (web/ at build time): the crowd
// HTML elements and the portal's pages, scripts and styles. One binary
// serves everything, offline.
#pragma once

#include <span>
#include <string_view>

#include "http/http.hpp"

namespace plumbline::portal {

struct EmbeddedAsset {
  std::string_view path;          // URL path, e.g. "/crowd/crowd-html-elements.js"
  std::string_view content_type;
  std::string_view body;
};

std::span<const EmbeddedAsset> EmbeddedAssets();
// The asset at a URL path, or nullptr.
const EmbeddedAsset* FindAsset(std::string_view path);
// URL path of the crowd elements script that task templates load.
inline constexpr std::string_view kCrowdElementsPath = "/crowd/crowd-html-elements.js";
// The script tag Ground Truth templates use for the elements.
inline constexpr std::string_view kCrowdElementsUrl = "https://assets.crowd.aws/crowd-html-elements.js";

// GET routes for every embedded asset.
void RegisterAssets(http::Router& router);

}  // namespace plumbline::portal
