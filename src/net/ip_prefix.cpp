// ip_prefix parsing and printing (inet_pton/inet_ntop, strict about the length).
#include <brood/net/ip_prefix.hpp>

#include <arpa/inet.h>

#include <charconv>

namespace brood::net {

rt::result<ip_prefix> ip_prefix::parse(std::string_view text) {
  ip_prefix p;
  const auto slash = text.find('/');
  const std::string host(text.substr(0, slash));
  if (::inet_pton(AF_INET, host.c_str(), p.addr.data()) == 1) {
    p.family = AF_INET;
  } else if (::inet_pton(AF_INET6, host.c_str(), p.addr.data()) == 1) {
    p.family = AF_INET6;
  } else {
    return std::errc::invalid_argument;
  }
  p.length = p.max_length();
  if (slash != std::string_view::npos) {
    const auto len = text.substr(slash + 1);
    unsigned n = 0;
    auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
    if (len.empty() || len.size() > 3 || (len.size() > 1 && len[0] == '0') || ec != std::errc{} || end != len.data() + len.size() || n > p.max_length())
      return std::errc::invalid_argument;
    p.length = static_cast<std::uint8_t>(n);
  }
  return p;
}

std::string ip_prefix::address_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, addr.data(), buf, sizeof buf);
  return buf;
}

std::string ip_prefix::to_string() const { return address_string() + "/" + std::to_string(length); }

}  // namespace brood::net
