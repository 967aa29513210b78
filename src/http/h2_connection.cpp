// h2_connection: an nghttp2 client session driven by one reader and one writer task.
// nghttp2 callbacks never resume or await anything: they record into the stream's state and
// notify the waiting task.
#include "http/h2_connection.hpp"
#include "http/nghttp2_nv.hpp"

#include <brood/rt/timer.hpp>
#include <brood/rt/with_timeout.hpp>

#include <nghttp2/nghttp2.h>

#include <charconv>
#include <cstring>

namespace brood::http::detail {

struct h2_stream {
  response resp;  // streamed: resp.body holds what arrived and was not read yet
  std::string body;  // request body still to send
  std::size_t body_off = 0;
  std::size_t cap = 0;
  std::error_code error;
  bool done = false;
  bool refused = false;
  bool abandoned = false;  // the requester gave up; the connection frees it on stream close
  bool timed_out = false;
  bool streamed = false;
  bool headers_done = false;  // the final response's headers arrived
  rt::wait_slot slot;
};

namespace {

h2_stream* stream_of(nghttp2_session* s, std::int32_t id) {
  return static_cast<h2_stream*>(nghttp2_session_get_stream_user_data(s, id));
}

ssize_t read_body(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length, std::uint32_t* flags,
                  nghttp2_data_source* source, void*) {
  auto* st = static_cast<h2_stream*>(source->ptr);
  std::size_t n = std::min(length, st->body.size() - st->body_off);
  std::memcpy(buf, st->body.data() + st->body_off, n);
  st->body_off += n;
  if (st->body_off == st->body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

}  // namespace

struct callbacks {
  static int on_header(nghttp2_session* s, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
                       const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void*) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    h2_stream* st = stream_of(s, frame->hd.stream_id);
    if (!st || st->abandoned) return 0;
    std::string_view n(reinterpret_cast<const char*>(name), namelen), v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {
      int status = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), status);
      if (ec != std::errc() || p != v.data() + v.size()) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      if (status >= 200) st->resp.status = status;  // 1xx interim responses are skipped
    } else if (!n.empty() && n.front() != ':') {
      st->resp.headers.push_back({std::string(n), std::string(v)});
    }
    return 0;
  }

  static int on_data(nghttp2_session* s, std::uint8_t, std::int32_t id, const std::uint8_t* data, std::size_t len,
                     void*) {
    h2_stream* st = stream_of(s, id);
    if (!st || st->abandoned || st->error) return 0;
    if (st->resp.body.size() + len > st->cap) {
      st->error = std::make_error_code(std::errc::message_size);
      nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      return 0;
    }
    st->resp.body.append(reinterpret_cast<const char*>(data), len);
    if (st->streamed) st->slot.notify();
    return 0;
  }

  static int on_stream_close(nghttp2_session* s, std::int32_t id, std::uint32_t code, void* user) {
    auto* c = static_cast<h2_connection*>(user);
    h2_stream* st = stream_of(s, id);
    if (!st) return 0;
    if (st->abandoned) {
      c->_streams.erase(id);
      delete st;
      return 0;
    }
    if (code == NGHTTP2_REFUSED_STREAM) st->refused = true;
    if (!st->error && code != NGHTTP2_NO_ERROR) st->error = std::make_error_code(std::errc::connection_reset);
    if (!st->error && st->resp.status == 0) st->error = std::make_error_code(std::errc::protocol_error);
    st->done = true;
    st->slot.notify();
    return 0;
  }

  static int on_frame_recv(nghttp2_session* s, const nghttp2_frame* frame, void* user) {
    auto* c = static_cast<h2_connection*>(user);
    if (frame->hd.type == NGHTTP2_HEADERS) {
      h2_stream* st = stream_of(s, frame->hd.stream_id);
      if (st && st->streamed && !st->abandoned && st->resp.status != 0 && !st->headers_done) {
        st->headers_done = true;
        st->slot.notify();
      }
    }
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      ++c->_stats->goaways;
      c->_goaway = true;
      c->_goaway_last_stream = frame->goaway.last_stream_id;
    }
    return 0;
  }
};

h2_connection::h2_connection(std::unique_ptr<transport> t, std::string authority, std::string scheme,
                             std::size_t max_response, client_stats* stats)
    : _t(std::move(t)),
      _authority(std::move(authority)),
      _scheme(std::move(scheme)),
      _max_response(max_response),
      _stats(stats) {}

