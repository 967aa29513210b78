// HTTP/2 server connections (nghttp2): one reader and one writer task, one handler task per
// request, header/body limits per stream and buffered bodies per connection, rapid-reset and
// CONTINUATION-flood limits, idle deadline, graceful GOAWAY on drain. Each stream has deadlines
// too: its request must arrive whole within request_timeout (HEADERS without END_STREAM hold
// nothing for long), and a response the client stops reading (a zero window) is reset after
// idle_timeout without progress. A streamed response (response::stream) gets a pump task that
// pulls its chunks into the stream's send buffer; nghttp2 sends them as flow control allows.
#include "http/nghttp2_nv.hpp"
#include "http/server_connection.hpp"

#include <brood/net/client_key.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/wait_slot.hpp>
#include <brood/rt/with_timeout.hpp>

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <optional>
#include <unordered_map>

namespace brood::http {

namespace {

/// Response header list: inline for the usual handful, on the heap past that.
class small_nv_list {
 public:
  void push_back(const nghttp2_nv& v) {
    if (_n < _inline.size() && _heap.empty()) {
      _inline[_n++] = v;
      return;
    }
    if (_heap.empty()) _heap.assign(_inline.begin(), _inline.begin() + static_cast<long>(_n));
    _heap.push_back(v);
  }
  nghttp2_nv* data() noexcept { return _heap.empty() ? _inline.data() : _heap.data(); }
  std::size_t size() const noexcept { return _heap.empty() ? _n : _heap.size(); }

 private:
  std::array<nghttp2_nv, 12> _inline{};
  std::size_t _n = 0;
  std::vector<nghttp2_nv> _heap;
};

// A streamed body waits for the client once this much is queued and unsent.
constexpr std::size_t stream_buffer_limit = 256 * 1024;

struct h2_request {
  request req;
  response resp;  // resp.body from body_off on is what is left to send
  std::size_t header_bytes = 0;
  std::size_t body_off = 0;
  int reject = 0;  // 431 / 413 / 503, answered without running a handler
  bool closed = false;
  bool dispatched = false;
  bool responded = false;
  // Streamed responses: the pump task owns `r` while `pumping`; `stop` ends it.
  bool pumping = false;
  bool eof = false;
  std::unique_ptr<rt::cancel_source> stop;
  rt::wait_slot drained;  // the pump waits here while the send buffer is full
  rt::clock::time_point started = rt::clock::now();
  rt::clock::time_point progress = started;  // a response's bytes last taken to send
};

class h2_server_connection final : public server::connection_base {
 public:
  h2_server_connection(server& s, std::unique_ptr<transport> t, std::string remote, std::string protocol)
      : _s(s),
        _t(std::move(t)),
        _remote(std::move(remote)),
        _client(net::client_key(_remote)),
        _protocol(std::move(protocol)) {}
  ~h2_server_connection() {
    nghttp2_session_del(_session);
    for (auto& [id, r] : _streams) delete r;
    _s.release_body(_client, _buffered);
  }

  rt::task<void> run(std::string prefix, server::connection_base** registered);
  /// Streams whose request is still arriving do not count: closing them loses no handler's work
  /// (and a client holding half-sent streams cannot make its connections unevictable).
  bool idle() const noexcept override {
    return std::none_of(_streams.begin(), _streams.end(), [](auto& e) { return e.second->dispatched; });
  }
  void evict() noexcept override {
    _closed = true;
    _t->shutdown();  // the reader's read ends
    _want_write.notify();
  }
  void drain() noexcept override {
    if (_draining) return;
    _draining = true;
    nghttp2_submit_goaway(_session, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(_session),
                          NGHTTP2_NO_ERROR, nullptr, 0);
    for (auto& [id, r] : _streams)  // streamed bodies end cleanly; nothing else would end them
      if (r->pumping) r->stop->request_cancel();
    _want_write.notify();
  }

 private:
  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* f, void* self);
  static int on_header(nghttp2_session*, const nghttp2_frame* f, const std::uint8_t* name, std::size_t namelen,
                       const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* self);
  static int on_data(nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* data, std::size_t len,
                     void* self);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* f, void* self);
  static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t, void* self);
  static ssize_t read_body(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t len, std::uint32_t* flags,
                           nghttp2_data_source* src, void*);

  bool start();
  rt::task<void> reader(std::string prefix);
  rt::task<void> writer();
  rt::task<void> handle(std::int32_t id, h2_request* r);
  rt::task<void> pump(std::int32_t id, h2_request* r);
  void respond(std::int32_t id, h2_request* r);
  void release(std::int32_t id, h2_request* r) noexcept;
  void unbuffer(std::size_t n) noexcept {
    _buffered -= n;
    _s.release_body(_client, n);
  }
  /// Resets streams past their deadlines; the next deadline to look again at (none: idle).
  std::optional<rt::clock::time_point> expire_streams();

  server& _s;
  std::unique_ptr<transport> _t;
  std::string _remote, _client, _protocol;
  nghttp2_session* _session = nullptr;
  std::unordered_map<std::int32_t, h2_request*> _streams;
  rt::wait_slot _want_write;
  rt::task_scope* _handlers = nullptr;
  std::size_t _buffered = 0;  // request body bytes held by streams not yet dispatched
  bool _draining = false;
  bool _closed = false;
};

