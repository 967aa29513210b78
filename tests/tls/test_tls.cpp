// TLS over loopback: our client and server against each other and against openssl s_server;
// verification failures (name, CA, expiry), handshake deadlines, certificate hot reload.
#include "support/rt_test.hpp"
#include "support/test_pki.hpp"

#include <brood/net/listener.hpp>
#include <brood/rt/process.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>
#include <brood/tls/tls_stream.hpp>

#include <openssl/x509.h>

#include <csignal>
#include <random>
#include <string>
#include <vector>

using namespace brood;
using namespace brood::rt;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(tls_suite)

struct server_setup {
  test::test_pki pki;
  test::test_pki::leaf leaf = pki.issue("server", {"DNS:localhost", "IP:127.0.0.1"});
};

static rt::task<void> echo_tls(net::listener* l, std::shared_ptr<tls::context> ctx, int connections) {
  for (int i = 0; i < connections; ++i) {
    auto c = co_await l->accept();
    if (!c) co_return;
    auto t = co_await tls::stream::accept(std::move(*c), ctx, io_options{clock::now() + 5s});
    if (!t) continue;  // a client that failed verification hangs up mid-handshake
    std::vector<std::byte> buf(65536);
    for (;;) {
      auto n = co_await t->read(buf);
      if (!n || *n == 0) break;
      auto w = co_await t->write_all(std::span(buf.data(), *n));
      if (!w) break;
    }
  }
}

static rt::task<void> client_round_trip(net::socket_address to, std::shared_ptr<tls::context> ctx, std::string name,
                                        bool* ok, std::string* version, std::string* alpn) {
  auto s = co_await net::stream::connect(to);
  BOOST_REQUIRE(s.has_value());
  auto t = co_await tls::stream::connect(std::move(*s), ctx, name, io_options{clock::now() + 5s});
  BOOST_REQUIRE_MESSAGE(t.has_value(), t.error().message());
  *version = t->version();
  *alpn = t->alpn();
  std::vector<std::byte> out(1 << 20);
  std::mt19937 rng(3);
  for (auto& b : out) b = static_cast<std::byte>(rng());
  auto w = co_await t->write_all(out);
  BOOST_REQUIRE(w.has_value());
  std::vector<std::byte> back;
  std::vector<std::byte> buf(65536);
  while (back.size() < out.size()) {
    auto n = co_await t->read(buf);
    BOOST_REQUIRE(n.has_value());
    BOOST_REQUIRE(*n > 0u);
    back.insert(back.end(), buf.begin(), buf.begin() + static_cast<long>(*n));
  }
  *ok = back == out;
  auto sd = co_await t->shutdown();
  BOOST_TEST(sd.has_value());
}

static rt::task<void> round_trip_case(bool tls12) {
  server_setup s;
  tls::server_options so{s.leaf.cert_file, s.leaf.key_file};
  auto srv = tls::context::server(so);
  BOOST_REQUIRE(srv.has_value());
  tls::client_options co;
  co.ca_file = s.pki.ca_file();
  co.tls12_only = tls12;
  auto cli = tls::context::client(co);
  BOOST_REQUIRE(cli.has_value());
  auto l = net::listener::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE(l.has_value());
  task_scope scope{no_parent};
  scope.spawn(echo_tls(&*l, *srv, 2));
  for (const char* name : {"localhost", "127.0.0.1"}) {
    bool ok = false;
    std::string version, alpn;
    co_await client_round_trip(*l->local_address(), *cli, name, &ok, &version, &alpn);
    BOOST_TEST(ok);
    BOOST_TEST(version == (tls12 ? "TLSv1.2" : "TLSv1.3"));
    BOOST_TEST(alpn == "h2");
  }
  co_await scope.join();
}

BROOD_RT_TEST(a_megabyte_round_trips_over_tls13) { co_await round_trip_case(false); }
BROOD_RT_TEST(a_megabyte_round_trips_over_tls12) { co_await round_trip_case(true); }

/// Connects with `client`; returns the handshake's error.
static rt::task<std::error_code> failing_handshake(tls::server_options so, tls::client_options co, std::string name) {
  auto srv = tls::context::server(so);
  BOOST_REQUIRE(srv.has_value());
  auto cli = tls::context::client(co);
  BOOST_REQUIRE(cli.has_value());
  auto l = net::listener::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE(l.has_value());
  task_scope scope{no_parent};
  scope.spawn(echo_tls(&*l, *srv, 1));
  auto s = co_await net::stream::connect(*l->local_address());
  BOOST_REQUIRE(s.has_value());
  auto t = co_await tls::stream::connect(std::move(*s), *cli, name, io_options{clock::now() + 5s});
  std::error_code ec = t.error();
  t = std::errc::io_error;  // drop the connection so the server side ends
  co_await scope.join();
  co_return ec;
}

