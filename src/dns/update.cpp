// DNS UPDATE messages and TSIG in wire format (RFC 2136, RFC 8945).
#include <brood/dns/update.hpp>

#include <arpa/inet.h>
#include <sodium.h>

#include <cstring>

namespace brood::dns {

namespace {

constexpr std::uint16_t class_in = 1, class_none = 254, class_any = 255;
constexpr std::uint16_t type_soa = 6, type_tsig = 250;
constexpr std::uint16_t fudge = 300;
constexpr std::string_view algorithm = "hmac-sha256";

void put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}
void put32(std::string& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}
void put48(std::string& out, std::uint64_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 32));
  put32(out, static_cast<std::uint32_t>(v));
}
std::uint16_t get16(std::span<const std::uint8_t> m, std::size_t at) {
  return static_cast<std::uint16_t>((m[at] << 8) | m[at + 1]);
}

/// An RR with an explicit class (prerequisites and deletions use NONE and ANY).
result<void> put_rr(std::string& out, std::string_view name, std::uint16_t type, std::uint16_t cls,
                    std::uint32_t ttl, std::string_view rdata) {
  auto n = wire_name(name);
  if (!n) return n.error();
  if (rdata.size() > 65535) return std::errc::message_size;
  out += *n;
  put16(out, type);
  put16(out, cls);
  put32(out, ttl);
  put16(out, static_cast<std::uint16_t>(rdata.size()));
  out += rdata;
  return {};
}

/// Skips a possibly compressed name starting at `at`; false if it runs off the message.
bool skip_name(std::span<const std::uint8_t> m, std::size_t& at) {
  for (int labels = 0; labels < 128; ++labels) {
    if (at >= m.size()) return false;
    std::uint8_t len = m[at];
    if ((len & 0xc0) == 0xc0) {
      at += 2;
      return at <= m.size();
    }
    if (len & 0xc0) return false;  // the reserved label types
    at += 1 + len;
    if (len == 0) return at <= m.size();
  }
  return false;
}

/// Reads an uncompressed name at `at` into dotted lower-case text (TSIG names are never
/// compressed, RFC 8945 §4.2).
bool read_name(std::span<const std::uint8_t> m, std::size_t& at, std::string& out) {
  out.clear();
  for (int labels = 0; labels < 128; ++labels) {
    if (at >= m.size()) return false;
    std::uint8_t len = m[at++];
    if (len == 0) return true;
    if (len > 63 || at + len > m.size()) return false;
    if (!out.empty()) out += '.';
    for (std::size_t i = 0; i < len; ++i) {
      char c = static_cast<char>(m[at + i]);
      out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    at += len;
  }
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// The TSIG variables that follow the message in the MAC's input (RFC 8945 §4.3.3).
std::string tsig_variables(const tsig_key& key, std::uint64_t time_signed, std::uint16_t fudge_s,
                           std::uint16_t error, std::string_view other) {
  std::string v = *wire_name(lower(key.name), true);
  put16(v, class_any);
  put32(v, 0);
  v += *wire_name(algorithm, true);
  put48(v, time_signed);
  put16(v, fudge_s);
  put16(v, error);
  put16(v, static_cast<std::uint16_t>(other.size()));
  v += other;
  return v;
}

std::string hmac(const tsig_key& key, std::initializer_list<std::string_view> parts) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.secret.data()), key.secret.size());
  for (auto p : parts) crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(p.data()), p.size());
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(mac.data()));
  return mac;
}

class tsig_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tsig"; }
  std::string message(int v) const override {
    switch (static_cast<tsig_error>(v)) {
      case tsig_error::missing: return "response not signed (no TSIG)";
      case tsig_error::bad_key: return "TSIG key or algorithm not recognised (BADKEY)";
      case tsig_error::bad_sig: return "TSIG signature does not verify (BADSIG)";
      case tsig_error::bad_time: return "TSIG time outside the allowed window (BADTIME)";
    }
    return "tsig error";
  }
};

}  // namespace

const std::error_category& tsig_category() noexcept {
  static const tsig_category_impl c;
  return c;
}

