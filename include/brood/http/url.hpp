// URLs as brood's clients and handlers use them: `https://host[:port]/path` split for the HTTP
// client, strict parsing of a query string (`?a=1&b=x%20y`) into decoded pairs, and
// percent-encoding of a component.
#pragma once

#include <brood/rt/result.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brood::http {

struct url {
  bool tls = true;        // https (false: http, h2c with prior knowledge)
  std::string authority;  // host:port, the port filled in (443 or 80)
  std::string path;       // from the first '/', "/" if none
};
/// Splits an http:// or https:// URL; std::errc::invalid_argument for anything else.
rt::result<url> parse_url(std::string_view text);

using query_params = std::vector<std::pair<std::string, std::string>>;

/// The decoded parameters of `target`'s query (everything after the first '?'; none without
/// one). '+' is a space. A bad percent escape is std::errc::invalid_argument.
rt::result<query_params> parse_query(std::string_view target);
/// The first value of `key`, or empty.
std::string_view query_value(const query_params& q, std::string_view key) noexcept;
/// Percent-encodes everything but RFC 3986's unreserved characters.
std::string url_encode(std::string_view component);

}  // namespace brood::http
