// The scout's certificate kept by ACME: issued, renewed at two thirds, failures backed off.
#include <brood/scout/certificate_keeper.hpp>

#include <brood/dns/resolver.hpp>
#include <brood/http/h2_client.hpp>
#include <brood/rt/file.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wall_clock.hpp>
#include <brood/scout/certificate.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace brood::scout {

certificate_keeper::certificate_keeper(keeper_options o, acme::dns01_publisher& dns)
    : _o(std::move(o)), _dns(dns), _backoff(_o.retry) {}

certificate_keeper::~certificate_keeper() = default;

std::int64_t certificate_keeper::now() const { return _o.clock ? _o.clock() : rt::unix_ms(); }

rt::task<std::optional<std::int64_t>> certificate_keeper::due() {
  auto chain = co_await rt::read_file(_o.cert_file);
  auto key = co_await rt::read_file(_o.key_file);
  if (!chain || !key || !certificate_matches_key(*chain, *key)) {
    // A crash between the two renames of a new pair: the new pair is whole beside them.
    auto next_chain = co_await rt::read_file(_o.cert_file + ".next");
    auto next_key = co_await rt::read_file(_o.key_file + ".next");
    if (!next_chain || !next_key || !certificate_matches_key(*next_chain, *next_key)) co_return std::nullopt;
    if (::rename((_o.key_file + ".next").c_str(), _o.key_file.c_str()) != 0 ||
        ::rename((_o.cert_file + ".next").c_str(), _o.cert_file.c_str()) != 0)
      co_return std::nullopt;
    chain = std::move(next_chain);
  }
  auto info = inspect_certificate(*chain);
  if (!info || !covers(*info, _o.names)) co_return std::nullopt;
  _s.serial = info->serial;
  _s.not_after_ms = info->not_after_ms;
  _s.renew_at_ms = renewal_time_ms(*info);
  co_return _s.renew_at_ms;
}

rt::task<void> certificate_keeper::load_retry() {
  if (_retry_loaded || _o.retry_file.empty()) co_return;
  _retry_loaded = true;
  auto text = co_await rt::read_file(_o.retry_file, 256);
  if (!text) co_return;
  long long at = 0, backoff = 0;
  if (std::sscanf(text->c_str(), "%lld %lld", &at, &backoff) != 2 || backoff <= 0) co_return;
  _s.next_attempt_ms = at;
  _s.failing = 1;
  _backoff = std::clamp(std::chrono::milliseconds(backoff), _o.retry, _o.max_retry);
}

rt::task<void> certificate_keeper::save_retry() {
  if (_o.retry_file.empty()) co_return;
  if (_s.failing == 0) {
    (void)co_await rt::remove_file(_o.retry_file);
    co_return;
  }
  std::string line = std::to_string(_s.next_attempt_ms) + " " + std::to_string(_backoff.count()) + "\n";
  (void)co_await rt::write_file_atomic(_o.retry_file, std::move(line), 0600, rt::durability::relaxed);
}

void certificate_keeper::failed(std::string why, std::chrono::seconds retry_after) {
  ++_s.failures;
  ++_s.failing;
  _s.last_error = std::move(why);
  const auto wait = std::max<std::chrono::milliseconds>(_backoff, retry_after);
  _s.next_attempt_ms = now() + wait.count();
  _backoff = std::min(_backoff * 2, _o.max_retry);
  std::fprintf(stderr, "brood: certificate for %s: %s (next attempt in %lld s)\n", _o.names.front().c_str(),
               _s.last_error.c_str(), static_cast<long long>(wait.count() / 1000));
}

