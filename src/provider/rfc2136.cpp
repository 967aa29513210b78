// The RFC 2136 provider: reads over TCP from the primary, one TSIG-signed UPDATE per edit.
#include <brood/dns/message.hpp>
#include <brood/net/socket.hpp>
#include <brood/provider/rfc2136.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>

namespace brood::provider {

namespace {

struct held_record {
  std::string value;
  std::string rdata;  // exactly as the server holds it, for prerequisites and deletions
};

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }
std::span<const std::uint8_t> ubytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// One DNS message over TCP: a two-byte length, then the message, each way.
rt::task<result<std::string>> exchange(net::stream& s, std::string msg, rt::io_options o) {
  if (msg.size() > 65535) co_return std::errc::message_size;
  std::string framed{static_cast<char>(msg.size() >> 8), static_cast<char>(msg.size() & 0xff)};
  framed += msg;
  auto w = co_await s.send_all(bytes(framed), o);
  if (!w) co_return w.error();
  std::array<std::byte, 2> len{};
  auto r = co_await s.recv_exact(len, o);
  if (!r) co_return r.error();
  std::string body((static_cast<std::size_t>(len[0]) << 8) | static_cast<std::size_t>(len[1]), '\0');
  auto b = co_await s.recv_exact(std::as_writable_bytes(std::span(body.data(), body.size())), o);
  if (!b) co_return b.error();
  co_return body;
}

std::string address_text(const net::socket_address& a) {
  auto s = a.to_string();  // "1.2.3.4:0" or "[::1]:0"
  s.resize(s.rfind(':'));
  if (!s.empty() && s.front() == '[') s = s.substr(1, s.size() - 2);
  return s;
}

/// RDATA for a value of `type` as brood writes it.
result<std::string> rdata_of(rr_type type, const std::string& value) {
  switch (type) {
    case rr_type::txt: return dns::txt_rdata(value);
    case rr_type::a: return dns::address_rdata(value, dns::record_type::a);
    case rr_type::aaaa: return dns::address_rdata(value, dns::record_type::aaaa);
    case rr_type::srv: {
      std::uint16_t f[3]{};
      std::string_view rest = value;
      for (auto& x : f) {
        auto sp = rest.find(' ');
        auto [p, ec] = std::from_chars(rest.data(), rest.data() + std::min(sp, rest.size()), x);
        if (ec != std::errc() || sp == std::string_view::npos || p != rest.data() + sp)
          return std::errc::invalid_argument;
        rest.remove_prefix(sp + 1);
      }
      return dns::srv_rdata(f[0], f[1], f[2], rest);
    }
  }
  return std::errc::invalid_argument;
}

/// The records of (name, type) from the primary's answer.
result<std::vector<held_record>> parse_held(const std::string& answer, rr_type type) {
  const auto m = ubytes(answer);
  std::vector<held_record> out;
  auto absent = [](std::error_code e) { return e == dns::error::nxdomain || e == dns::error::nodata; };
  if (type == rr_type::txt) {
    auto t = dns::parse_txt(m);
    if (!t) return absent(t.error()) ? result<std::vector<held_record>>(out) : t.error();
    for (auto& r : *t) {
      std::string rdata;
      for (auto& s : r.strings) rdata += static_cast<char>(s.size()) + s;
      out.push_back({r.text(), std::move(rdata)});
    }
  } else if (type == rr_type::srv) {
    auto t = dns::parse_srv(m);
    if (!t) return absent(t.error()) ? result<std::vector<held_record>>(out) : t.error();
    for (auto& r : *t) {
      auto target = r.target;
      if (!target.empty() && target.back() == '.') target.pop_back();
      auto value = std::to_string(r.priority) + " " + std::to_string(r.weight) + " " + std::to_string(r.port) + " " +
                   target;
      auto rdata = dns::srv_rdata(r.priority, r.weight, r.port, target);
      if (!rdata) return rdata.error();
      out.push_back({std::move(value), std::move(*rdata)});
    }
  } else {
    auto dt = type == rr_type::a ? dns::record_type::a : dns::record_type::aaaa;
    auto t = dns::parse_addresses(m, dt);
    if (!t) return absent(t.error()) ? result<std::vector<held_record>>(out) : t.error();
    for (auto& a : *t) {
      auto value = address_text(a);
      out.push_back({value, *dns::address_rdata(value, dt)});
    }
  }
  return out;
}

std::string rcode_name(unsigned rc) {
  static constexpr const char* names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                          "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"};
  return rc < std::size(names) ? names[rc] : "RCODE " + std::to_string(rc);
}

bool inside(std::string_view name, std::string_view zone) {
  return name == zone || (name.size() > zone.size() && name.ends_with(zone) && name[name.size() - zone.size() - 1] == '.');
}

}  // namespace

rt::task<result<std::vector<std::string>>> rfc2136_provider::get(std::string name, rr_type type, std::string* why) {
  rt::io_options o;
  o.deadline = rt::clock::now() + _o.timeout;
  auto s = co_await net::stream::connect(_o.server, o);
  if (!s) {
    say(why, "connect to " + _o.server.to_string() + ": " + s.error().message());
    co_return error::unavailable;
  }
  auto q = dns::build_query(name, static_cast<dns::record_type>(type), _next_id++);
  if (!q) co_return q.error();
  auto answer = co_await exchange(*s, std::move(*q), o);
  if (!answer) {
    say(why, "query " + name + ": " + answer.error().message());
    co_return error::unavailable;
  }
  auto held = parse_held(*answer, type);
  if (!held) {
    say(why, "answer for " + name + ": " + held.error().message());
    co_return error::bad_response;
  }
  std::vector<std::string> values;
  for (auto& h : *held) values.push_back(std::move(h.value));
  co_return values;
}