int h2_server_connection::on_begin_headers(nghttp2_session* s, const nghttp2_frame* f, void* p) {
  auto* self = static_cast<h2_server_connection*>(p);
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto* r = new h2_request;
  r->req.remote = self->_remote;
  self->_streams.emplace(f->hd.stream_id, r);
  nghttp2_session_set_stream_user_data(s, f->hd.stream_id, r);
  return 0;
}

int h2_server_connection::on_header(nghttp2_session* s, const nghttp2_frame* f, const std::uint8_t* name,
                                    std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                                    std::uint8_t, void* p) {
  auto* self = static_cast<h2_server_connection*>(p);
  auto* r = static_cast<h2_request*>(nghttp2_session_get_stream_user_data(s, f->hd.stream_id));
  if (!r || r->reject) return 0;
  r->header_bytes += namelen + valuelen + 32;  // RFC 9113's accounting, as SETTINGS_MAX_HEADER_LIST_SIZE
  if (r->header_bytes > self->_s.options().max_header_bytes) {
    r->reject = 431;
    return 0;
  }
  std::string_view n(reinterpret_cast<const char*>(name), namelen), v(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":method")
    r->req.method = v;
  else if (n == ":path")
    r->req.path = v;
  else if (n == ":authority")
    r->req.authority = v;
  else if (!n.empty() && n.front() != ':')
    r->req.headers.push_back({std::string(n), std::string(v)});
  return 0;
}

int h2_server_connection::on_data(nghttp2_session* s, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                                  std::size_t len, void* p) {
  auto* self = static_cast<h2_server_connection*>(p);
  auto* r = static_cast<h2_request*>(nghttp2_session_get_stream_user_data(s, id));
  if (!r || r->reject) return 0;
  const auto& o = self->_s.options();
  const bool too_large =
      r->req.body.size() + len > o.max_body_bytes || self->_buffered + len > o.max_connection_body_bytes;
  if (too_large || !self->_s.reserve_body(self->_client, len)) {
    r->reject = too_large ? 413 : 503;
    self->unbuffer(r->req.body.size());
    r->req.body.clear();
    r->req.body.shrink_to_fit();
    self->respond(id, r);  // answer now; the rest of the body is read and dropped
    return 0;
  }
  r->req.body.append(reinterpret_cast<const char*>(data), len);
  self->_buffered += len;
  return 0;
}

int h2_server_connection::on_frame_recv(nghttp2_session* s, const nghttp2_frame* f, void* p) {
  auto* self = static_cast<h2_server_connection*>(p);
  if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) || !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
    return 0;
  auto* r = static_cast<h2_request*>(nghttp2_session_get_stream_user_data(s, f->hd.stream_id));
  if (!r || r->dispatched) return 0;
  r->dispatched = true;
  self->unbuffer(r->req.body.size());  // the handler's now
  if (r->reject) {
    self->respond(f->hd.stream_id, r);
  } else {
    self->_handlers->spawn(self->handle(f->hd.stream_id, r));
  }
  return 0;
}

int h2_server_connection::on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t, void* p) {
  auto* self = static_cast<h2_server_connection*>(p);
  auto it = self->_streams.find(id);
  if (it == self->_streams.end()) return 0;
  h2_request* r = it->second;
  r->closed = true;
  if (r->pumping) {
    r->stop->request_cancel();  // the pump frees it
    r->drained.notify();
  } else if (!r->dispatched || r->responded) {
    self->release(id, r);  // no handler holds it
  }
  return 0;
}

ssize_t h2_server_connection::read_body(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t len,
                                        std::uint32_t* flags, nghttp2_data_source* src, void*) {
  auto* r = static_cast<h2_request*>(src->ptr);
  std::size_t n = std::min(len, r->resp.body.size() - r->body_off);
  if (n == 0 && !r->eof) return NGHTTP2_ERR_DEFERRED;  // a stream with nothing queued: the pump resumes it
  std::memcpy(buf, r->resp.body.data() + r->body_off, n);
  r->body_off += n;
  r->progress = rt::clock::now();
  if (r->body_off == r->resp.body.size()) {
    if (r->eof) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
    } else {  // streamed: the buffer is empty again
      r->resp.body.clear();
      r->body_off = 0;
      r->drained.notify();
    }
  }
  return static_cast<ssize_t>(n);
}

