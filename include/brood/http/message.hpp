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

struct request {
  std::string method = "GET";
  std::string path = "/";
  std::string authority;  // host[:port]; filled in by the client when empty
  std::vector<header> headers;
  std::string body;

  /// The first value of `name` (lower case), or empty.
  std::string_view header_value(std::string_view name) const noexcept {
    for (auto& h : headers)
      if (h.name == name) return h.value;
    return {};
  }
};

struct response {
  int status = 0;
  std::vector<header> headers;
  std::string body;

  std::string_view header_value(std::string_view name) const noexcept {
    for (auto& h : headers)
      if (h.name == name) return h.value;
    return {};
  }
};

}  // namespace brood::http
