// Bucket operations and listings.
#include "common/text.hpp"
#include "crypto/envelope.hpp"
#include "crypto/hash.hpp"
#include "kms/kms.hpp"
#include "s3/detail/impl.hpp"
#include "s3/xml.hpp"

namespace plumbline::s3 {

namespace {

const S3Error kMalformed{400, "MalformedXML",
                         "The XML you provided was not well-formed or did not validate against "
                         "our published schema"};

}  // namespace

http::Response S3Service::Impl::ListBuckets(const identity::Principal& who) {
  auto list = buckets.ListBuckets();
  if (!list) return ErrorResponse(FromStorage(list.error(), false), "/");
  XmlWriter x("ListAllMyBucketsResult");
  x.Open("Owner").Leaf("ID", options.account_id).Leaf("DisplayName", who.Name()).Close("Owner");
  x.Open("Buckets");
  for (const auto& b : *list)
    x.Open("Bucket").Leaf("Name", b.name).Leaf("CreationDate", IsoTime(b.created_ms)).Close("Bucket");
  x.Close("Buckets");
  return XmlResponse(200, x.Finish());
}

http::Response S3Service::Impl::BucketRequest(http::Request& r, const Target& t,
                                              const identity::Principal& who) {
  const std::string& m = r.method;
  auto fail = [&](const S3Error& e) { return ErrorResponse(e, t.Resource()); };
  auto denied = [&](const char* action) { return Authorize(who, action, t); };
  auto check_body = [&]() -> std::optional<S3Error> {
    const std::string& declared = who.signed_with.payload_hash;
    if (declared.size() == 64 && crypto::Sha256Hex(r.body) != declared)
      return S3Error{400, "XAmzContentSHA256Mismatch",
                     "The provided 'x-amz-content-sha256' header does not match what was computed."};
    return std::nullopt;
  };
  if (m == "PUT" && t.Has("encryption")) {
    if (auto e = denied("s3:PutEncryptionConfiguration")) return fail(*e);
    if (auto e = check_body()) return fail(*e);
    auto doc = ParseXml(r.body);
    if (!doc || doc->name != "ServerSideEncryptionConfiguration") return fail(kMalformed);
    const XmlElement* rule = doc->Child("Rule");
    const XmlElement* def = rule ? rule->Child("ApplyServerSideEncryptionByDefault") : nullptr;
    if (!def) return fail(kMalformed);
    std::string algo = def->ChildText("SSEAlgorithm");
    std::string key = def->ChildText("KMSMasterKeyID");
    if (algo != "AES256" && algo != "aws:kms") return fail(kMalformed);
    if (algo == "aws:kms" && keys) {
      auto k = keys->ring().DescribeKey(key.empty() ? "alias/aws/s3" : key);
      if (!k && !key.empty()) return fail({400, "InvalidArgument", "Invalid keyId " + key});
    }
    if (auto s = buckets.SetBucketSetting(t.bucket, "encryption", algo + "\n" + key); !s)
      return fail(FromStorage(s.error(), false));
    return http::Response{};
  }
  if (m == "GET" && t.Has("encryption")) {
    if (auto e = denied("s3:GetEncryptionConfiguration")) return fail(*e);
    auto v = buckets.GetBucketSetting(t.bucket, "encryption");
    if (!v) return fail(FromStorage(v.error(), false));
    if (v->empty())
      return fail({404, "ServerSideEncryptionConfigurationNotFoundError",
                   "The server side encryption configuration was not found"});
    size_t nl = v->find('\n');
    XmlWriter x("ServerSideEncryptionConfiguration");
    x.Open("Rule").Open("ApplyServerSideEncryptionByDefault").Leaf("SSEAlgorithm", v->substr(0, nl));
    if (nl != std::string::npos && nl + 1 < v->size()) x.Leaf("KMSMasterKeyID", v->substr(nl + 1));
    x.Close("ApplyServerSideEncryptionByDefault").Leaf("BucketKeyEnabled", "false").Close("Rule");
    return XmlResponse(200, x.Finish());
  }
  if (m == "DELETE" && t.Has("encryption")) {
    if (auto e = denied("s3:PutEncryptionConfiguration")) return fail(*e);
    if (auto s = buckets.SetBucketSetting(t.bucket, "encryption", ""); !s)
      return fail(FromStorage(s.error(), false));
    http::Response out;
    out.status = 204;
    return out;
  }
  if (m == "PUT") {
    if (auto e = denied("s3:CreateBucket")) return fail(*e);
    if (auto e = check_body()) return fail(*e);
    std::string location;
    if (!r.body.empty()) {
      auto doc = ParseXml(r.body);
      if (!doc || doc->name != "CreateBucketConfiguration") return fail(kMalformed);
      location = doc->ChildText("LocationConstraint");
    }
    if (auto s = buckets.CreateBucket(t.bucket); !s) return fail(FromStorage(s.error(), false));
    if (!location.empty()) (void)buckets.SetBucketSetting(t.bucket, "location", location);
    http::Response out;
    out.Set("Location", "/" + t.bucket);
    return out;
  }
  if (m == "HEAD") {
    if (auto e = denied("s3:ListBucket")) return fail(*e);
    if (auto b = buckets.HeadBucket(t.bucket); !b) return fail(FromStorage(b.error(), false));
    http::Response out;
    out.Set("x-amz-bucket-region", options.region);
    return out;
  }
  if (m == "DELETE") {
    if (auto e = denied("s3:DeleteBucket")) return fail(*e);
    if (auto s = buckets.DeleteBucket(t.bucket); !s) return fail(FromStorage(s.error(), false));
    http::Response out;
    out.status = 204;
    return out;
  }
  if (m == "POST" && t.Has("delete")) {
    if (auto e = check_body()) return fail(*e);
    if (auto b = buckets.HeadBucket(t.bucket); !b) return fail(FromStorage(b.error(), false));
    return DeleteObjects(r, t, who);
  }
  if (m == "GET" && t.Has("location")) {
    if (auto e = denied("s3:GetBucketLocation")) return fail(*e);
    auto loc = buckets.GetBucketSetting(t.bucket, "location");
    if (!loc) return fail(FromStorage(loc.error(), false));
    XmlWriter x("LocationConstraint");
    std::string doc = x.Finish();
    // <LocationConstraint xmlns=...>region</LocationConstraint>; empty for us-east-1.
    doc.insert(doc.rfind("</LocationConstraint>"), XmlEscape(*loc));
    return XmlResponse(200, doc);
  }
  if (m == "GET" && t.Has("uploads")) {
    if (auto e = denied("s3:ListBucketMultipartUploads")) return fail(*e);
    return ListUploads(t);
  }
  if (m == "GET") {
    if (auto e = denied("s3:ListBucket")) return fail(*e);
    return ListObjects(t, t.Get("list-type") == "2");
  }
  return fail({405, "MethodNotAllowed", "The specified method is not allowed against this resource."});
}

http::Response S3Service::Impl::ListObjects(const Target& t, bool v2) {
  storage::ListOptions o;
  o.prefix = t.Get("prefix");
  o.delimiter = t.Get("delimiter");
  std::string encoding = t.Get("encoding-type");
  if (!encoding.empty() && encoding != "url")
    return ErrorResponse({400, "InvalidArgument", "Invalid Encoding Method specified in Request"}, t.Resource());
  bool url = encoding == "url";
  auto enc = [url](const std::string& s) { return url ? PercentEncode(s, true) : s; };
  if (t.Has("max-keys")) {
    std::string mk = t.Get("max-keys");
    if (mk.empty() || mk.size() > 9 || !std::all_of(mk.begin(), mk.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return ErrorResponse({400, "InvalidArgument", "Provided max-keys not an integer or within integer range"}, t.Resource());
    o.max_keys = std::min<size_t>(std::stoul(mk), 1000);
  }
  std::string token = t.Get("continuation-token");
  if (v2) {
    if (t.Has("continuation-token")) {
      auto decoded = crypto::Base64Decode(token);
      if (!decoded || decoded->rfind("v1:", 0) != 0)
        return ErrorResponse({400, "InvalidArgument", "The continuation token provided is incorrect"}, t.Resource());
      o.start_after = decoded->substr(3);
    } else {
      o.start_after = t.Get("start-after");
    }
  } else {
    o.start_after = t.Get("marker");
  }
  auto list = buckets.List(t.bucket, o);
  if (!list) return ErrorResponse(FromStorage(list.error(), false), t.Resource());
  XmlWriter x("ListBucketResult");
  x.Leaf("Name", t.bucket).Leaf("Prefix", enc(o.prefix));
  if (v2) {
    if (t.Has("continuation-token")) x.Leaf("ContinuationToken", token);
    if (t.Has("start-after")) x.Leaf("StartAfter", enc(t.Get("start-after")));
    x.Leaf("KeyCount", std::to_string(list->objects.size() + list->common_prefixes.size()));
  } else {
    x.Leaf("Marker", enc(t.Get("marker")));
    if (list->truncated && !o.delimiter.empty()) x.Leaf("NextMarker", enc(list->last));
  }
  x.Leaf("MaxKeys", std::to_string(o.max_keys));
  if (!o.delimiter.empty()) x.Leaf("Delimiter", enc(o.delimiter));
  if (url) x.Leaf("EncodingType", "url");
  x.Leaf("IsTruncated", list->truncated ? "true" : "false");
  if (v2 && list->truncated)
    x.Leaf("NextContinuationToken", crypto::Base64Encode("v1:" + list->last));
  // Objects and prefixes interleave in key order in S3's listing; clients
  // read them as two lists, so they go out as two groups.
  for (const auto& obj : list->objects) {
    x.Open("Contents").Leaf("Key", enc(obj.key)).Leaf("LastModified", IsoTime(obj.mtime_ms));
    x.Leaf("ETag", Quote(obj.etag)).Leaf("Size", std::to_string(obj.size));
    if (!v2) x.Open("Owner").Leaf("ID", options.account_id).Leaf("DisplayName", "plumbline").Close("Owner");
    x.Leaf("StorageClass", "STANDARD").Close("Contents");
  }
  for (const auto& cp : list->common_prefixes)
    x.Open("CommonPrefixes").Leaf("Prefix", enc(cp)).Close("CommonPrefixes");
  return XmlResponse(200, x.Finish());
}

}  // namespace plumbline::s3
