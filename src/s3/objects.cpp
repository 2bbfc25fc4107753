// Object operations: PutObject and UploadPart bodies (streamed into a staged
// file through UploadSink), GetObject/HeadObject, DeleteObject(s), CopyObject.
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "common/text.hpp"
#include "crypto/digest.hpp"
#include "crypto/envelope.hpp"
#include "crypto/hash.hpp"
#include "http/range.hpp"
#include "http/reader_body.hpp"
#include "kms/kms.hpp"
#include "s3/chunked.hpp"
#include "s3/detail/digest_pipeline.hpp"
#include "s3/detail/impl.hpp"
#include "s3/xml.hpp"

namespace plumbline::s3 {

namespace {

const std::string* Find(const http::Request& r, std::string_view name) { return r.FindHeader(name); }

Error ToStatus(const S3Error& e) { return InvalidArgument(e.code + ": " + e.message); }

}  // namespace

storage::ObjectInfo MetadataFromHeaders(const http::Request& r) {
  storage::ObjectInfo info;
  for (const auto& h : r.headers) {
    std::string name = AsciiLower(h.name);
    if (name == "content-type") info.content_type = h.value;
    if (name.rfind("x-amz-meta-", 0) == 0) info.metadata.emplace_back(name.substr(11), h.value);
  }
  std::sort(info.metadata.begin(), info.metadata.end());
  return info;
}

std::optional<S3Error> EncryptionFor(S3Service::Impl& s3, const http::Request& r,
                                     const std::string& bucket, storage::ObjectInfo* info) {
  std::string sse, key;
  if (const std::string* h = Find(r, "x-amz-server-side-encryption")) {
    sse = *h;
    if (const std::string* k = Find(r, "x-amz-server-side-encryption-aws-kms-key-id")) key = *k;
  } else {
    auto setting = s3.buckets.GetBucketSetting(bucket, "encryption");
    if (setting && !setting->empty()) {
      size_t nl = setting->find('\n');
      sse = setting->substr(0, nl);
      if (nl != std::string::npos) key = setting->substr(nl + 1);
    }
  }
  if (sse.empty() || sse == "AES256") return std::nullopt;  // at rest as the disk keeps it
  if (sse != "aws:kms")
    return S3Error{400, "InvalidArgument", "The encryption method specified is not supported"};
  if (!s3.keys) return S3Error{501, "NotImplemented", "SSE-KMS is not available on this server."};
  if (key.empty()) key = "alias/aws/s3";
  auto described = s3.keys->ring().DescribeKey(key);
  if (!described)
    return S3Error{400, "KMS.NotFoundException", "Invalid keyId " + key};
  if (!described->enabled)
    return S3Error{400, "KMS.DisabledException", described->arn + " is disabled."};
  info->sse = "aws:kms";
  info->sse_kms_key_id = described->arn;
  return std::nullopt;
}

std::optional<S3Error> NewEncryptor(S3Service::Impl& s3, const std::string& key_arn,
                                    std::unique_ptr<crypto::EnvelopeEncryptor>* out) {
  auto key = s3.keys->ring().GenerateDataKey(key_arn);
  if (!key) return S3Error{400, "KMS.DisabledException", key.error().message};
  auto enc = crypto::EnvelopeEncryptor::Create(*key);
  sodium_memzero(key->plaintext.data(), key->plaintext.size());
  if (!enc) return S3Error{500, "InternalError", enc.error().message};
  *out = std::move(*enc);
  return std::nullopt;
}

std::optional<S3Error> Pump(const std::function<Result<size_t>(char*, size_t)>& read,
                            storage::ObjectWriter& w, crypto::EnvelopeEncryptor* enc,
                            crypto::Digest* md5, uint64_t* size) {
  std::vector<char> buf(1 << 20);
  for (;;) {
    auto n = read(buf.data(), buf.size());
    if (!n) {
      if (n.error().code == ErrorCode::kPermissionDenied) return S3Error{403, "AccessDenied", n.error().message};
      return FromStorage(n.error(), true);
    }
    if (*n == 0) return std::nullopt;
    std::string_view d(buf.data(), *n);
    if (md5) md5->Update(d);
    *size += *n;
    Status s;
    if (enc) {
      auto c = enc->Update(d);
      s = c ? (c->empty() ? Status{} : w.Append(*c)) : Status(c.error());
    } else {
      s = w.Append(d);
    }
    if (!s) return FromStorage(s.error(), true);
  }
}

std::optional<S3Error> FinishEnvelope(storage::ObjectWriter& w, crypto::EnvelopeEncryptor* enc) {
  if (!enc) return std::nullopt;
  auto c = enc->Finish();
  if (!c) return S3Error{500, "InternalError", c.error().message};
  if (auto s = w.Append(*c); !s) return FromStorage(s.error(), true);
  return std::nullopt;
}

std::optional<S3Error> ParseCopySource(const http::Request& r, Target* from) {
  std::string source;
  http::PercentDecode(*Find(r, "x-amz-copy-source"), &source);
  if (size_t q = source.find('?'); q != std::string::npos) source.resize(q);
  if (!source.empty() && source[0] == '/') source.erase(0, 1);
  size_t slash = source.find('/');
  if (slash == std::string::npos || slash + 1 == source.size())
    return S3Error{400, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"};
  from->bucket = source.substr(0, slash);
  from->key = source.substr(slash + 1);
  return std::nullopt;
}

namespace {

// The part number (1-10000) and the open upload a part request names.
std::optional<S3Error> PartOf(S3Service::Impl& s3, const Target& t, int* number,
                              storage::UploadInfo* upload) {
  std::string n = t.Get("partNumber");
  *number = n.size() <= 5 && !n.empty() &&
                    std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })
                ? std::stoi(n)
                : 0;
  if (*number < 1 || *number > 10000)
    return S3Error{400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive"};
  auto u = s3.buckets.GetUpload(t.bucket, t.key, t.Get("uploadId"));
  if (!u) return FromStorage(u.error(), true);
  *upload = std::move(*u);
  return std::nullopt;
}

}  // namespace

// Streams an upload's body: authenticates the head, then decodes (aws-chunked),
// hashes (MD5 for the ETag, SHA-256 when declared, a checksum when sent; on
// the DigestPipeline's threads, beside the writing), encrypts (SSE-KMS) and
// writes to a staged file; the handler commits it once Close has found every
// digest matching what the request declared. A plain body (neither
// aws-chunked nor encrypted) is received straight into the pipeline's
// buffers and written to the file from there a buffer at a time (Room,
// Received), and its fsync runs while the threads hash the last buffers.
class UploadSink final : public http::BodySink {
 public:
  explicit UploadSink(S3Service::Impl& s3) : s3_(s3), md5_(crypto::Digest::Kind::kMd5) {}