result<std::string> wire_name(std::string_view name, bool canonical) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out;
  while (!name.empty()) {
    auto dot = name.find('.');
    auto label = name.substr(0, dot);
    if (label.empty() || label.size() > 63) return std::errc::invalid_argument;
    out += static_cast<char>(label.size());
    out += canonical ? lower(label) : std::string(label);
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  out += '\0';
  if (out.size() > 255) return std::errc::invalid_argument;
  return out;
}

std::string txt_rdata(std::string_view text) {
  std::string out;
  for (auto& s : split_txt(text)) {
    out += static_cast<char>(s.size());
    out += s;
  }
  return out;
}

result<std::string> srv_rdata(std::uint16_t priority, std::uint16_t weight, std::uint16_t port,
                              std::string_view target) {
  auto n = wire_name(target);
  if (!n) return n.error();
  std::string out;
  put16(out, priority);
  put16(out, weight);
  put16(out, port);
  return out + *n;
}

result<std::string> address_rdata(std::string_view ip, record_type type) {
  std::string text(ip);
  std::string out(type == record_type::a ? 4 : 16, '\0');
  if ((type != record_type::a && type != record_type::aaaa) ||
      inet_pton(type == record_type::a ? AF_INET : AF_INET6, text.c_str(), out.data()) != 1)
    return std::errc::invalid_argument;
  return out;
}

result<std::string> build_update(const update_message& u, std::uint16_t id) {
  std::string out;
  put16(out, id);
  put16(out, 5 << 11);  // opcode UPDATE
  auto prereqs = u.exact.size() + u.absent.size(), updates = u.deletes.size() + u.adds.size();
  if (prereqs > 65535 || updates > 65535) return std::errc::message_size;
  put16(out, 1);  // ZOCOUNT
  put16(out, static_cast<std::uint16_t>(prereqs));
  put16(out, static_cast<std::uint16_t>(updates));
  put16(out, 0);  // ADCOUNT (TSIG is added by tsig_sign)
  auto zone = wire_name(u.zone);
  if (!zone) return zone.error();
  out += *zone;
  put16(out, type_soa);
  put16(out, class_in);
  for (auto& r : u.exact)
    if (auto e = put_rr(out, r.name, static_cast<std::uint16_t>(r.type), class_in, 0, r.rdata); !e) return e.error();
  for (auto& [name, type] : u.absent)
    if (auto e = put_rr(out, name, static_cast<std::uint16_t>(type), class_none, 0, {}); !e) return e.error();
  for (auto& r : u.deletes)
    if (auto e = put_rr(out, r.name, static_cast<std::uint16_t>(r.type), class_none, 0, r.rdata); !e) return e.error();
  for (auto& r : u.adds)
    if (auto e = put_rr(out, r.name, static_cast<std::uint16_t>(r.type), class_in, r.ttl, r.rdata); !e) return e.error();
  if (out.size() > 65535) return std::errc::message_size;
  return out;
}

result<std::string> tsig_sign(std::string& msg, const tsig_key& key, std::uint64_t now_s) {
  if (msg.size() < 12) return std::errc::invalid_argument;
  auto key_name = wire_name(lower(key.name), true);
  if (!key_name || key.secret.empty()) return std::errc::invalid_argument;
  const std::string mac = hmac(key, {msg, tsig_variables(key, now_s, fudge, 0, {})});
  std::string rdata = *wire_name(algorithm, true);
  put48(rdata, now_s);
  put16(rdata, fudge);
  put16(rdata, static_cast<std::uint16_t>(mac.size()));
  rdata += mac;
  rdata += msg.substr(0, 2);  // original id
  put16(rdata, 0);            // error
  put16(rdata, 0);            // other len
  std::string rr = *key_name;
  put16(rr, type_tsig);
  put16(rr, class_any);
  put32(rr, 0);
  put16(rr, static_cast<std::uint16_t>(rdata.size()));
  rr += rdata;
  auto arcount = static_cast<std::uint16_t>(((static_cast<std::uint8_t>(msg[10]) << 8) | static_cast<std::uint8_t>(msg[11])) + 1);
  msg[10] = static_cast<char>(arcount >> 8);
  msg[11] = static_cast<char>(arcount & 0xff);
  msg += rr;
  return mac;
}

