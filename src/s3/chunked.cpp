#include "s3/chunked.hpp"

#include "common/text.hpp"
#include "crypto/envelope.hpp"
#include "crypto/hash.hpp"
#include "crypto/sigv4.hpp"

namespace plumbline::s3 {
namespace {

std::unique_ptr<crypto::Digest> ChecksumFor(std::string_view name) {
  if (name == "x-amz-checksum-crc32") return std::make_unique<crypto::Digest>(crypto::Digest::Kind::kCrc32);
  if (name == "x-amz-checksum-crc32c") return std::make_unique<crypto::Digest>(crypto::Digest::Kind::kCrc32c);
  if (name == "x-amz-checksum-sha256") return std::make_unique<crypto::Digest>(crypto::Digest::Kind::kSha256);
  return nullptr;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

ChunkedDecoder::ChunkedDecoder(ChunkedOptions options, Sink sink)
    : o_(std::move(options)), sink_(std::move(sink)), previous_(o_.seed_signature) {
  o_.trailer_name = Lower(o_.trailer_name);
  checksum_ = ChecksumFor(o_.trailer_name);
}
ChunkedDecoder::~ChunkedDecoder() = default;

Status ChunkedDecoder::Feed(std::string_view bytes) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(left_, bytes.size()));
        std::string_view data = bytes.substr(0, n);
        if (chunk_sha_) chunk_sha_->Update(data);
        if (checksum_) checksum_->Update(data);
        PLB_TRY(sink_(data));
        decoded_ += n;
        left_ -= n;
        bytes.remove_prefix(n);
        if (left_ == 0) {
          PLB_TRY(EndOfChunk());
          state_ = State::kDataEnd;
        }
        break;
      }
      case State::kDone:
        return InvalidArgument("unexpected bytes after the final chunk");
      default: {
        size_t nl = bytes.find('\n');
        size_t take = nl == std::string_view::npos ? bytes.size() : nl + 1;
        line_.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        if (line_.size() > o_.max_line) return InvalidArgument("chunk header line too long");
        if (nl == std::string_view::npos) break;
        if (line_.size() < 2 || line_[line_.size() - 2] != '\r')
          return InvalidArgument("chunk lines must end in CRLF");
        std::string line = line_.substr(0, line_.size() - 2);
        line_.clear();
        PLB_TRY(Line(line));
      }
    }
  }
  return {};
}

Status ChunkedDecoder::Line(std::string_view line) {
  if (state_ == State::kDataEnd) {
    if (!line.empty()) return InvalidArgument("chunk data longer than its size");
    state_ = last_chunk_ ? State::kDone : State::kSize;
    return {};
  }
  if (state_ == State::kSize) {
    std::string_view size_text = line.substr(0, line.find(';'));
    if (size_text.empty() || size_text.size() > 15) return InvalidArgument("bad chunk size");
    uint64_t size = 0;
    for (char c : size_text) {
      int v = HexDigitValue(c);
      if (v < 0) return InvalidArgument("bad chunk size");
      size = size * 16 + static_cast<uint64_t>(v);
    }
    chunk_signature_.clear();
    size_t semi = line.find(';');
    if (semi != std::string_view::npos) {
      std::string_view ext = line.substr(semi + 1);
      if (ext.substr(0, 16) == "chunk-signature=") chunk_signature_ = std::string(ext.substr(16));
    }
    if (o_.signed_chunks && chunk_signature_.size() != 64)
      return InvalidArgument("a signed chunk needs its chunk-signature");
    if (o_.signed_chunks) chunk_sha_ = std::make_unique<crypto::Digest>(crypto::Digest::Kind::kSha256);
    left_ = size;
    if (size == 0) {
      last_chunk_ = true;
      PLB_TRY(EndOfChunk());
      if (o_.trailer) {
        state_ = State::kTrailer;
      } else {
        state_ = State::kDataEnd;  // the final CRLF
      }
      return {};
    }
    state_ = State::kData;
    return {};
  }
  if (state_ == State::kTrailer) {
    if (line.empty()) {
      state_ = State::kDone;
      return {};
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return InvalidArgument("bad trailer line");
    std::string name = Lower(Trim(line.substr(0, colon)));
    std::string value(Trim(line.substr(colon + 1)));
    if (name == "x-amz-trailer-signature") {
      trailer_signature_ = value;
      return {};
    }
    trailer_text_ += name + ":" + value + "\n";
    if (name == o_.trailer_name) trailer_value_ = value;
    return {};
  }
  return InvalidArgument("unexpected chunk line");
}

Status ChunkedDecoder::EndOfChunk() {
  if (!o_.signed_chunks) return {};
  std::string hash = crypto::HexEncode(chunk_sha_->Finish());
  std::string expected =
      crypto::ChunkSignature(o_.signing_key, o_.amz_date, o_.scope, previous_, hash);
  if (!crypto::ConstantTimeEquals(expected, chunk_signature_))
    return PermissionDenied("The request signature we calculated does not match the signature "
                            "you provided (a chunk of the aws-chunked body).");
  previous_ = expected;
  return {};
}

Status ChunkedDecoder::Finish() {
  // The final CRLF after the last chunk is optional for some clients.
  if (state_ == State::kDataEnd && last_chunk_ && !o_.trailer) state_ = State::kDone;
  if (state_ == State::kTrailer && line_.empty()) state_ = State::kDone;
  if (state_ != State::kDone)
    return InvalidArgument("You did not provide the number of bytes specified by the "
                           "Content-Length HTTP header (the aws-chunked body ended early).");
  if (o_.trailer && o_.signed_chunks) {
    std::string expected = crypto::TrailerSignature(o_.signing_key, o_.amz_date, o_.scope,
                                                    previous_, trailer_text_);
    if (!crypto::ConstantTimeEquals(expected, trailer_signature_))
      return PermissionDenied("The request signature we calculated does not match the signature "
                              "you provided (the trailer of the aws-chunked body).");
  }
  if (!o_.trailer_name.empty()) {
    if (!checksum_)
      return InvalidArgument("checksum algorithm " + o_.trailer_name + " is not supported here");
    if (trailer_value_.empty()) return InvalidArgument("checksum trailer " + o_.trailer_name + " missing");
    std::string got = crypto::Base64Encode(checksum_->Finish());
    if (got != trailer_value_)
      return InvalidArgument("checksum: the " + o_.trailer_name + " you specified did not match the calculated checksum");
  }
  return {};
}

}  // namespace plumbline::s3