  void Start(const http::Request& head) {
    auto t = ParseTarget(head, s3_.options);
    target = *t;
    if (auto e = s3_.Authenticate(head, &who)) return Fail(*e);
    if (auto e = s3_.Authorize(who, "s3:PutObject", target)) return Fail(*e);
    if (auto s = storage::LocalBuckets::CheckKey(target.key); !s)
      return Fail(FromStorage(s.error(), true));
    info = MetadataFromHeaders(head);
    if (const std::string* tags = Find(head, "x-amz-tagging"); tags && !tags->empty())
      return Fail({501, "NotImplemented", "Object tags are not kept by this server."});
    if (target.Has("uploadId") || target.Has("partNumber")) {
      if (auto e = PartOf(s3_, target, &part_number, &upload)) return Fail(*e);
      is_part = true;
      info.sse = upload.meta.sse;
      info.sse_kms_key_id = upload.meta.sse_kms_key_id;
    } else if (auto e = EncryptionFor(s3_, head, target.bucket, &info)) {
      return Fail(*e);
    }
    if (const std::string* dl = Find(head, "x-amz-decoded-content-length")) {
      try {
        decoded_length_ = std::stoll(*dl);
      } catch (...) {
        return Fail({400, "InvalidArgument", "x-amz-decoded-content-length is not a number"});
      }
    }
    // The part's length, when the request declares it, lets it go straight
    // to its place in the object-to-be (an aws-chunked body's Content-Length
    // counts its framing: only its decoded length tells).
    uint64_t part_length = decoded_length_ >= 0 ? static_cast<uint64_t>(decoded_length_) : 0;
    const std::string* length = Find(head, "Content-Length");
    if (decoded_length_ < 0 && length && who.signed_with.payload_hash.rfind("STREAMING-", 0) != 0)
      part_length = std::strtoull(length->c_str(), nullptr, 10);
    auto writer = is_part ? s3_.buckets.CreatePart(upload, part_number, part_length)
                          : s3_.buckets.Create(target.bucket, target.key);
    if (!writer) return Fail(FromStorage(writer.error(), true));
    writer_ = std::move(*writer);
    // A part of an SSE-KMS upload is its own envelope: no plaintext reaches
    // the disk, not even while the upload is open.
    if (!info.sse.empty()) {
      if (!s3_.keys) return Fail({501, "NotImplemented", "SSE-KMS is not available on this server."});
      if (auto e = NewEncryptor(s3_, info.sse_kms_key_id, &encryptor_)) return Fail(*e);
    }
    // What the body must match.
    const std::string& declared = who.signed_with.payload_hash;
    if (declared.size() == 64) {
      declared_sha_ = declared;
      sha_ = std::make_unique<crypto::Digest>(crypto::Digest::Kind::kSha256);
    }
    if (const std::string* md5 = Find(head, "Content-MD5")) {
      auto raw = crypto::Base64Decode(*md5);
      if (!raw || raw->size() != 16) return Fail({400, "InvalidDigest", "The Content-MD5 you specified was invalid."});
      content_md5_ = *raw;
    }
    for (const char* name : {"x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-sha256"}) {
      if (const std::string* v = Find(head, name)) {
        checksum_name_ = name;
        checksum_value_ = *v;
        checksum_ = std::make_unique<crypto::Digest>(
            checksum_name_ == "x-amz-checksum-crc32"    ? crypto::Digest::Kind::kCrc32
            : checksum_name_ == "x-amz-checksum-crc32c" ? crypto::Digest::Kind::kCrc32c
                                                          : crypto::Digest::Kind::kSha256);
      }
    }
    if (declared.rfind("STREAMING-", 0) == 0) {
      ChunkedOptions o;
      o.signed_chunks = declared.rfind("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", 0) == 0;
      o.trailer = declared.size() > 8 && declared.compare(declared.size() - 8, 8, "-TRAILER") == 0;
      if (const std::string* tr = Find(head, "x-amz-trailer")) o.trailer_name = *tr;
      o.signing_key = who.signed_with.signing_key;
      o.amz_date = who.signed_with.amz_date;
      o.scope = who.signed_with.scope;
      o.seed_signature = who.signed_with.signature;
      decoder_ = std::make_unique<ChunkedDecoder>(o, [this](std::string_view d) { return Consume(d); });
    }
    // The declared SHA-256 covers the body as sent; it is only declared (64
    // hex digits) when the body is not aws-chunked, so the bytes Consume
    // sees are the body's and one pipeline hashes them for all digests.
    digests_ = std::make_unique<DigestPipeline>(
        std::vector<crypto::Digest*>{&md5_, sha_.get(), checksum_.get()});
    in_place_ = !decoder_ && !encryptor_;
  }

