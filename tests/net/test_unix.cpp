// Unix stream sockets: echo through a listener on a filesystem path.
#include "support/rt_test.hpp"

#include <brood/net/listener.hpp>
#include <brood/net/socket.hpp>
#include <brood/rt/task_scope.hpp>

#include <unistd.h>

#include <string>

using namespace brood;
using namespace brood::rt;

BOOST_AUTO_TEST_SUITE(unix)

static brood::rt::task<void> upper_once(net::listener* l) {
  auto c = co_await l->accept();
  BOOST_REQUIRE(c.has_value());
  char buf[64];
  auto n = co_await c->recv(std::as_writable_bytes(std::span(buf)));
  BOOST_REQUIRE(n.has_value());
  for (std::size_t i = 0; i < *n; ++i) buf[i] = static_cast<char>(std::toupper(buf[i]));
  auto s = co_await c->send_all(std::as_bytes(std::span(buf, *n)));
  BOOST_TEST(s.has_value());
}

BROOD_RT_TEST(unix_stream_sockets_carry_bytes_both_ways) {
  std::string path = "/tmp/brood-test-" + std::to_string(::getpid()) + ".sock";
  auto addr = net::socket_address::unix_path(path);
  BOOST_REQUIRE(addr.has_value());
  auto l = net::listener::bind(*addr);
  BOOST_REQUIRE(l.has_value());
  task_scope s{no_parent};
  s.spawn(upper_once(&*l));
  auto c = co_await net::stream::connect(*addr);
  BOOST_REQUIRE(c.has_value());
  auto w = co_await c->send_all(net::as_bytes("uapi get=1"));
  BOOST_REQUIRE(w.has_value());
  char back[10];
  auto r = co_await c->recv_exact(std::as_writable_bytes(std::span(back)));
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(std::string(back, 10) == "UAPI GET=1");
  co_await s.join();
  ::unlink(path.c_str());
}

BOOST_AUTO_TEST_SUITE_END()
