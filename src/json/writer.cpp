// json::writer: structure bookkeeping and string escaping with UTF-8 validation.
#include <brood/json/writer.hpp>

#include <charconv>
#include <cmath>

namespace brood::json {

namespace {
/// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one.
std::size_t utf8_len(std::string_view s, std::size_t i) noexcept {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xc0) != 0x80) return 0;
  if (n == 2 && c < 0xc2) return 0;                                     // overlong
  if (n == 3) {
    unsigned cp = ((c & 0xfu) << 12) | ((b(i + 1) & 0x3fu) << 6) | (b(i + 2) & 0x3fu);
    if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return 0;          // overlong, surrogate
  }
  if (n == 4) {
    unsigned cp = ((c & 0x7u) << 18) | ((b(i + 1) & 0x3fu) << 12) | ((b(i + 2) & 0x3fu) << 6) | (b(i + 3) & 0x3fu);
    if (cp < 0x10000 || cp > 0x10ffff) return 0;
  }
  return n;
}
}  // namespace

void append_quoted(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    // A run of plain ASCII goes in one append (most strings are nothing else).
    std::size_t run = i;
    while (run < s.size()) {
      const auto r = static_cast<unsigned char>(s[run]);
      if (r < 0x20 || r >= 0x80 || r == '"' || r == '\\') break;
      ++run;
    }
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20) {
      switch (c) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
      }
      ++i;
    } else if (std::size_t n = utf8_len(s, i)) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xef\xbf\xbd";  // U+FFFD for a byte that starts no valid sequence
      ++i;
    }
  }
  out += '"';
}

void writer::before_value() {
  if (_after_key) {
    _after_key = false;
    return;
  }
  if (!_first.empty()) {
    if (!_first.back()) _out += ',';
    _first.back() = false;
  }
}

writer& writer::begin_object() {
  before_value();
  _out += '{';
  _first.push_back(true);
  return *this;
}

writer& writer::end_object() {
  _out += '}';
  _first.pop_back();
  return *this;
}

writer& writer::begin_array() {
  before_value();
  _out += '[';
  _first.push_back(true);
  return *this;
}

writer& writer::end_array() {
  _out += ']';
  _first.pop_back();
  return *this;
}

writer& writer::key(std::string_view k) {
  before_value();
  append_quoted(_out, k);
  _out += ':';
  _after_key = true;
  return *this;
}

writer& writer::string(std::string_view v) {
  before_value();
  append_quoted(_out, v);
  return *this;
}

writer& writer::number(std::int64_t v) {
  before_value();
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  _out.append(buf, p);
  return *this;
}

writer& writer::number(double v) {
  before_value();
  if (!std::isfinite(v)) {  // JSON has no NaN or infinity
    _out += "null";
    return *this;
  }
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  _out.append(buf, p);
  return *this;
}

writer& writer::boolean(bool v) {
  before_value();
  _out += v ? "true" : "false";
  return *this;
}

writer& writer::null() {
  before_value();
  _out += "null";
  return *this;
}

}  // namespace brood::json
