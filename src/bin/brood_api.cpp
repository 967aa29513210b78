// brood-api: the scouts' HTTPS API as a program of its own (SPEC §2's standalone entry point,
// for the seed's three-container scout layout).
//
//   brood-api            serve on BROOD_API_PORT until SIGTERM/SIGINT
//   brood-api bootstrap  write a new brood's first records (_meta, every set header; with
//                        BROOD_API_ADDRESS also the scout's SRV, A/AAAA, _n and _k, making it a
//                        member); harmless to run again. Creates brood.key in the state
//                        directory if missing.
//
// Configuration (environment, checked at start; a bad value names its variable):
//   BROOD_DOMAIN (required)           BROOD_API_TOKEN (required to serve, 24 characters or more)
//   BROOD_STATE_DIR (/var/lib/brood)  node.key, brood.key, scout.json, tls.crt, tls.key live here
//   BROOD_API_PORT (8443)             BROOD_API_LISTEN (0.0.0.0)
//   BROOD_TLS_CERT, BROOD_TLS_KEY     (<state>/tls.crt, <state>/tls.key), reloaded when they change
//   BROOD_API_RATE (20), BROOD_API_BURST (100)  requests per second and burst per client
//                                     address (429 past them); a rate of 0 turns every limit off,
//                                     the registrations' too (benchmarks only)
//   BROOD_API_MAX_CONNECTIONS (4096), BROOD_API_MAX_CONNECTIONS_PER_CLIENT (256)  open at once,
//                                     in all and per client address (IPv6: per /64); below the
//                                     open-files limit, which brood-api raises to its hard limit
//   BROOD_API_REFRESH (10s)           how often the brood is read whole from the provider (the
//                                     most another scout's change takes to show in this one's reads)
//   BROOD_CLOCK_OFFSET (0s)           labs and tests only: moves this process's wall clock, as a
//                                     scout whose time is off would have it (e.g. 300s, -90s)
//   BROOD_PROVIDER (cloudflare | rfc2136)
//     cloudflare: BROOD_CF_TOKEN, BROOD_CF_ZONE_ID (required), BROOD_CF_API (Cloudflare's URL)
//     rfc2136:    BROOD_RFC2136_SERVER (ip:port, required), BROOD_RFC2136_ZONE (BROOD_DOMAIN),
//                 BROOD_TSIG_KEY (name:base64-secret, hmac-sha256, required)
//   bootstrap:    BROOD_ASN (required), BROOD_SUBNET (required, IPv4 CIDR),
//                 BROOD_KEEPALIVE (30s), BROOD_STALE_AFTER (90s), BROOD_API_ADDRESS (the
//                 scout's public IP; unset: the scout is not a member), BROOD_WG_PORT (51820)
#include <brood/api/api.hpp>
#include <brood/config/env.hpp>
#include <brood/dns/canonical_name.hpp>
#include <brood/crypto/box.hpp>
#include <brood/http/server.hpp>
#include <brood/provider/cloudflare.hpp>
#include <brood/provider/rfc2136.hpp>
#include <brood/records/meta.hpp>
#include <brood/rt/reactor.hpp>
#include <brood/rt/signal_set.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wall_clock.hpp>

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>

using namespace brood;