rt::task<result<std::vector<held_set>>> rfc2136_provider::read_held(const std::vector<rrset>& sets,
                                                                     rt::clock::time_point deadline,
                                                                     write_stats& stats, std::string* why) {
  for (auto& set : sets)
    if (!inside(set.name, _o.zone)) {
      say(why, set.name + " is outside the zone " + _o.zone);
      co_return error::rejected;
    }
  const rt::io_options o{deadline};
  auto s = co_await net::stream::connect(_o.server, o);
  if (!s) {
    say(why, "connect to " + _o.server.to_string() + ": " + s.error().message());
    co_return error::unavailable;
  }
  // Every set as the primary holds it now, over one connection.
  std::vector<held_set> out;
  for (auto& set : sets) {
    auto q = dns::build_query(set.name, static_cast<dns::record_type>(set.type), _next_id++);
    if (!q) {
      say(why, "bad name " + set.name);
      co_return error::rejected;
    }
    auto answer = co_await exchange(*s, std::move(*q), o);
    ++stats.calls;
    if (!answer) {
      say(why, "query " + set.name + ": " + answer.error().message());
      co_return error::unavailable;
    }
    auto h = parse_held(*answer, set.type);
    if (!h) {
      say(why, "answer for " + set.name + ": " + h.error().message());
      co_return error::bad_response;
    }
    held_set hs{set, {}};
    hs.set.values.clear();
    for (auto& r : *h) {
      hs.set.values.push_back(r.value);
      hs.held.push_back({std::move(r.value), std::move(r.rdata)});
    }
    out.push_back(std::move(hs));
  }
  co_return out;
}

rt::task<result<void>> rfc2136_provider::write(const std::vector<set_change>& changes, rt::clock::time_point deadline,
                                               write_stats& stats, std::string* why) {
  // One UPDATE, applied by the server atomically, whose prerequisites are the changed sets as
  // they were read: a change made meanwhile fails it (YXRRSET/NXRRSET) instead of being lost.
  dns::update_message u;
  u.zone = _o.zone;
  for (auto& c : changes) {
    if (!inside(c.want->name, _o.zone)) {
      say(why, c.want->name + " is outside the zone " + _o.zone);
      co_return error::rejected;
    }
    const auto dt = static_cast<dns::record_type>(c.want->type);
    if (c.have->held.empty()) u.absent.emplace_back(c.want->name, dt);
    for (auto& h : c.have->held) u.exact.push_back({c.want->name, dt, 0, h.native});
    for (auto* h : c.remove) u.deletes.push_back({c.want->name, dt, 0, h->native});
    for (auto& v : c.add) {
      auto rdata = rdata_of(c.want->type, v);
      if (!rdata) {
        say(why, "not a valid value for " + c.want->name + ": " + v.substr(0, 80));
        co_return error::rejected;
      }
      u.adds.push_back({c.want->name, dt, c.want->ttl, std::move(*rdata)});
    }
  }
  auto msg = dns::build_update(u, _next_id++);
  if (!msg) {
    say(why, "update too large: " + msg.error().message());
    co_return error::rejected;
  }
  const auto now = static_cast<std::uint64_t>(::time(nullptr));
  auto mac = dns::tsig_sign(*msg, _o.key, now);
  if (!mac) {
    say(why, "TSIG key " + _o.key.name + " is not usable");
    co_return error::auth;
  }
  const rt::io_options o{deadline};
  auto s = co_await net::stream::connect(_o.server, o);
  if (!s) {
    say(why, "connect to " + _o.server.to_string() + ": " + s.error().message());
    co_return error::unavailable;
  }
  auto reply = co_await exchange(*s, std::move(*msg), o);
  ++stats.calls;
  if (!reply) {
    say(why, "update: " + reply.error().message());
    co_return error::unavailable;
  }
  auto rc = dns::response_code(ubytes(*reply));
  if (!rc) {
    say(why, "update: malformed answer");
    co_return error::bad_response;
  }
  auto signature = dns::tsig_verify(ubytes(*reply), _o.key, *mac, static_cast<std::uint64_t>(::time(nullptr)));
  if (*rc == 9 || *rc == 5 || (!signature && signature.error() != dns::tsig_error::missing)) {
    say(why, "update " + rcode_name(*rc) + (signature ? "" : " (" + signature.error().message() + ")"));
    co_return error::auth;
  }
  if (!signature) {  // an unsigned answer to a signed update: not from the server we trust
    say(why, "update " + rcode_name(*rc) + ", answer not signed");
    co_return error::auth;
  }
  if (*rc == 0) co_return rt::result<void>{};
  if (*rc == 7 || *rc == 8) co_return error::conflict;  // YXRRSET / NXRRSET: a set changed since we read it
  say(why, "update refused: " + rcode_name(*rc));
  co_return error::rejected;
}

}  // namespace brood::provider
