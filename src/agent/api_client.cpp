// Scout discovery (SRV + A/AAAA over DoH) and signed API requests with failover.
#include <brood/agent/api_client.hpp>

#include <brood/auth/request_signature.hpp>
#include <brood/dns/srv.hpp>
#include <brood/http/url.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wall_clock.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <random>

namespace brood::agent {

namespace {
constexpr std::int64_t scouts_reread_ms = 300'000;
}  // namespace

api_client::api_client(const config& c, const crypto::identity& id, dns::doh_client& doh,
                       std::shared_ptr<tls::context> tls)
    : _c(c), _id(id), _doh(doh), _n(c.domain), _http([&] {
        http::client_options o;
        o.tls = std::move(tls);
        o.connect_timeout = std::chrono::seconds(3);
        o.resolve = [this](std::string host, std::uint16_t port) { return resolve(std::move(host), port); };
        return o;
      }()) {}

rt::task<rt::result<net::socket_address>> api_client::resolve(std::string host, std::uint16_t port) {
  auto numeric = net::socket_address::parse(host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                                                                 : host + ":" + std::to_string(port));
  if (numeric) co_return *numeric;
  if (auto it = _addresses.find(host); it != _addresses.end()) {
    auto a = it->second;
    a.set_port(port);
    co_return a;
  }
  // The scout's own A (then AAAA) record, through DoH like everything else brood reads.
  for (auto type : {dns::record_type::a, dns::record_type::aaaa}) {
    auto answer = co_await _doh.query(host, type);
    if (!answer) continue;
    auto addrs = dns::parse_addresses(std::span(reinterpret_cast<const std::uint8_t*>(answer->data()), answer->size()),
                                      type);
    if (!addrs || addrs->empty()) continue;
    _addresses[host] = addrs->front();
    auto a = addrs->front();
    a.set_port(port);
    co_return a;
  }
  co_return std::errc::host_unreachable;
}

rt::task<std::vector<std::string>> api_client::authorities() {
  if (!_c.api_url.empty()) {
    auto u = http::parse_url(_c.api_url);
    if (!u) co_return std::vector<std::string>{};
    co_return std::vector<std::string>{u->authority};
  }
  const auto now = rt::unix_ms();
  if (_scouts.empty() || now - _scouts_read_ms > scouts_reread_ms) {
    auto srv = co_await _doh.srv(_n.scouts_srv());
    if (srv && !srv->empty()) {
      static thread_local std::mt19937 rng{std::random_device{}()};
      std::vector<std::string> fresh;
      for (auto& r : dns::order_srv(*srv, rng)) fresh.push_back(r.target + ":" + std::to_string(r.port));
      _scouts = std::move(fresh);
      _scouts_read_ms = now;
      _addresses.clear();  // re-read with the list: a scout may have moved
    }
    // On a failed read the scouts known before are kept: losing DNS loses nothing.
  }
  co_return _scouts;
}

void api_client::demote(const std::string& authority) {
  // A scout that failed goes to the back until DNS is read again: the next heartbeat or watch
  // goes straight to one that answers, not through another connect timeout first.
  auto at = std::find(_scouts.begin(), _scouts.end(), authority);
  if (at != _scouts.end()) std::rotate(at, at + 1, _scouts.end());
}

void api_client::note_clock(const http::response& r) {
  // A scout that refused a request for its time says what its clock reads.
  const auto theirs = r.header_value("x-brood-time");
  std::int64_t at = 0;
  auto [p, ec] = std::from_chars(theirs.data(), theirs.data() + theirs.size(), at);
  if (r.status == 401 && ec == std::errc() && p == theirs.data() + theirs.size() && at > 0)
    _clock_skew_ms = rt::unix_ms() - at;
  else if (r.status < 400)
    _clock_skew_ms = 0;
}

http::request api_client::signed_request(std::string method, std::string path, std::string body) const {
  http::request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  if (!r.body.empty()) r.headers.push_back({"content-type", "application/json"});
  auth::sign_request(r, _id, _c.domain, rt::unix_ms());
  return r;
}

rt::task<rt::result<http::response>> api_client::send(std::string method, std::string path, std::string body) {
  rt::result<http::response> last = std::errc::host_unreachable;
  std::vector<std::string> tried;
  // Every scout known failing, the SRV is read again at once and any scout it names that was
  // not tried is: a scout added since the last read takes over now, not at the next request.
  for (int round = 0; round < 2; ++round) {
    auto list = co_await authorities();
    for (auto& authority : list) {
      if (std::find(tried.begin(), tried.end(), authority) != tried.end()) continue;
      tried.push_back(authority);
      auto req = signed_request(method, path, body);
      const rt::io_options io{rt::clock::now() + std::chrono::seconds(10)};
      auto r = co_await _http.request(authority, std::move(req), io);
      if (r) note_clock(*r);
      // Refused (401, 403) or rationed (429) by this scout: another may know this node better
      // (approved there a moment ago) or have room; a scout's own trouble must not silence a node.
      if (r && r->status < 500 && r->status != 401 && r->status != 403 && r->status != 429) {
        _current = authority;
        co_return r;
      }
      // No answer in time, or the connection broke: its path may be dead (a changed address),
      // and TCP would take minutes to say so. That scout's connection is made afresh next time;
      // a scout that refused the connection has none to drop.
      if (!r && (r.error() == std::errc::timed_out || r.error() == std::errc::connection_reset ||
                 r.error() == std::errc::connection_aborted || r.error() == std::errc::broken_pipe))
        _http.reset(authority);
      demote(authority);
      last = std::move(r);
    }
    if (list.empty()) break;
    _scouts_read_ms = 0;  // every scout failed: ask DNS again
  }
  co_return last;
}

rt::task<rt::result<std::unique_ptr<http::response_stream>>> api_client::watch() {
  rt::result<std::unique_ptr<http::response_stream>> last = std::errc::host_unreachable;
  std::vector<std::string> tried;
  for (int round = 0; round < 2; ++round) {  // as send(): the SRV read again once all failed
    auto list = co_await authorities();
    for (auto& authority : list) {
      if (std::find(tried.begin(), tried.end(), authority) != tried.end()) continue;
      tried.push_back(authority);
      auto req = signed_request("GET", "/watch", "");
      const rt::io_options io{rt::clock::now() + std::chrono::seconds(10)};
      auto s = co_await _http.open(authority, std::move(req), io);
      if (s && (*s)->status() == 200) {
        _current = authority;
        co_return s;
      }
      demote(authority);
      last = s ? rt::result<std::unique_ptr<http::response_stream>>(std::errc::connection_refused) : std::move(s);
    }
    if (list.empty()) break;
    _scouts_read_ms = 0;
  }
  co_return last;
}

}  // namespace brood::agent
