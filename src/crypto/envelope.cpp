#include "crypto/envelope.hpp"

#include <sodium.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "common/json.hpp"

namespace plumbline::crypto {
namespace {

using SsState = crypto_secretstream_xchacha20poly1305_state;
constexpr size_t kSsHeaderBytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;  // 24
constexpr size_t kSsABytes = crypto_secretstream_xchacha20poly1305_ABYTES;            // 17
constexpr size_t kPrefixBytes = 8 + 4;  // magic + u32 header length
constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr std::string_view kAlgorithm = "XChaCha20-Poly1305-secretstream";

void InitSodium() {
  static const int ok = sodium_init();
  if (ok < 0) throw std::runtime_error("libsodium failed to initialise");
}

uint32_t ReadU32(std::string_view s) {
  return (uint32_t{static_cast<unsigned char>(s[0])} << 24) |
         (uint32_t{static_cast<unsigned char>(s[1])} << 16) |
         (uint32_t{static_cast<unsigned char>(s[2])} << 8) | uint32_t{static_cast<unsigned char>(s[3])};
}

void AppendU32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* U(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  InitSodium();
  const int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), U(bytes), bytes.size(), variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  InitSodium();
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(U(out), out.size(), text.data(), text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size())
    return InvalidArgument("malformed base64");
  out.resize(len);
  return out;
}

Result<EnvelopeHeader> ParseEnvelopeHeader(std::string_view prefix, size_t* consumed) {
  if (prefix.size() < kPrefixBytes || prefix.substr(0, 8) != kEnvelopeMagic)
    return InvalidArgument("not a Plumbline encrypted file (bad magic)");
  uint32_t len = ReadU32(prefix.substr(8, 4));
  if (len == 0 || len > kMaxHeaderBytes)
    return InvalidArgument("encrypted file header has a bad length");
  if (prefix.size() < kPrefixBytes + len) return InvalidArgument("encrypted file header is truncated");
  auto parsed = json::Parse(prefix.substr(kPrefixBytes, len));
  if (!parsed || !parsed->is_object()) return InvalidArgument("encrypted file header is not JSON");
  const auto& o = parsed->get_object();
  EnvelopeHeader h;
  auto v = json::GetInt(o, "v");
  auto alg = json::GetString(o, "alg");
  auto kid = json::GetString(o, "kid");
  auto wk = json::GetString(o, "wk");
  auto cs = json::GetInt(o, "cs");
  if (!v || *v != 1) return InvalidArgument("unsupported encrypted file version");
  if (!alg || *alg != kAlgorithm) return InvalidArgument("unsupported encryption algorithm");
  if (!kid || kid->empty() || !wk || !cs) return InvalidArgument("encrypted file header lacks a field");
  if (*cs <= 0 || static_cast<size_t>(*cs) > kMaxChunkBytes)
    return InvalidArgument("encrypted file header has a bad chunk size");
  auto wrapped = Base64Decode(*wk);
  if (!wrapped) return InvalidArgument("encrypted file header has a malformed wrapped key");
  h.version = 1;
  h.key_arn = *kid;
  h.wrapped = std::move(*wrapped);
  h.chunk_bytes = static_cast<size_t>(*cs);
  if (consumed) *consumed = kPrefixBytes + len;
  return h;
}

Result<EnvelopeLayout> InspectEnvelope(std::string_view head, uint64_t file_size) {
  size_t consumed = 0;
  PLB_ASSIGN_OR_RETURN(EnvelopeHeader header, ParseEnvelopeHeader(head, &consumed));
  // The secretstream header, then chunks of chunk_bytes plaintext each with
  // its 17-byte tag; the last (possibly empty) chunk is shorter.
  const uint64_t start = consumed + kSsHeaderBytes;
  const uint64_t chunk = header.chunk_bytes + kSsABytes;
  if (file_size < start + kSsABytes) return InvalidArgument("encrypted file is truncated");
  const uint64_t body = file_size - start;
  const uint64_t chunks = (body + chunk - 1) / chunk;
  EnvelopeLayout layout;
  layout.plaintext_size = body - kSsABytes * chunks;
  layout.header = std::move(header);
  return layout;
}

// ---------------------------------------------------------------------------
// Encryptor

struct EnvelopeEncryptor::State {
  SsState ss;
  size_t chunk = 0;
  std::string header;   // magic + length + JSON: the first chunk's additional data
  std::string pending;  // output not yet handed out (the file header)
  std::string buf;      // plaintext not yet sealed
  bool first = true;
  bool finished = false;

