// http::server against real clients (curl over h2 and HTTP/1.1, nghttp, h2load) and our own
// client; limits (400, 413, 431, slow clients), routing (404, 405, params), JSON errors,
// and a graceful shutdown that lets a request in flight finish.
#include "support/peer_process.hpp"
#include "support/rt_test.hpp"
#include "support/test_pki.hpp"

#include <brood/http/h2_client.hpp>
#include <brood/http/server.hpp>
#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>

using namespace brood;
using namespace brood::rt;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(server_suite)

static rt::task<http::response> hello(const http::request&, const http::route_params&) {
  http::response r;
  r.status = 200;
  r.headers.push_back({"content-type", "text/plain"});
  r.body = "hello from brood\n";
  co_return r;
}

static rt::task<http::response> member(const http::request&, const http::route_params& p) {
  json::writer w;
  w.begin_object().key("vni").string(p.get("vni")).key("id").string(p.get("id")).end_object();
  http::response r;
  r.status = 200;
  r.headers.push_back({"content-type", "application/json"});
  r.body = w.take();
  co_return r;
}

static rt::task<http::response> create_vlan(const http::request& req, const http::route_params&) {
  auto doc = json::parse(req.body);
  if (!doc) co_return http::error_response(400, "invalid json", doc.error().message());
  const json::value* name = doc->find("name");
  if (!name || !name->as_string()) co_return http::error_response(400, "missing field", "name");
  http::response r;
  r.status = 201;
  r.body = *name->as_string();
  co_return r;
}

static rt::task<http::response> slow(const http::request&, const http::route_params&) {
  (void)co_await sleep_for(200ms);
  http::response r;
  r.status = 200;
  r.body = "finally";
  co_return r;
}

static http::router make_router() {
  http::router r;
  r.add("GET", "/hello", &hello);
  r.add("GET", "/vlans/{vni}/members/{id}", &member);
  r.add("POST", "/vlans", &create_vlan);
  r.add("GET", "/slow", &slow);
  return r;
}

struct fixture {
  test::test_pki pki;
  test::test_pki::leaf leaf = pki.issue("api", {"DNS:localhost", "IP:127.0.0.1"});
  http::server_options opts;
  fixture() {
    opts.access_log = [](const http::access_entry&) {};
    opts.request_timeout = 500ms;
  }
};

/// Our server on a fresh loopback port, serving in its own scope until stop().
struct running_server {
  http::server srv;
  net::listener l;
  net::socket_address addr;
  task_scope scope{no_parent};
  explicit running_server(http::server_options o)
      : srv(make_router(), std::move(o)),
        l(*net::listener::bind(net::socket_address::ipv4_loopback(0))),
        addr(*l.local_address()) {
    scope.spawn(srv.serve(l));
  }
  std::string authority() const { return "127.0.0.1:" + std::to_string(addr.port()); }
  rt::task<void> stop() {
    srv.shutdown();
    co_await scope.join();
  }
};

/// Runs `argv` to completion and returns its stdout.
static rt::task<std::string> run_tool(std::vector<std::string> argv) {
  process_options o;
  o.out = process_options::stdio::pipe;
  o.err = process_options::stdio::null;
  auto p = process::spawn(argv, o);
  if (!p) co_return std::string("spawn failed");
  auto out = co_await read_to_end(p->stdout_fd(), 4 << 20);
  auto st = co_await p->wait();
  (void)st;
  co_return out ? *out : std::string("read failed");
}

