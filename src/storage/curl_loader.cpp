// libcurl, loaded on first use. The binary is not linked against libcurl:
// this file defines the few curl_* functions Plumbline calls, and the first
// of them opens libcurl.so.4 with dlopen and looks the real ones up. Linking
// it directly made every process, `plumbline consolidate` and `--help`
// included, map libcurl and the two dozen libraries behind it (GnuTLS,
// Kerberos, LDAP, SSH, RTMP ...) and run their initialisers: about 11 ms of
// each start on our machines, for commands that never touch the network.
//
// Only the functions used in src/ are here; a new curl_* call fails to link
// until it is added below (see kFunctions). If libcurl cannot be loaded, the
// functions that create something fail the way libcurl reports failures
// (curl_global_init: CURLE_FAILED_INIT; curl_easy_init, curl_url,
// curl_slist_append: nullptr), so the callers' existing error paths report
// it; the others are only reachable with a handle, hence with libcurl loaded.
#define CURL_DISABLE_TYPECHECK 1  // curl_easy_setopt and _getinfo are macros otherwise
#include <curl/curl.h>
#include <dlfcn.h>

#include <cstdarg>
#include <cstdio>

namespace {

struct Curl {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
  decltype(&::curl_free) free;
  decltype(&::curl_url) url;
  decltype(&::curl_url_set) url_set;
  decltype(&::curl_url_get) url_get;
  decltype(&::curl_url_cleanup) url_cleanup;
  bool loaded = false;
};

template <class F>
bool Bind(void* library, const char* name, F& slot) {
  slot = reinterpret_cast<F>(dlsym(library, name));
  return slot != nullptr;
}

Curl Load() {
  Curl c{};
  void* library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    std::fprintf(stderr, "plumbline: cannot load libcurl: %s\n", dlerror());
    return c;
  }
  c.loaded = Bind(library, "curl_global_init", c.global_init) &&
             Bind(library, "curl_easy_init", c.easy_init) &&
             Bind(library, "curl_easy_setopt", c.easy_setopt) &&
             Bind(library, "curl_easy_perform", c.easy_perform) &&
             Bind(library, "curl_easy_getinfo", c.easy_getinfo) &&
             Bind(library, "curl_easy_strerror", c.easy_strerror) &&
             Bind(library, "curl_easy_reset", c.easy_reset) &&
             Bind(library, "curl_easy_cleanup", c.easy_cleanup) &&
             Bind(library, "curl_slist_append", c.slist_append) &&
             Bind(library, "curl_slist_free_all", c.slist_free_all) &&
             Bind(library, "curl_free", c.free) && Bind(library, "curl_url", c.url) &&
             Bind(library, "curl_url_set", c.url_set) && Bind(library, "curl_url_get", c.url_get) &&
             Bind(library, "curl_url_cleanup", c.url_cleanup);
  if (!c.loaded) std::fprintf(stderr, "plumbline: libcurl.so.4 lacks a function Plumbline needs\n");
  return c;
}

// Loaded once, on first use, from any thread (a function-local static).
const Curl& Lib() {
  static const Curl curl = Load();
  return curl;
}

}  // namespace

extern "C" {

CURLcode curl_global_init(long flags) {
  return Lib().loaded ? Lib().global_init(flags) : CURLE_FAILED_INIT;
}

CURL* curl_easy_init() { return Lib().loaded ? Lib().easy_init() : nullptr; }

// The one argument after `option` is a long, an object or function pointer,
// a curl_off_t or a blob pointer, by the option's number (curl.h,
// CURLOPTTYPE_*), as libcurl's own curl_easy_setopt reads it.
CURLcode curl_easy_setopt(CURL* handle, CURLoption option, ...) {
  va_list args;
  va_start(args, option);
  CURLcode rc;
  if (option < CURLOPTTYPE_OBJECTPOINT) {
    rc = Lib().easy_setopt(handle, option, va_arg(args, long));
  } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
    rc = Lib().easy_setopt(handle, option, va_arg(args, void*));
  } else if (option < CURLOPTTYPE_OFF_T) {
    rc = Lib().easy_setopt(handle, option, va_arg(args, void (*)()));
  } else if (option < CURLOPTTYPE_BLOB) {
    rc = Lib().easy_setopt(handle, option, va_arg(args, curl_off_t));
  } else {
    rc = Lib().easy_setopt(handle, option, va_arg(args, void*));
  }
  va_end(args);
  return rc;
}

CURLcode curl_easy_perform(CURL* handle) { return Lib().easy_perform(handle); }

// Every CURLINFO takes one pointer to the result.
CURLcode curl_easy_getinfo(CURL* handle, CURLINFO info, ...) {
  va_list args;
  va_start(args, info);
  void* out = va_arg(args, void*);
  va_end(args);
  return Lib().easy_getinfo(handle, info, out);
}

const char* curl_easy_strerror(CURLcode code) {
  return Lib().loaded ? Lib().easy_strerror(code) : "libcurl could not be loaded";
}

void curl_easy_reset(CURL* handle) { Lib().easy_reset(handle); }

void curl_easy_cleanup(CURL* handle) {
  if (handle != nullptr) Lib().easy_cleanup(handle);
}

curl_slist* curl_slist_append(curl_slist* list, const char* text) {
  return Lib().loaded ? Lib().slist_append(list, text) : nullptr;
}

void curl_slist_free_all(curl_slist* list) {
  if (list != nullptr) Lib().slist_free_all(list);
}

void curl_free(void* p) {
  if (p != nullptr) Lib().free(p);
}

CURLU* curl_url() { return Lib().loaded ? Lib().url() : nullptr; }

CURLUcode curl_url_set(CURLU* handle, CURLUPart what, const char* part, unsigned int flags) {
  return Lib().url_set(handle, what, part, flags);
}

CURLUcode curl_url_get(CURLU* handle, CURLUPart what, char** part, unsigned int flags) {
  return Lib().url_get(handle, what, part, flags);
}

void curl_url_cleanup(CURLU* handle) {
  if (handle != nullptr) Lib().url_cleanup(handle);
}

}  // extern "C"
