// Unit tests of the S3 protocol's parsers and of the buckets folder: the XML
// bodies, the aws-chunked decoder (AWS's documented example), and listings
// in S3's key order over files and folders.
#include "s3/xml.hpp"

#include <gtest/gtest.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <span>

#include "crypto/envelope.hpp"
#include "crypto/hash.hpp"
#include "crypto/sigv4.hpp"
#include "s3/chunked.hpp"
#include "s3/detail/digest_pipeline.hpp"
#include "storage/buckets.hpp"

namespace plumbline::s3 {
namespace {

TEST(Xml, ParsesRequestBodies) {
  auto doc = ParseXml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Object><Key>a&amp;b &#x263A;</Key></Object><!-- c --><Object><Key>c</Key></Object>"
      "<Quiet>true</Quiet></Delete>");
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(doc->name, "Delete");
  ASSERT_EQ(doc->children.size(), 3u);
  EXPECT_EQ(doc->children[0].ChildText("Key"), "a&b \xE2\x98\xBA");
  EXPECT_EQ(doc->ChildText("Quiet"), "true");
}

TEST(Xml, RefusesMalformedAndDangerousInput) {
  for (const char* bad : {"", "<a>", "<a></b>", "<a>&foo;</a>", "<!DOCTYPE a><a/>",
                          "<a><![CDATA[x]]></a>", "<a/><b/>", "<a>&#0;</a>", "<a x=1/>"})
    EXPECT_FALSE(ParseXml(bad)) << bad;
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  EXPECT_FALSE(ParseXml(deep));
}

TEST(Xml, WriterEscapes) {
  XmlWriter x("R");
  x.Leaf("K", "<&>\"'");
  EXPECT_EQ(x.Finish(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<R xmlns=\"http://s3.amazonaws.com/doc/"
            "2006-03-01/\"><K>&lt;&amp;&gt;&quot;&apos;</K></R>");
}

// AWS's documented aws-chunked PUT (64 KiB + 1 KiB of 'a'), fed in odd pieces.
TEST(Chunked, DecodesAndVerifiesTheDocumentedExample) {
  std::string key = crypto::DeriveSigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524",
                                             "us-east-1", "s3");
  std::string body;
  body += "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n";
  body += std::string(65536, 'a') + "\r\n";
  body += "400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n";
  body += std::string(1024, 'a') + "\r\n";
  body += "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n";
  EXPECT_EQ(body.size(), 66824u);  // the example's Content-Length
  ChunkedOptions o;
  o.signed_chunks = true;
  o.signing_key = key;
  o.amz_date = "20130524T000000Z";
  o.scope = "20130524/us-east-1/s3/aws4_request";
  o.seed_signature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  for (size_t piece : {size_t(1), size_t(7), size_t(4096), body.size()}) {
    std::string out;
    ChunkedDecoder d(o, [&](std::string_view s) {
      out.append(s);
      return Status{};
    });
    for (size_t i = 0; i < body.size(); i += piece) {
      auto fed = d.Feed(std::string_view(body).substr(i, piece));
      ASSERT_TRUE(fed) << piece << " at " << i << ": " << fed.error().message;
    }
    ASSERT_TRUE(d.Finish());
    EXPECT_EQ(out, std::string(66560, 'a'));
  }
  // One changed data byte breaks that chunk's signature.
  std::string tampered = body;
  tampered[100] = 'b';
  ChunkedDecoder d(o, [](std::string_view) { return Status{}; });
  auto s = d.Feed(tampered);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied);
  // Truncated: no final chunk.
  ChunkedDecoder t(o, [](std::string_view) { return Status{}; });
  ASSERT_TRUE(t.Feed(std::string_view(body).substr(0, 66000)));
  EXPECT_FALSE(t.Finish());
}

