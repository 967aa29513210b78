// DNS message building and parsing with c-ares 1.18 (ares_create_query, ares_parse_*).
#include <brood/dns/message.hpp>

#include <ares.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>

#include <cstring>

namespace brood::dns {

namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dns"; }
  std::string message(int v) const override {
    switch (static_cast<error>(v)) {
      case error::nxdomain: return "no such name (NXDOMAIN)";
      case error::nodata: return "no records of that type (NODATA)";
      case error::truncated: return "truncated answer";
      case error::servfail: return "server failure (SERVFAIL)";
      case error::refused: return "query refused (REFUSED)";
      case error::bad_rcode: return "unexpected response code";
      case error::malformed: return "malformed DNS message";
    }
    return "dns error";
  }
};

/// c-ares parse status → our error (ENODATA: the name exists but has no such records).
std::error_code from_ares(int status) {
  if (status == ARES_ENODATA) return error::nodata;
  return error::malformed;
}

int as_len(std::size_t n) { return n > 65535 ? -1 : static_cast<int>(n); }

}  // namespace

const std::error_category& error_category() noexcept {
  static const category c;
  return c;
}

std::string txt_record::text() const {
  std::string out;
  for (auto& s : strings) out += s;
  return out;
}

std::vector<std::string> split_txt(std::string_view text) {
  std::vector<std::string> out;
  do {
    out.emplace_back(text.substr(0, 255));
    text.remove_prefix(std::min<std::size_t>(255, text.size()));
  } while (!text.empty());
  return out;
}

result<std::string> build_query(std::string_view name, record_type type, std::uint16_t id) {
  if (name.empty() || name.size() > 253) return std::errc::invalid_argument;
  std::string n(name);
  unsigned char* buf = nullptr;
  int len = 0;
  if (ares_create_query(n.c_str(), ns_c_in, static_cast<int>(type), id, 1, &buf, &len, 4096) != ARES_SUCCESS)
    return std::errc::invalid_argument;
  std::string q(reinterpret_cast<char*>(buf), static_cast<std::size_t>(len));
  ares_free_string(buf);
  return q;
}

result<void> check_header(std::span<const std::uint8_t> msg) {
  if (msg.size() < 12 || msg.size() > 65535) return error::malformed;
  if (!(msg[2] & 0x80)) return error::malformed;  // QR: not a response
  if (msg[2] & 0x02) return error::truncated;
  switch (msg[3] & 0x0f) {
    case 0: return {};
    case 2: return error::servfail;
    case 3: return error::nxdomain;
    case 5: return error::refused;
    default: return error::bad_rcode;
  }
}

result<std::vector<txt_record>> parse_txt(std::span<const std::uint8_t> msg) {
  if (auto h = check_header(msg); !h) return h.error();
  ares_txt_ext* list = nullptr;
  int status = ares_parse_txt_reply_ext(msg.data(), as_len(msg.size()), &list);
  if (status != ARES_SUCCESS) return from_ares(status);
  std::vector<txt_record> out;
  for (ares_txt_ext* t = list; t; t = t->next) {
    // c-ares yields one node per character-string; record_start marks each record's first.
    if (t->record_start || out.empty()) out.emplace_back();
    out.back().strings.emplace_back(reinterpret_cast<const char*>(t->txt), t->length);
  }
  ares_free_data(list);
  if (out.empty()) return error::nodata;
  return out;
}

result<std::vector<srv_record>> parse_srv(std::span<const std::uint8_t> msg) {
  if (auto h = check_header(msg); !h) return h.error();
  ares_srv_reply* list = nullptr;
  int status = ares_parse_srv_reply(msg.data(), as_len(msg.size()), &list);
  if (status != ARES_SUCCESS) return from_ares(status);
  std::vector<srv_record> out;
  for (ares_srv_reply* s = list; s; s = s->next) out.push_back({s->priority, s->weight, s->port, s->host});
  ares_free_data(list);
  if (out.empty()) return error::nodata;
  return out;
}

result<std::vector<std::string>> parse_ns(std::span<const std::uint8_t> msg) {
  if (auto h = check_header(msg); !h) return h.error();
  hostent* host = nullptr;
  int status = ares_parse_ns_reply(msg.data(), as_len(msg.size()), &host);
  if (status != ARES_SUCCESS) return from_ares(status);
  std::vector<std::string> out;
  for (char** a = host->h_aliases; a && *a; ++a) out.emplace_back(*a);
  ares_free_hostent(host);
  if (out.empty()) return error::nodata;
  return out;
}

result<std::vector<net::socket_address>> parse_addresses(std::span<const std::uint8_t> msg, record_type type) {
  if (auto h = check_header(msg); !h) return h.error();
  std::vector<net::socket_address> out;
  if (type == record_type::a) {
    ares_addrttl ttls[64];
    int n = 64;
    int status = ares_parse_a_reply(msg.data(), as_len(msg.size()), nullptr, ttls, &n);
    if (status != ARES_SUCCESS) return from_ares(status);
    for (int i = 0; i < n; ++i) {
      sockaddr_in sin{};
      sin.sin_family = AF_INET;
      sin.sin_addr = ttls[i].ipaddr;
      out.emplace_back(reinterpret_cast<sockaddr*>(&sin), sizeof sin);
    }
  } else if (type == record_type::aaaa) {
    ares_addr6ttl ttls[64];
    int n = 64;
    int status = ares_parse_aaaa_reply(msg.data(), as_len(msg.size()), nullptr, ttls, &n);
    if (status != ARES_SUCCESS) return from_ares(status);
    for (int i = 0; i < n; ++i) {
      sockaddr_in6 sin6{};
      sin6.sin6_family = AF_INET6;
      std::memcpy(&sin6.sin6_addr, &ttls[i].ip6addr, sizeof sin6.sin6_addr);
      out.emplace_back(reinterpret_cast<sockaddr*>(&sin6), sizeof sin6);
    }
  } else {
    return std::errc::invalid_argument;
  }
  if (out.empty()) return error::nodata;
  return out;
}

}  // namespace brood::dns
