// socket_address: parsing and printing of IPv4 / IPv6 / unix socket addresses.
#include <brood/net/socket_address.hpp>

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace brood::net {

socket_address::socket_address(const sockaddr* sa, socklen_t len) noexcept {
  if (len > sizeof _ss) len = sizeof _ss;
  std::memcpy(&_ss, sa, len);
  _len = len;
}

static bool parse_port(std::string_view s, std::uint16_t& port) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  return ec == std::errc() && p == s.data() + s.size();
}

result<socket_address> socket_address::parse(std::string_view text) {
  std::uint16_t port = 0;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':' ||
        !parse_port(text.substr(close + 2), port))
      return std::errc::invalid_argument;
    std::string host(text.substr(1, close - 1));
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    if (inet_pton(AF_INET6, host.c_str(), &sin6.sin6_addr) != 1) return std::errc::invalid_argument;
    return socket_address(reinterpret_cast<sockaddr*>(&sin6), sizeof sin6);
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || !parse_port(text.substr(colon + 1), port)) return std::errc::invalid_argument;
  std::string host(text.substr(0, colon));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &sin.sin_addr) != 1) return std::errc::invalid_argument;
  return socket_address(reinterpret_cast<sockaddr*>(&sin), sizeof sin);
}

socket_address socket_address::ipv4_loopback(std::uint16_t port) noexcept {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return socket_address(reinterpret_cast<sockaddr*>(&sin), sizeof sin);
}

socket_address socket_address::ipv6_loopback(std::uint16_t port) noexcept {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  sin6.sin6_addr = in6addr_loopback;
  return socket_address(reinterpret_cast<sockaddr*>(&sin6), sizeof sin6);
}

socket_address socket_address::ipv4_any(std::uint16_t port) noexcept {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  return socket_address(reinterpret_cast<sockaddr*>(&sin), sizeof sin);
}

socket_address socket_address::ipv6_any(std::uint16_t port) noexcept {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  return socket_address(reinterpret_cast<sockaddr*>(&sin6), sizeof sin6);
}

result<socket_address> socket_address::unix_path(std::string_view path) {
  sockaddr_un sun{};
  if (path.empty() || path.size() >= sizeof sun.sun_path) return std::errc::filename_too_long;
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path, path.data(), path.size());
  return socket_address(reinterpret_cast<sockaddr*>(&sun),
                        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1));
}

std::uint16_t socket_address::port() const noexcept {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&_ss)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&_ss)->sin6_port);
  return 0;
}

void socket_address::set_port(std::uint16_t port) noexcept {
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&_ss)->sin_port = htons(port);
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&_ss)->sin6_port = htons(port);
}

std::string socket_address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&_ss)->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port());
  }
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&_ss)->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(port());
  }
  if (family() == AF_UNIX) return "unix:" + std::string(reinterpret_cast<const sockaddr_un*>(&_ss)->sun_path);
  return "(none)";
}

bool operator==(const socket_address& a, const socket_address& b) noexcept {
  return a._len == b._len && std::memcmp(&a._ss, &b._ss, a._len) == 0;
}

}  // namespace brood::net
