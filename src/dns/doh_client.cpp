// doh_client: RFC 8484 requests over h2_client and validation of what comes back.
#include <brood/crypto/identity.hpp>
#include <brood/dns/doh_client.hpp>
#include <brood/http/url.hpp>

#include <cstdlib>

namespace brood::dns {

std::string default_doh_url() {
  const char* env = std::getenv("BROOD_DOH");
  return env && *env ? env : "https://cloudflare-dns.com/dns-query";
}

result<std::unique_ptr<doh_client>> doh_client::make(doh_options o) {
  auto u = http::parse_url(o.url);
  if (!u) return u.error();
  const bool tls = u->tls;
  std::string authority = std::move(u->authority);
  std::string path = u->path == "/" ? "/dns-query" : std::move(u->path);
  http::client_options co;
  co.max_response_bytes = 65535;
  co.resolve = o.resolve;
  if (tls) {
    co.tls = o.tls;
    if (!co.tls) {
      auto ctx = tls::context::client({});
      if (!ctx) return ctx.error();
      co.tls = *ctx;
    }
  }
  return std::unique_ptr<doh_client>(new doh_client(std::move(o), std::move(co), std::move(authority), std::move(path)));
}

doh_client::doh_client(doh_options o, http::client_options co, std::string authority, std::string path)
    : _opts(std::move(o)), _http(std::move(co)), _authority(std::move(authority)), _path(std::move(path)) {}

rt::task<result<std::string>> doh_client::query(std::string name, record_type type, rt::io_options o) {
  auto q = build_query(name, type, 0);
  if (!q) co_return q.error();
  http::request req;
  req.headers.push_back({"accept", "application/dns-message"});
  if (_opts.use_get) {
    req.path = _path + "?dns=" + crypto::base64url({reinterpret_cast<const std::uint8_t*>(q->data()), q->size()});
  } else {
    req.method = "POST";
    req.path = _path;
    req.headers.push_back({"content-type", "application/dns-message"});
    req.body = std::move(*q);
  }
  if (!o.deadline) o.deadline = rt::clock::now() + _opts.timeout;
  auto resp = co_await _http.request(_authority, std::move(req), o);
  if (!resp) co_return resp.error();
  if (resp->status != 200 || resp->header_value("content-type") != "application/dns-message")
    co_return std::errc::protocol_error;
  auto& body = resp->body;
  std::span<const std::uint8_t> msg(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
  if (msg.size() >= 2 && (msg[0] != 0 || msg[1] != 0)) co_return error::malformed;  // we asked with id 0
  if (auto h = check_header(msg); !h) co_return h.error();
  co_return std::move(body);
}

rt::task<result<std::vector<txt_record>>> doh_client::txt(std::string name, rt::io_options o) {
  auto wire = co_await query(std::move(name), record_type::txt, o);
  if (!wire) co_return wire.error();
  co_return parse_txt({reinterpret_cast<const std::uint8_t*>(wire->data()), wire->size()});
}

rt::task<result<std::vector<srv_record>>> doh_client::srv(std::string name, rt::io_options o) {
  auto wire = co_await query(std::move(name), record_type::srv, o);
  if (!wire) co_return wire.error();
  co_return parse_srv({reinterpret_cast<const std::uint8_t*>(wire->data()), wire->size()});
}

}  // namespace brood::dns
