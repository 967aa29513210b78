// URL splitting, query-string parsing and percent-encoding.
#include <brood/http/h2_client.hpp>
#include <brood/http/url.hpp>

namespace brood::http {

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

rt::result<std::string> decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::errc::invalid_argument;
      int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::errc::invalid_argument;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}
}  // namespace

rt::result<url> parse_url(std::string_view text) {
  url out;
  if (text.starts_with("https://")) {
    text.remove_prefix(8);
  } else if (text.starts_with("http://")) {
    out.tls = false;
    text.remove_prefix(7);
  } else {
    return std::errc::invalid_argument;
  }
  auto slash = text.find('/');
  out.authority = std::string(text.substr(0, slash));
  out.path = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  if (out.authority.find(':') == std::string::npos || out.authority.back() == ']')
    out.authority += out.tls ? ":443" : ":80";
  if (!split_authority(out.authority)) return std::errc::invalid_argument;
  return out;
}

rt::result<query_params> parse_query(std::string_view target) {
  query_params out;
  auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto item = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    auto k = decode(item.substr(0, eq));
    auto v = decode(eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1));
    if (!k || !v) return std::errc::invalid_argument;
    out.emplace_back(std::move(*k), std::move(*v));
  }
  return out;
}

std::string_view query_value(const query_params& q, std::string_view key) noexcept {
  for (auto& [k, v] : q)
    if (k == key) return v;
  return {};
}

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace brood::http