h2_connection::~h2_connection() {
  nghttp2_session_del(_session);  // before the streams it may still point at
  for (auto& [id, st] : _streams) delete st;
}

result<void> h2_connection::start(rt::task_scope& scope) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &callbacks::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &callbacks::on_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &callbacks::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &callbacks::on_frame_recv);
  int rv = nghttp2_session_client_new(&_session, cbs, this);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) return std::make_error_code(std::errc::not_enough_memory);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 256},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  nghttp2_submit_settings(_session, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(_session, NGHTTP2_FLAG_NONE, 0, 16 << 20);
  scope.spawn(reader_task(shared_from_this()));
  scope.spawn(writer_task(shared_from_this()));
  return {};
}

rt::task<void> h2_connection::reader_task(std::shared_ptr<h2_connection> self) { co_await self->reader(); }
rt::task<void> h2_connection::writer_task(std::shared_ptr<h2_connection> self) { co_await self->writer(); }

rt::task<void> h2_connection::reader() {
  std::vector<std::byte> buf(32 * 1024);
  for (;;) {
    auto n = co_await _t->read(buf);
    // Closed meanwhile (abort): what arrived answers streams that were failed, and freed.
    if (_closed || !n || *n == 0) {
      fail_all(n ? std::make_error_code(std::errc::connection_reset) : n.error());
      break;
    }
    auto rv = nghttp2_session_mem_recv(_session, reinterpret_cast<const std::uint8_t*>(buf.data()), *n);
    if (rv < 0) {
      fail_all(std::make_error_code(std::errc::protocol_error));
      break;
    }
    _want_write.notify();  // acknowledgements, window updates, RST_STREAMs from callbacks
  }
  _want_write.notify();
}

rt::task<void> h2_connection::writer() {
  std::vector<std::byte> out;
  while (!_closed) {
    out.clear();
    while (out.size() < 64 * 1024) {
      const std::uint8_t* p = nullptr;
      auto n = nghttp2_session_mem_send(_session, &p);  // p is valid until the next call: copy now
      if (n < 0) {
        fail_all(std::make_error_code(std::errc::protocol_error));
        break;
      }
      if (n == 0) break;
      auto* b = reinterpret_cast<const std::byte*>(p);
      out.insert(out.end(), b, b + n);
    }
    if (_closed) break;
    if (!out.empty()) {
      auto w = co_await _t->write_all(out);
      if (!w) {
        fail_all(w.error());
        break;
      }
      continue;
    }
    if (!nghttp2_session_want_read(_session) && !nghttp2_session_want_write(_session)) break;  // GOAWAY done
    auto r = co_await _want_write.wait();
    if (!r) break;  // the client is shutting down
  }
  _closed = true;
  _t->shutdown();  // ends the reader's pending read
}

void h2_connection::fail_all(std::error_code ec) noexcept {
  _closed = true;
  if (!_error) _error = ec;
  for (auto& [id, st] : _streams) {
    if (st->done || st->abandoned) continue;
    // Its waiter frees it once woken, while nghttp2 still holds the stream: no callback of a
    // frame read after this may find it.
    nghttp2_session_set_stream_user_data(_session, id, nullptr);
    st->error = st->error ? st->error : ec;
    st->done = true;
    st->slot.notify();
  }
}

void h2_connection::close() noexcept {
  if (_closed) return;
  _goaway = true;
  nghttp2_submit_goaway(_session, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(_session),
                        NGHTTP2_NO_ERROR, nullptr, 0);
  _want_write.notify();
}

void h2_connection::abort(std::error_code ec) noexcept {
  fail_all(ec);
  _t->shutdown();
  _want_write.notify();
}

namespace {
void on_request_deadline(void* p) noexcept {
  auto* st = static_cast<h2_stream*>(p);
  st->timed_out = true;
  st->slot.notify();
}
}  // namespace

