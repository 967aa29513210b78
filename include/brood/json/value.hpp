// json::value and json::parse: JSON text (parsed and validated by simdjson, UTF-8 included)
// turned into a small owned tree that handlers can walk without simdjson's lifetime rules.
// Inputs are bounded (size and nesting); any error is a std::error_code whose message says
// what was wrong, for a 400's "detail".
#pragma once

#include <brood/rt/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace brood::json {

using rt::result;

class value;
using array = std::vector<value>;
/// An object's members in document order (parallel vectors: a vector of a pair holding the
/// still-incomplete `value` is not allowed inside value's own variant).
struct object {
  std::vector<std::string> keys;
  std::vector<value> values;
  std::size_t size() const noexcept { return keys.size(); }
};

class value {
 public:
  value() = default;
  value(std::nullptr_t) {}
  value(bool b) : _v(b) {}
  value(std::int64_t i) : _v(i) {}
  value(std::uint64_t u) : _v(u) {}
  value(double d) : _v(d) {}
  value(std::string s) : _v(std::move(s)) {}
  value(array a) : _v(std::move(a)) {}
  value(object o) : _v(std::move(o)) {}

  bool is_null() const noexcept { return std::holds_alternative<std::nullptr_t>(_v); }
  bool is_object() const noexcept { return std::holds_alternative<object>(_v); }
  bool is_array() const noexcept { return std::holds_alternative<array>(_v); }
  bool is_string() const noexcept { return std::holds_alternative<std::string>(_v); }

  /// The member `key` of an object, or nullptr (also when this is not an object).
  const value* find(std::string_view key) const noexcept;
  const std::string* as_string() const noexcept { return std::get_if<std::string>(&_v); }
  const bool* as_bool() const noexcept { return std::get_if<bool>(&_v); }
  const array* as_array() const noexcept { return std::get_if<array>(&_v); }
  const object* as_object() const noexcept { return std::get_if<object>(&_v); }
  /// An integer that fits in int64 (a whole-valued double does not count).
  result<std::int64_t> as_int() const noexcept;

 private:
  std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, array, object> _v;
};


struct parse_limits {
  std::size_t max_bytes = 1 << 20;
  std::size_t max_depth = 64;
};

const std::error_category& error_category() noexcept;

/// Parses one JSON text. Errors come from json::error_category() (with simdjson's reason) or
/// are std::errc::message_size past max_bytes.
result<value> parse(std::string_view text, const parse_limits& limits = {});

}  // namespace brood::json
