// http::server: the accept loop, TLS and protocol selection, dispatch, drain and access log.
#include "http/server_connection.hpp"

#include <brood/net/client_key.hpp>
#include <brood/rt/timer.hpp>
#include <brood/tls/tls_stream.hpp>

#include <sys/socket.h>

#include <cstdio>
#include <cstring>
#include <exception>

namespace brood::http {

namespace {
constexpr std::string_view h2_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

void cancel_scope(void* scope) noexcept { static_cast<rt::task_scope*>(scope)->cancel(); }
}  // namespace

server::server(router r, server_options o) : _router(std::move(r)), _opts(std::move(o)) {}

server::~server() = default;

void server::attach(connection_base* c) noexcept {
  c->next = _live;
  if (_live) _live->prev = c;
  _live = c;
  if (_draining) c->drain();
}

void server::detach(connection_base* c) noexcept {
  if (c->prev)
    c->prev->next = c->next;
  else
    _live = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = nullptr;
}

void server::shutdown() noexcept {
  if (_draining) return;
  _draining = true;
  _accepting.request_cancel();
  for (connection_base* c = _live; c;) {
    connection_base* next = c->next;  // drain() may detach c
    c->drain();
    c = next;
  }
}

void server::log(const access_entry& e) {
  ++_stats.requests;
  if (_opts.access_log) {
    _opts.access_log(e);
    return;
  }
  std::fprintf(stderr, "%.*s %.*s %.*s %.*s %d %zuB %.1fms\n", int(e.remote.size()), e.remote.data(),
               int(e.protocol.size()), e.protocol.data(), int(e.method.size()), e.method.data(), int(e.path.size()),
               e.path.data(), e.status, e.bytes, e.ms);
}

rt::task<response> server::dispatch(const request& req) {
  route_params params;
  auto m = _router.find(req.method, req.path, params);
  if (!m.h) {
    if (m.status == 405) co_return error_response(405, "method not allowed", req.method);
    co_return error_response(404, "not found", req.path);
  }
  try {
    response r = co_await (*m.h)(req, params);
    co_return r;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "brood http: handler for %s %s failed: %s\n", req.method.c_str(), req.path.c_str(), e.what());
  } catch (...) {
    std::fprintf(stderr, "brood http: handler for %s %s failed\n", req.method.c_str(), req.path.c_str());
  }
  co_return error_response(500, "internal error");
}

bool server::make_room(const std::string& client) {
  if (_per_client[client] >= _opts.max_connections_per_client) {
    ++_stats.refused_per_client;
    return false;
  }
  if (_slots.size() < _opts.max_connections) return true;
  // Full: a connection doing nothing goes — a handshake still under way after a second, or one
  // with no request handed to a handler — the oldest of the client holding most of them, so
  // that whoever floods pays first. One that is serving a request stays.
  const auto now = rt::clock::now();
  slot* victim = nullptr;
  std::size_t victim_holds = 0;
  for (auto& s : _slots) {
    if (s.evicted) continue;
    const bool handshaking = !s.conn && s.fd >= 0 && now - s.accepted > std::chrono::seconds(1);
    if (!handshaking && !(s.conn && s.conn->idle())) continue;
    const auto holds = _per_client[s.client];
    if (holds > victim_holds) victim = &s, victim_holds = holds;  // oldest first: ties keep the older
  }
  if (!victim) {
    ++_stats.refused_full;
    return false;
  }
  if (victim->conn)
    victim->conn->evict();
  else
    ::shutdown(victim->fd, SHUT_RDWR);  // the handshake's next read ends
  victim->evicted = true;
  ++_stats.evicted;
  return true;
}

bool server::reserve_body(const std::string& client, std::size_t n) {
  auto& mine = _buffered_per_client[client];
  if (_buffered_bodies + n > _opts.max_buffered_body_bytes || mine + n > _opts.max_buffered_body_bytes / 8) {
    if (mine == 0) _buffered_per_client.erase(client);
    ++_stats.body_budget_refused;
    return false;
  }
  mine += n;
  _buffered_bodies += n;
  return true;
}

void server::release_body(const std::string& client, std::size_t n) noexcept {
  if (n == 0) return;
  _buffered_bodies -= n;
  auto it = _buffered_per_client.find(client);
  if (it != _buffered_per_client.end() && (it->second -= n) == 0) _buffered_per_client.erase(it);
}

rt::task<void> server::serve(net::listener& l, tls::server_credentials* creds) {
  auto parent = co_await rt::current_token();
  rt::task_scope conns(parent);
  while (!_draining) {
    auto c = co_await l.accept().with_token(_accepting.token());
    if (!c) {
      if (rt::is_cancelled(c.error())) break;
      (void)co_await rt::sleep_for(std::chrono::milliseconds(10));  // EMFILE and friends: back off
      continue;
    }
    ++_stats.connections;
    std::string remote;
    if (auto a = c->sock().peer_address()) remote = a->to_string();
    auto client = net::client_key(remote);
    if (!make_room(client)) continue;  // closed as it goes out of scope
    ++_per_client[client];
    const int fd = c->fd();
    auto at = _slots.insert(_slots.end(), slot{std::move(client), fd, rt::clock::now(), nullptr});
    conns.spawn(connection(std::move(*c), creds, at));
  }
  l.close();  // refuse new connections while the old ones drain
  // Connections drain by themselves; past the deadline whatever is left is cancelled.
  rt::callback_timer cut(&cancel_scope, &conns);
  cut.arm_in(_opts.drain_timeout);
  co_await conns.join();
}

rt::task<void> server::connection(net::stream s, tls::server_credentials* creds, std::list<slot>::iterator at) {
  // Declared first, so it goes last: the slot is given back after the transport is closed.
  struct release {
    server* self;
    std::list<slot>::iterator at;
    ~release() {
      if (--self->_per_client[at->client] == 0) self->_per_client.erase(at->client);
      self->_slots.erase(at);
    }
  } given_back{this, at};
  std::string remote;
  if (auto a = s.sock().peer_address()) remote = a->to_string();
  const rt::io_options hs{rt::clock::now() + _opts.handshake_timeout};
  std::unique_ptr<transport> t;
  std::string protocol;
  std::string prefix;
  if (creds) {
    auto ts = co_await tls::stream::accept(std::move(s), creds->current(), hs);
    if (!ts) {
      ++_stats.handshake_failures;
      co_return;
    }
    protocol = ts->alpn() == "h2" ? "h2" : "http/1.1";
    t = make_tls_transport(std::move(*ts));
  } else {
    // Plain: HTTP/2 with prior knowledge starts with the client preface; anything else is HTTP/1.1.
    char buf[h2_preface.size()];
    std::size_t got = 0;
    while (got < h2_preface.size()) {
      auto n = co_await s.recv(std::as_writable_bytes(std::span(buf + got, h2_preface.size() - got)), hs);
      if (!n || *n == 0) co_return;
      got += *n;
      if (std::memcmp(buf, h2_preface.data(), got) != 0) break;
    }
    prefix.assign(buf, got);
    protocol = prefix == h2_preface ? "h2c" : "http/1.1";
    t = make_plain_transport(std::move(s), protocol);
  }
  at->fd = -1;  // past the handshake: closed to make room through its protocol loop (drain)
  if (protocol == "http/1.1")
    co_await serve_http1(*this, std::move(t), std::move(prefix), std::move(remote), &at->conn);
  else
    co_await serve_http2(*this, std::move(t), std::move(prefix), std::move(remote), protocol, &at->conn);
}

}  // namespace brood::http
