// UAPI text protocol: building set requests and parsing get/set answers.
#include <brood/wg/uapi.hpp>

#include <charconv>
#include <cstring>

namespace brood::wg {

namespace {

void line(std::string& out, std::string_view k, std::string_view v) {
  out.append(k).push_back('=');
  out.append(v).push_back('\n');
}

bool parse_hex_key(std::string_view v, key& k) {
  if (v.size() != 64) return false;
  for (std::size_t i = 0; i < 32; ++i) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;  // UAPI keys are lower-case
    };
    const int hi = nib(v[2 * i]), lo = nib(v[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    k[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

template <class T>
bool parse_number(std::string_view v, T& out) {
  if (v.empty() || (v.size() > 1 && v[0] == '0')) return false;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc{} && end == v.data() + v.size();
}

/// The errno line: "errno=0" → ok; "errno=N" or "errno=-N" → that error.
rt::result<void> errno_of(std::string_view v) {
  const bool negative = !v.empty() && v[0] == '-';
  int n = 0;
  if (!parse_number(negative ? v.substr(1) : v, n)) return std::errc::bad_message;
  if (n == 0) return {};
  return std::error_code(n, std::system_category());
}

}  // namespace

std::string uapi_set_request(const device_change& c) {
  std::string out = "set=1\n";
  if (c.private_key) line(out, "private_key", to_hex(*c.private_key));
  if (c.listen_port) line(out, "listen_port", std::to_string(*c.listen_port));
  for (auto& k : c.remove_peers) {
    line(out, "public_key", to_hex(k));
    line(out, "remove", "true");
  }
  for (auto& p : c.set_peers) {
    line(out, "public_key", to_hex(p.public_key));
    if (p.endpoint) line(out, "endpoint", p.endpoint->to_string());
    line(out, "persistent_keepalive_interval", std::to_string(p.keepalive));
    line(out, "replace_allowed_ips", "true");
    for (auto& a : p.allowed_ips) line(out, "allowed_ip", a.to_string());
  }
  out.push_back('\n');
  return out;
}

rt::result<device> parse_uapi_get(std::string_view answer) {
  device d;
  peer* p = nullptr;
  std::int64_t hs_sec = 0, hs_nsec = 0;
  auto finish_peer = [&] {
    if (p) p->last_handshake_ns = hs_sec * 1'000'000'000 + hs_nsec;
    hs_sec = hs_nsec = 0;
  };
  while (!answer.empty()) {
    const auto nl = answer.find('\n');
    if (nl == std::string_view::npos) return std::errc::bad_message;  // a line without its end
    const auto l = answer.substr(0, nl);
    answer.remove_prefix(nl + 1);
    const auto eq = l.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::errc::bad_message;
    const auto k = l.substr(0, eq), v = l.substr(eq + 1);
    if (k == "errno") {
      if (answer != "\n") return std::errc::bad_message;  // errno is last, then one empty line
      finish_peer();
      auto e = errno_of(v);
      if (!e) return e.error();
      return d;
    }
    if (k == "private_key") {
      key pk;
      if (p || !parse_hex_key(v, pk)) return std::errc::bad_message;
      d.private_key = pk;
    } else if (k == "listen_port") {
      if (p || !parse_number(v, d.listen_port)) return std::errc::bad_message;
    } else if (k == "fwmark") {
      std::uint32_t mark = 0;
      if (p || !parse_number(v, mark)) return std::errc::bad_message;
    } else if (k == "public_key") {
      finish_peer();
      p = &d.peers.emplace_back();
      if (!parse_hex_key(v, p->public_key)) return std::errc::bad_message;
    } else if (!p) {
      return std::errc::bad_message;  // a peer attribute before any peer
    } else if (k == "endpoint") {
      auto a = net::socket_address::parse(v);
      if (!a) return std::errc::bad_message;
      p->endpoint = *a;
    } else if (k == "allowed_ip") {
      auto a = net::ip_prefix::parse(v);
      if (!a || v.find('/') == std::string_view::npos) return std::errc::bad_message;
      p->allowed_ips.push_back(*a);
    } else if (k == "persistent_keepalive_interval") {
      if (!parse_number(v, p->keepalive)) return std::errc::bad_message;
    } else if (k == "last_handshake_time_sec") {
      if (!parse_number(v, hs_sec) || hs_sec > 9'000'000'000) return std::errc::bad_message;
    } else if (k == "last_handshake_time_nsec") {
      if (!parse_number(v, hs_nsec) || hs_nsec >= 1'000'000'000) return std::errc::bad_message;
    } else if (k == "rx_bytes") {
      if (!parse_number(v, p->rx_bytes)) return std::errc::bad_message;
    } else if (k == "tx_bytes") {
      if (!parse_number(v, p->tx_bytes)) return std::errc::bad_message;
    } else if (k == "preshared_key") {
      key psk;
      if (!parse_hex_key(v, psk)) return std::errc::bad_message;
    } else if (k == "protocol_version") {
      if (v != "1") return std::errc::bad_message;
    } else {
      return std::errc::bad_message;
    }
  }
  return std::errc::bad_message;  // no errno line
}

rt::result<void> parse_uapi_set(std::string_view answer) {
  if (!answer.starts_with("errno=") || !answer.ends_with("\n\n")) return std::errc::bad_message;
  const auto v = answer.substr(6, answer.size() - 8);
  if (v.find('\n') != std::string_view::npos) return std::errc::bad_message;
  return errno_of(v);
}

}  // namespace brood::wg
