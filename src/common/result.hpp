// Result and Error: how expected failures travel across subsystem seams.
//
// Every fallible operation that can fail for ordinary reasons (bad input, not
// found, conflict, permission, unavailable storage) returns Result<T> or
// Status. Exceptions are reserved for programmer bugs and start-up failures.
// An ErrorCode maps to an HTTP status in exactly one place per protocol
// (api/ for the SageMaker API, portal/ for the worker API).
//
// Thread safety: plain values; safe to copy and move between threads.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace plumbline {

enum class ErrorCode {
  kInvalidArgument,   // the caller sent something malformed; message names the field
  kNotFound,          // the named entity does not exist
  kAlreadyExists,     // a unique name is taken
  kConflict,          // the entity is in a state that forbids the operation
  kPermissionDenied,  // authenticated, but not allowed
  kUnauthenticated,   // no or bad credentials
  kUnavailable,       // storage or a dependency failed; retrying may help
  kInternal,          // a bug
};

const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

// Thrown by Result::value() on an error: tests and start-up code use it.
class ErrorException : public std::runtime_error {
 public:
  explicit ErrorException(Error e)
      : std::runtime_error(std::string(ErrorCodeName(e.code)) + ": " + e.message),
        error_(std::move(e)) {}
  const Error& error() const { return error_; }

 private:
  Error error_;
};

[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;
using Status = Result<void>;

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}
inline Error InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Error NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Error AlreadyExists(std::string m) { return {ErrorCode::kAlreadyExists, std::move(m)}; }
inline Error Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
inline Error PermissionDenied(std::string m) { return {ErrorCode::kPermissionDenied, std::move(m)}; }
inline Error Unauthenticated(std::string m) { return {ErrorCode::kUnauthenticated, std::move(m)}; }
inline Error Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
inline Error Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

}  // namespace plumbline

// Propagates an error from an expression returning Result/Status.
#define PLB_TRY(expr)                                   \
  do {                                                  \
    auto&& plb_try_r_ = (expr);                         \
    if (!plb_try_r_) return plb_try_r_.error();         \
  } while (0)

#define PLB_CONCAT_INNER(a, b) a##b
#define PLB_CONCAT(a, b) PLB_CONCAT_INNER(a, b)
// Declares `lhs` from a Result expression, or returns its error.
#define PLB_ASSIGN_OR_RETURN(lhs, expr) \
  PLB_ASSIGN_OR_RETURN_IMPL(PLB_CONCAT(plb_r_, __LINE__), lhs, expr)
#define PLB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp) return tmp.error();                   \
  lhs = std::move(*tmp)
