// The encrypting ObjectStore decorator and the decrypting reader: envelope
// encryption (crypto/envelope) with data keys of the key ring.
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "kms/kms.hpp"
#include "storage/object_store.hpp"

namespace plumbline::kms {

using crypto::DataKey;
using crypto::EnvelopeDecryptor;
using crypto::EnvelopeEncryptor;

namespace {

class EncryptingWriter final : public storage::Writer {
 public:
  EncryptingWriter(std::unique_ptr<storage::Writer> inner, std::unique_ptr<EnvelopeEncryptor> enc)
      : inner_(std::move(inner)), enc_(std::move(enc)) {}
  Status Append(std::string_view data) override {
    PLB_ASSIGN_OR_RETURN(std::string out, enc_->Update(data));
    if (!out.empty()) PLB_TRY(inner_->Append(out));
    return {};
  }
  Status Commit() override {
    PLB_ASSIGN_OR_RETURN(std::string out, enc_->Finish());
    PLB_TRY(inner_->Append(out));
    return inner_->Commit();
  }

 private:
  std::unique_ptr<storage::Writer> inner_;
  std::unique_ptr<EnvelopeEncryptor> enc_;
};

class EncryptingObjectStore final : public storage::ObjectStore {
 public:
  EncryptingObjectStore(storage::ObjectStore& inner, KeyRing& ring, std::string key_ref)
      : inner_(inner), ring_(ring), key_ref_(std::move(key_ref)) {}
  Result<std::unique_ptr<storage::Reader>> OpenRead(const std::string& uri) override {
    return inner_.OpenRead(uri);
  }
  Result<std::unique_ptr<storage::Writer>> OpenWrite(const std::string& uri) override {
    PLB_ASSIGN_OR_RETURN(DataKey key, ring_.GenerateDataKey(key_ref_));
    auto enc = EnvelopeEncryptor::Create(key);
    sodium_memzero(key.plaintext.data(), key.plaintext.size());
    if (!enc) return enc.error();
    PLB_ASSIGN_OR_RETURN(auto writer, inner_.OpenWrite(uri));
    return std::unique_ptr<storage::Writer>(new EncryptingWriter(std::move(writer), std::move(*enc)));
  }

 private:
  storage::ObjectStore& inner_;
  KeyRing& ring_;
  std::string key_ref_;
};

class DecryptingReaderImpl final : public storage::Reader {
 public:
  DecryptingReaderImpl(std::unique_ptr<storage::Reader> inner, KeyRing& ring, Caller caller)
      : inner_(std::move(inner)), ring_(ring), caller_(std::move(caller)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    while (pos_ == out_.size() && !done_) {
      out_.clear();
      pos_ = 0;
      char in[65536];
      PLB_ASSIGN_OR_RETURN(size_t got, inner_->Read(in, sizeof in));
      if (got == 0) {
        PLB_ASSIGN_OR_RETURN(out_, dec_.Finish());
        done_ = true;
        break;
      }
      PLB_ASSIGN_OR_RETURN(out_, dec_.Update(std::string_view(in, got)));
      if (dec_.header_ready() && !keyed_) {
        PLB_ASSIGN_OR_RETURN(auto key, ring_.DecryptDataKey(dec_.header().key_arn,
                                                            dec_.header().wrapped, caller_));
        PLB_TRY(dec_.SetDataKey(key.plaintext));
        sodium_memzero(key.plaintext.data(), key.plaintext.size());
        keyed_ = true;
        PLB_ASSIGN_OR_RETURN(std::string more, dec_.Update({}));
        out_ += more;
      }
    }
    size_t take = std::min(n, out_.size() - pos_);
    std::memcpy(buf, out_.data() + pos_, take);
    pos_ += take;
    return take;
  }

 private:
  std::unique_ptr<storage::Reader> inner_;
  KeyRing& ring_;
  Caller caller_;
  EnvelopeDecryptor dec_;
  std::string out_;
  size_t pos_ = 0;
  bool keyed_ = false;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<storage::ObjectStore>> EncryptingStore(storage::ObjectStore& inner,
                                                              KeyRing& ring,
                                                              const std::string& key_ref) {
  // Fail early (at job start) rather than on the first output file.
  PLB_ASSIGN_OR_RETURN(KeyInfo info, ring.DescribeKey(key_ref));
  if (!info.enabled) return Conflict(info.arn + " is disabled.");
  return std::unique_ptr<storage::ObjectStore>(new EncryptingObjectStore(inner, ring, key_ref));
}

Result<std::unique_ptr<storage::Reader>> DecryptingReader(std::unique_ptr<storage::Reader> inner,
                                                          KeyRing& ring, const Caller& caller) {
  return std::unique_ptr<storage::Reader>(new DecryptingReaderImpl(std::move(inner), ring, caller));
}

}  // namespace plumbline::kms