namespace {

struct settings {
  std::string domain, token, state_dir, listen, cert, key, provider;
  std::uint16_t port = 8443;
  std::string cf_token, cf_zone, cf_api;
  std::string rfc_server, rfc_zone, tsig;
  std::uint32_t asn = 0;
  std::string subnet;
  std::uint32_t keepalive = 30, stale = 90;
  std::int64_t rate = 20, burst = 100;
  std::size_t max_connections = 4096, max_connections_per_client = 256;
  std::chrono::milliseconds refresh{10'000};
  std::int64_t clock_offset_ms = 0;
  std::string address;
  std::uint16_t wg_port = 51820;
};

std::optional<settings> read_settings(bool bootstrap) {
  config::env e;
  settings s;
  s.domain = dns::canonical_name(e.required("BROOD_DOMAIN"));
  if (!bootstrap) s.token = e.required("BROOD_API_TOKEN");
  // The token is all that stands between the Internet and approving a node: no short ones
  // (online guessing is only rate-limited per client).
  if (!bootstrap && !s.token.empty() && s.token.size() < 24)
    e.fail("BROOD_API_TOKEN", "at least 24 characters (for example: head -c 24 /dev/urandom | base64)");
  s.state_dir = e.string("BROOD_STATE_DIR", "/var/lib/brood");
  s.port = static_cast<std::uint16_t>(e.integer("BROOD_API_PORT", 8443, 1, 65535));
  s.listen = e.string("BROOD_API_LISTEN", "0.0.0.0");
  s.cert = e.string("BROOD_TLS_CERT", s.state_dir + "/tls.crt");
  s.key = e.string("BROOD_TLS_KEY", s.state_dir + "/tls.key");
  s.rate = e.integer("BROOD_API_RATE", 20, 0, 1'000'000);
  s.burst = e.integer("BROOD_API_BURST", 100, 1, 1'000'000);
  s.max_connections = static_cast<std::size_t>(e.integer("BROOD_API_MAX_CONNECTIONS", 4096, 16, 1'000'000));
  s.max_connections_per_client =
      static_cast<std::size_t>(e.integer("BROOD_API_MAX_CONNECTIONS_PER_CLIENT", 256, 1, 1'000'000));
  s.refresh = e.duration("BROOD_API_REFRESH", std::chrono::seconds(10));
  if (s.refresh < std::chrono::seconds(1) || s.refresh > std::chrono::hours(1)) e.fail("BROOD_API_REFRESH", "1s to 1h");
  s.clock_offset_ms = e.offset("BROOD_CLOCK_OFFSET").count();
  s.provider = e.choice("BROOD_PROVIDER", "cloudflare", {"cloudflare", "rfc2136"});
  if (s.provider == "cloudflare") {
    s.cf_token = e.required("BROOD_CF_TOKEN");
    s.cf_zone = e.required("BROOD_CF_ZONE_ID");
    s.cf_api = e.string("BROOD_CF_API", "https://api.cloudflare.com/client/v4");
  } else {
    s.rfc_server = e.required("BROOD_RFC2136_SERVER");
    s.rfc_zone = e.string("BROOD_RFC2136_ZONE", s.domain);
    s.tsig = e.required("BROOD_TSIG_KEY");
    if (!s.rfc_server.empty() && !net::socket_address::parse(s.rfc_server))
      e.fail("BROOD_RFC2136_SERVER", "expected a numeric ip:port such as 127.0.0.1:53");
    if (!s.tsig.empty() && s.tsig.find(':') == std::string::npos)
      e.fail("BROOD_TSIG_KEY", "expected name:base64-secret");
  }
  if (bootstrap) {
    s.asn = static_cast<std::uint32_t>(e.integer("BROOD_ASN", 0, 1, 4294967294));
    s.subnet = e.required("BROOD_SUBNET");
    s.keepalive = static_cast<std::uint32_t>(e.duration("BROOD_KEEPALIVE", std::chrono::seconds(30)).count() / 1000);
    s.stale = static_cast<std::uint32_t>(e.duration("BROOD_STALE_AFTER", std::chrono::seconds(90)).count() / 1000);
    if (s.keepalive < records::min_keepalive || s.keepalive > records::max_keepalive)
      e.fail("BROOD_KEEPALIVE", "1s to 1h");
    if (s.stale < 2 * s.keepalive || s.stale > records::max_stale)
      e.fail("BROOD_STALE_AFTER", "at least twice BROOD_KEEPALIVE, at most 24h");
    if (std::getenv("BROOD_ASN") == nullptr) e.fail("BROOD_ASN", "must be set");
    s.address = e.string("BROOD_API_ADDRESS", "");
    if (!s.address.empty() && !net::socket_address::parse(s.address + ":1") &&
        !net::socket_address::parse("[" + s.address + "]:1"))
      e.fail("BROOD_API_ADDRESS", "expected an IPv4 or IPv6 address");
    s.wg_port = static_cast<std::uint16_t>(e.integer("BROOD_WG_PORT", 51820, 1, 65535));
  }
  if (!e.ok()) {
    std::fprintf(stderr, "brood-api: %s\n", e.error().c_str());
    return std::nullopt;
  }
  return s;
}

/// The provider the settings name (and, for Cloudflare, its client, which needs closing).
std::unique_ptr<provider::provider> make_provider(const settings& s, provider::cloudflare_provider** cf) {
  *cf = nullptr;
  if (s.provider == "cloudflare") {
    provider::cloudflare_options o;
    o.api = s.cf_api;
    o.token = s.cf_token;
    o.zone_id = s.cf_zone;
    auto p = provider::cloudflare_provider::make(o);
    if (!p) return nullptr;
    *cf = p->get();
    return std::move(*p);
  }
  provider::rfc2136_options o;
  o.server = *net::socket_address::parse(s.rfc_server);
  o.zone = s.rfc_zone;
  auto colon = s.tsig.rfind(':');
  auto secret = crypto::from_base64(s.tsig.substr(colon + 1));
  if (!secret) return nullptr;
  // Accept knsupdate's "hmac-sha256:name:secret" as well as "name:secret".
  std::string name = s.tsig.substr(0, colon);
  if (name.starts_with("hmac-sha256:")) name = name.substr(12);
  o.key = {name, *secret};
  return std::make_unique<provider::rfc2136_provider>(o);
}

rt::task<void> stop_on_signal(rt::signal_set* sigs, http::server* srv) {
  auto s = co_await sigs->next();
  if (s) srv->shutdown();
}

/// A renewed certificate reaches new connections within seconds; a half-written one is not
/// taken (the old one stays until the files load).
rt::task<void> follow_certificate(tls::server_credentials* creds, std::string cert) {
  std::string failing;
  for (;;) {
    auto slept = co_await rt::sleep_for(std::chrono::seconds(5));
    if (!slept) co_return;
    auto r = co_await creds->reload_if_changed();
    if (r && *r) std::fprintf(stderr, "brood-api: TLS certificate %s reloaded\n", cert.c_str());
    const std::string now_failing = r ? "" : r.error().message();
    if (!now_failing.empty() && now_failing != failing)
      std::fprintf(stderr, "brood-api: TLS certificate %s changed but does not load: %s (serving the old one)\n",
                   cert.c_str(), now_failing.c_str());
    failing = now_failing;
  }
}

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

/// Finishes any interrupted rotation, then listens (not before: a connection accepted is a
/// promise the API is ready) and serves until SIGTERM/SIGINT.
rt::task<int> serve(const settings& s, provider::provider& dns, const crypto::identity& id, const api::brood_key& key) {
  auto creds = tls::server_credentials::load({s.cert, s.key});
  if (!creds) {
    std::fprintf(stderr, "brood-api: TLS certificate %s: %s\n", s.cert.c_str(), creds.error().message().c_str());
    co_return 1;
  }
  api::api_options o{s.domain, s.token, s.state_dir};
  o.requests = {static_cast<double>(s.rate), s.rate == 0 ? 0.0 : static_cast<double>(s.burst)};
  if (s.rate == 0) o.registrations = o.registration_writes = {0, 0};
  o.refresh = s.refresh;
  if (s.clock_offset_ms != 0) {
    const auto offset = s.clock_offset_ms;
    o.clock = [offset] { return rt::unix_ms() + offset; };
  }
  api::api service(o, dns, id, key);
  std::string why;
  if (auto started = co_await service.start(&why); !started) {
    // Serving without the brood read, or with a rotation half done, would answer wrongly or
    // hand out the old key.
    std::fprintf(stderr, "brood-api: starting: %s: %s\n", started.error().message().c_str(), why.c_str());
    co_return 1;
  }
  auto addr = net::socket_address::parse(s.listen + ":" + std::to_string(s.port));
  auto l = addr ? net::listener::bind(*addr) : rt::result<net::listener>(addr.error());
  if (!l) {
    std::fprintf(stderr, "brood-api: listen on %s:%u: %s\n", s.listen.c_str(), s.port, l.error().message().c_str());
    co_return 1;
  }
  // The connection caps sit below the descriptor limit, with room for the provider's, DNS's and
  // the files' own: accept() failing with EMFILE would refuse everyone alike.
  http::server_options so;
  const auto fds = raise_file_limit();
  so.max_connections = std::min(s.max_connections, fds > 128 ? fds - 64 : fds / 2);
  so.max_connections_per_client = std::min(s.max_connections_per_client, so.max_connections);
  if (so.max_connections < s.max_connections)
    std::fprintf(stderr, "brood-api: at most %zu connections (the open-files limit is %zu)\n", so.max_connections, fds);
  http::server server(service.router(), so);
  rt::signal_set sigs{SIGTERM, SIGINT};
  const rt::cancel_token parent = co_await rt::current_token();
  rt::task_scope scope(parent);
  scope.spawn(stop_on_signal(&sigs, &server));
  scope.spawn(service.run());
  scope.spawn(follow_certificate(&*creds, s.cert));
  std::fprintf(stderr, "brood-api: %s serving %s on %s:%u (%s provider, process %s)\n", id.id10().c_str(),
               s.domain.c_str(), s.listen.c_str(), s.port, s.provider.c_str(), service.proc().c_str());
  co_await server.serve(*l, &*creds);
  scope.cancel();
  co_await scope.join();
  co_return 0;
}

rt::task<int> run(settings s, bool bootstrap) {
  ::mkdir(s.state_dir.c_str(), 0700);
  auto id = crypto::identity::load_or_create(s.state_dir + "/node.key");
  if (!id) {
    std::fprintf(stderr, "brood-api: %s/node.key: %s\n", s.state_dir.c_str(), id.error().message().c_str());
    co_return 1;
  }
  const std::string key_path = s.state_dir + "/brood.key";
  auto key = api::load_brood_key(key_path);
  if (!key && bootstrap && key.error() == std::errc::no_such_file_or_directory) {
    api::brood_key fresh{1, crypto::random_secret_key()};
    if (auto w = api::save_brood_key(key_path, fresh); !w) {
      std::fprintf(stderr, "brood-api: %s: %s\n", key_path.c_str(), w.error().message().c_str());
      co_return 1;
    }
    key = fresh;
  }
  if (!key) {
    std::fprintf(stderr, "brood-api: %s: %s%s\n", key_path.c_str(), key.error().message().c_str(),
                 bootstrap ? "" : " (a new brood starts with `brood-api bootstrap`)");
    co_return 1;
  }
  provider::cloudflare_provider* cf = nullptr;
  auto dns = make_provider(s, &cf);
  if (!dns) {
    std::fprintf(stderr, "brood-api: cannot set up the %s provider (check its variables)\n", s.provider.c_str());
    co_return 2;
  }
  int status = 0;
  if (bootstrap) {
    std::string why;
    const api::bootstrap_params params{s.asn, s.subnet, s.keepalive, s.stale, 16, s.address, s.port, s.wg_port};
    auto w = co_await api::bootstrap(*dns, records::names(s.domain), *id, *key, params, &why);
    if (w) {
      std::printf("bootstrapped %s: scout %s, %u records written\n", s.domain.c_str(), id->id10().c_str(), w->added);
    } else {
      std::fprintf(stderr, "brood-api: bootstrap: %s: %s\n", w.error().message().c_str(), why.c_str());
      status = 1;
    }
  } else {
    status = co_await serve(s, *dns, *id, *key);
  }
  if (cf) co_await cf->close();
  co_return status;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "serve";
  if (cmd != "serve" && cmd != "bootstrap") {
    std::fprintf(stderr, "usage: brood-api [serve | bootstrap]\n");
    return 2;
  }
  auto s = read_settings(cmd == "bootstrap");
  if (!s) return 2;
  rt::reactor r;
  return r.block_on(run(std::move(*s), cmd == "bootstrap"));
}
