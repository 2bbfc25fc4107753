// Multipart uploads: create, (parts stream through UploadSink), complete,
// abort, list parts, list uploads. ETag of the result: hex MD5 of the
// concatenated binary MD5s of the parts, "-" and the part count, as S3.
#include <algorithm>

#include "common/text.hpp"
#include "crypto/digest.hpp"
#include "crypto/hash.hpp"
#include "kms/kms.hpp"
#include "s3/detail/impl.hpp"
#include "s3/xml.hpp"

namespace plumbline::s3 {

namespace {

constexpr uint64_t kMinPartBytes = 5u << 20;

std::string Unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// An SSE-KMS upload's parts are envelopes of their own (each with its data
// key); the object is one envelope, so completing decrypts the parts in
// order (as the caller: S3 also needs kms:Decrypt for this) and encrypts
// them under a fresh data key into the staged object.
std::optional<S3Error> CompleteEncrypted(S3Service::Impl& s3, const storage::UploadInfo& u,
                                         const std::vector<storage::PartInfo>& parts,
                                         const identity::Principal& who, storage::ObjectInfo* info) {
  if (!s3.keys) return S3Error{501, "NotImplemented", "SSE-KMS is not available on this server."};
  auto writer = s3.buckets.Create(u.bucket, u.key);
  if (!writer) return FromStorage(writer.error(), true);
  std::unique_ptr<crypto::EnvelopeEncryptor> enc;
  if (auto e = NewEncryptor(s3, info->sse_kms_key_id, &enc)) return e;
  kms::Caller caller = kms::KeyService::CallerOf(who);
  const std::string source = "s3:CompleteMultipartUpload /" + u.bucket + "/" + u.key;
  uint64_t size = 0;
  for (const storage::PartInfo& p : parts) {
    auto part = s3.buckets.OpenPart(u, p);
    if (!part) return FromStorage(part.error(), true);
    auto plain = kms::DecryptingReader(std::move(*part), s3.keys->ring(), caller);
    if (!plain) return S3Error{403, "AccessDenied", plain.error().message};
    auto read = [&](char* b, size_t n) { return (*plain)->Read(b, n); };
    if (auto e = Pump(read, **writer, enc.get(), nullptr, &size)) {
      const Error err{e->status == 403 ? ErrorCode::kPermissionDenied : ErrorCode::kUnavailable, e->message};
      s3.keys->Record(who, "kms:Decrypt", info->sse_kms_key_id, source, &err);
      return e;
    }
  }
  if (auto e = FinishEnvelope(**writer, enc.get())) return e;
  s3.keys->Record(who, "kms:Decrypt", info->sse_kms_key_id, source, nullptr);
  if (size != info->size) return S3Error{500, "InternalError", "the parts' plaintext is not the size their metadata records"};
  if (auto s = (*writer)->Commit(*info); !s) return FromStorage(s.error(), true);
  if (auto s = s3.buckets.AbortUpload(u); !s) return FromStorage(s.error(), true);
  return std::nullopt;
}

}  // namespace

http::Response S3Service::Impl::CreateUpload(const http::Request& r, const Target& t,
                                             const identity::Principal&) {
  storage::ObjectInfo meta = MetadataFromHeaders(r);
  if (const std::string* tags = r.FindHeader("x-amz-tagging"); tags && !tags->empty())
    return ErrorResponse({501, "NotImplemented", "Object tags are not kept by this server."}, t.Resource());
  if (auto e = EncryptionFor(*this, r, t.bucket, &meta)) return ErrorResponse(*e, t.Resource());
  auto u = buckets.CreateUpload(t.bucket, t.key, meta);
  if (!u) return ErrorResponse(FromStorage(u.error(), true), t.Resource());
  XmlWriter x("InitiateMultipartUploadResult");
  x.Leaf("Bucket", t.bucket).Leaf("Key", t.key).Leaf("UploadId", u->upload_id);
  return XmlResponse(200, x.Finish());
}

http::Response S3Service::Impl::CompleteUpload(const http::Request& r, const Target& t,
                                               const identity::Principal& who) {
  auto u = buckets.GetUpload(t.bucket, t.key, t.Get("uploadId"));
  if (!u) return ErrorResponse(FromStorage(u.error(), true), t.Resource());
  auto doc = ParseXml(r.body);
  if (!doc || doc->name != "CompleteMultipartUpload")
    return ErrorResponse({400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"}, t.Resource());
  auto parts = buckets.ListParts(*u);
  if (!parts) return ErrorResponse(FromStorage(parts.error(), true), t.Resource());
  std::vector<storage::PartInfo> chosen;  // the listed parts, in order
  std::string md5s;
  uint64_t size = 0;
  int previous = 0;
  size_t listed = 0;
  for (const XmlElement& p : doc->children) {
    if (p.name != "Part") continue;
    ++listed;
  }
  if (listed == 0)
    return ErrorResponse({400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"}, t.Resource());
  size_t index = 0;
  for (const XmlElement& p : doc->children) {
    if (p.name != "Part") continue;
    ++index;
    std::string n = p.ChildText("PartNumber");
    int number = (!n.empty() && n.size() <= 5 && std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) ? std::stoi(n) : 0;
    if (number <= previous)
      return ErrorResponse({400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number."}, t.Resource());
    previous = number;
    std::string etag = Unquote(p.ChildText("ETag"));
    auto it = std::find_if(parts->begin(), parts->end(), [&](const storage::PartInfo& x) { return x.number == number; });
    std::optional<std::string> raw;
    if (it == parts->end() || it->etag != etag || etag.size() != 32 || !(raw = HexDecode(etag)))
      return ErrorResponse({400, "InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."}, t.Resource());
    if (index < listed && it->size < kMinPartBytes)
      return ErrorResponse({400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"}, t.Resource());
    chosen.push_back(*it);
    md5s += *raw;
    size += it->size;
  }
  storage::ObjectInfo info = u->meta;
  info.key = t.key;
  info.size = size;
  info.etag = crypto::HexEncode(crypto::Md5(md5s)) + "-" + std::to_string(chosen.size());
  if (!info.sse.empty()) {
    if (auto e = CompleteEncrypted(*this, *u, chosen, who, &info)) return ErrorResponse(*e, t.Resource());
  } else if (auto s = buckets.CompleteUpload(*u, chosen, info); !s) {
    return ErrorResponse(FromStorage(s.error(), true), t.Resource());
  }
  XmlWriter x("CompleteMultipartUploadResult");
  x.Leaf("Location", "/" + t.bucket + "/" + t.key).Leaf("Bucket", t.bucket).Leaf("Key", t.key);
  x.Leaf("ETag", Quote(info.etag));
  return XmlResponse(200, x.Finish());
}

http::Response S3Service::Impl::AbortUpload(const Target& t) {
  auto u = buckets.GetUpload(t.bucket, t.key, t.Get("uploadId"));
  if (!u) return ErrorResponse(FromStorage(u.error(), true), t.Resource());
  if (auto s = buckets.AbortUpload(*u); !s) return ErrorResponse(FromStorage(s.error(), true), t.Resource());
  http::Response out;
  out.status = 204;
  return out;
}

http::Response S3Service::Impl::ListParts(const Target& t) {
  auto u = buckets.GetUpload(t.bucket, t.key, t.Get("uploadId"));
  if (!u) return ErrorResponse(FromStorage(u.error(), true), t.Resource());
  auto parts = buckets.ListParts(*u);
  if (!parts) return ErrorResponse(FromStorage(parts.error(), true), t.Resource());
  int marker = 0;
  std::string m = t.Get("part-number-marker");
  if (!m.empty() && m.size() <= 5 && std::all_of(m.begin(), m.end(), [](char c) { return c >= '0' && c <= '9'; })) marker = std::stoi(m);
  size_t max_parts = 1000;
  std::string mp = t.Get("max-parts");
  if (!mp.empty() && mp.size() <= 5 && std::all_of(mp.begin(), mp.end(), [](char c) { return c >= '0' && c <= '9'; }))
    max_parts = std::min<size_t>(1000, std::stoul(mp));
  XmlWriter x("ListPartsResult");
  x.Leaf("Bucket", t.bucket).Leaf("Key", t.key).Leaf("UploadId", u->upload_id);
  x.Leaf("PartNumberMarker", std::to_string(marker));
  std::vector<storage::PartInfo> shown;
  bool truncated = false;
  for (const auto& p : *parts) {
    if (p.number <= marker) continue;
    if (shown.size() == max_parts) {
      truncated = true;
      break;
    }
    shown.push_back(p);
  }
  if (!shown.empty()) x.Leaf("NextPartNumberMarker", std::to_string(shown.back().number));
  x.Leaf("MaxParts", std::to_string(max_parts)).Leaf("IsTruncated", truncated ? "true" : "false");
  x.Leaf("StorageClass", "STANDARD");
  for (const auto& p : shown) {
    x.Open("Part").Leaf("PartNumber", std::to_string(p.number)).Leaf("LastModified", IsoTime(p.mtime_ms));
    x.Leaf("ETag", Quote(p.etag)).Leaf("Size", std::to_string(p.size)).Close("Part");
  }
  return XmlResponse(200, x.Finish());
}

http::Response S3Service::Impl::ListUploads(const Target& t) {
  auto uploads = buckets.ListUploads(t.bucket);
  if (!uploads) return ErrorResponse(FromStorage(uploads.error(), false), t.Resource());
  std::string prefix = t.Get("prefix");
  XmlWriter x("ListMultipartUploadsResult");
  x.Leaf("Bucket", t.bucket).Leaf("KeyMarker", "").Leaf("UploadIdMarker", "");
  x.Leaf("Prefix", prefix).Leaf("MaxUploads", "1000").Leaf("IsTruncated", "false");
  for (const auto& u : *uploads) {
    if (u.key.compare(0, prefix.size(), prefix) != 0) continue;
    x.Open("Upload").Leaf("Key", u.key).Leaf("UploadId", u.upload_id);
    x.Leaf("StorageClass", "STANDARD").Leaf("Initiated", IsoTime(u.initiated_ms)).Close("Upload");
  }
  return XmlResponse(200, x.Finish());
}

}  // namespace plumbline::s3
