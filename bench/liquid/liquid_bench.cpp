// Plumbline side of bench/liquid/run.sh: parse once, render for SECONDS,
// print renders/s as JSON. Usage: liquid_bench TEMPLATE CONTEXT.json SECONDS [gt|shopify]
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "liquid/liquid.hpp"

namespace {
std::string ReadFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: liquid_bench TEMPLATE CONTEXT.json SECONDS [gt|shopify]\n";
    return 2;
  }
  using plumbline::liquid::RenderOptions;
  using plumbline::liquid::Template;
  auto tmpl = Template::ParseLenient(ReadFile(argv[1]));
  if (!tmpl) {
    std::cerr << tmpl.error().message << "\n";
    return 1;
  }
  boost::json::value ctx = boost::json::parse(ReadFile(argv[2]));
  double seconds = std::atof(argv[3]);
  std::string mode = argc > 4 ? argv[4] : "gt";
  RenderOptions opts = mode == "shopify" ? RenderOptions::Shopify() : RenderOptions();
  opts.grant_read_access = [](std::string_view uri) {
    return "https://plumbline.local/assets/" + std::string(uri.substr(5)) + "?X-Sig=abc&X-Expires=900";
  };
  std::string out;
  for (int i = 0; i < 200; ++i) {
    out.clear();
    if (!tmpl->RenderTo(out, ctx, opts)) return 1;
  }
  long n = 0;
  auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    for (int i = 0; i < 100; ++i) {
      out.clear();
      (void)tmpl->RenderTo(out, ctx, opts);
    }
    n += 100;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  std::printf("{\"engine\":\"plumbline-%s\",\"renders\":%ld,\"seconds\":%.3f,\"per_sec\":%.1f,\"bytes\":%zu}\n",
              mode.c_str(), n, elapsed, n / elapsed, out.size());
  return 0;
}