result<std::pair<std::int32_t, h2_stream*>> h2_connection::submit(http::request req, bool streamed) {
  auto* st = new h2_stream;
  st->streamed = streamed;
  st->cap = _max_response;
  st->body = std::move(req.body);
  const std::string length = std::to_string(st->body.size());
  const bool has_body = !st->body.empty() || req.method == "POST" || req.method == "PUT";
  std::vector<nghttp2_nv> nva;
  nva.reserve(5 + req.headers.size());
  nva.push_back(make_nv(":method", req.method));
  nva.push_back(make_nv(":scheme", _scheme));
  nva.push_back(make_nv(":authority", req.authority.empty() ? _authority : req.authority));
  nva.push_back(make_nv(":path", req.path));
  for (auto& h : req.headers) nva.push_back(make_nv(h.name, h.value));
  if (has_body) nva.push_back(make_nv("content-length", length));
  nghttp2_data_provider prov{};
  prov.source.ptr = st;
  prov.read_callback = &read_body;
  const std::int32_t id = nghttp2_submit_request(_session, nullptr, nva.data(), nva.size(), has_body ? &prov : nullptr, st);
  if (id < 0) {
    delete st;
    return std::make_error_code(std::errc::protocol_error);
  }
  _streams.emplace(id, st);
  _want_write.notify();
  return std::pair{id, st};
}

void h2_connection::abandon(std::int32_t id, h2_stream* st) noexcept {
  if (st->done) {  // closed already: nobody else will free it
    _streams.erase(id);
    delete st;
    return;
  }
  // Tell the server, and let the connection free it when it closes.
  st->abandoned = true;
  if (!_closed) {
    nghttp2_submit_rst_stream(_session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    _want_write.notify();
  }
}

rt::task<result<response>> h2_connection::request(http::request req, io_options o, bool* safe_to_retry) {
  auto self = shared_from_this();
  *safe_to_retry = false;
  if (!usable()) {
    *safe_to_retry = true;
    co_return std::make_error_code(std::errc::connection_reset);
  }
  auto submitted = submit(std::move(req), false);
  if (!submitted) co_return submitted.error();
  const auto [id, st] = *submitted;

  rt::callback_timer deadline(&on_request_deadline, st);
  if (o.deadline) deadline.arm_at(*o.deadline);
  std::error_code waited;
  while (!st->done && !st->timed_out) {
    auto r = co_await st->slot.wait();
    if (!r) {
      waited = r.error();
      break;
    }
  }
  deadline.disarm();
  if (!st->done) {
    const bool timed_out = st->timed_out;
    abandon(id, st);
    co_return timed_out ? std::make_error_code(std::errc::timed_out) : waited;
  }
  _streams.erase(id);
  std::unique_ptr<h2_stream> owned(st);
  if (st->refused || (_goaway && id > _goaway_last_stream)) *safe_to_retry = true;
  if (st->error) co_return st->error;
  co_return std::move(st->resp);
}

rt::task<result<void>> wait_for_news(h2_stream* st, io_options o) {
  if (!o.deadline) co_return co_await st->slot.wait();
  co_return co_await rt::with_deadline(*o.deadline, [st] { return st->slot.wait(); });
}

rt::task<result<void>> wait_for_headers(h2_stream* st, io_options o) {
  while (!st->headers_done && !st->done) {
    auto w = co_await wait_for_news(st, o);
    if (!w) co_return w.error();
  }
  if (!st->headers_done) co_return st->error ? st->error : std::make_error_code(std::errc::protocol_error);
  co_return rt::result<void>{};
}

}  // namespace brood::http::detail

namespace brood::http {

response_stream::response_stream(std::shared_ptr<detail::h2_connection> c, std::int32_t id,
                                 detail::h2_stream* st) noexcept
    : _c(std::move(c)), _id(id), _st(st) {}

response_stream::~response_stream() { _c->abandon(_id, _st); }

int response_stream::status() const noexcept { return _st->resp.status; }
const std::vector<header>& response_stream::headers() const noexcept { return _st->resp.headers; }
bool response_stream::ended() const noexcept { return _st->done && _st->resp.body.empty(); }

rt::task<result<std::string>> response_stream::read(io_options o) {
  detail::h2_stream* st = _st;
  while (st->resp.body.empty() && !st->done) {
    auto w = co_await detail::wait_for_news(st, o);
    if (!w) co_return w.error();
  }
  if (!st->resp.body.empty()) {
    std::string out;
    out.swap(st->resp.body);
    co_return out;
  }
  if (st->error) co_return st->error;
  co_return std::string();
}

}  // namespace brood::http
