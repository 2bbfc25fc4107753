// A response body read from an object reader: `length` bytes after skipping
// `skip` (done at the first Read, on the connection's time rather than the
// handler's). A reader whose bytes lie in a file, untouched so far, is sent
// with sendfile(2) from where it stands. Used by the S3 API's GetObject and
// the portal's /worker/media.
//
// Reader: Result<size_t> Read(char*, size_t); Status Skip(uint64_t);
// int FileDescriptor() const (-1 when the bytes are not a file's as stored).
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>

#include "http/http.hpp"

namespace plumbline::http {

template <class Reader>
class ReaderBody final : public BodySource {
 public:
  // A null reader is an empty body (a HEAD answer).
  ReaderBody(std::unique_ptr<Reader> r, uint64_t skip, uint64_t length)
      : r_(std::move(r)), skip_(skip), left_(r_ ? length : 0) {}
  Result<size_t> Read(char* buf, size_t n) override {
    if (skip_ > 0) {
      PLB_TRY(r_->Skip(skip_));
      skip_ = 0;
    }
    if (left_ == 0) return size_t{0};
    PLB_ASSIGN_OR_RETURN(size_t got, r_->Read(buf, static_cast<size_t>(std::min<uint64_t>(n, left_))));
    if (got == 0) return Unavailable("the object ended early");
    left_ -= got;
    read_ = true;
    return got;
  }
  std::optional<FileRange> File() override {
    if (!r_ || read_ || skip_ > 0) return std::nullopt;
    int fd = r_->FileDescriptor();
    if (fd < 0) return std::nullopt;
    off_t at = ::lseek(fd, 0, SEEK_CUR);
    if (at < 0) return std::nullopt;
    return FileRange{fd, static_cast<uint64_t>(at)};
  }

 private:
  std::unique_ptr<Reader> r_;
  uint64_t skip_, left_;
  bool read_ = false;
};

}  // namespace plumbline::http