result<void> tsig_verify(std::span<const std::uint8_t> m, const tsig_key& key, std::string_view request_mac,
                         std::uint64_t now_s) {
  if (m.size() < 12) return error::malformed;
  const unsigned counts[4] = {get16(m, 4), get16(m, 6), get16(m, 8), get16(m, 10)};
  if (counts[3] == 0) return tsig_error::missing;
  std::size_t at = 12;
  for (unsigned i = 0; i < counts[0]; ++i) {  // question / zone section
    if (!skip_name(m, at) || at + 4 > m.size()) return error::malformed;
    at += 4;
  }
  const unsigned rrs = counts[1] + counts[2] + counts[3] - 1;  // every RR before the TSIG
  for (unsigned i = 0; i < rrs; ++i) {
    if (!skip_name(m, at) || at + 10 > m.size()) return error::malformed;
    at += 10 + get16(m, at + 8);
    if (at > m.size()) return error::malformed;
  }
  const std::size_t tsig_start = at;
  std::string name, alg;
  if (!read_name(m, at, name) || at + 10 > m.size()) return error::malformed;
  if (get16(m, at) != type_tsig || get16(m, at + 2) != class_any) return tsig_error::missing;
  const std::size_t rdlen = get16(m, at + 8);
  at += 10;
  const std::size_t end = at + rdlen;
  if (end != m.size()) return error::malformed;  // the TSIG record is the last thing
  if (!read_name(m, at, alg) || at + 10 > end) return error::malformed;
  std::uint64_t time_signed = 0;
  for (int i = 0; i < 6; ++i) time_signed = (time_signed << 8) | m[at + i];
  const std::uint16_t fudge_s = get16(m, at + 6), mac_size = get16(m, at + 8);
  at += 10;
  if (at + mac_size + 6 > end) return error::malformed;
  const std::string mac(reinterpret_cast<const char*>(m.data() + at), mac_size);
  at += mac_size;
  const std::uint16_t original_id = get16(m, at), err = get16(m, at + 2), other_len = get16(m, at + 4);
  at += 6;
  if (at + other_len != end) return error::malformed;
  const std::string_view other(reinterpret_cast<const char*>(m.data() + at), other_len);

  if (name != lower(key.name) || alg != algorithm) return tsig_error::bad_key;
  if (err == 17) return tsig_error::bad_key;
  if (err == 16) return tsig_error::bad_sig;
  if (err == 18) return tsig_error::bad_time;
  if (err != 0) return tsig_error::bad_sig;
  // The MAC covers the request's MAC, then the response as it was before the TSIG record was
  // added: the original id and one fewer additional record.
  std::string before(reinterpret_cast<const char*>(m.data()), tsig_start);
  before[0] = static_cast<char>(original_id >> 8);
  before[1] = static_cast<char>(original_id & 0xff);
  const auto arcount = static_cast<std::uint16_t>(counts[3] - 1);
  before[10] = static_cast<char>(arcount >> 8);
  before[11] = static_cast<char>(arcount & 0xff);
  std::string prefix;
  put16(prefix, static_cast<std::uint16_t>(request_mac.size()));
  prefix += request_mac;
  const std::string expect = hmac(key, {prefix, before, tsig_variables(key, time_signed, fudge_s, err, other)});
  if (mac.size() != expect.size() || sodium_memcmp(mac.data(), expect.data(), mac.size()) != 0)
    return tsig_error::bad_sig;
  const std::uint64_t skew = now_s > time_signed ? now_s - time_signed : time_signed - now_s;
  if (skew > fudge_s) return tsig_error::bad_time;
  return {};
}

result<unsigned> response_code(std::span<const std::uint8_t> msg) {
  if (msg.size() < 12 || !(msg[2] & 0x80)) return error::malformed;
  return static_cast<unsigned>(msg[3] & 0x0f);
}

}  // namespace brood::dns