  void SealChunk(std::string_view plain, unsigned char tag, std::string& out) {
    size_t at = out.size();
    out.resize(at + plain.size() + kSsABytes);
    unsigned long long clen = 0;
    std::string_view ad = first ? std::string_view(header) : std::string_view();
    crypto_secretstream_xchacha20poly1305_push(&ss, U(out) + at, &clen, U(plain), plain.size(),
                                               ad.empty() ? nullptr : U(ad), ad.size(), tag);
    out.resize(at + clen);
    first = false;
  }
};

EnvelopeEncryptor::~EnvelopeEncryptor() {
  if (state_) sodium_memzero(&state_->ss, sizeof state_->ss);
}

Result<std::unique_ptr<EnvelopeEncryptor>> EnvelopeEncryptor::Create(const DataKey& key,
                                                                     size_t chunk_bytes) {
  InitSodium();
  if (key.plaintext.size() != kDataKeyBytes) return InvalidArgument("a data key has 32 bytes");
  if (chunk_bytes == 0 || chunk_bytes > kMaxChunkBytes) return InvalidArgument("bad chunk size");
  if (key.key_arn.empty()) return InvalidArgument("the data key names no master key");
  std::unique_ptr<EnvelopeEncryptor> e(new EnvelopeEncryptor());
  e->state_ = std::make_unique<State>();
  State& s = *e->state_;
  s.chunk = chunk_bytes;
  boost::json::object h;
  h["v"] = 1;
  h["alg"] = kAlgorithm;
  h["kid"] = key.key_arn;
  h["wk"] = Base64Encode(key.wrapped);
  h["cs"] = chunk_bytes;
  std::string text = json::Serialize(h);
  s.header.append(kEnvelopeMagic);
  AppendU32(s.header, static_cast<uint32_t>(text.size()));
  s.header.append(text);
  s.pending = s.header;
  std::string ss_header(kSsHeaderBytes, '\0');
  crypto_secretstream_xchacha20poly1305_init_push(&s.ss, U(ss_header), U(key.plaintext));
  s.pending.append(ss_header);
  return e;
}

Result<std::string> EnvelopeEncryptor::Update(std::string_view plaintext) {
  State& s = *state_;
  if (s.finished) return Internal("EnvelopeEncryptor::Update after Finish");
  std::string out = std::move(s.pending);
  s.pending.clear();
  // A chunk is sealed only once more data follows it, so the last chunk
  // (sealed by Finish with the FINAL tag) is never empty unless the file is.
  while (!plaintext.empty()) {
    if (s.buf.empty() && plaintext.size() > s.chunk) {
      s.SealChunk(plaintext.substr(0, s.chunk), crypto_secretstream_xchacha20poly1305_TAG_MESSAGE, out);
      plaintext.remove_prefix(s.chunk);
      continue;
    }
    size_t take = std::min(plaintext.size(), s.chunk - s.buf.size());
    s.buf.append(plaintext.substr(0, take));
    plaintext.remove_prefix(take);
    if (s.buf.size() == s.chunk && !plaintext.empty()) {
      s.SealChunk(s.buf, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE, out);
      s.buf.clear();
    }
  }
  return out;
}

Result<std::string> EnvelopeEncryptor::Finish() {
  State& s = *state_;
  if (s.finished) return Internal("EnvelopeEncryptor::Finish called twice");
  std::string out = std::move(s.pending);
  s.pending.clear();
  s.SealChunk(s.buf, crypto_secretstream_xchacha20poly1305_TAG_FINAL, out);
  sodium_memzero(s.buf.data(), s.buf.size());
  s.buf.clear();
  s.finished = true;
  return out;
}

// ---------------------------------------------------------------------------
// Decryptor

struct EnvelopeDecryptor::State {
  enum class Phase { kHeader, kNeedKey, kStreamHeader, kChunks, kDone };
  Phase phase = Phase::kHeader;
  EnvelopeHeader header;
  std::string header_bytes;  // additional data of the first chunk
  std::string key;
  std::string buf;
  SsState ss;
  bool first = true;

  Status OpenChunk(std::string_view cipher, std::string& out) {
    if (cipher.size() < kSsABytes) return InvalidArgument("encrypted file is truncated");
    size_t at = out.size();
    out.resize(at + cipher.size() - kSsABytes);
    unsigned long long mlen = 0;
    unsigned char tag = 0;
    std::string_view ad = first ? std::string_view(header_bytes) : std::string_view();
    if (crypto_secretstream_xchacha20poly1305_pull(&ss, U(out) + at, &mlen, &tag, U(cipher),
                                                   cipher.size(), ad.empty() ? nullptr : U(ad),
                                                   ad.size()) != 0) {
      out.resize(at);
      return InvalidArgument("encrypted file failed authentication (tampered or wrong key)");
    }
    out.resize(at + mlen);
    first = false;
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) phase = Phase::kDone;
    else if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
      return InvalidArgument("encrypted file has an unexpected chunk tag");
    return {};
  }