void h2_server_connection::release(std::int32_t id, h2_request* r) noexcept {
  if (!r->dispatched) unbuffer(r->req.body.size());
  _streams.erase(id);
  delete r;
}

std::optional<rt::clock::time_point> h2_server_connection::expire_streams() {
  const auto now = rt::clock::now();
  const auto& o = _s.options();
  std::optional<rt::clock::time_point> next;
  auto soonest = [&](rt::clock::time_point t) { next = next ? std::min(*next, t) : t; };
  std::vector<std::int32_t> late;
  for (auto& [id, r] : _streams) {
    if (r->closed) continue;
    if (!r->dispatched) {  // its request has not arrived whole
      if (now >= r->started + o.request_timeout) late.push_back(id);
      else soonest(r->started + o.request_timeout);
    } else if (r->responded && !r->pumping && r->body_off < r->resp.body.size()) {  // a response not taken
      if (now >= r->progress + o.idle_timeout) late.push_back(id);
      else soonest(r->progress + o.idle_timeout);
    }
  }
  for (auto id : late) {
    ++_s.mutable_stats().stream_timeouts;
    nghttp2_submit_rst_stream(_session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);  // on_stream_close frees it
  }
  if (!late.empty()) _want_write.notify();
  return next;
}

void h2_server_connection::respond(std::int32_t id, h2_request* r) {
  if (r->responded) return;
  r->responded = true;
  if (r->reject) r->resp = error_response(r->reject, std::string(reason_phrase(r->reject)));
  const bool head = r->req.method == "HEAD";
  if (head) r->resp.stream.reset();
  const bool streamed = r->resp.stream != nullptr;
  r->eof = !streamed;
  char status[8], length[24];
  const auto status_len = static_cast<std::size_t>(std::to_chars(status, status + sizeof status, r->resp.status).ptr - status);
  const auto length_len =
      static_cast<std::size_t>(std::to_chars(length, length + sizeof length, r->resp.body.size()).ptr - length);
  small_nv_list nva;
  using detail::make_nv;
  nva.push_back(make_nv(":status", std::string_view(status, status_len)));
  for (auto& h : r->resp.headers)
    if (h.name != "content-length" && h.name != "connection" && h.name != "transfer-encoding")
      nva.push_back(make_nv(h.name, h.value));
  if (!streamed) nva.push_back(make_nv("content-length", std::string_view(length, length_len)));
  nghttp2_data_provider prov{};
  prov.source.ptr = r;
  prov.read_callback = &read_body;
  const bool no_body = head || (r->resp.body.empty() && !streamed);
  r->progress = rt::clock::now();
  nghttp2_submit_response(_session, id, nva.data(), nva.size(), no_body ? nullptr : &prov);
  if (streamed) {
    r->pumping = true;
    r->stop = std::make_unique<rt::cancel_source>(_handlers->token());
    if (_draining) r->stop->request_cancel();
    _handlers->spawn(pump(id, r).with_token(r->stop->token()));
  }
  const double ms = std::chrono::duration<double, std::milli>(rt::clock::now() - r->started).count();
  _s.log({_remote, _protocol, r->req.method, r->req.path, r->resp.status, r->resp.body.size(), ms});
  _want_write.notify();
}

rt::task<void> h2_server_connection::handle(std::int32_t id, h2_request* r) {
  response resp = co_await _s.dispatch(r->req);
  if (r->closed) {  // the client reset the stream meanwhile: nobody to answer
    release(id, r);
    co_return;
  }
  r->resp = std::move(resp);
  respond(id, r);  // nghttp2 now reads the body from r; on_stream_close frees it
}

rt::task<void> h2_server_connection::pump(std::int32_t id, h2_request* r) {
  // A stream ends cleanly (END_STREAM) when its body ends or the server drains; it is reset
  // when the client has read nothing for idle_timeout (its buffers would otherwise be held
  // until a drain) or the stream failed (a truncated body must not look complete).
  bool reset = false;
  for (;;) {
    while (!r->closed && !r->stop->cancelled() && r->resp.body.size() - r->body_off > stream_buffer_limit) {
      auto w = co_await rt::with_timeout(_s.options().idle_timeout, [r] { return r->drained.wait(); });
      if (!w && w.error() == std::errc::timed_out) {
        reset = true;
        break;
      }
    }
    if (reset || r->closed || r->stop->cancelled()) break;
    std::optional<std::string> chunk;
    try {
      chunk = co_await r->resp.stream->next();
    } catch (...) {
      reset = true;
      break;
    }
    if (!chunk || r->closed) break;
    r->resp.body += *chunk;
    nghttp2_session_resume_data(_session, id);
    _want_write.notify();
  }
  r->resp.stream.reset();
  r->pumping = false;
  r->eof = true;
  if (r->closed) {
    release(id, r);
    co_return;
  }
  if (reset)
    nghttp2_submit_rst_stream(_session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);  // on_stream_close frees r
  else
    nghttp2_session_resume_data(_session, id);  // sends what is left, then END_STREAM
  _want_write.notify();
}

