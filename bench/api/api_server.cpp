// brood-bench-api-server: http::server with one route, GET /members, answering the bytes of a
// file (the benchmark gives nghttpd the same file). TLS with --cert/--key, h2c without.
#include <brood/http/server.hpp>
#include <brood/rt/reactor.hpp>
#include <brood/rt/signal_set.hpp>
#include <brood/rt/task_scope.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

using namespace brood;

namespace {

std::string g_body;

rt::task<http::response> members(const http::request&, const http::route_params&) {
  http::response r;
  r.status = 200;
  r.headers.push_back({"content-type", "application/json"});
  r.body = g_body;
  co_return r;
}

rt::task<void> stop_on_signal(rt::signal_set* sigs, http::server* srv) {
  auto s = co_await sigs->next();
  if (s) srv->shutdown();
}

rt::task<int> run(std::uint16_t port, std::string cert, std::string key) {
  rt::signal_set sigs{SIGTERM, SIGINT};
  http::router router;
  router.add("GET", "/members", &members);
  http::server_options o;
  o.access_log = [](const http::access_entry&) {};  // measured without logging
  http::server srv(std::move(router), o);
  auto l = net::listener::bind(net::socket_address::ipv4_loopback(port));
  if (!l) {
    std::fprintf(stderr, "bind: %s\n", l.error().message().c_str());
    co_return 1;
  }
  std::optional<tls::server_credentials> creds;
  if (!cert.empty()) {
    tls::server_options so{cert, key};
    auto c = tls::server_credentials::load(so);
    if (!c) {
      std::fprintf(stderr, "tls: %s\n", c.error().message().c_str());
      co_return 1;
    }
    creds.emplace(std::move(*c));
  }
  rt::task_scope scope{rt::no_parent};
  scope.spawn(stop_on_signal(&sigs, &srv));
  co_await srv.serve(*l, creds ? &*creds : nullptr);
  scope.cancel();
  co_await scope.join();
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 0;
  std::string cert, key, body_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--port")) port = static_cast<std::uint16_t>(std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--cert")) cert = argv[i + 1];
    else if (!std::strcmp(argv[i], "--key")) key = argv[i + 1];
    else if (!std::strcmp(argv[i], "--body")) body_file = argv[i + 1];
  }
  if (!port || body_file.empty()) {
    std::fprintf(stderr, "usage: brood-bench-api-server --port P --body FILE [--cert C --key K]\n");
    return 2;
  }
  std::ifstream in(body_file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  g_body = ss.str();
  rt::reactor r;
  return r.block_on(run(port, cert, key));
}