  std::span<char> Room() override {
    if (error || !in_place_) return {};
    return digests_->Room();
  }

  Status Received(size_t n) override {
    if (error) return ToStatus(*error);
    if (!in_place_) return Internal("this upload offers no room to receive into");
    size += n;
    if (auto s = digests_->Filled(n, store_); !s) FailFrom(s.error());
    return error ? Status(ToStatus(*error)) : Status{};
  }

  Status Write(std::string_view bytes) override {
    if (error) return ToStatus(*error);
    Status s = decoder_ ? decoder_->Feed(bytes) : Consume(bytes);
    if (!s) FailFrom(s.error());
    return error ? Status(ToStatus(*error)) : Status{};
  }

  Status Close() override {
    if (error) return ToStatus(*error);
    if (decoder_) {
      if (auto s = decoder_->Finish(); !s) FailFrom(s.error());
    }
    if (!error && encryptor_) {
      auto tail = encryptor_->Finish();
      if (!tail) Fail({500, "InternalError", tail.error().message});
      else if (auto s = writer_->Append(*tail); !s) FailFrom(s.error());
    }
    if (!error && in_place_) {
      if (auto s = digests_->Flush(store_); !s) FailFrom(s.error());
    }
    // Every byte is written: the fsync runs while the threads hash the tail.
    if (!error) {
      if (auto s = writer_->Sync(); !s) FailFrom(s.error());
    }
    digests_->Finish();
    if (!error && sha_ && crypto::HexEncode(sha_->Finish()) != declared_sha_)
      Fail({400, "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed."});
    if (!error && decoded_length_ >= 0 && static_cast<uint64_t>(decoded_length_) != size)
      Fail({400, "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header"});
    md5_raw = md5_.Finish();
    if (!error && !content_md5_.empty() && content_md5_ != md5_raw)
      Fail({400, "BadDigest", "The Content-MD5 you specified did not match what we received."});
    if (!error && checksum_ && crypto::Base64Encode(checksum_->Finish()) != checksum_value_)
      Fail({400, "BadDigest", "The " + checksum_name_.substr(15) +
                                  " you specified did not match the calculated checksum."});
    closed = true;
    return error ? Status(ToStatus(*error)) : Status{};
  }