TEST(Chunked, UnsignedWithChecksumTrailer) {
  // CRC32 of "hello world" is 0x0d4a1185 -> base64 "DUoRhQ==".
  std::string body = "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
  ChunkedOptions o;
  o.trailer = true;
  o.trailer_name = "x-amz-checksum-crc32";
  std::string out;
  ChunkedDecoder d(o, [&](std::string_view s) {
    out.append(s);
    return Status{};
  });
  ASSERT_TRUE(d.Feed(body));
  ASSERT_TRUE(d.Finish());
  EXPECT_EQ(out, "hello world");
  std::string wrong = "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
  ChunkedDecoder w(o, [](std::string_view) { return Status{}; });
  ASSERT_TRUE(w.Feed(wrong));
  auto s = w.Finish();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message.rfind("checksum", 0), 0u);
}

// `size` pseudo-random bytes (xorshift32 from `seed`).
std::string NoiseBytes(size_t size, uint32_t seed) {
  std::string data(size, '\0');
  uint32_t x = seed;
  for (char& c : data) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = static_cast<char>(x);
  }
  return data;
}

// The pipeline's digests equal one-thread digests of the same bytes, however
// the bytes are split, for streams shorter than one buffer (no thread) and
// for streams of many buffers fed in odd pieces (through the thread).
TEST(DigestPipeline, HashesLikeOneThreadInAnySplit) {
  const std::string data =
      NoiseBytes(3 * DigestPipeline::kBuffers * DigestPipeline::kBufferBytes + 12345, 2463534242u);
  for (size_t total : {size_t{0}, size_t{1000}, DigestPipeline::kBufferBytes, data.size()}) {
    for (size_t piece : {size_t{1} << 10, size_t{256} << 10, size_t{3000017}}) {
      std::string_view bytes(data.data(), total);
      crypto::Digest md5(crypto::Digest::Kind::kMd5), sha(crypto::Digest::Kind::kSha256),
          crc(crypto::Digest::Kind::kCrc32c);
      DigestPipeline p({&md5, nullptr, &sha, &crc});
      for (size_t at = 0; at < total; at += piece) p.Update(bytes.substr(at, piece));
      p.Finish();
      SCOPED_TRACE(std::to_string(total) + " bytes in pieces of " + std::to_string(piece));
      EXPECT_EQ(p.threaded(), total >= DigestPipeline::kBufferBytes);
      crypto::Digest md5_ref(crypto::Digest::Kind::kMd5), sha_ref(crypto::Digest::Kind::kSha256),
          crc_ref(crypto::Digest::Kind::kCrc32c);
      md5_ref.Update(bytes);
      sha_ref.Update(bytes);
      crc_ref.Update(bytes);
      EXPECT_EQ(md5.Finish(), md5_ref.Finish());
      EXPECT_EQ(sha.Finish(), sha_ref.Finish());
      EXPECT_EQ(crc.Finish(), crc_ref.Finish());
    }
  }
}

// Filled in place (as a plain upload is received), every buffer reaches the
// store whole and in order, beside the digests, in any split and for any
// length, the last one by Flush; a store's error comes back from Filled.
TEST(DigestPipeline, InPlaceStoresEachBufferAndHashesIt) {
  const std::string data =
      NoiseBytes(2 * DigestPipeline::kBuffers * DigestPipeline::kBufferBytes + 777, 88172645u);
  for (size_t total : {size_t{0}, size_t{5000}, DigestPipeline::kBufferBytes, data.size()}) {
    for (size_t piece : {size_t{4096}, size_t{3000017}}) {
      SCOPED_TRACE(std::to_string(total) + " bytes in pieces of " + std::to_string(piece));
      crypto::Digest md5(crypto::Digest::Kind::kMd5), sha(crypto::Digest::Kind::kSha256);
      std::string stored;
      size_t stores = 0;
      DigestPipeline::Store store = [&](std::string_view b) {
        ++stores;
        stored.append(b);
        return Status{};
      };
      DigestPipeline p({&md5, &sha});
      for (size_t at = 0; at < total;) {
        std::span<char> room = p.Room();
        ASSERT_FALSE(room.empty());
        size_t n = std::min({room.size(), piece, total - at});
        std::memcpy(room.data(), data.data() + at, n);
        ASSERT_TRUE(p.Filled(n, store));
        at += n;
      }
      ASSERT_TRUE(p.Flush(store));
      p.Finish();
      EXPECT_TRUE(stored == data.substr(0, total));
      EXPECT_EQ(stores, (total + DigestPipeline::kBufferBytes - 1) / DigestPipeline::kBufferBytes);
      EXPECT_EQ(p.threaded(), total >= DigestPipeline::kBufferBytes);
      EXPECT_EQ(md5.Finish(), crypto::Md5(data.substr(0, total)));
      crypto::Digest sha_ref(crypto::Digest::Kind::kSha256);
      sha_ref.Update(std::string_view(data).substr(0, total));
      EXPECT_EQ(sha.Finish(), sha_ref.Finish());
    }
  }
  crypto::Digest md5(crypto::Digest::Kind::kMd5);
  DigestPipeline p({&md5});
  std::span<char> room = p.Room();
  std::memset(room.data(), 'x', room.size());
  auto failed = p.Filled(room.size(), [](std::string_view) { return Status(Unavailable("disk full")); });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "disk full");
}