  Result<std::string> Pump() {
    std::string out;
    for (;;) {
      switch (phase) {
        case Phase::kHeader: {
          if (buf.size() < kPrefixBytes) return out;
          if (std::string_view(buf).substr(0, 8) != kEnvelopeMagic)
            return InvalidArgument("not a Plumbline encrypted file (bad magic)");
          uint32_t len = ReadU32(std::string_view(buf).substr(8, 4));
          if (len == 0 || len > kMaxHeaderBytes)
            return InvalidArgument("encrypted file header has a bad length");
          if (buf.size() < kPrefixBytes + len) return out;
          size_t consumed = 0;
          PLB_ASSIGN_OR_RETURN(header, ParseEnvelopeHeader(buf, &consumed));
          header_bytes = buf.substr(0, consumed);
          buf.erase(0, consumed);
          phase = Phase::kNeedKey;
          break;
        }
        case Phase::kNeedKey:
          return out;
        case Phase::kStreamHeader:
          if (buf.size() < kSsHeaderBytes) return out;
          if (crypto_secretstream_xchacha20poly1305_init_pull(&ss, U(buf), U(key)) != 0)
            return InvalidArgument("encrypted file has a bad stream header");
          buf.erase(0, kSsHeaderBytes);
          phase = Phase::kChunks;
          break;
        case Phase::kChunks: {
          // Every full-size chunk present; one erase at the end keeps this linear.
          const size_t full = header.chunk_bytes + kSsABytes;
          size_t pos = 0;
          while (phase == Phase::kChunks && buf.size() - pos >= full) {
            PLB_TRY(OpenChunk(std::string_view(buf).substr(pos, full), out));
            pos += full;
          }
          buf.erase(0, pos);
          if (phase == Phase::kChunks) return out;
          break;
        }
        case Phase::kDone:
          if (!buf.empty()) return InvalidArgument("encrypted file has bytes after its final chunk");
          return out;
      }
    }
  }
};

EnvelopeDecryptor::EnvelopeDecryptor() : state_(std::make_unique<State>()) { InitSodium(); }
EnvelopeDecryptor::~EnvelopeDecryptor() {
  sodium_memzero(&state_->ss, sizeof state_->ss);
  if (!state_->key.empty()) sodium_memzero(state_->key.data(), state_->key.size());
}

bool EnvelopeDecryptor::header_ready() const { return state_->phase != State::Phase::kHeader; }
const EnvelopeHeader& EnvelopeDecryptor::header() const { return state_->header; }

Status EnvelopeDecryptor::SetDataKey(std::string_view plaintext_key) {
  if (state_->phase != State::Phase::kNeedKey) return Internal("SetDataKey before the header or twice");
  if (plaintext_key.size() != kDataKeyBytes) return InvalidArgument("a data key has 32 bytes");
  state_->key = std::string(plaintext_key);
  state_->phase = State::Phase::kStreamHeader;
  return {};
}

Result<std::string> EnvelopeDecryptor::Update(std::string_view ciphertext) {
  state_->buf.append(ciphertext);
  if (state_->phase == State::Phase::kNeedKey && state_->buf.size() > kSsHeaderBytes + kMaxChunkBytes * 2)
    return Internal("EnvelopeDecryptor fed without a data key");
  return state_->Pump();
}

Result<std::string> EnvelopeDecryptor::Finish() {
  State& s = *state_;
  PLB_ASSIGN_OR_RETURN(std::string out, s.Pump());
  switch (s.phase) {
    case State::Phase::kHeader:
      return InvalidArgument(s.buf.size() < kPrefixBytes ? "not a Plumbline encrypted file (too short)"
                                                         : "encrypted file header is truncated");
    case State::Phase::kNeedKey: return Internal("EnvelopeDecryptor finished without a data key");
    case State::Phase::kStreamHeader: return InvalidArgument("encrypted file is truncated");
    case State::Phase::kChunks:
      // What is left is shorter than a full chunk: it must be the final one.
      if (s.buf.empty()) return InvalidArgument("encrypted file is truncated");
      PLB_TRY(s.OpenChunk(s.buf, out));
      s.buf.clear();
      if (s.phase != State::Phase::kDone) return InvalidArgument("encrypted file is truncated");
      return out;
    case State::Phase::kDone: return out;
  }
  return out;
}

Result<std::string> SealEnvelope(const DataKey& key, std::string_view plaintext, size_t chunk_bytes) {
  PLB_ASSIGN_OR_RETURN(auto enc, EnvelopeEncryptor::Create(key, chunk_bytes));
  PLB_ASSIGN_OR_RETURN(std::string out, enc->Update(plaintext));
  PLB_ASSIGN_OR_RETURN(std::string tail, enc->Finish());
  return out + tail;
}

Result<std::string> OpenEnvelope(std::string_view file, std::string_view plaintext_key) {
  EnvelopeDecryptor dec;
  size_t consumed = 0;
  PLB_TRY(ParseEnvelopeHeader(file, &consumed));
  PLB_ASSIGN_OR_RETURN(std::string out, dec.Update(file.substr(0, consumed)));
  PLB_TRY(dec.SetDataKey(plaintext_key));
  PLB_ASSIGN_OR_RETURN(std::string body, dec.Update(file.substr(consumed)));
  PLB_ASSIGN_OR_RETURN(std::string tail, dec.Finish());
  return out + body + tail;
}

}  // namespace plumbline::crypto
