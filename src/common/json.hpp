// Small JSON helpers over Boost.JSON.
//
// Serialize() writes compact JSON the way Ground Truth's files and the AWS
// JSON protocol expect it: numbers in shortest round-trip form with a
// fractional part kept for doubles ("0.84", "1.0", "1763926841.501"), never
// Boost's exponent form, keys in insertion order, UTF-8 passed through.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace plumbline::json {

std::string Serialize(const boost::json::value& v);
void SerializeTo(const boost::json::value& v, std::string* out);
// Escapes s as a JSON string literal including the quotes.
void AppendQuoted(std::string_view s, std::string* out);

// Parses text; the error message says where parsing failed.
Result<boost::json::value> Parse(std::string_view text);

// Accessors that return nullptr / nullopt when the member is missing or of
// another type.
const boost::json::object* GetObject(const boost::json::object& o, std::string_view key);
const boost::json::array* GetArray(const boost::json::object& o, std::string_view key);
std::optional<std::string> GetString(const boost::json::object& o, std::string_view key);
std::optional<int64_t> GetInt(const boost::json::object& o, std::string_view key);
// Integer or floating number as double (timestamps arrive as either).
std::optional<double> GetNumber(const boost::json::object& o, std::string_view key);

}  // namespace plumbline::json