// Dropped half-way (an upload that failed), the pipeline stops its thread.
TEST(DigestPipeline, DroppedUnfinishedStopsItsThread) {
  crypto::Digest md5(crypto::Digest::Kind::kMd5);
  std::string chunk(DigestPipeline::kBufferBytes / 2, 'x');
  auto p = std::make_unique<DigestPipeline>(std::vector<crypto::Digest*>{&md5});
  for (int i = 0; i < 20; ++i) p->Update(chunk);
  EXPECT_TRUE(p->threaded());
  p.reset();
}

TEST(Chunked, RefusesMalformedFraming) {
  ChunkedOptions o;
  for (const char* bad : {"zz\r\n", "5\r\nhelloX\r\n", "5\nhello\r\n", "fffffffffffffffff\r\n"}) {
    ChunkedDecoder d(o, [](std::string_view) { return Status{}; });
    auto s = d.Feed(bad);
    EXPECT_TRUE(!s || !d.Finish()) << bad;
  }
}

class BucketsTest : public testing::Test {
 protected:
  BucketsTest() {
    dir_ = std::filesystem::temp_directory_path() / ("plb-buckets-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~BucketsTest() override { std::filesystem::remove_all(dir_); }
  void Put(storage::LocalBuckets& b, const std::string& key, const std::string& data) {
    auto w = b.Create("bkt", key);
    ASSERT_TRUE(w) << key << ": " << w.error().message;
    ASSERT_TRUE((*w)->Append(data));
    storage::ObjectInfo info;
    info.etag = crypto::HexEncode(crypto::Md5(data));
    info.size = data.size();
    info.content_type = "text/plain";
    ASSERT_TRUE((*w)->Commit(info));
  }
  std::filesystem::path dir_;
};

TEST_F(BucketsTest, ListsInS3KeyOrderWithPrefixDelimiterAndPages) {
  storage::LocalBuckets b(dir_.string());
  ASSERT_TRUE(b.CreateBucket("bkt"));
  EXPECT_EQ(b.CreateBucket("bkt").error().code, ErrorCode::kAlreadyExists);
  // '-' (0x2d) sorts before '/' (0x2f): "a-c" comes before "a/b".
  for (const char* k : {"a/b", "a-c", "a/c/d", "b", "a0", "a/c/e", "c d"}) Put(b, k, k);
  auto all = b.List("bkt", {});
  ASSERT_TRUE(all);
  std::vector<std::string> keys;
  for (const auto& o : all->objects) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a-c", "a/b", "a/c/d", "a/c/e", "a0", "b", "c d"}));
  EXPECT_EQ(all->objects[0].etag, crypto::HexEncode(crypto::Md5("a-c")));

  storage::ListOptions o;
  o.delimiter = "/";
  o.prefix = "a/";
  auto grouped = b.List("bkt", o);
  ASSERT_TRUE(grouped);
  ASSERT_EQ(grouped->objects.size(), 1u);
  EXPECT_EQ(grouped->objects[0].key, "a/b");
  EXPECT_EQ(grouped->common_prefixes, (std::vector<std::string>{"a/c/"}));

  // Pages of two, each continuing after the last key.
  storage::ListOptions page;
  page.max_keys = 2;
  std::vector<std::string> paged;
  for (int i = 0; i < 10; ++i) {
    auto r = b.List("bkt", page);
    ASSERT_TRUE(r);
    for (const auto& obj : r->objects) paged.push_back(obj.key);
    if (!r->truncated) break;
    page.start_after = r->last;
  }
  EXPECT_EQ(paged, keys);
}

TEST_F(BucketsTest, KeysTheFilesystemCannotHoldAreRefused) {
  storage::LocalBuckets b(dir_.string());
  ASSERT_TRUE(b.CreateBucket("bkt"));
  for (const char* k : {"a//b", "/a", "a/./b", "../x", "dir/", ""})
    EXPECT_FALSE(storage::LocalBuckets::CheckKey(k)) << k;
  Put(b, "x", "1");
  auto under = b.Create("bkt", "x/y");
  ASSERT_FALSE(under);
  EXPECT_EQ(under.error().code, ErrorCode::kConflict);
  Put(b, "d/e", "1");
  auto folder = b.Create("bkt", "d");
  ASSERT_FALSE(folder);
  EXPECT_EQ(folder.error().code, ErrorCode::kConflict);
  // Deleting the last key of a folder removes the folder.
  ASSERT_TRUE(b.Delete("bkt", "d/e"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "buckets/bkt/d"));
  EXPECT_EQ(b.DeleteBucket("bkt").error().code, ErrorCode::kConflict);
  ASSERT_TRUE(b.Delete("bkt", "x"));
  EXPECT_TRUE(b.DeleteBucket("bkt"));
}

TEST_F(BucketsTest, FilesWrittenOutsideS3GetTheirEtagAndEnvelopesTheirPlaintextSize) {
  storage::LocalBuckets b(dir_.string());
  ASSERT_TRUE(b.CreateBucket("bkt"));
  std::filesystem::create_directories(dir_ / "buckets/bkt/out");
  {
    FILE* f = std::fopen((dir_ / "buckets/bkt/out/plain.txt").c_str(), "w");
    std::fputs("hello\n", f);
    std::fclose(f);
  }
  auto info = b.Head("bkt", "out/plain.txt");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->etag, "b1946ac92492d2347c6235b4d2611184");
  EXPECT_EQ(info->size, 6u);
  crypto::DataKey key;
  key.plaintext = std::string(32, 'k');
  key.wrapped = "blob";
  key.key_arn = "arn:aws:kms:us-east-1:000000000000:key/x";
  for (size_t n : {size_t(0), size_t(10), size_t(65536), size_t(200000)}) {
    auto sealed = crypto::SealEnvelope(key, std::string(n, 'p'));
    ASSERT_TRUE(sealed);
    FILE* f = std::fopen((dir_ / "buckets/bkt/out/enc").c_str(), "w");
    std::fwrite(sealed->data(), 1, sealed->size(), f);
    std::fclose(f);
    auto e = b.Head("bkt", "out/enc");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->sse, "aws:kms");
    EXPECT_EQ(e->sse_kms_key_id, key.key_arn);
    EXPECT_EQ(e->size, n);
  }
}

