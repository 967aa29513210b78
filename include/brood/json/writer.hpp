// json::writer: builds compact JSON text with correct escaping (RFC 8259).
//
// Strings must be valid UTF-8; invalid sequences are replaced by U+FFFD rather than emitted
// (the output is always valid JSON). Control characters are written as \u00XX.
// Usage: w.begin_object().key("vni").number(100).key("name").string("lab").end_object();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace brood::json {

class writer {
 public:
  writer& begin_object();
  writer& end_object();
  writer& begin_array();
  writer& end_array();
  writer& key(std::string_view k);
  writer& string(std::string_view v);
  writer& number(std::int64_t v);
  writer& number(double v);
  writer& boolean(bool v);
  writer& null();

  const std::string& str() const noexcept { return _out; }
  std::string take() noexcept { return std::move(_out); }

 private:
  void before_value();
  std::string _out;
  std::vector<bool> _first;  // per open container: nothing written in it yet
  bool _after_key = false;
};

/// Appends `s` as a quoted JSON string.
void append_quoted(std::string& out, std::string_view s);

}  // namespace brood::json
