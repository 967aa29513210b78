// h2_client against real nghttpd (TLS and h2c): multiplexing on one connection, flow control
// on a 2 MiB body, the response cap, 404s, per-request deadlines, and reconnecting after the
// server went away.
#include "support/peer_process.hpp"
#include "support/rt_test.hpp"
#include "support/test_pki.hpp"

#include <brood/http/h2_client.hpp>
#include <brood/rt/task_scope.hpp>

#include <filesystem>
#include <fstream>
#include <random>

using namespace brood;
using namespace brood::rt;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(h2_client_suite)

struct docroot {
  std::string dir;
  std::string big;
  docroot() {
    char tmpl[] = "/tmp/brood-htdocs-XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::ofstream(dir + "/small.txt") << "hello brood\n";
    std::mt19937 rng(11);
    big.resize(2 << 20);
    for (auto& c : big) c = static_cast<char>(rng());
    std::ofstream(dir + "/big.bin", std::ios::binary) << big;
  }
  ~docroot() { std::filesystem::remove_all(dir); }
};

static http::request get(std::string path) {
  http::request r;
  r.path = std::move(path);
  return r;
}

static rt::task<void> fetch_small(http::h2_client* c, std::string authority, int* ok) {
  auto r = co_await c->request(authority, get("/small.txt"), io_options{clock::now() + 10s});
  if (r && r->status == 200 && r->body == "hello brood\n") ++*ok;
}

static rt::task<void> against_nghttpd(bool use_tls) {
  docroot docs;
  test::test_pki pki;
  auto leaf = pki.issue("nghttpd", {"DNS:localhost", "IP:127.0.0.1"});
  auto port = test::free_port();
  std::vector<std::string> argv{"nghttpd", "-a", "127.0.0.1", "-d", docs.dir};
  if (!use_tls) argv.push_back("--no-tls");
  argv.push_back(std::to_string(port));
  if (use_tls) {
    argv.push_back(leaf.key_file);
    argv.push_back(leaf.cert_file);
  }
  test::peer_process server;
  bool started = co_await server.start(argv, port);
  if (!started) BROOD_SKIP("nghttpd did not start (is nghttp2-server installed?)");

  http::client_options o;
  if (use_tls) {
    tls::client_options co;
    co.ca_file = pki.ca_file();
    auto ctx = tls::context::client(co);
    BOOST_REQUIRE(ctx.has_value());
    o.tls = *ctx;
  }
  http::h2_client client(o);
  const std::string authority = "localhost:" + std::to_string(port);

  // 100 concurrent requests, multiplexed on one connection.
  int ok = 0;
  task_scope s{no_parent};
  for (int i = 0; i < 100; ++i) s.spawn(fetch_small(&client, authority, &ok));
  co_await s.join();
  BOOST_TEST(ok == 100);
  BOOST_TEST(client.stats().connections_opened == 1u);

  // 2 MiB: well past the 64 KiB default window, so flow control has to work.
  auto big = co_await client.request(authority, get("/big.bin"), io_options{clock::now() + 10s});
  BOOST_REQUIRE(big.has_value());
  BOOST_TEST(big->status == 200);
  BOOST_TEST((big->body == docs.big));

  auto missing = co_await client.request(authority, get("/no-such-file"));
  BOOST_TEST((missing.has_value() && missing->status == 404));

  co_await client.close();
  co_await server.stop();
}

BROOD_RT_TEST(requests_to_nghttpd_over_tls) { co_await against_nghttpd(true); }
BROOD_RT_TEST(requests_to_nghttpd_over_h2c) { co_await against_nghttpd(false); }

BROOD_RT_TEST(the_response_cap_is_enforced) {
  docroot docs;
  auto port = test::free_port();
  test::peer_process server;
  std::vector<std::string> argv{"nghttpd", "-a", "127.0.0.1", "-d", docs.dir, "--no-tls", std::to_string(port)};
  bool started = co_await server.start(argv, port);
  if (!started) BROOD_SKIP("nghttpd did not start");
  http::client_options o;
  o.max_response_bytes = 1 << 20;
  http::h2_client client(o);
  const std::string authority = "127.0.0.1:" + std::to_string(port);
  auto big = co_await client.request(authority, get("/big.bin"));
  BOOST_TEST((big.error() == std::errc::message_size));
  auto small = co_await client.request(authority, get("/small.txt"));
  BOOST_TEST((small.has_value() && small->status == 200));
  co_await client.close();
  co_await server.stop();
}

BROOD_RT_TEST(a_new_connection_replaces_one_the_server_dropped) {
  docroot docs;
  auto port = test::free_port();
  std::vector<std::string> argv{"nghttpd", "-a", "127.0.0.1", "-d", docs.dir, "--no-tls", std::to_string(port)};
  test::peer_process server;
  bool started = co_await server.start(argv, port);
  if (!started) BROOD_SKIP("nghttpd did not start");
  http::client_options opts;
  http::h2_client client(opts);
  const std::string authority = "127.0.0.1:" + std::to_string(port);
  auto first = co_await client.request(authority, get("/small.txt"));
  BOOST_TEST((first.has_value() && first->status == 200));
  co_await server.stop();
  started = co_await server.start(argv, port);
  BOOST_REQUIRE(started);
  (void)co_await sleep_for(20ms);  // the old connection's end reaches our reader
  auto second = co_await client.request(authority, get("/small.txt"));
  BOOST_TEST((second.has_value() && second->status == 200));
  BOOST_TEST(client.stats().connections_opened == 2u);
  co_await client.close();
  co_await server.stop();
}

static rt::task<void> swallow(net::listener* l) {
  auto c = co_await l->accept();
  if (!c) co_return;
  std::byte b[4096];
  for (;;) {
    auto n = co_await c->recv(b);
    if (!n || *n == 0) co_return;
  }
}

BROOD_RT_TEST(a_request_to_a_silent_server_hits_its_deadline) {
  auto l = net::listener::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE(l.has_value());
  task_scope s{no_parent};
  s.spawn(swallow(&*l));
  http::client_options opts;
  http::h2_client client(opts);
  auto start = clock::now();
  auto r = co_await client.request("127.0.0.1:" + std::to_string(l->local_address()->port()), get("/"),
                                   io_options{clock::now() + 100ms});
  BOOST_TEST((r.error() == std::errc::timed_out));
  BOOST_TEST((clock::now() - start < 5s));
  co_await client.close();
  s.cancel();
  co_await s.join();
}

BOOST_AUTO_TEST_CASE(authorities_split_into_host_and_port) {
  auto a = http::split_authority("dns.example:443");
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->first == "dns.example");
  BOOST_TEST(a->second == 443);
  auto b = http::split_authority("[::1]:8443");
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(b->first == "::1");
  for (const char* bad : {"", "host", "host:", ":80", "host:0", "host:99999", "[::1]", "[::1]x80"})
    BOOST_TEST(!http::split_authority(bad).has_value(), bad);
}

BOOST_AUTO_TEST_SUITE_END()
