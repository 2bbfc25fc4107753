// MD5 of the project's own (crypto/md5.hpp) against OpenSSL's EVP MD5 in the
// same process: both hash the same buffer in 1 MiB updates (as an upload's
// digest thread does), in alternating pairs, so that a change of the
// machine's speed during the run hits both sides alike. Prints each pair and
// the median and best of the ratio, and checks that the digests agree.
//
// Times are the thread's CPU time. Cycles per byte are core cycles: the core's clock is measured in
// each pair by timing a chain of dependent additions (one cycle each), since a virtual machine
// usually has no cycle counter and the time-stamp counter ticks at the nominal clock, not the
// boosted one.
//
//   md5_bench [--mib N] [--pairs N]
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/md5.hpp"

using namespace plumbline;

namespace {

constexpr size_t kUpdate = 1u << 20;

// This thread's CPU time: time the thread spent waiting for a core (the
// machine may be shared) does not count.
double ThreadSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string OpenSsl(std::string_view data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_md5(), nullptr);
  for (size_t at = 0; at < data.size(); at += kUpdate)
    EVP_DigestUpdate(ctx, data.data() + at, std::min(kUpdate, data.size() - at));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, md, &n);
  EVP_MD_CTX_free(ctx);
  return std::string(reinterpret_cast<char*>(md), n);
}

std::string Ours(std::string_view data) {
  crypto::Md5Hasher h;
  for (size_t at = 0; at < data.size(); at += kUpdate)
    h.Update(data.substr(at, std::min(kUpdate, data.size() - at)));
  auto md = h.Finish();
  return std::string(reinterpret_cast<const char*>(md.data()), md.size());
}

// The core's clock in Hz: 64 dependent one-cycle additions per iteration.
double CoreHz() {
  constexpr long kIterations = 2'000'000;
  double start = ThreadSeconds();
  unsigned x = 1;
  for (long i = 0; i < kIterations; ++i) {
#if defined(__x86_64__)
    asm volatile(
        ".rept 64\n\t"
        "addl %0, %0\n\t"
        ".endr"
        : "+r"(x));
#else
    asm volatile("" : "+r"(x));
#endif
  }
  double secs = ThreadSeconds() - start;
  if (x == 42) std::puts("");  // keeps x alive
  return 64.0 * kIterations / secs;
}

template <typename F>
double Time(F&& f, std::string_view data, std::string* digest) {
  double start = ThreadSeconds();
  *digest = f(data);
  return ThreadSeconds() - start;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = 64;
  int pairs = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--mib"))
      mib = std::strtoul(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--pairs"))
      pairs = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  std::string data(mib << 20, '\0');
  std::mt19937_64 rng(14);
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    uint64_t w = rng();
    std::memcpy(data.data() + i, &w, 8);
  }
  std::string warm;
  Time(OpenSsl, data, &warm);  // pages faulted in, both code paths warm
  Time(Ours, data, &warm);

  std::vector<double> ratios, ours_cpb, openssl_cpb;
  std::printf("%-5s %12s %12s %9s %12s %12s %8s\n", "pair", "OpenSSL MB/s", "ours MB/s", "core GHz",
              "OpenSSL c/B", "ours c/B", "ratio");
  for (int p = 0; p < pairs; ++p) {
    std::string a, b;
    double hz = CoreHz();
    // Alternate which side goes first.
    double t_openssl, t_ours;
    if (p % 2 == 0) {
      t_openssl = Time(OpenSsl, data, &a);
      t_ours = Time(Ours, data, &b);
    } else {
      t_ours = Time(Ours, data, &b);
      t_openssl = Time(OpenSsl, data, &a);
    }
    hz = (hz + CoreHz()) / 2;
    if (a != b) {
      std::fprintf(stderr, "digests differ\n");
      return 1;
    }
    double bytes = static_cast<double>(data.size());
    ratios.push_back(t_openssl / t_ours);
    openssl_cpb.push_back(t_openssl * hz / bytes);
    ours_cpb.push_back(t_ours * hz / bytes);
    std::printf("%-5d %12.0f %12.0f %9.2f %12.2f %12.2f %7.3fx\n", p, bytes / t_openssl / 1e6,
                bytes / t_ours / 1e6, hz / 1e9, openssl_cpb.back(), ours_cpb.back(), ratios.back());
  }
  std::printf(
      "median: OpenSSL %.2f c/B, ours %.2f c/B, ours %.3fx OpenSSL's speed (best pair %.3fx)\n",
      Median(openssl_cpb), Median(ours_cpb), Median(ratios),
      *std::max_element(ratios.begin(), ratios.end()));
  return 0;
}