// What an object's file keeps beside its bytes (the "user.plumbline.s3"
// attribute): the common case in the compact form ext4 keeps inside the
// inode (60 bytes or less), the rest as JSON; both read back whole, and an
// attribute written before the compact form still serves.
TEST_F(BucketsTest, ObjectInfoIsKeptCompactWhereItCanBe) {
  storage::LocalBuckets b(dir_.string());
  ASSERT_TRUE(b.CreateBucket("bkt"));
  auto attr = [&](const std::string& key) {
    char buf[4096];
    ssize_t n = ::getxattr((dir_ / "buckets/bkt" / key).c_str(), "user.plumbline.s3", buf, sizeof buf);
    return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
  };
  auto put = [&](const std::string& key, storage::ObjectInfo info) {
    auto w = b.Create("bkt", key);
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->Append(std::string(1000, 'x')));
    info.size = 1000;
    ASSERT_TRUE((*w)->Commit(info));
  };
  const std::string md5 = "0123456789abcdef0123456789abcdef";
  struct Case {
    std::string key, etag, content_type;
    std::vector<std::pair<std::string, std::string>> metadata;
    bool compact;
  } cases[] = {
      {"plain", md5, "", {}, true},
      {"typed", md5, "application/octet-stream", {}, true},
      {"parts", md5 + "-12", "text/plain", {}, true},
      {"long-type", md5, "application/vnd.openxmlformats-officedocument", {}, false},
      {"with-meta", md5, "text/plain", {{"color", "blue"}}, false},
      {"upper-hex", "0123456789ABCDEF0123456789ABCDEF", "", {}, false},
      {"odd-etag", "not-an-md5", "", {}, false},
  };
  for (const auto& c : cases) {
    storage::ObjectInfo info;
    info.etag = c.etag;
    info.content_type = c.content_type;
    info.metadata = c.metadata;
    put(c.key, info);
    std::string stored = attr(c.key);
    ASSERT_FALSE(stored.empty()) << c.key;
    if (c.compact) {
      EXPECT_EQ(stored[0], '\x01') << c.key;
      EXPECT_LE(stored.size(), 60u) << c.key;
    } else {
      EXPECT_EQ(stored[0], '{') << c.key;
    }
    auto head = b.Head("bkt", c.key);
    ASSERT_TRUE(head) << c.key;
    EXPECT_EQ(head->etag, c.etag) << c.key;
    EXPECT_EQ(head->size, 1000u) << c.key;
    EXPECT_EQ(head->content_type, c.content_type) << c.key;
    EXPECT_EQ(head->metadata, c.metadata) << c.key;
  }
  // A JSON attribute of an earlier version, naming an ETag that is not the
  // file's MD5: it is read, not recomputed.
  std::string path = (dir_ / "buckets/bkt/plain").string();
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  std::string old = "{\"etag\":\"" + md5 + "\",\"size\":1000,\"fsize\":1000,\"mtime\":" +
                    std::to_string(int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec) +
                    ",\"ct\":\"text/csv\"}";
  ASSERT_EQ(::setxattr(path.c_str(), "user.plumbline.s3", old.data(), old.size(), 0), 0);
  auto head = b.Head("bkt", "plain");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->etag, md5);
  EXPECT_EQ(head->content_type, "text/csv");
  // A file changed behind the store's back (another size): its ETag is
  // computed again, and kept compact.
  {
    FILE* f = std::fopen(path.c_str(), "a");
    std::fputs("more", f);
    std::fclose(f);
  }
  head = b.Head("bkt", "plain");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->etag, crypto::HexEncode(crypto::Md5(std::string(1000, 'x') + "more")));
  EXPECT_EQ(head->size, 1004u);
  EXPECT_EQ(attr("plain")[0], '\x01');
}

