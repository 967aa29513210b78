// acme client: each request signed with a nonce used once; answers read by resources.cpp;
// polls paced by Retry-After; what the order published withdrawn on every way out of issue().
// Arguments of co_await are named locals throughout: GCC 12 mishandles temporaries there.
#include <brood/acme/client.hpp>
#include <brood/acme/csr.hpp>
#include <brood/acme/jws.hpp>
#include <brood/http/url.hpp>
#include <brood/json/writer.hpp>
#include <brood/rt/with_timeout.hpp>

#include <algorithm>
#include <charconv>

namespace brood::acme {

namespace {
constexpr int bad_nonce_retries = 3;
constexpr std::size_t max_polls = 600;  // with the deadline, a bound on a server that never decides

/// Retry-After in whole seconds (RFC 9110 §10.2.3; the HTTP-date form counts as absent).
std::chrono::seconds retry_after_of(const http::response& r) {
  const auto v = r.header_value("retry-after");
  unsigned s = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
  if (ec != std::errc() || p != v.data() + v.size()) return std::chrono::seconds(0);
  return std::chrono::seconds(std::min(s, 86'400u));
}

std::string short_body(const std::string& b) { return b.size() > 300 ? b.substr(0, 300) + "…" : b; }
}  // namespace

rt::result<void> client::fail(std::errc e, std::string why) {
  _last_error = std::move(why);
  return e;
}

rt::task<rt::result<http::response>> client::exchange(std::string method, std::string url, std::string body,
                                                      rt::clock::time_point deadline) {
  auto u = http::parse_url(url);
  if (!u || !u->tls) co_return fail(std::errc::invalid_argument, "not an https URL: " + url).error();
  http::request req;
  req.method = std::move(method);
  req.path = u->path;
  req.authority = u->authority;
  req.headers.push_back({"user-agent", "brood-acme/1"});
  if (req.method == "POST") req.headers.push_back({"content-type", "application/jose+json"});
  req.body = std::move(body);
  const rt::io_options io{deadline};
  auto r = co_await _http.request(u->authority, std::move(req), io);
  if (!r) {
    _last_error = url + ": " + r.error().message();
    co_return r.error();
  }
  if (const auto n = r->header_value("replay-nonce"); !n.empty()) _nonce = std::string(n);
  co_return r;
}

rt::task<rt::result<void>> client::ready(rt::clock::time_point deadline) {
  if (_dir.new_nonce.empty()) {
    std::string method = "GET", url = _o.directory_url, none;
    auto r = co_await exchange(std::move(method), std::move(url), std::move(none), deadline);
    if (!r) co_return r.error();
    auto d = r->status == 200 ? parse_directory(r->body) : rt::result<directory>(std::errc::bad_message);
    if (!d) co_return fail(std::errc::bad_message, "the directory at " + _o.directory_url + " answered " +
                                                       std::to_string(r->status) + ": " + short_body(r->body));
    _dir = std::move(*d);
  }
  if (_nonce.empty()) {
    std::string method = "HEAD", url = _dir.new_nonce, none;
    auto r = co_await exchange(std::move(method), std::move(url), std::move(none), deadline);
    if (!r) co_return r.error();
    if (_nonce.empty()) co_return fail(std::errc::bad_message, "newNonce gave no Replay-Nonce");
  }
  if (_kid.empty()) {
    json::writer w;
    w.begin_object().key("termsOfServiceAgreed").boolean(true);
    if (!_o.contact.empty()) w.key("contact").begin_array().string("mailto:" + _o.contact).end_array();
    w.end_object();
    std::string url = _dir.new_account, payload = w.take();
    auto r = co_await post(std::move(url), std::move(payload), deadline);  // signed with the JWK: _kid is ""
    if (!r) co_return r.error();
    const auto location = r->header_value("location");
    if ((r->status != 200 && r->status != 201) || location.rfind("https://", 0) != 0)
      co_return fail(std::errc::bad_message, "newAccount answered " + std::to_string(r->status) + " without an account URL");
    _kid = std::string(location);
  }
  co_return rt::result<void>{};
}

rt::task<rt::result<http::response>> client::post(std::string url, std::string payload, rt::clock::time_point deadline) {
  for (int attempt = 0;; ++attempt) {
    if (_nonce.empty()) {
      std::string method = "HEAD", nonce_url = _dir.new_nonce, none;
      auto n = co_await exchange(std::move(method), std::move(nonce_url), std::move(none), deadline);
      if (!n) co_return n.error();
      if (_nonce.empty()) co_return fail(std::errc::bad_message, "newNonce gave no Replay-Nonce").error();
    }
    const std::string nonce = std::exchange(_nonce, {});  // each nonce is used once
    const signer s{&_account, _kid};
    auto body = sign_request(s, url, nonce, payload);
    if (!body) co_return body.error();
    std::string method = "POST", target = url;
    auto r = co_await exchange(std::move(method), std::move(target), std::move(*body), deadline);
    if (!r) co_return r.error();
    if (r->status < 400) co_return r;
    auto p = parse_problem(r->body);
    const std::string name = p ? std::string(p->name()) : "";
    if (name == "badNonce" && attempt < bad_nonce_retries) continue;  // the answer carried a fresh one
    const std::string why = url + " answered " + std::to_string(r->status) + ": " +
                            (p ? p->type + (p->detail.empty() ? "" : " — " + p->detail) : short_body(r->body));
    if (name == "rateLimited") {
      _retry_after = retry_after_of(*r);
      co_return fail(std::errc::resource_unavailable_try_again, why).error();
    }
    co_return fail(std::errc::protocol_error, why).error();
  }
}

rt::task<rt::result<void>> client::pause(const http::response& r, rt::clock::time_point deadline) {
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(retry_after_of(r));
  if (wait.count() == 0) wait = _o.poll_interval;
  wait = std::min(wait, _o.max_poll_interval);
  if (rt::clock::now() + wait > deadline) co_return fail(std::errc::timed_out, "the order was not done by the deadline");
  auto slept = co_await rt::sleep_for(wait);
  if (!slept) co_return slept.error();
  co_return rt::result<void>{};
}

rt::task<rt::result<void>> client::validate(std::string authorization_url, dns01_publisher& dns,
                                            rt::clock::time_point deadline) {
  bool answered = false;
  for (std::size_t poll = 0; poll < max_polls; ++poll) {
    std::string url = authorization_url, as_get;
    auto r = co_await post(std::move(url), std::move(as_get), deadline);  // POST-as-GET
    if (!r) co_return r.error();
    auto a = parse_authorization(r->body);
    if (!a) co_return fail(std::errc::bad_message, "authorization " + authorization_url + ": " + short_body(r->body));
    if (a->status == authorization_status::valid) co_return rt::result<void>{};
    if (a->status != authorization_status::pending) {
      std::string why = "authorization for " + a->identifier + " is no longer pending";
      for (auto& c : a->challenges)
        if (c.status == challenge_status::invalid) why += " (" + c.type + " invalid)";
      co_return fail(std::errc::protocol_error, why);
    }
    if (!answered) {
      const auto* ch = a->dns01();
      if (!ch) co_return fail(std::errc::protocol_error, "no dns-01 challenge for " + a->identifier);
      std::string name = a->identifier, value = dns01_value(key_authorization(ch->token, _account));
      _published.emplace_back(name, value);
      auto published = co_await dns.publish(std::move(name), std::move(value));
      if (!published) {
        const std::string said = dns.last_error();
        co_return fail(std::errc::io_error, "publishing _acme-challenge." + a->identifier + ": " +
                                                published.error().message() + (said.empty() ? "" : ": " + said));
      }
      std::string challenge_url = ch->url, empty_object = "{}";
      auto answer = co_await post(std::move(challenge_url), std::move(empty_object), deadline);
      if (!answer) co_return answer.error();
      answered = true;
      continue;
    }
    auto paused = co_await pause(*r, deadline);
    if (!paused) co_return paused;
  }
  co_return fail(std::errc::timed_out, "authorization " + authorization_url + " never decided");
}

rt::task<rt::result<std::string>> client::order_certificate(std::vector<std::string> names, const ec_key& certificate_key,
                                                            dns01_publisher& dns, rt::clock::time_point deadline) {
  auto up = co_await ready(deadline);
  if (!up) co_return up.error();
  json::writer w;
  w.begin_object().key("identifiers").begin_array();
  for (auto& n : names) w.begin_object().key("type").string("dns").key("value").string(n).end_object();
  w.end_array().end_object();
  std::string new_order = _dir.new_order, identifiers = w.take();
  auto r = co_await post(std::move(new_order), std::move(identifiers), deadline);
  if (!r) co_return r.error();
  const std::string order_url(r->header_value("location"));
  auto o = parse_order(r->body);
  if (r->status != 201 || !o || order_url.rfind("https://", 0) != 0)
    co_return fail(std::errc::bad_message, "newOrder answered " + std::to_string(r->status) + ": " + short_body(r->body)).error();

  for (auto& authz : o->authorizations) {
    auto v = co_await validate(authz, dns, deadline);
    if (!v) co_return v.error();
  }

  auto csr = make_csr(certificate_key, names);
  if (!csr) co_return fail(std::errc::invalid_argument, "the names do not make a CSR").error();
  json::writer f;
  f.begin_object().key("csr").string(*csr).end_object();
  std::string finalize = o->finalize, request = f.take();
  r = co_await post(std::move(finalize), std::move(request), deadline);
  if (!r) co_return r.error();
  for (std::size_t poll = 0;; ++poll) {
    o = parse_order(r->body);
    if (!o) co_return fail(std::errc::bad_message, "order " + order_url + ": " + short_body(r->body)).error();
    if (o->status == order_status::valid) break;
    if (o->status == order_status::invalid) co_return fail(std::errc::protocol_error, "order " + order_url + " is invalid").error();
    if (poll >= max_polls) co_return fail(std::errc::timed_out, "order " + order_url + " never decided").error();
    auto paused = co_await pause(*r, deadline);
    if (!paused) co_return paused.error();
    std::string url = order_url, as_get;
    r = co_await post(std::move(url), std::move(as_get), deadline);
    if (!r) co_return r.error();
  }
  std::string certificate = o->certificate, as_get;
  r = co_await post(std::move(certificate), std::move(as_get), deadline);
  if (!r) co_return r.error();
  if (r->status != 200 || r->body.rfind("-----BEGIN CERTIFICATE-----", 0) != 0)
    co_return fail(std::errc::bad_message, "the certificate download answered " + std::to_string(r->status)).error();
  co_return std::move(r->body);
}

rt::task<rt::result<std::string>> client::issue(std::vector<std::string> names, const ec_key& certificate_key,
                                                dns01_publisher& dns, rt::clock::time_point deadline) {
  _last_error.clear();
  _retry_after = std::chrono::seconds(0);
  _published.clear();
  auto chain = co_await order_certificate(std::move(names), certificate_key, dns, deadline);
  // Withdrawn whether the order succeeded or not: a challenge value is of no use afterwards, and
  // nothing half-written is left in the zone.
  // Under a token of their own, bounded in time: an order cancelled (SIGTERM) still cleans up.
  auto published = std::exchange(_published, {});
  for (auto& [name, value] : published) {
    auto withdrawal = rt::with_timeout(std::chrono::seconds(10), dns.withdraw(std::move(name), std::move(value)));
    (void)co_await std::move(withdrawal).with_token(rt::cancel_token{});
  }
  co_return chain;
}

}  // namespace brood::acme
