// A scout's API served: certificate, start-up, listener, server and the tasks beside it.
#include <brood/scout/scout.hpp>

#include <brood/api/scout_names.hpp>
#include <brood/net/socket_address.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wall_clock.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>

namespace brood::scout {

namespace {

/// Every connection is a file descriptor: the default soft limit (1024) would let a thousand
/// idle clients refuse everyone else before the server's own caps apply. Returns the limit now
/// in force.
std::size_t raise_file_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) (void)::getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20 : static_cast<std::size_t>(rl.rlim_cur);
}

std::function<std::int64_t()> clock_of(const settings& s) {
  if (s.clock_offset_ms == 0) return {};
  const auto offset = s.clock_offset_ms;
  return [offset] { return rt::unix_ms() + offset; };
}

api::api_options api_options_for(const settings& s, certificate_keeper* keeper, std::vector<crypto::public_key> pins) {
  api::api_options o{s.domain, s.token, s.state_dir};
  o.pins = std::move(pins);
  o.requests = {static_cast<double>(s.rate), s.rate == 0 ? 0.0 : static_cast<double>(s.burst)};
  if (s.rate == 0) o.registrations = o.registration_writes = {0, 0};
  o.refresh = s.refresh;
  o.clock = clock_of(s);
  if (keeper) {
    o.status_extra = [keeper](json::writer& w) { keeper->write_status(w.key("certificate")); };
    o.metrics_extra = [keeper](std::string& out) { keeper->write_metrics(out); };
  }
  return o;
}

}  // namespace

std::vector<std::string> certificate_names(const settings& s, const crypto::identity& id) {
  return {s.domain, id.id10() + "." + s.domain};
}

challenge_options challenge_options_for(const settings& s) {
  challenge_options o;
  o.servers = s.acme_dns_servers;
  o.zone = s.provider == "rfc2136" ? s.rfc_zone : s.domain;
  o.visible_within = s.acme_dns_wait;
  return o;
}

keeper_options keeper_options_for(const settings& s, const crypto::identity& id) {
  keeper_options o;
  o.names = certificate_names(s, id);
  o.cert_file = s.cert;
  o.key_file = s.key;
  o.account_file = s.state_dir + "/acme-account.key";
  o.retry_file = s.state_dir + "/acme.retry";
  o.acme.directory_url = s.acme_directory;
  o.acme.contact = s.acme_email;
  o.ca_file = s.ca_file;
  o.retry = s.acme_retry;
  o.clock = clock_of(s);
  return o;
}

service::service(const settings& s, provider::provider& dns, const crypto::identity& id, api::brood_key key,
                 std::vector<crypto::public_key> pins)
    : _s(s),
      _dns(dns),
      _id(id),
      _challenges(s.acme ? std::make_unique<challenge_publisher>(dns, challenge_options_for(s)) : nullptr),
      _keeper(s.acme ? std::make_unique<certificate_keeper>(keeper_options_for(s, id), *_challenges) : nullptr),
      _api(api_options_for(s, _keeper.get(), std::move(pins)), dns, id, std::move(key)) {}

service::~service() = default;

rt::task<rt::result<void>> service::start(std::string* why) {
  if (_keeper) {
    auto issued = co_await _keeper->ensure();
    if (!issued) {
      if (why) *why = "certificate: " + _keeper->status().last_error;
      co_return issued.error();
    }
  }
  auto creds = tls::server_credentials::load({_s.cert, _s.key});
  if (!creds) {
    if (why) *why = "TLS certificate " + _s.cert + ": " + creds.error().message();
    co_return creds.error();
  }
  _creds.emplace(std::move(*creds));
  // Serving without the brood read, or with a rotation half done, would answer wrongly or hand
  // out the old key.
  std::string api_why;
  if (auto started = co_await _api.start(&api_why); !started) {
    if (why) *why = "starting the API: " + started.error().message() + ": " + api_why;
    co_return started.error();
  }
  if (!_s.address.empty()) {
    // Where agents and operators find this scout (written at bootstrap for the first; a scout
    // approved later writes its own; a no-op when nothing moved).
    const records::names n(_s.domain);
    provider::provider::edit_fn fn = [&](const std::vector<provider::rrset>& current) {
      return brood::api::with_scout(current, n, _id.id10(), _s.address, _s.port);
    };
    std::string provider_why;
    auto sets = brood::api::scout_name_sets(n, _id.id10(), 60);
    auto w = co_await _dns.edit(std::move(sets), std::move(fn), &provider_why);
    if (!w) {
      if (why) *why = "announcing " + _id.id10() + "." + _s.domain + ": " + w.error().message() + ": " + provider_why;
      co_return w.error();
    }
  }
  // Listening only now: a connection accepted is a promise the API is ready.
  auto addr = net::socket_address::parse(_s.listen.find(':') != std::string::npos
                                             ? "[" + _s.listen + "]:" + std::to_string(_s.port)
                                             : _s.listen + ":" + std::to_string(_s.port));
  auto l = addr ? net::listener::bind(*addr) : rt::result<net::listener>(addr.error());
  if (!l) {
    if (why) *why = "listen on " + _s.listen + ":" + std::to_string(_s.port) + ": " + l.error().message();
    co_return l.error();
  }
  _listener.emplace(std::move(*l));
  // The connection caps sit below the descriptor limit, with room for the provider's, DNS's and
  // the files' own: accept() failing with EMFILE would refuse everyone alike.
  http::server_options so;
  const auto fds = raise_file_limit();
  so.max_connections = std::min(_s.max_connections, fds > 128 ? fds - 64 : fds / 2);
  so.max_connections_per_client = std::min(_s.max_connections_per_client, so.max_connections);
  if (so.max_connections < _s.max_connections)
    std::fprintf(stderr, "brood: the API takes at most %zu connections (the open-files limit is %zu)\n",
                 so.max_connections, fds);
  _server = std::make_unique<http::server>(_api.router(), so);
  co_return rt::result<void>{};
}

rt::task<void> service::reload() {
  auto r = co_await _creds->reload_if_changed();
  if (r && *r) std::fprintf(stderr, "brood: TLS certificate %s now served to new connections\n", _s.cert.c_str());
  const std::string failing = r ? "" : r.error().message();
  if (!failing.empty() && failing != _reload_error)
    std::fprintf(stderr, "brood: TLS certificate %s changed but does not load: %s (serving the old one)\n",
                 _s.cert.c_str(), failing.c_str());
  _reload_error = failing;
}

/// An operator's files: a renewed certificate reaches new connections within seconds; a
/// half-written one is not taken (the old one stays until the files load).
rt::task<void> service::follow_files() {
  for (;;) {
    auto slept = co_await rt::sleep_for(std::chrono::seconds(5));
    if (!slept) co_return;
    co_await reload();
  }
}

rt::task<void> service::serve() {
  const rt::cancel_token parent = co_await rt::current_token();
  rt::task_scope scope(parent);
  scope.spawn(_api.run());
  if (_keeper) {
    scope.spawn(_keeper->run([this]() { return reload(); }));
  } else {
    scope.spawn(follow_files());
  }
  std::fprintf(stderr, "brood: scout %s serving %s on %s:%u (process %s)\n", _id.id10().c_str(), _s.domain.c_str(),
               _s.listen.c_str(), _s.port, _api.proc().c_str());
  co_await _server->serve(*_listener, &*_creds);
  scope.cancel();
  co_await scope.join();
}

void service::stop() noexcept {
  if (_server) _server->shutdown();
}

}  // namespace brood::scout