// Multipart parts that declare their size go straight to their place in
// the upload's data file; completing parts 1..N that all lie there (a whole
// stride each but the last) renames that file, anything else is copied.
class PartsTest : public BucketsTest {
 protected:
  storage::UploadInfo Upload(storage::LocalBuckets& b, const std::string& key, std::string sse = "") {
    storage::ObjectInfo meta;
    meta.sse = std::move(sse);
    auto u = b.CreateUpload("bkt", key, meta);
    EXPECT_TRUE(u);
    return *u;
  }
  // Writes and commits part `n` (its size declared); returns its ETag.
  std::string Part(storage::LocalBuckets& b, const storage::UploadInfo& u, int n, const std::string& data) {
    auto w = b.CreatePart(u, n, data.size());
    EXPECT_TRUE(w);
    EXPECT_TRUE((*w)->Append(data));
    storage::ObjectInfo info;
    info.etag = crypto::HexEncode(crypto::Md5(data));
    info.size = data.size();
    EXPECT_TRUE((*w)->Commit(info));
    return info.etag;
  }
  static std::string Bytes(char c, size_t n) { return std::string(n, c); }
  std::string Read(storage::LocalBuckets& b, const std::string& key) {
    auto r = b.Open("bkt", key, 0);
    EXPECT_TRUE(r);
    std::string out;
    char buf[4096];
    for (;;) {
      auto n = (*r)->Read(buf, sizeof buf);
      EXPECT_TRUE(n);
      if (!n || *n == 0) return out;
      out.append(buf, *n);
    }
  }
  // Part `n` as ListParts gives it.
  storage::PartInfo Listed(storage::LocalBuckets& b, const storage::UploadInfo& u, int n) {
    auto parts = b.ListParts(u);
    EXPECT_TRUE(parts);
    for (const auto& p : *parts)
      if (p.number == n) return p;
    ADD_FAILURE() << "part " << n << " is not listed";
    return {};
  }
  Status Complete(storage::LocalBuckets& b, const storage::UploadInfo& u, const std::vector<int>& numbers,
                  const storage::ObjectInfo& info) {
    std::vector<storage::PartInfo> parts;
    for (int n : numbers) parts.push_back(Listed(b, u, n));
    return b.CompleteUpload(u, parts, info);
  }
  std::string ReadPart(storage::LocalBuckets& b, const storage::UploadInfo& u, int n) {
    auto r = b.OpenPart(u, Listed(b, u, n));
    EXPECT_TRUE(r) << n;
    std::string out;
    char buf[4096];
    for (;;) {
      auto got = (*r)->Read(buf, sizeof buf);
      if (!got || *got == 0) return out;
      out.append(buf, *got);
    }
  }
  std::filesystem::path UploadDir(const storage::UploadInfo& u) { return dir_ / "s3-staging/uploads" / u.upload_id; }
  storage::ObjectInfo Whole(const std::string& etag, uint64_t size) {
    storage::ObjectInfo info;
    info.etag = etag;
    info.size = size;
    return info;
  }
};

