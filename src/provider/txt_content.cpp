// TXT content in the presentation form Cloudflare's API uses.
#include <brood/provider/txt_content.hpp>

#include <algorithm>
#include <charconv>

namespace brood::provider {

std::string format_txt_content(std::string_view text) {
  std::string out;
  for (std::size_t at = 0; at < text.size() || at == 0; at += 255) {
    auto part = text.substr(at, 255);
    if (!out.empty()) out += ' ';
    out += '"';
    for (char c : part) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out;
}

rt::result<std::string> parse_txt_content(std::string_view content) {
  if (content.empty() || content.front() != '"') return std::string(content);  // stored unquoted
  std::string out;
  std::size_t i = 0;
  while (i < content.size()) {
    if (content[i] == ' ') {
      ++i;
      continue;
    }
    if (content[i++] != '"') return std::errc::invalid_argument;
    for (;;) {
      if (i >= content.size()) return std::errc::invalid_argument;  // unbalanced
      char c = content[i++];
      if (c == '"') break;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= content.size()) return std::errc::invalid_argument;
      if (content[i] < '0' || content[i] > '9') {
        out += content[i++];
        continue;
      }
      unsigned v = 0;  // \DDD
      auto [p, ec] = std::from_chars(content.data() + i, content.data() + std::min(i + 3, content.size()), v);
      if (ec != std::errc() || p != content.data() + i + 3 || v > 255) return std::errc::invalid_argument;
      out += static_cast<char>(v);
      i += 3;
    }
  }
  return out;
}

}  // namespace brood::provider