rt::task<rt::result<void>> certificate_keeper::issue() {
  // The account key is kept: Let's Encrypt counts new accounts, and an account's orders are
  // what its rate limits follow.
  auto account_pem = co_await rt::read_file(_o.account_file);
  rt::result<acme::ec_key> account = account_pem ? acme::ec_key::from_pem(*account_pem)
                                                 : rt::result<acme::ec_key>(account_pem.error());
  if (!account && account_pem.error() == std::errc::no_such_file_or_directory) {
    account = acme::ec_key::generate();
    if (account) {
      std::string pem = account->to_pem();
      auto w = co_await rt::write_file_atomic(_o.account_file, std::move(pem), 0600);
      if (!w) {
        failed("writing " + _o.account_file + ": " + w.error().message(), {});
        co_return w.error();
      }
    }
  }
  if (!account) {
    failed(_o.account_file + ": " + account.error().message(), {});
    co_return account.error();
  }
  auto key = acme::ec_key::generate();  // a new key with every certificate
  if (!key) {
    failed("a certificate key: " + key.error().message(), {});
    co_return key.error();
  }
  tls::client_options to;
  to.ca_file = _o.ca_file;
  auto tls = tls::context::client(to);
  auto names_resolver = dns::resolver::make();
  if (!tls || !names_resolver) {
    failed("the ACME client's TLS or resolver could not be set up", {});
    co_return std::errc::io_error;
  }
  http::client_options ho;
  ho.tls = *tls;
  ho.resolve = (*names_resolver)->as_http_resolver();
  http::h2_client http(ho);
  acme::client c(http, _o.acme, *account);
  const auto deadline = rt::clock::now() + _o.issue_timeout;
  auto chain = co_await c.issue(_o.names, *key, _dns, deadline);
  co_await http.close();
  if (!chain) {
    // The client's words name the URL and what it said; the bare error only when it has none.
    std::string why = !c.last_error().empty()  ? c.last_error()
                      : !_dns.last_error().empty() ? _dns.last_error()
                                                   : _o.acme.directory_url + ": " + chain.error().message();
    failed("ACME: " + why, c.retry_after());
    co_return chain.error();
  }
  const std::string key_pem = key->to_pem();
  auto info = inspect_certificate(*chain);
  if (!info || !covers(*info, _o.names) || !certificate_matches_key(*chain, key_pem)) {
    failed("the CA's chain does not cover the names asked for, or not with the key sent", {});
    co_return std::errc::bad_message;
  }
  // Both written whole beside the pair in use, then renamed over it: a crash leaves the old
  // pair, or the new one (due() finishes the renames), never one that does not match.
  std::string key_copy = key_pem;
  auto wk = co_await rt::write_file_atomic(_o.key_file + ".next", std::move(key_copy), 0600);
  auto wc = wk;
  if (wk) wc = co_await rt::write_file_atomic(_o.cert_file + ".next", *chain, 0600);
  if (wc && (::rename((_o.key_file + ".next").c_str(), _o.key_file.c_str()) != 0 ||
             ::rename((_o.cert_file + ".next").c_str(), _o.cert_file.c_str()) != 0))
    wc = std::error_code(errno, std::generic_category());
  if (!wc) {
    failed("writing " + _o.cert_file + ": " + wc.error().message(), {});
    co_return wc.error();
  }
  ++_s.issued;
  _s.failing = 0;
  _s.last_error.clear();
  _s.next_attempt_ms = 0;
  _s.serial = info->serial;
  _s.not_after_ms = info->not_after_ms;
  _s.renew_at_ms = renewal_time_ms(*info);
  _backoff = _o.retry;
  std::fprintf(stderr, "brood: certificate for %s issued by %s (serial %s, valid %lld s, renewal due in %lld s)\n",
               _o.names.front().c_str(), _o.acme.directory_url.c_str(), info->serial.c_str(),
               static_cast<long long>((info->not_after_ms - info->not_before_ms) / 1000),
               static_cast<long long>((_s.renew_at_ms - now()) / 1000));
  // Due again at once (a clock far ahead, or a CA issuing for less than we wait): backed off
  // like a failure, not asked for again in a loop.
  if (_s.renew_at_ms <= now()) failed("the new certificate is already due for renewal: is this host's clock right?", {});
  co_return rt::result<void>{};
}

rt::task<rt::result<void>> certificate_keeper::attempt() {
  auto r = co_await issue();
  co_await save_retry();
  co_return r;
}

rt::task<rt::result<bool>> certificate_keeper::ensure() {
  co_await load_retry();
  const auto at = co_await due();
  if (at && now() < *at) co_return false;
  if (now() < _s.next_attempt_ms) {
    // A failure moments ago (this process's, or one before a restart): the CA is not asked
    // again before the wait is over.
    if (at) co_return false;
    if (_s.last_error.empty())
      _s.last_error = "an issuance failed before the restart: the next attempt is in " +
                      std::to_string((_s.next_attempt_ms - now()) / 1000) + " s";
    co_return std::errc::resource_unavailable_try_again;
  }
  auto r = co_await attempt();
  if (!r && at) co_return false;
  if (!r) co_return r.error();
  co_return true;
}

rt::task<void> certificate_keeper::run(std::function<rt::task<void>()> reload) {
  co_await load_retry();
  for (;;) {
    const auto known = co_await due();
    auto at = known.value_or(0);
    if (_s.failing > 0) at = std::max(at, _s.next_attempt_ms);
    const auto wait = std::chrono::milliseconds(std::clamp<std::int64_t>(at - now(), 0, _o.max_sleep.count()));
    if (wait.count() > 0) {
      auto slept = co_await rt::sleep_for(wait);
      if (!slept) co_return;
      continue;  // the clock is read again: it may have moved
    }
    auto r = co_await attempt();
    if (r && reload) co_await reload();
    if (!r) {
      const rt::cancel_token token = co_await rt::current_token();
      if (token.cancelled()) co_return;
    }
  }
}

void certificate_keeper::write_status(json::writer& w) const {
  w.begin_object().key("names").begin_array();
  for (auto& n : _o.names) w.string(n);
  w.end_array();
  w.key("serial").string(_s.serial).key("not_after_ms").number(_s.not_after_ms);
  w.key("renew_at_ms").number(_s.renew_at_ms).key("issued").number(static_cast<std::int64_t>(_s.issued));
  w.key("failures").number(static_cast<std::int64_t>(_s.failures)).key("failing").number(static_cast<std::int64_t>(_s.failing));
  w.key("last_error").string(_s.last_error).key("next_attempt_ms").number(_s.next_attempt_ms).end_object();
}

void certificate_keeper::write_metrics(std::string& out) const {
  auto line = [&](const char* name, const char* type, const char* help, std::int64_t v) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(v) + "\n";
  };
  line("brood_scout_certificate_not_after_seconds", "gauge", "When the served certificate expires (Unix time).",
       _s.not_after_ms / 1000);
  line("brood_scout_certificate_issued_total", "counter", "Certificates issued by ACME since start.",
       static_cast<std::int64_t>(_s.issued));
  line("brood_scout_certificate_failures_total", "counter", "ACME issuances that failed since start.",
       static_cast<std::int64_t>(_s.failures));
  line("brood_scout_certificate_failing", "gauge", "ACME issuances failed in a row (0: the last succeeded).",
       static_cast<std::int64_t>(_s.failing));
}

}  // namespace brood::scout