// An envelope put as a plain object (a job's output that another server of
// the installation wrote through S3, without SSE headers) is kept as SSE-KMS
// under its key with its plaintext size, whole or in parts (in place or
// copied); a part alone is not, and neither is an object that only starts
// like one.
TEST_F(PartsTest, EnvelopesPutAsPlainObjectsAreKeptAsSseKms) {
  storage::LocalBuckets b(dir_.string());
  ASSERT_TRUE(b.CreateBucket("bkt"));
  crypto::DataKey key;
  key.plaintext = std::string(32, 'k');
  key.wrapped = "blob";
  key.key_arn = "arn:aws:kms:us-east-1:000000000000:key/x";
  auto sealed = crypto::SealEnvelope(key, std::string(200000, 'p'));
  ASSERT_TRUE(sealed);
  Put(b, "whole", *sealed);
  auto e = b.Head("bkt", "whole");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->sse, "aws:kms");
  EXPECT_EQ(e->sse_kms_key_id, key.key_arn);
  EXPECT_EQ(e->size, 200000u);
  EXPECT_EQ(Read(b, "whole"), *sealed);  // decrypting is the S3 layer's, for callers the key allows
  Put(b, "lookalike", std::string(crypto::kEnvelopeMagic) + "not a header");
  auto plain = b.Head("bkt", "lookalike");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->sse, "");
  EXPECT_EQ(plain->size, 20u);

  const size_t first = (sealed->size() + 1) / 2;
  for (bool in_place : {true, false}) {
    const std::string name = in_place ? "in-place" : "copied";
    storage::UploadInfo u = Upload(b, name);
    for (int n : {1, 2}) {
      std::string bytes = n == 1 ? sealed->substr(0, first) : sealed->substr(first);
      auto w = b.CreatePart(u, n, in_place ? bytes.size() : 0);
      ASSERT_TRUE(w);
      ASSERT_TRUE((*w)->Append(bytes));
      ASSERT_TRUE((*w)->Commit(Whole(crypto::HexEncode(crypto::Md5(bytes)), bytes.size())));
    }
    EXPECT_EQ(Listed(b, u, 1).in_place, in_place) << name;
    EXPECT_EQ(ReadPart(b, u, 1), sealed->substr(0, first)) << name;  // a part stays as sent
    ASSERT_TRUE(Complete(b, u, {1, 2}, Whole("parts-2", sealed->size()))) << name;
    auto m = b.Head("bkt", name);
    ASSERT_TRUE(m) << name;
    EXPECT_EQ(m->sse, "aws:kms") << name;
    EXPECT_EQ(m->sse_kms_key_id, key.key_arn) << name;
    EXPECT_EQ(m->size, 200000u) << name;
    EXPECT_EQ(m->etag, "parts-2") << name;
  }
}

