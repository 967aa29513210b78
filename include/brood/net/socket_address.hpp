// socket_address: an IPv4, IPv6 or unix-domain socket address (value type).
#pragma once

#include <brood/rt/result.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace brood::net {

using rt::result;

class socket_address {
 public:
  socket_address() = default;
  socket_address(const sockaddr* sa, socklen_t len) noexcept;

  /// "192.0.2.1:80", "[2001:db8::1]:80" (numeric only; names go through the resolver).
  static result<socket_address> parse(std::string_view text);
  static socket_address ipv4_loopback(std::uint16_t port) noexcept;
  static socket_address ipv6_loopback(std::uint16_t port) noexcept;
  static socket_address ipv4_any(std::uint16_t port) noexcept;
  static socket_address ipv6_any(std::uint16_t port) noexcept;
  /// A filesystem unix socket path (at most 107 bytes).
  static result<socket_address> unix_path(std::string_view path);

  int family() const noexcept { return _ss.ss_family; }
  bool empty() const noexcept { return _len == 0; }
  std::uint16_t port() const noexcept;
  void set_port(std::uint16_t port) noexcept;

  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&_ss); }
  sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&_ss); }
  socklen_t size() const noexcept { return _len; }
  /// For APIs that fill the address in: capacity on the way in, the length on the way out.
  socklen_t& size_ref() noexcept { return _len; }
  static constexpr socklen_t capacity() noexcept { return sizeof(sockaddr_storage); }

  std::string to_string() const;
  friend bool operator==(const socket_address& a, const socket_address& b) noexcept;

 private:
  sockaddr_storage _ss{};
  socklen_t _len = 0;
};

}  // namespace brood::net
