// Per-client keys of remote addresses.
#include <brood/net/client_key.hpp>

#include <arpa/inet.h>

#include <cstring>

namespace brood::net {

std::string_view client_of(std::string_view remote) noexcept {
  if (remote.starts_with('[')) {
    auto close = remote.find(']');
    return close == std::string_view::npos ? remote : remote.substr(1, close - 1);
  }
  auto colon = remote.rfind(':');
  if (colon == std::string_view::npos || remote.find(':') != colon) return remote;  // no port, or bare IPv6
  return remote.substr(0, colon);
}

std::string client_key(std::string_view remote) {
  const std::string addr(client_of(remote));
  in6_addr a6{};
  if (addr.find(':') == std::string::npos || ::inet_pton(AF_INET6, addr.c_str(), &a6) != 1) return addr;
  char text[INET6_ADDRSTRLEN];
  if (IN6_IS_ADDR_V4MAPPED(&a6)) {  // ::ffff:a.b.c.d: an IPv4 client
    if (!::inet_ntop(AF_INET, a6.s6_addr + 12, text, sizeof text)) return addr;
    return text;
  }
  std::memset(a6.s6_addr + 8, 0, 8);
  if (!::inet_ntop(AF_INET6, &a6, text, sizeof text)) return addr;
  return std::string(text) + "/64";
}

}  // namespace brood::net