TEST_F(PartsTest, PartsInPlaceOutOfOrderCompleteByRenamingTheDataFile) {
  storage::LocalBuckets b(dir_.string());
  ASSERT_TRUE(b.CreateBucket("bkt"));
  auto u = Upload(b, "big/object");
  const size_t stride = 3000;
  Part(b, u, 2, Bytes('b', stride));  // the first part offered fixes the stride
  Part(b, u, 3, Bytes('c', 1234));    // the last, shorter
  Part(b, u, 1, Bytes('a', stride));
  auto parts = b.ListParts(u);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 3u);
  for (const auto& p : *parts) {
    EXPECT_TRUE(p.in_place) << p.number;
    EXPECT_EQ(p.offset, (p.number - 1) * stride) << p.number;
  }
  EXPECT_EQ((*parts)[2].size, 1234u);
  EXPECT_EQ(ReadPart(b, u, 2), Bytes('b', stride));
  struct stat data;
  ASSERT_EQ(::stat((UploadDir(u) / "data").c_str(), &data), 0);
  const std::string whole = Bytes('a', stride) + Bytes('b', stride) + Bytes('c', 1234);
  ASSERT_TRUE(Complete(b, u, {1, 2, 3}, Whole("0123456789abcdef0123456789abcdef-3", whole.size())));
  EXPECT_EQ(Read(b, "big/object"), whole);
  struct stat object;
  ASSERT_EQ(::stat((dir_ / "buckets/bkt/big/object").c_str(), &object), 0);
  EXPECT_EQ(object.st_ino, data.st_ino);  // renamed, not copied
  auto head = b.Head("bkt", "big/object");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->etag, "0123456789abcdef0123456789abcdef-3");
  EXPECT_EQ(head->size, whole.size());
  EXPECT_FALSE(std::filesystem::exists(UploadDir(u)));
}

TEST_F(PartsTest, PartsOutOfStrideOrOutOfSequenceAreCopied) {
  storage::LocalBuckets b(dir_.string());
  ASSERT_TRUE(b.CreateBucket("bkt"));
  auto u = Upload(b, "mixed");
  Part(b, u, 2, Bytes('b', 50));   // fixes the stride at 50
  Part(b, u, 1, Bytes('a', 100));  // longer than the stride: a file of its own
  Part(b, u, 3, Bytes('c', 30));
  Part(b, u, 5, Bytes('e', 10));
  auto parts = b.ListParts(u);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 4u);
  EXPECT_FALSE((*parts)[0].in_place);
  EXPECT_TRUE((*parts)[1].in_place);
  EXPECT_EQ((*parts)[3].offset, 200u);
  ASSERT_TRUE(Complete(b, u, {1, 2, 3}, Whole("0123456789abcdef0123456789abcdef-3", 180)));
  EXPECT_EQ(Read(b, "mixed"), Bytes('a', 100) + Bytes('b', 50) + Bytes('c', 30));

  // All in place, but not 1..N: parts 1, 2 and 4.
  auto gaps = Upload(b, "gaps");
  for (int n : {1, 2, 4}) Part(b, gaps, n, Bytes(static_cast<char>('0' + n), 64));
  ASSERT_TRUE(Complete(b, gaps, {1, 2, 4}, Whole("0123456789abcdef0123456789abcdef-3", 192)));
  EXPECT_EQ(Read(b, "gaps"), Bytes('1', 64) + Bytes('2', 64) + Bytes('4', 64));
}

