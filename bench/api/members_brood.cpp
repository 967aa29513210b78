// brood-bench-api-brood: the brood bench/api/run measures GET /members against — knotd taking
// RFC 2136 updates, a brood bootstrapped into it, the real brood-api binary serving it over TLS,
// and N nodes registered and approved through that API (signed requests, the operator token).
// Prints "ready <port> <token> <ca file>" once the API answers with every node, then holds
// everything up until SIGTERM or SIGINT.
#include "support/api_request.hpp"
#include "support/dns_lab.hpp"

#include <brood/api/api.hpp>
#include <brood/api/brood_key.hpp>
#include <brood/json/value.hpp>
#include <brood/provider/rfc2136.hpp>
#include <brood/records/node.hpp>
#include <brood/rt/process.hpp>
#include <brood/rt/reactor.hpp>
#include <brood/rt/signal_set.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wall_clock.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

using namespace brood;

namespace {

const std::string secret(32, '\x5a');
const std::string token = "bench-operator-token-0123456789";

struct api_client {
  http::h2_client http;
  std::string authority;
  rt::task<http::response> send(std::string method, std::string path, std::string body, const crypto::identity* node) {
    auto r = test::api_request(std::move(method), std::move(path), std::move(body), node, node ? "" : token,
                               rt::unix_ms());
    auto resp = co_await http.request(authority, std::move(r), rt::io_options{rt::clock::now() + std::chrono::seconds(10)});
    co_return test::or_599(std::move(resp));
  }
};

std::string register_body(const crypto::identity& node, std::uint32_t i) {
  const records::names n("brood.test");
  records::pending_record p{node.pk(), "bench-" + std::to_string(i),
                            {"198.51.100." + std::to_string(1 + i % 250) + ":51820",
                             "[2001:db8:85a3::" + std::to_string(1000 + i) + "]:51820"},
                            rt::unix_ms()};
  const auto owner = n.pending_shard(records::shard_of(node.pk(), 16));
  return "{\"record\":\"" + records::encode(p, owner, node) + "\"}";
}

rt::task<int> run(const char* api_bin, std::uint32_t nodes) {
  test::dns_lab lab("", crypto::base64(crypto::bytes_of(secret)));
  const bool up_lab = co_await lab.start();
  if (!up_lab) {
    std::fprintf(stderr, "knotd did not start (package knot)\n");
    co_return 1;
  }
  char t[] = "/tmp/brood-bench-members-XXXXXX";
  const std::string state = ::mkdtemp(t);
  ::chmod(state.c_str(), 0700);
  auto scout = crypto::identity::load_or_create(state + "/node.key");
  const api::brood_key key{1, crypto::random_secret_key()};
  if (!scout || !api::save_brood_key(state + "/brood.key", key)) co_return 1;
  provider::rfc2136_options po;
  po.server = net::socket_address::ipv4_loopback(lab.knot_port);
  po.zone = "brood.test";
  po.key = {"brood-update", secret};
  provider::rfc2136_provider dns(po);
  std::string why;
  const api::bootstrap_params params{65077, "10.77.0.0/16"};
  auto boot = co_await api::bootstrap(dns, records::names("brood.test"), *scout, key, params, &why);
  if (!boot) {
    std::fprintf(stderr, "bootstrap: %s\n", why.c_str());
    co_return 1;
  }

  const auto port = test::free_port();
  rt::process_options o;
  o.in = o.out = o.err = rt::process_options::stdio::null;  // its access log, one line a request
  o.env = {"BROOD_DOMAIN=brood.test", "BROOD_API_TOKEN=" + token, "BROOD_STATE_DIR=" + state,
           "BROOD_API_PORT=" + std::to_string(port), "BROOD_API_LISTEN=127.0.0.1",
           "BROOD_TLS_CERT=" + lab.leaf.cert_file, "BROOD_TLS_KEY=" + lab.leaf.key_file, "BROOD_PROVIDER=rfc2136",
           "BROOD_RFC2136_SERVER=127.0.0.1:" + std::to_string(lab.knot_port),
           "BROOD_TSIG_KEY=brood-update:" + crypto::base64(crypto::bytes_of(secret)),
           // One client measures it: the per-client request limit would answer it 429.
           "BROOD_API_RATE=0"};
  const std::vector<std::string> argv{api_bin};
  auto api = rt::process::spawn(argv, o);
  if (!api) co_return 1;
  http::client_options co;
  tls::client_options tco;
  tco.ca_file = lab.pki.ca_file();
  co.tls = *tls::context::client(tco);
  api_client c{http::h2_client(co), "localhost:" + std::to_string(port)};
  bool up = false;
  for (int i = 0; i < 200 && !up; ++i) {
    auto r = co_await c.send("GET", "/healthz", "", nullptr);
    up = r.status == 200;
    if (!up) (void)co_await rt::sleep_for(std::chrono::milliseconds(50));
  }
  if (!up) {
    std::fprintf(stderr, "brood-api did not come up\n");
    co_return 1;
  }
  for (std::uint32_t i = 0; i < nodes; ++i) {
    const auto node = test::numbered(0x4d, i);
    auto r = co_await c.send("POST", "/register", register_body(node, i), &node);
    if (r.status == 202) r = co_await c.send("POST", "/approve/" + node.id10(), "", nullptr);
    if (r.status != 200) {
      std::fprintf(stderr, "node %u: %d %s\n", i, r.status, r.body.c_str());
      co_return 1;
    }
  }
  auto members = co_await c.send("GET", "/members", "", nullptr);
  auto list = json::parse(members.body);
  if (!list || !list->as_array() || list->as_array()->size() != nodes) {
    std::fprintf(stderr, "GET /members: %d %s\n", members.status, members.body.substr(0, 200).c_str());
    co_return 1;
  }
  co_await c.http.close();
  std::printf("ready %u %s %s\n", port, token.c_str(), lab.pki.ca_file().c_str());
  std::fflush(stdout);

  rt::signal_set sigs{SIGTERM, SIGINT};
  (void)co_await sigs.next();
  (void)api->kill(SIGTERM);
  (void)co_await api->wait();
  co_await lab.stop();
  std::filesystem::remove_all(state);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: brood-bench-api-brood BROOD_API_BINARY [NODES]\n");
    return 2;
  }
  const auto nodes = static_cast<std::uint32_t>(argc > 2 ? std::atoi(argv[2]) : 100);
  rt::reactor r;
  return r.block_on(run(argv[1], nodes));
}