  // Publishes the staged file with its metadata.
  Status Commit() {
    info.etag = crypto::HexEncode(md5_raw);
    info.size = size;
    info.key = target.key;
    return writer_->Commit(info);
  }

  std::optional<S3Error> error;
  Target target;
  identity::Principal who;
  storage::ObjectInfo info;
  bool is_part = false;
  int part_number = 0;
  storage::UploadInfo upload;
  std::string md5_raw;
  uint64_t size = 0;
  bool closed = false;
  std::string checksum_name_, checksum_value_;

 private:
  void Fail(const S3Error& e) {
    if (!error) error = e;
  }
  void FailFrom(const Error& e) {
    if (error) return;
    if (e.code == ErrorCode::kPermissionDenied) return Fail({403, "SignatureDoesNotMatch", e.message});
    if (e.message.rfind("checksum", 0) == 0) return Fail({400, "BadDigest", e.message});
    if (e.code == ErrorCode::kInvalidArgument) return Fail({400, "IncompleteBody", e.message});
    Fail(FromStorage(e, true));
  }
  // The body's (decoded) bytes.
  Status Consume(std::string_view data) {
    size += data.size();
    if (in_place_) {  // through the pipeline's buffers, which store_ writes
      while (!data.empty()) {
        std::span<char> room = digests_->Room();
        size_t n = std::min(room.size(), data.size());
        std::memcpy(room.data(), data.data(), n);
        data.remove_prefix(n);
        PLB_TRY(digests_->Filled(n, store_));
      }
      return {};
    }
    digests_->Update(data);
    if (encryptor_) {
      PLB_ASSIGN_OR_RETURN(std::string out, encryptor_->Update(data));
      return out.empty() ? Status{} : writer_->Append(out);
    }
    return writer_->Append(data);
  }