TEST_F(PartsTest, APartUploadedAgainKeepsTheLastAndTwoAtOnceDoNotShareItsPlace) {
  storage::LocalBuckets b(dir_.string());
  ASSERT_TRUE(b.CreateBucket("bkt"));
  auto u = Upload(b, "again");
  Part(b, u, 1, Bytes('x', 100));
  // Two writers of part 2 at once: the second gets a file of its own.
  auto first = b.CreatePart(u, 2, 100);
  auto second = b.CreatePart(u, 2, 100);
  ASSERT_TRUE(first && second);
  ASSERT_TRUE((*first)->Append(Bytes('f', 100)));
  ASSERT_TRUE((*second)->Append(Bytes('s', 100)));
  storage::ObjectInfo s_info = Whole(crypto::HexEncode(crypto::Md5(Bytes('s', 100))), 100);
  storage::ObjectInfo f_info = Whole(crypto::HexEncode(crypto::Md5(Bytes('f', 100))), 100);
  ASSERT_TRUE((*second)->Commit(s_info));
  ASSERT_TRUE((*first)->Commit(f_info));
  first->reset();
  second->reset();
  auto parts = b.ListParts(u);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_TRUE((*parts)[1].in_place);
  EXPECT_EQ((*parts)[1].etag, f_info.etag);  // committed last
  EXPECT_EQ(ReadPart(b, u, 2), Bytes('f', 100));
  EXPECT_FALSE(std::filesystem::exists(UploadDir(u) / "part-2"));  // replaced by the later one
  // Once it is done, part 2 goes in place again, and stands; then in a
  // file of its own, which replaces the record.
  std::string etag = Part(b, u, 2, Bytes('g', 100));
  parts = b.ListParts(u);
  ASSERT_TRUE(parts);
  EXPECT_EQ((*parts)[1].etag, etag);
  EXPECT_TRUE((*parts)[1].in_place);
  {
    auto busy = b.CreatePart(u, 2, 100);  // holds part 2's place
    ASSERT_TRUE(busy);
    etag = Part(b, u, 2, Bytes('h', 100));
  }
  parts = b.ListParts(u);
  ASSERT_TRUE(parts);
  EXPECT_EQ((*parts)[1].etag, etag);
  EXPECT_FALSE((*parts)[1].in_place);
  EXPECT_FALSE(std::filesystem::exists(UploadDir(u) / "part-2.at"));
  ASSERT_TRUE(Complete(b, u, {1, 2}, Whole("0123456789abcdef0123456789abcdef-2", 200)));
  EXPECT_EQ(Read(b, "again"), Bytes('x', 100) + Bytes('h', 100));
}

TEST_F(PartsTest, APartCannotWriteBeyondItsPlaceAndEncryptedUploadsKeepPartFiles) {
  storage::LocalBuckets b(dir_.string());
  ASSERT_TRUE(b.CreateBucket("bkt"));
  auto u = Upload(b, "bounded");
  auto w = b.CreatePart(u, 1, 10);
  ASSERT_TRUE(w);
  EXPECT_FALSE((*w)->Append(Bytes('z', 11)));  // would run into part 2's place
  w->reset();
  auto parts = b.ListParts(u);
  ASSERT_TRUE(parts);
  EXPECT_TRUE(parts->empty());  // nothing recorded
  auto sealed = Upload(b, "sealed", "aws:kms");
  Part(b, sealed, 1, Bytes('k', 100));
  parts = b.ListParts(sealed);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_FALSE((*parts)[0].in_place);
  EXPECT_EQ(ReadPart(b, sealed, 1), Bytes('k', 100));
}

}  // namespace
}  // namespace plumbline::s3