static rt::task<void> curl_and_nghttp_case() {
  fixture f;
  auto creds = tls::server_credentials::load({f.leaf.cert_file, f.leaf.key_file});
  BOOST_REQUIRE(creds.has_value());
  http::server tls_srv(make_router(), f.opts);
  http::server plain_srv(make_router(), f.opts);
  auto l1 = net::listener::bind(net::socket_address::ipv4_loopback(0));
  auto l2 = net::listener::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE((l1.has_value() && l2.has_value()));
  const std::string tls_url = "https://localhost:" + std::to_string(l1->local_address()->port());
  const std::string plain_url = "http://127.0.0.1:" + std::to_string(l2->local_address()->port());
  task_scope servers{no_parent};
  servers.spawn(tls_srv.serve(*l1, &*creds));
  servers.spawn(plain_srv.serve(*l2));

  std::vector<std::string> h2_argv{"curl", "-s", "--http2", "--cacert", f.pki.ca_file(), "-w", " %{http_code} %{http_version}",
                               tls_url + "/hello"};
  auto h2 = co_await run_tool(h2_argv);
  BOOST_TEST(h2 == "hello from brood\n 200 2");
  std::vector<std::string> h1_argv{"curl", "-s", "--http1.1", "--cacert", f.pki.ca_file(), "-w", " %{http_code} %{http_version}",
                               tls_url + "/vlans/100/members/abc"};
  auto h1 = co_await run_tool(h1_argv);
  BOOST_TEST(h1 == "{\"vni\":\"100\",\"id\":\"abc\"} 200 1.1");
  std::vector<std::string> plain1_argv{"curl", "-s", "-w", " %{http_code}", plain_url + "/nope"};
  auto plain1 = co_await run_tool(plain1_argv);
  BOOST_TEST(plain1 == "{\"error\":\"not found\",\"detail\":\"/nope\"} 404");
  std::vector<std::string> post_argv{"curl", "-s", "--http2-prior-knowledge", "-d", "{\"name\":\"lab\"}", "-w", " %{http_code}",
                                 plain_url + "/vlans"};
  auto post = co_await run_tool(post_argv);
  BOOST_TEST(post == "lab 201");
  std::vector<std::string> bad_json_argv{"curl", "-s", "-d", "{\"name\":\"\xff\"}", "-w", " %{http_code}", plain_url + "/vlans"};
  auto bad_json = co_await run_tool(bad_json_argv);
  BOOST_TEST(bad_json.find("invalid json") != std::string::npos);
  BOOST_TEST(bad_json.substr(bad_json.size() - 3) == "400");
  std::vector<std::string> wrong_method_argv{"curl", "-s", "-X", "DELETE", "-w", " %{http_code}", plain_url + "/hello"};
  auto wrong_method = co_await run_tool(wrong_method_argv);
  BOOST_TEST(wrong_method.substr(wrong_method.size() - 3) == "405");

  std::vector<std::string> nghttp_argv{"nghttp", plain_url + "/hello"};
  auto nghttp = co_await run_tool(nghttp_argv);
  BOOST_TEST(nghttp == "hello from brood\n");
  std::vector<std::string> h2load_argv{"h2load", "-n", "2000", "-c", "4", "-m", "10", plain_url + "/hello"};
  auto h2load = co_await run_tool(h2load_argv);
  BOOST_TEST_INFO(h2load);
  BOOST_TEST(h2load.find("2000 succeeded, 0 failed, 0 errored") != std::string::npos);

  tls_srv.shutdown();
  plain_srv.shutdown();
  co_await servers.join();
}

BROOD_RT_TEST(curl_nghttp_and_h2load_are_served) { co_await curl_and_nghttp_case(); }

static rt::task<std::string> raw_exchange(net::socket_address to, std::string bytes, clock::duration wait = 2s) {
  auto c = co_await net::stream::connect(to);
  BOOST_REQUIRE(c.has_value());
  auto w = co_await c->send_all(net::as_bytes(bytes));
  BOOST_REQUIRE(w.has_value());
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = co_await c->recv(std::as_writable_bytes(std::span(buf)), io_options{clock::now() + wait});
    if (!n || *n == 0) break;
    out.append(buf, *n);
  }
  co_return out;
}

