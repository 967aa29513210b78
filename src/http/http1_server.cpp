// HTTP/1.1 server connections: keep-alive, Content-Length and chunked bodies, 100-continue,
// streamed responses (chunked, then the connection closes), and the limits (431, 413, 408 for
// a request that does not arrive in time).
#include "http/server_connection.hpp"

#include <brood/http/http1_parser.hpp>
#include <brood/net/client_key.hpp>
#include <brood/rt/io_op.hpp>

#include <cstdio>
#include <optional>

namespace brood::http {

namespace {

struct h1_connection final : server::connection_base {
  transport* t = nullptr;
  bool draining = false;
  bool between_requests = true;  // a drain may close at once
  bool handling = false;         // a request is with its handler, or its response going out
  rt::cancel_source* stream_stop = nullptr;  // while a streamed body is being sent
  void drain() noexcept override {
    draining = true;
    if (between_requests) t->shutdown();
    if (stream_stop) stream_stop->request_cancel();
  }
  bool idle() const noexcept override { return !handling; }
  void evict() noexcept override {
    draining = true;
    t->shutdown();
  }
};

/// The head of a streamed response: chunked (HTTP/1.0: the body ends with the connection), and
/// the connection closes after it.
std::string serialize_stream_head(const response& r, bool chunked) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + ' ' + std::string(reason_phrase(r.status)) + "\r\n";
  for (auto& h : r.headers) {
    if (h.name == "content-length" || h.name == "connection" || h.name == "transfer-encoding") continue;
    out += h.name + ": " + h.value + "\r\n";
  }
  if (chunked) out += "transfer-encoding: chunked\r\n";
  out += "connection: close\r\n\r\n";
  return out;
}

void append_chunk(std::string& out, std::string_view data, bool chunked) {
  if (data.empty()) return;  // an empty chunk would end the body
  if (!chunked) {
    out += data;
    return;
  }
  char size[20];
  out.append(size, static_cast<std::size_t>(std::snprintf(size, sizeof size, "%zx\r\n", data.size())));
  out += data;
  out += "\r\n";
}

std::string serialize(const response& r, bool close, bool head_only) {
  std::string out;
  out.reserve(128 + r.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += reason_phrase(r.status);
  out += "\r\n";
  for (auto& h : r.headers) {
    if (h.name == "content-length" || h.name == "connection" || h.name == "transfer-encoding") continue;
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  out += "content-length: " + std::to_string(r.body.size()) + "\r\n";
  if (close) out += "connection: close\r\n";
  out += "\r\n";
  if (!head_only) out += r.body;
  return out;
}

std::span<const std::byte> bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

/// Sends a streamed response until the stream ends, the client stops reading for
/// `write_timeout`, or a drain ends it. Each chunk goes out as it comes. The client notices it
/// went away only at the next write (streams such as /watch write at least every keepalive).
rt::task<void> send_stream(h1_connection& c, transport& t, response& resp, bool chunked,
                           std::chrono::milliseconds write_timeout) {
  const rt::cancel_token parent = co_await rt::current_token();
  rt::cancel_source stop(parent);
  if (c.draining) stop.request_cancel();
  c.stream_stop = &stop;
  std::string out = serialize_stream_head(resp, chunked);
  append_chunk(out, resp.body, chunked);
  const rt::io_options first{rt::clock::now() + write_timeout};
  auto head_written = co_await t.write_all(bytes(out), first);
  bool ok = head_written.has_value();
  while (ok && !stop.cancelled()) {
    std::optional<std::string> chunk;
    try {
      chunk = co_await resp.stream->next().with_token(stop.token());
    } catch (...) {
      ok = false;  // no last chunk: the client must not take a truncated body for a whole one
      break;
    }
    if (!chunk) break;
    out.clear();
    append_chunk(out, *chunk, chunked);
    if (out.empty()) continue;
    const rt::io_options wo{rt::clock::now() + write_timeout};
    auto w = co_await t.write_all(bytes(out), wo);
    ok = w.has_value();
  }
  c.stream_stop = nullptr;
  resp.stream.reset();
  if (ok && chunked) {
    static const std::string last = "0\r\n\r\n";
    const rt::io_options wo{rt::clock::now() + write_timeout};
    (void)co_await t.write_all(bytes(last), wo);
  }
}

}  // namespace

rt::task<void> serve_http1(server& s, std::unique_ptr<transport> t, std::string in, std::string remote,
                           server::connection_base** registered) {
  h1_connection c;
  c.t = t.get();
  s.attach(&c);
  *registered = &c;
  const server_options& o = s.options();
  const std::string client = net::client_key(remote);
  std::vector<std::byte> buf(16 * 1024);
  auto read_more = [&](rt::clock::time_point deadline) { return t->read(buf, rt::io_options{deadline}); };
  auto append = [&](std::size_t n) { in.append(reinterpret_cast<const char*>(buf.data()), n); };

  for (;;) {
    // The request head: the idle deadline until its first byte, then the request deadline.
    c.between_requests = in.empty();
    if (c.draining && c.between_requests) break;
    auto started = rt::clock::now();
    int reject = 0;
    std::size_t end;
    while ((end = find_head_end(in)) == std::string::npos) {
      if (in.size() > o.max_header_bytes) {
        reject = 431;
        break;
      }
      auto deadline = in.empty() ? rt::clock::now() + o.idle_timeout : started + o.request_timeout;
      auto n = co_await read_more(deadline);
      if (!n || *n == 0) {
        if (!in.empty() && n.error() == std::errc::timed_out) reject = 408;
        break;
      }
      if (in.empty()) {
        started = rt::clock::now();
        c.between_requests = false;
      }
      append(*n);
    }
    if (end != std::string::npos && end > o.max_header_bytes) reject = 431;
    std::optional<request_head> head;
    if (!reject && end != std::string::npos) {
      auto h = parse_request_head(std::string_view(in).substr(0, end));
      if (h) {
        head.emplace(std::move(*h));
        in.erase(0, end);
      } else {
        reject = h.error() == std::errc::not_supported ? 501 : 400;
        ++s.mutable_stats().protocol_errors;
      }
    }
    if (!head && !reject) break;  // the peer went away (or idled out) between requests
    if (head && head->framing == body_framing::content_length && head->content_length > o.max_body_bytes) reject = 413;

    if (reject) {
      auto r = error_response(reject, std::string(reason_phrase(reject)));
      auto out = serialize(r, true, false);
      (void)co_await t->write_all(bytes(out), rt::io_options{rt::clock::now() + o.request_timeout});
      s.log({remote, "http/1.1", head ? head->req.method : "-", head ? head->req.path : "-", reject, r.body.size(), 0});
      break;
    }

    // The body, against the same request deadline, within the budget all connections share:
    // taken as its bytes arrive (declaring a length reserves nothing).
    request& req = head->req;
    const auto deadline = started + o.request_timeout;
    if (head->framing != body_framing::none && req.header_value("expect") == "100-continue") {
      static const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
      (void)co_await t->write_all(bytes(cont), rt::io_options{deadline});
    }
    struct body_reservation {
      body_reservation(server& srv, const std::string& c) : s(srv), client(c) {}
      server& s;
      const std::string& client;
      std::size_t n = 0;
      bool grow_to(std::size_t total) {
        if (total <= n) return true;
        if (!s.reserve_body(client, total - n)) return false;
        n = total;
        return true;
      }
      ~body_reservation() { s.release_body(client, n); }
    };
    std::optional<body_reservation> held{std::in_place, s, client};
    int body_error = 0;
    if (head->framing == body_framing::content_length) {
      const auto len = static_cast<std::size_t>(head->content_length);
      while (in.size() < len) {
        if (!held->grow_to(std::min(in.size(), len))) {
          body_error = 503;
          break;
        }
        auto n = co_await read_more(deadline);
        if (!n || *n == 0) {
          body_error = n.error() == std::errc::timed_out ? 408 : -1;
          break;
        }
        append(*n);
      }
      if (!body_error) {
        req.body = in.substr(0, len);
        in.erase(0, len);
      }
    } else if (head->framing == body_framing::chunked) {
      chunked_decoder dec(o.max_body_bytes);
      for (;;) {
        auto used = dec.feed(in, req.body);
        if (!used) {
          body_error = used.error() == std::errc::message_size ? 413 : 400;
          break;
        }
        in.erase(0, *used);
        if (dec.done()) break;
        if (!held->grow_to(req.body.size() + in.size())) {
          body_error = 503;
          break;
        }
        auto n = co_await read_more(deadline);
        if (!n || *n == 0) {
          body_error = n.error() == std::errc::timed_out ? 408 : -1;
          break;
        }
        append(*n);
      }
    }
    if (body_error) {
      if (body_error > 0) {
        auto r = error_response(body_error, std::string(reason_phrase(body_error)));
        auto out = serialize(r, true, false);
        (void)co_await t->write_all(bytes(out), rt::io_options{rt::clock::now() + o.request_timeout});
        s.log({remote, "http/1.1", req.method, req.path, body_error, r.body.size(), 0});
      }
      break;
    }

    held.reset();  // the handler's now
    req.remote = remote;
    c.handling = true;
    response resp = co_await s.dispatch(req);
    if (resp.stream && req.method != "HEAD") {
      s.log({remote, "http/1.1", req.method, req.path, resp.status, resp.body.size(),
             std::chrono::duration<double, std::milli>(rt::clock::now() - started).count()});
      co_await send_stream(c, *t, resp, head->minor_version == 1, o.request_timeout);
      break;
    }
    const bool close = !head->keep_alive || c.draining;
    auto out = serialize(resp, close, req.method == "HEAD");
    auto w = co_await t->write_all(bytes(out), rt::io_options{rt::clock::now() + o.request_timeout});
    const double ms = std::chrono::duration<double, std::milli>(rt::clock::now() - started).count();
    s.log({remote, "http/1.1", req.method, req.path, resp.status, resp.body.size(), ms});
    c.handling = false;
    if (!w || close) break;
  }
  *registered = nullptr;
  s.detach(&c);
  t->shutdown();
}

}  // namespace brood::http