BROOD_RT_TEST(a_wrong_hostname_is_refused) {
  server_setup s;
  tls::client_options co;
  co.ca_file = s.pki.ca_file();
  tls::server_options so{s.leaf.cert_file, s.leaf.key_file};
  auto ec = co_await failing_handshake(so, co, "scout.example");
  BOOST_TEST_INFO(ec.message());
  BOOST_TEST((ec.category() == tls::verify_category()));
  BOOST_TEST(ec.value() == X509_V_ERR_HOSTNAME_MISMATCH);
}

BROOD_RT_TEST(an_untrusted_ca_is_refused) {
  server_setup s;
  test::test_pki other;
  tls::client_options co;
  co.ca_file = other.ca_file();
  co.system_trust = false;
  tls::server_options so{s.leaf.cert_file, s.leaf.key_file};
  auto ec = co_await failing_handshake(so, co, "localhost");
  BOOST_TEST_INFO(ec.message());
  BOOST_TEST((ec.category() == tls::verify_category()));
  BOOST_TEST(ec.value() == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

// A lab's anchors in the environment reach no client that was not given them: brood-api's
// Cloudflare client trusts the WebPKI alone, whatever BROOD_CA_FILE says (the review's L7).
BROOD_RT_TEST(an_anchor_in_the_environment_is_trusted_by_no_one_not_given_it) {
  server_setup s;
  ::setenv("BROOD_CA_FILE", s.pki.ca_file().c_str(), 1);
  tls::client_options co;  // no ca_file of its own
  tls::server_options so{s.leaf.cert_file, s.leaf.key_file};
  auto ec = co_await failing_handshake(so, co, "localhost");
  ::unsetenv("BROOD_CA_FILE");
  BOOST_TEST_INFO(ec.message());
  BOOST_TEST((ec.category() == tls::verify_category()));
  BOOST_TEST(ec.value() == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

BROOD_RT_TEST(an_expired_certificate_is_refused) {
  test::test_pki pki;
  auto leaf = pki.issue("expired", {"DNS:localhost"}, -7200, -3600);
  tls::client_options co;
  co.ca_file = pki.ca_file();
  tls::server_options so{leaf.cert_file, leaf.key_file};
  auto ec = co_await failing_handshake(so, co, "localhost");
  BOOST_TEST_INFO(ec.message());
  BOOST_TEST((ec.category() == tls::verify_category()));
  BOOST_TEST(ec.value() == X509_V_ERR_CERT_HAS_EXPIRED);
}

static rt::task<void> accept_and_stay_silent(net::listener* l) {
  auto c = co_await l->accept();
  if (!c) co_return;
  std::byte b[1024];
  for (;;) {
    auto n = co_await c->recv(b);  // swallow the ClientHello, never answer
    if (!n || *n == 0) co_return;
  }
}

BROOD_RT_TEST(a_silent_server_hits_the_handshake_deadline) {
  tls::client_options co;
  auto cli = tls::context::client(co);
  BOOST_REQUIRE(cli.has_value());
  auto l = net::listener::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE(l.has_value());
  task_scope scope{no_parent};
  scope.spawn(accept_and_stay_silent(&*l));
  auto s = co_await net::stream::connect(*l->local_address());
  BOOST_REQUIRE(s.has_value());
  auto start = clock::now();
  auto t = co_await tls::stream::connect(std::move(*s), *cli, "localhost", io_options{clock::now() + 100ms});
  BOOST_TEST((t.error() == std::errc::timed_out));
  BOOST_TEST((clock::now() - start < 5s));
  t = std::errc::io_error;
  co_await scope.join();
}

static rt::task<void> serve_with(net::listener* l, tls::server_credentials* creds, int connections, task_scope* conns) {
  for (int i = 0; i < connections; ++i) {
    auto c = co_await l->accept();
    if (!c) co_return;
    auto t = co_await tls::stream::accept(std::move(*c), creds->current(), io_options{clock::now() + 5s});
    if (!t) continue;
    conns->spawn([](tls::stream s) -> rt::task<void> {
      std::byte buf[256];
      for (;;) {
        auto n = co_await s.read(buf);
        if (!n || *n == 0) co_return;
        auto w = co_await s.write_all(std::span(buf, *n));
        if (!w) co_return;
      }
    }(std::move(*t)));
  }
}

static rt::task<bool> ping(tls::stream& s) {
  auto w = co_await s.write_all(net::as_bytes("ping"));
  if (!w) co_return false;
  std::byte back[4];
  auto n = co_await s.read(back);
  co_return n && *n == 4u;
}

BROOD_RT_TEST(a_renewed_certificate_is_served_to_new_connections_only) {
  test::test_pki pki;
  auto leaf = pki.issue("scout", {"DNS:localhost"}, -60, 86400, 0x1001);
  tls::server_options so{leaf.cert_file, leaf.key_file};
  auto creds = tls::server_credentials::load(so);
  BOOST_REQUIRE(creds.has_value());
  tls::client_options co;
  co.ca_file = pki.ca_file();
  auto cli = tls::context::client(co);
  BOOST_REQUIRE(cli.has_value());
  auto l = net::listener::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE(l.has_value());
  task_scope conns{no_parent};
  task_scope acceptor{no_parent};
  acceptor.spawn(serve_with(&*l, &*creds, 2, &conns));

  auto s1 = co_await net::stream::connect(*l->local_address());
  BOOST_REQUIRE(s1.has_value());
  auto old_conn = co_await tls::stream::connect(std::move(*s1), *cli, "localhost");
  BOOST_REQUIRE(old_conn.has_value());
  BOOST_TEST(old_conn->peer_serial() == "1001");

  (void)co_await sleep_for(20ms);  // a visibly newer mtime
  pki.issue("scout", {"DNS:localhost"}, -60, 86400, 0x1002);
  auto changed = co_await creds->reload_if_changed();
  BOOST_TEST((changed.has_value() && *changed));
  auto unchanged = co_await creds->reload_if_changed();
  BOOST_TEST((unchanged.has_value() && !*unchanged));

  auto s2 = co_await net::stream::connect(*l->local_address());
  BOOST_REQUIRE(s2.has_value());
  auto new_conn = co_await tls::stream::connect(std::move(*s2), *cli, "localhost");
  BOOST_REQUIRE(new_conn.has_value());
  BOOST_TEST(new_conn->peer_serial() == "1002");
  bool old_alive = co_await ping(*old_conn);
  bool new_alive = co_await ping(*new_conn);
  BOOST_TEST(old_alive);
  BOOST_TEST(new_alive);
  co_await acceptor.join();
  old_conn = std::errc::io_error;
  new_conn = std::errc::io_error;
  co_await conns.join();
}

static rt::task<void> against_openssl_s_server() {
  server_setup s;
  auto probe = net::listener::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE(probe.has_value());
  auto addr = *probe->local_address();
  probe = net::listener{};
  process_options po;
  po.in = po.out = po.err = process_options::stdio::null;
  auto srv = process::spawn({"setpriv", "--pdeathsig", "KILL", "--", "openssl", "s_server", "-quiet", "-accept", "127.0.0.1:" + std::to_string(addr.port()),
                             "-cert", s.leaf.cert_file, "-key", s.leaf.key_file, "-www"},
                            po);
  if (!srv) BROOD_SKIP("openssl CLI not installed");
  tls::client_options co;
  co.ca_file = s.pki.ca_file();
  auto cli = tls::context::client(co);
  BOOST_REQUIRE(cli.has_value());
  result<net::stream> c = std::errc::connection_refused;
  for (int i = 0; i < 1000 && !c; ++i) {  // until s_server listens (bounded: 10 s; a loaded machine is slow)
    c = co_await net::stream::connect(addr);
    if (!c) (void)co_await sleep_for(10ms);
  }
  BOOST_REQUIRE(c.has_value());
  auto t = co_await tls::stream::connect(std::move(*c), *cli, "localhost", io_options{clock::now() + 5s});
  BOOST_REQUIRE_MESSAGE(t.has_value(), t.error().message());
  auto w = co_await t->write_all(net::as_bytes("GET / HTTP/1.0\r\n\r\n"));
  BOOST_REQUIRE(w.has_value());
  std::string body;
  char buf[4096];
  for (;;) {
    auto n = co_await t->read(std::as_writable_bytes(std::span(buf)), io_options{clock::now() + 5s});
    if (!n || *n == 0) break;
    body.append(buf, *n);
  }
  BOOST_TEST(body.rfind("HTTP/1.0 200 ok", 0) == 0u);
  (void)srv->kill(SIGTERM);
  auto st = co_await srv->wait();
  BOOST_TEST(st.has_value());
}

BROOD_RT_TEST(our_client_talks_to_openssl_s_server) { co_await against_openssl_s_server(); }

BOOST_AUTO_TEST_SUITE_END()