bool h2_server_connection::start() {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &on_data);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &on_stream_close);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_max_send_header_block_length(opt, 64 * 1024);
#ifdef BROOD_NGHTTP2_HAS_RESET_RATE_LIMIT
  nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);  // CVE-2023-44487 (rapid reset)
#endif
#ifdef BROOD_NGHTTP2_HAS_MAX_CONTINUATIONS
  nghttp2_option_set_max_continuations(opt, 8);  // CVE-2024-28182 (CONTINUATION flood)
#endif
  int rv = nghttp2_session_server_new2(&_session, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) return false;
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, _s.options().max_concurrent_streams},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(_s.options().max_header_bytes)},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
  };
  nghttp2_submit_settings(_session, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  return true;
}

rt::task<void> h2_server_connection::reader(std::string prefix) {
  if (!prefix.empty() &&
      nghttp2_session_mem_recv(_session, reinterpret_cast<const std::uint8_t*>(prefix.data()), prefix.size()) < 0) {
    _closed = true;
  }
  std::vector<std::byte> buf(32 * 1024);
  while (!_closed) {
    // Idle connections (no stream open) are closed after idle_timeout; streams past their
    // deadlines are reset.
    std::optional<rt::clock::time_point> deadline = expire_streams();
    if (_streams.empty()) deadline = rt::clock::now() + _s.options().idle_timeout;
    auto n = co_await _t->read(buf, rt::io_options{deadline});
    if (!n && n.error() == std::errc::timed_out) {
      if (_streams.empty() && !_draining)
        drain();  // idle: say GOAWAY, so the client opens a new connection rather than fail a request
      else if (_streams.empty())
        break;  // drained, and the client sends nothing more
      continue;
    }
    if (!n || *n == 0) break;
    auto rv = nghttp2_session_mem_recv(_session, reinterpret_cast<const std::uint8_t*>(buf.data()), *n);
    if (rv < 0) {
      ++_s.mutable_stats().protocol_errors;
      break;  // nghttp2 has queued a GOAWAY for the writer where it could
    }
    _want_write.notify();
  }
  _closed = true;
  _want_write.notify();
}

rt::task<void> h2_server_connection::writer() {
  std::vector<std::byte> out;
  for (;;) {
    out.clear();
    while (out.size() < 64 * 1024) {
      const std::uint8_t* p = nullptr;
      auto n = nghttp2_session_mem_send(_session, &p);
      if (n <= 0) break;
      auto* b = reinterpret_cast<const std::byte*>(p);
      out.insert(out.end(), b, b + n);
    }
    if (!out.empty()) {
      // A client that reads nothing (a zero window) for idle_timeout loses the connection.
      const rt::io_options wo{rt::clock::now() + _s.options().idle_timeout};
      auto w = co_await _t->write_all(out, wo);
      if (!w) break;
      continue;
    }
    if (_closed) break;
    if (!nghttp2_session_want_read(_session) && !nghttp2_session_want_write(_session)) break;
    auto r = co_await _want_write.wait();
    if (!r) break;
  }
  _closed = true;
  _t->shutdown();
}

rt::task<void> h2_server_connection::run(std::string prefix, server::connection_base** registered) {
  if (!start()) co_return;
  _s.attach(this);
  *registered = this;
  auto token = co_await rt::current_token();
  rt::task_scope handlers(token);
  _handlers = &handlers;
  rt::task_scope io(token);
  io.spawn(reader(std::move(prefix)));
  io.spawn(writer());
  co_await io.join();
  handlers.cancel();  // the connection is gone: handlers still running have nobody to answer
  co_await handlers.join();
  *registered = nullptr;
  _s.detach(this);
}

}  // namespace

rt::task<void> serve_http2(server& s, std::unique_ptr<transport> t, std::string prefix, std::string remote,
                           std::string protocol, server::connection_base** registered) {
  h2_server_connection c(s, std::move(t), std::move(remote), std::move(protocol));
  co_await c.run(std::move(prefix), registered);
}

}  // namespace brood::http