static rt::task<void> limits_case() {
  fixture f;
  f.opts.max_header_bytes = 2048;
  f.opts.max_body_bytes = 4096;
  running_server server(f.opts);
  auto addr = server.addr;

  auto malformed = co_await raw_exchange(addr, "GET /hello HTTP/1.1\r\nHost : x\r\n\r\n");
  BOOST_TEST(malformed.rfind("HTTP/1.1 400", 0) == 0u);
  auto smuggle = co_await raw_exchange(
      addr, "POST /vlans HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc");
  BOOST_TEST(smuggle.rfind("HTTP/1.1 400", 0) == 0u);
  auto big_headers = co_await raw_exchange(addr, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4000, 'a') + "\r\n\r\n");
  BOOST_TEST(big_headers.rfind("HTTP/1.1 431", 0) == 0u);
  auto big_body = co_await raw_exchange(addr, "POST /vlans HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
  BOOST_TEST(big_body.rfind("HTTP/1.1 413", 0) == 0u);
  auto chunked = co_await raw_exchange(
      addr, "POST /vlans HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            "7\r\n{\"name\"\r\n6;ext=1\r\n:\"lab\"\r\n1\r\n}\r\n0\r\n\r\n");
  BOOST_TEST(chunked.rfind("HTTP/1.1 201", 0) == 0u);
  BOOST_TEST(chunked.substr(chunked.size() - 3) == "lab");
  auto keep_alive = co_await raw_exchange(addr, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::size_t first = keep_alive.find("HTTP/1.1 200"), second = keep_alive.find("HTTP/1.1 200", first + 1);
  BOOST_TEST((first == 0u && second != std::string::npos));

  // HTTP/2: an oversized body is refused with 413 and the connection goes on.
  http::h2_client client({});
  const std::string authority = "127.0.0.1:" + std::to_string(addr.port());
  http::request post;
  post.method = "POST";
  post.path = "/vlans";
  post.body = std::string(10000, 'x');
  auto too_big = co_await client.request(authority, post);
  BOOST_TEST((too_big.has_value() && too_big->status == 413));
  http::request get;
  get.path = "/hello";
  auto after = co_await client.request(authority, get);
  BOOST_TEST((after.has_value() && after->status == 200));
  BOOST_TEST(client.stats().connections_opened == 1u);
  co_await client.close();

  co_await server.stop();
}

BROOD_RT_TEST(malformed_oversized_and_smuggled_requests_are_refused) { co_await limits_case(); }

static rt::task<void> drip(net::socket_address to, bool* cut_off, clock::duration* took) {
  auto c = co_await net::stream::connect(to);
  BOOST_REQUIRE(c.has_value());
  std::string req = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  auto start = clock::now();
  for (char ch : req) {
    auto w = co_await c->send_all(std::as_bytes(std::span(&ch, 1)));
    if (!w) break;
    (void)co_await sleep_for(100ms);  // a byte every 100 ms: the request deadline is 500 ms
    std::byte probe[512];
    auto n = co_await c->recv(probe, io_options{clock::now() + 1ms});
    if (n && *n > 0) {
      *cut_off = std::string_view(reinterpret_cast<char*>(probe), *n).rfind("HTTP/1.1 408", 0) == 0;
      break;
    }
    if (n && *n == 0) break;
  }
  *took = clock::now() - start;
}

BROOD_RT_TEST(a_slow_client_is_cut_off_and_others_are_served) {
  fixture f;
  running_server server(f.opts);
  auto addr = server.addr;
  bool cut_off = false;
  clock::duration took{};
  task_scope clients{no_parent};
  clients.spawn(drip(addr, &cut_off, &took));
  auto fast = co_await raw_exchange(addr, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  BOOST_TEST(fast.rfind("HTTP/1.1 200", 0) == 0u);
  co_await clients.join();
  BOOST_TEST(cut_off);
  BOOST_TEST((took < 2s));
  co_await server.stop();
}

static rt::task<void> request_slow(http::h2_client* c, std::string authority, int* status) {
  http::request r;
  r.path = "/slow";
  auto resp = co_await c->request(authority, r, io_options{clock::now() + 5s});
  *status = resp ? resp->status : -1;
}

BROOD_RT_TEST(shutdown_lets_requests_in_flight_finish) {
  fixture f;
  running_server server(f.opts);
  auto addr = server.addr;
  http::h2_client client({});
  int status = 0;
  task_scope clients{no_parent};
  clients.spawn(request_slow(&client, "127.0.0.1:" + std::to_string(addr.port()), &status));
  (void)co_await sleep_for(50ms);  // the request is in its handler
  co_await server.stop();  // returns once the connection drained
  co_await clients.join();
  BOOST_TEST(status == 200);
  auto refused = co_await net::stream::connect(addr);
  BOOST_TEST(!refused.has_value());
  co_await client.close();
}

BROOD_RT_TEST(an_idle_connection_gets_goaway_and_the_client_reconnects) {
  fixture f;
  f.opts.idle_timeout = 100ms;
  running_server server(f.opts);
  const std::string authority = server.authority();
  http::h2_client client({});
  http::request get;
  get.path = "/hello";
  auto first = co_await client.request(authority, get);
  BOOST_TEST((first.has_value() && first->status == 200));
  (void)co_await sleep_for(400ms);  // idle past the deadline: GOAWAY, then the server hangs up
  auto second = co_await client.request(authority, get);
  BOOST_TEST((second.has_value() && second->status == 200));
  BOOST_TEST(client.stats().connections_opened == 2u);
  BOOST_TEST(client.stats().goaways == 1u);  // told, not merely hung up on
  BOOST_TEST(client.stats().retries == 0u);
  co_await client.close();
  co_await server.stop();
}

BOOST_AUTO_TEST_SUITE_END()
