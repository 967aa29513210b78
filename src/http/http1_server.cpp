// HTTP/1.1 server connections: keep-alive, Content-Length and chunked bodies, 100-continue,
// and the limits (431, 413, 408 for a request that does not arrive in time).
#include "http/server_connection.hpp"

#include <brood/http/http1_parser.hpp>
#include <brood/rt/io_op.hpp>

namespace brood::http {

namespace {

struct h1_connection final : server::connection_base {
  transport* t = nullptr;
  bool draining = false;
  bool idle = true;  // between requests: a drain may close at once
  void drain() noexcept override {
    draining = true;
    if (idle) t->shutdown();
  }
};

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

}  // namespace

rt::task<void> serve_http1(server& s, std::unique_ptr<transport> t, std::string in, std::string remote) {
  h1_connection c;
  c.t = t.get();
  s.attach(&c);
  const server_options& o = s.options();
  std::vector<std::byte> buf(16 * 1024);
  auto read_more = [&](rt::clock::time_point deadline) { return t->read(buf, rt::io_options{deadline}); };
  auto append = [&](std::size_t n) { in.append(reinterpret_cast<const char*>(buf.data()), n); };

  for (;;) {
    // The request head: the idle deadline until its first byte, then the request deadline.
    c.idle = in.empty();
    if (c.draining && c.idle) break;
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
        c.idle = false;
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

    // The body, against the same request deadline.
    request& req = head->req;
    const auto deadline = started + o.request_timeout;
    if (head->framing != body_framing::none && req.header_value("expect") == "100-continue") {
      static const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
      (void)co_await t->write_all(bytes(cont), rt::io_options{deadline});
    }
    int body_error = 0;
    if (head->framing == body_framing::content_length) {
      const auto len = static_cast<std::size_t>(head->content_length);
      while (in.size() < len) {
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

    response resp = co_await s.dispatch(req);
    const bool close = !head->keep_alive || c.draining;
    auto out = serialize(resp, close, req.method == "HEAD");
    auto w = co_await t->write_all(bytes(out), rt::io_options{rt::clock::now() + o.request_timeout});
    const double ms = std::chrono::duration<double, std::milli>(rt::clock::now() - started).count();
    s.log({remote, "http/1.1", req.method, req.path, resp.status, resp.body.size(), ms});
    if (!w || close) break;
  }
  s.detach(&c);
  t->shutdown();
}

}  // namespace brood::http
