// HTTP messages as brood's clients and handlers see them (HTTP/2 and HTTP/1.1 alike).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace brood::http {

struct header {
  std::string name;  // lower case
  std::string value;
};

/// The first value of header `name` (lower case) in `headers`, or empty.
inline std::string_view find_header(const std::vector<header>& headers, std::string_view name) noexcept {
  for (auto& h : headers)
    if (h.name == name) return h.value;
  return {};
}

struct request {
  std::string method = "GET";
  std::string path = "/";
  std::string authority;  // host[:port]; filled in by the client when empty
  std::vector<header> headers;
  std::string body;

  std::string_view header_value(std::string_view name) const noexcept { return find_header(headers, name); }
};

struct response {
  int status = 0;
  std::vector<header> headers;
  std::string body;

  std::string_view header_value(std::string_view name) const noexcept { return find_header(headers, name); }
};

}  // namespace brood::http