  S3Service::Impl& s3_;
  crypto::Digest md5_;
  std::unique_ptr<crypto::Digest> sha_, checksum_;
  std::string declared_sha_, content_md5_;
  long long decoded_length_ = -1;
  std::unique_ptr<ChunkedDecoder> decoder_;
  std::unique_ptr<crypto::EnvelopeEncryptor> encryptor_;
  std::unique_ptr<storage::ObjectWriter> writer_;
  bool in_place_ = false;
  const DigestPipeline::Store store_ = [this](std::string_view b) { return writer_->Append(b); };
  // Last: stopped (its thread joined) before the digests it feeds go.
  std::unique_ptr<DigestPipeline> digests_;
};

std::shared_ptr<http::BodySink> StartUpload(S3Service::Impl& s3, const http::Request& head) {
  auto sink = std::make_shared<UploadSink>(s3);
  sink->Start(head);
  return sink;
}

http::Response S3Service::Impl::PutObject(http::Request& r, const Target& t,
                                          const identity::Principal&) {
  auto sink = std::dynamic_pointer_cast<UploadSink>(r.body_sink);
  if (!sink) {  // a body small enough to have been read whole (or none)
    sink = std::dynamic_pointer_cast<UploadSink>(StartUpload(*this, r));
    if (!r.body.empty()) (void)sink->Write(r.body);
    (void)sink->Close();
  } else if (!sink->closed && !sink->error) {
    (void)sink->Close();
  }
  if (sink->error) return ErrorResponse(*sink->error, t.Resource());
  if (!r.body_status && !sink->error)
    return ErrorResponse({400, "IncompleteBody", r.body_status.error().message}, t.Resource());
  if (auto s = sink->Commit(); !s) return ErrorResponse(FromStorage(s.error(), true), t.Resource());
  http::Response out;
  out.Set("ETag", Quote(sink->info.etag));
  if (!sink->checksum_name_.empty()) out.Set(sink->checksum_name_, sink->checksum_value_);
  if (!sink->info.sse.empty()) {
    out.Set("x-amz-server-side-encryption", sink->info.sse);
    out.Set("x-amz-server-side-encryption-aws-kms-key-id", sink->info.sse_kms_key_id);
  }
  out.Set("x-amz-request-id", RequestId());
  return out;
}

namespace {

bool EtagMatches(const std::string& header, const std::string& etag) {
  size_t start = 0;
  while (start < header.size()) {
    size_t comma = header.find(',', start);
    std::string one = header.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!one.empty() && one.front() == ' ') one.erase(0, 1);
    while (!one.empty() && one.back() == ' ') one.pop_back();
    if (one == "*" || one == Quote(etag) || one == etag) return true;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return false;
}

}  // namespace

http::Response S3Service::Impl::GetObject(const http::Request& r, const Target& t,
                                          const identity::Principal& who, bool head) {
  auto info = buckets.Head(t.bucket, t.key);
  if (!info) return ErrorResponse(FromStorage(info.error(), true), t.Resource());
  // Conditions, in RFC 7232's order.
  int64_t since = 0;
  const int64_t mtime_s = info->mtime_ms / 1000 * 1000;
  if (const std::string* h = Find(r, "If-Match")) {
    if (!EtagMatches(*h, info->etag))
      return ErrorResponse({412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"}, t.Resource());
  } else if (const std::string* date = Find(r, "If-Unmodified-Since");
             date && ParseHttpDate(*date, &since)) {
    if (mtime_s > since)
      return ErrorResponse({412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"}, t.Resource());
  }
  http::Response out;
  out.Set("ETag", Quote(info->etag));
  out.Set("Last-Modified", HttpDate(info->mtime_ms));
  if (const std::string* h = Find(r, "If-None-Match")) {
    if (EtagMatches(*h, info->etag)) {
      out.status = 304;
      return out;
    }
  } else if (const std::string* date = Find(r, "If-Modified-Since");
             date && ParseHttpDate(*date, &since)) {
    if (mtime_s <= since) {
      out.status = 304;
      return out;
    }
  }
  // Range: one "bytes=a-b", "bytes=a-" or "bytes=-n" (http/range.hpp).
  uint64_t start = 0, length = info->size;
  if (const std::string* h = Find(r, "Range")) {
    http::ByteRange range = http::ParseByteRange(*h, info->size);
    if (range.kind == http::ByteRange::kUnsatisfiable) {
      http::Response e = ErrorResponse({416, "InvalidRange", "The requested range is not satisfiable"}, t.Resource());
      e.Set("Content-Range", http::ContentRange(range, info->size));
      return e;
    }
    if (range.kind == http::ByteRange::kPartial) {
      start = range.start;
      length = range.length;
      out.status = 206;
      out.Set("Content-Range", http::ContentRange(range, info->size));
    }
  }
  out.Set("Accept-Ranges", "bytes");
  out.Set("Content-Type", info->content_type.empty() ? "binary/octet-stream" : info->content_type);
  for (const auto& [k, v] : info->metadata) out.Set("x-amz-meta-" + k, v);
  if (!info->sse.empty()) {
    out.Set("x-amz-server-side-encryption", info->sse);
    out.Set("x-amz-server-side-encryption-aws-kms-key-id", info->sse_kms_key_id);
  }
  out.Set("x-amz-request-id", RequestId());
  out.body_size = length;
  if (head) {
    out.body_source = std::make_shared<http::ReaderBody<storage::Reader>>(nullptr, 0, 0);
    return out;
  }
  auto reader = buckets.Open(t.bucket, t.key, info->sse.empty() ? start : 0);
  if (!reader) return ErrorResponse(FromStorage(reader.error(), true), t.Resource());
  std::unique_ptr<storage::Reader> plain = std::move(*reader);
  uint64_t skip = 0;
  if (!info->sse.empty()) {
    // The key policy decides (and the attempt is audited) before any byte.
    std::string prefix(8192, '\0');
    auto peek = buckets.Open(t.bucket, t.key, 0);
    if (!peek) return ErrorResponse(FromStorage(peek.error(), true), t.Resource());
    auto n = (*peek)->Read(prefix.data(), prefix.size());
    if (!n) return ErrorResponse(FromStorage(n.error(), true), t.Resource());
    prefix.resize(*n);
    size_t consumed = 0;
    auto header = crypto::ParseEnvelopeHeader(prefix, &consumed);
    if (!header) return ErrorResponse({500, "InternalError", "the stored object is not an envelope"}, t.Resource());
    if (!keys) return ErrorResponse({501, "NotImplemented", "SSE-KMS is not available on this server."}, t.Resource());
    auto allowed = keys->Decrypt(who, "", header->wrapped, "s3:GetObject " + t.Resource());
    if (!allowed) {
      if (allowed.error().code == ErrorCode::kPermissionDenied)
        return ErrorResponse({403, "AccessDenied", allowed.error().message}, t.Resource());
      return ErrorResponse({400, "KMS.DisabledException", allowed.error().message}, t.Resource());
    }
    kms::Caller caller = kms::KeyService::CallerOf(who);
    auto dec = kms::DecryptingReader(std::move(plain), keys->ring(), caller);
    if (!dec) return ErrorResponse({403, "AccessDenied", dec.error().message}, t.Resource());
    plain = std::move(*dec);
    skip = start;
  }
  out.body_source = std::make_shared<http::ReaderBody<storage::Reader>>(std::move(plain), skip, length);
  return out;
}

http::Response S3Service::Impl::DeleteObject(const Target& t) {
  if (auto s = buckets.Delete(t.bucket, t.key); !s)
    return ErrorResponse(FromStorage(s.error(), true), t.Resource());
  http::Response out;
  out.status = 204;
  out.Set("x-amz-request-id", RequestId());
  return out;
}

http::Response S3Service::Impl::DeleteObjects(const http::Request& r, const Target& t,
                                              const identity::Principal& who) {
  auto doc = ParseXml(r.body);
  if (!doc || doc->name != "Delete")
    return ErrorResponse({400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"}, t.Resource());
  bool quiet = doc->ChildText("Quiet") == "true";
  XmlWriter x("DeleteResult");
  size_t count = 0;
  for (const XmlElement& o : doc->children) {
    if (o.name != "Object") continue;
    if (++count > 1000)
      return ErrorResponse({400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"}, t.Resource());
    std::string key = o.ChildText("Key");
    Target one = t;
    one.key = key;
    std::optional<S3Error> err = Authorize(who, "s3:DeleteObject", one);
    if (!err) {
      if (auto s = buckets.Delete(t.bucket, key); !s) err = FromStorage(s.error(), true);
    }
    if (err) {
      x.Open("Error").Leaf("Key", key).Leaf("Code", err->code).Leaf("Message", err->message).Close("Error");
    } else if (!quiet) {
      x.Open("Deleted").Leaf("Key", key).Close("Deleted");
    }
  }
  return XmlResponse(200, x.Finish());
}

http::Response S3Service::Impl::CopyObject(const http::Request& r, const Target& t,
                                           const identity::Principal& who) {
  Target from;
  if (auto e = ParseCopySource(r, &from)) return ErrorResponse(*e, t.Resource());
  if (auto e = Authorize(who, "s3:GetObject", from)) return ErrorResponse(*e, t.Resource());
  auto info = buckets.Head(from.bucket, from.key);
  if (!info) return ErrorResponse(FromStorage(info.error(), true), from.Resource());
  const std::string* directive = Find(r, "x-amz-metadata-directive");
  bool replace = directive && *directive == "REPLACE";
  bool encrypt_header = Find(r, "x-amz-server-side-encryption") != nullptr;
  if (from.bucket == t.bucket && from.key == t.key && !replace && !encrypt_header)
    return ErrorResponse({400, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."}, t.Resource());
  // The copy goes through the same path as a GET and a PUT, so encrypted
  // objects are decrypted for the caller the key allows and re-encrypted as
  // the destination says.
  http::Request get;
  get.method = "GET";
  http::Response body = GetObject(get, from, who, false);
  if (body.status != 200) return body;
  http::Request put = r;
  put.headers.clear();
  for (const auto& h : r.headers) {
    std::string n = AsciiLower(h.name);
    if (n == "content-type" || n.rfind("x-amz-meta-", 0) == 0 || n == "x-amz-content-sha256" ||
        n == "content-md5" || n.rfind("x-amz-checksum-", 0) == 0 || n == "x-amz-decoded-content-length")
      continue;
    put.headers.push_back(h);
  }
  storage::ObjectInfo meta = replace ? MetadataFromHeaders(r) : *info;
  if (!meta.content_type.empty()) put.headers.push_back({"Content-Type", meta.content_type});
  for (const auto& [k, v] : meta.metadata) put.headers.push_back({"x-amz-meta-" + k, v});
  auto writer = buckets.Create(t.bucket, t.key);
  if (!writer) return ErrorResponse(FromStorage(writer.error(), true), t.Resource());
  storage::ObjectInfo out_info = meta;
  out_info.sse.clear();
  out_info.sse_kms_key_id.clear();
  if (auto e = EncryptionFor(*this, put, t.bucket, &out_info)) return ErrorResponse(*e, t.Resource());
  std::unique_ptr<crypto::EnvelopeEncryptor> enc;
  if (!out_info.sse.empty()) {
    if (auto e = NewEncryptor(*this, out_info.sse_kms_key_id, &enc)) return ErrorResponse(*e, t.Resource());
  }
  crypto::Digest md5(crypto::Digest::Kind::kMd5);
  uint64_t size = 0;
  auto read = [&](char* b, size_t n) { return body.body_source->Read(b, n); };
  auto e = Pump(read, **writer, enc.get(), &md5, &size);
  if (!e) e = FinishEnvelope(**writer, enc.get());
  if (e) return ErrorResponse(*e, t.Resource());
  out_info.etag = crypto::HexEncode(md5.Finish());
  out_info.size = size;
  if (auto s = (*writer)->Commit(out_info); !s)
    return ErrorResponse(FromStorage(s.error(), true), t.Resource());
  auto written = buckets.Head(t.bucket, t.key);
  XmlWriter x("CopyObjectResult");
  x.Leaf("LastModified", IsoTime(written ? written->mtime_ms : 0)).Leaf("ETag", Quote(out_info.etag));
  return XmlResponse(200, x.Finish());
}

http::Response S3Service::Impl::CopyPart(const http::Request& r, const Target& t,
                                         const identity::Principal& who) {
  int number = 0;
  storage::UploadInfo upload;
  if (auto e = PartOf(*this, t, &number, &upload)) return ErrorResponse(*e, t.Resource());
  Target from;
  if (auto e = ParseCopySource(r, &from)) return ErrorResponse(*e, t.Resource());
  if (auto e = Authorize(who, "s3:GetObject", from)) return ErrorResponse(*e, t.Resource());
  auto info = buckets.Head(from.bucket, from.key);
  if (!info) return ErrorResponse(FromStorage(info.error(), true), from.Resource());
  http::Request get;
  get.method = "GET";
  if (const std::string* range = Find(r, "x-amz-copy-source-range")) {
    // Only "bytes=first-last", both inside the object (S3 refuses the
    // open-ended and suffix forms a GET accepts).
    uint64_t first = 0, last = 0;
    char tail_char = 0;
    if (std::sscanf(range->c_str(), "bytes=%" SCNu64 "-%" SCNu64 "%c", &first, &last, &tail_char) != 2 ||
        range->find_first_of("+ ", 6) != std::string::npos || first > last)
      return ErrorResponse({400, "InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy"}, t.Resource());
    if (last >= info->size)
      return ErrorResponse({400, "InvalidRange", "The requested range is not satisfiable"}, from.Resource());
    get.headers.push_back({"Range", *range});
  }
  http::Response body = GetObject(get, from, who, false);
  if (body.status != 200 && body.status != 206) return body;
  auto writer = buckets.CreatePart(upload, number);
  if (!writer) return ErrorResponse(FromStorage(writer.error(), true), t.Resource());
  std::unique_ptr<crypto::EnvelopeEncryptor> enc;
  if (!upload.meta.sse.empty()) {
    if (!keys) return ErrorResponse({501, "NotImplemented", "SSE-KMS is not available on this server."}, t.Resource());
    if (auto e = NewEncryptor(*this, upload.meta.sse_kms_key_id, &enc)) return ErrorResponse(*e, t.Resource());
  }
  storage::ObjectInfo part;
  crypto::Digest md5(crypto::Digest::Kind::kMd5);
  auto read = [&](char* b, size_t n) { return body.body_source->Read(b, n); };
  auto e = Pump(read, **writer, enc.get(), &md5, &part.size);
  if (!e) e = FinishEnvelope(**writer, enc.get());
  if (e) return ErrorResponse(*e, t.Resource());
  part.key = t.key;
  part.etag = crypto::HexEncode(md5.Finish());
  part.sse = upload.meta.sse;
  part.sse_kms_key_id = upload.meta.sse_kms_key_id;
  if (auto s = (*writer)->Commit(part); !s) return ErrorResponse(FromStorage(s.error(), true), t.Resource());
  XmlWriter x("CopyPartResult");
  x.Leaf("LastModified", IsoTime(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count())).Leaf("ETag", Quote(part.etag));
  http::Response out = XmlResponse(200, x.Finish());
  if (!part.sse.empty()) {
    out.Set("x-amz-server-side-encryption", part.sse);
    out.Set("x-amz-server-side-encryption-aws-kms-key-id", part.sse_kms_key_id);
  }
  return out;
}

}  // namespace plumbline::s3
