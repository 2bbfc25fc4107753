// Envelope encryption of files: a fresh 256-bit data key per file encrypts the
// content with XChaCha20-Poly1305 (libsodium secretstream, fixed-size chunks),
// and the data key travels in the file's header wrapped by a master key that
// only the key service (kms/kms.hpp) can unwrap.
//
// The byte format is specified in docs/formats/encrypted-output.md:
//   "PLBENC01" | u32 BE header length | header JSON | secretstream header (24)
//   | chunks: each ciphertext = chunk plaintext + 17 bytes, the last one FINAL
// The header JSON names the key ("kid", a KMS key ARN) and carries the wrapped
// data key ("wk"); it is authenticated as the additional data of the first
// chunk, so a flipped byte anywhere (magic, header, body, tag) or a truncation
// makes decryption fail with kInvalidArgument.
//
// This header knows nothing of storage or of the key store: it turns bytes
// into bytes. EnvelopeEncryptor/Decryptor are streaming (bounded memory: one
// chunk); the Seal/Open helpers are for small payloads and tests.
//
// Thread safety: an Encryptor or Decryptor is used by one thread at a time;
// the free functions are safe to call concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace plumbline::crypto {

inline constexpr std::string_view kEnvelopeMagic = "PLBENC01";
inline constexpr size_t kDataKeyBytes = 32;
inline constexpr size_t kDefaultChunkBytes = 64 * 1024;
inline constexpr size_t kMaxChunkBytes = 16u << 20;

// A data key as the key service hands it out: the plaintext (32 raw bytes,
// never stored), the same key wrapped under the master key, and the master
// key's ARN.
struct DataKey {
  std::string key_arn;
  std::string plaintext;
  std::string wrapped;  // opaque bytes (the KMS "CiphertextBlob")
};

// The parsed, not yet authenticated, header of an encrypted file.
struct EnvelopeHeader {
  int version = 1;
  std::string key_arn;   // "kid"
  std::string wrapped;   // "wk", raw bytes (base64 in the file)
  size_t chunk_bytes = kDefaultChunkBytes;
};

// Streaming encryption. Feed plaintext with Update(); each call returns the
// ciphertext bytes that are ready (possibly none). Finish() returns the rest
// and must be called exactly once; the concatenation of all outputs is the
// encrypted file.
class EnvelopeEncryptor {
 public:
  // `key.plaintext` must be kDataKeyBytes long (else kInvalidArgument).
  static Result<std::unique_ptr<EnvelopeEncryptor>> Create(const DataKey& key,
                                                           size_t chunk_bytes = kDefaultChunkBytes);
  ~EnvelopeEncryptor();
  Result<std::string> Update(std::string_view plaintext);
  Result<std::string> Finish();

 private:
  EnvelopeEncryptor() = default;
  struct State;
  std::unique_ptr<State> state_;
};

// Streaming decryption. First parse the header (ReadEnvelopeHeader, or feed
// bytes to the Decryptor and ask header()), obtain the data key for it from
// the key service, then feed the rest.
class EnvelopeDecryptor {
 public:
  EnvelopeDecryptor();
  ~EnvelopeDecryptor();

  // Feeds file bytes. Before the header is complete nothing is returned;
  // once header_ready() the caller must SetDataKey() before feeding more
  // than the header. Returns the plaintext that is ready (only authenticated
  // bytes are ever returned). kInvalidArgument on a bad magic/header, a
  // failed tag, or bytes after the final chunk.
  Result<std::string> Update(std::string_view ciphertext);
  bool header_ready() const;
  const EnvelopeHeader& header() const;  // valid once header_ready()
  // Installs the unwrapped data key (32 bytes); kInvalidArgument otherwise.
  Status SetDataKey(std::string_view plaintext_key);
  // Checks that the final chunk was seen (kInvalidArgument "truncated"
  // otherwise) and returns any last plaintext.
  Result<std::string> Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Parses the header at the start of `prefix` (which must contain all of it).
// kInvalidArgument when it is not an encrypted file or the header is
// malformed; *consumed is set to the header's total size.
Result<EnvelopeHeader> ParseEnvelopeHeader(std::string_view prefix, size_t* consumed);

// The bytes at the start of a file that hold any envelope's whole header.
inline constexpr size_t kEnvelopeHeadBytes = 8 + 4 + 64 * 1024;
// A whole encrypted file of `file_size` bytes starting with `head` (its
// first kEnvelopeHeadBytes, or all of a shorter file): its header and
// plaintext size. kInvalidArgument when it is no envelope or its size fits
// no plaintext (not authenticated: the chunks are not read).
struct EnvelopeLayout {
  EnvelopeHeader header;
  uint64_t plaintext_size = 0;
};
Result<EnvelopeLayout> InspectEnvelope(std::string_view head, uint64_t file_size);

// One-shot helpers over the streaming classes.
Result<std::string> SealEnvelope(const DataKey& key, std::string_view plaintext,
                                 size_t chunk_bytes = kDefaultChunkBytes);
// Decrypts a whole file with an already unwrapped data key.
Result<std::string> OpenEnvelope(std::string_view file, std::string_view plaintext_key);

// Base64 (standard alphabet, padded), as KMS's JSON protocol uses for blobs.
std::string Base64Encode(std::string_view bytes);
// kInvalidArgument on malformed input.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace plumbline::crypto
