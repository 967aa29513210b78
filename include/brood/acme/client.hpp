// acme client: one certificate through RFC 8555's flow, over HTTPS (HTTP/2) to the CA. The
// directory; a replay nonce (HEAD newNonce, then each response's Replay-Nonce); the account
// (newAccount, its URL kept as the JWS kid); an order for the names; for each pending
// authorization its dns-01 challenge — the TXT value handed to the caller's publisher, which
// writes it and returns once it is visible where the CA looks — answered and polled until
// valid; finalize with a CSR; the order polled until valid; the chain downloaded; and every TXT
// the order published withdrawn, however it ended. A badNonce is sent again with the fresh
// nonce (§6.5); polls wait as Retry-After says (§8.2), within the caller's deadline; any other
// problem ends the order with the server's words in last_error().
// Lifetime: the http client, the account key and the publisher outlive the client; one issue()
// at a time.
#pragma once

#include <brood/acme/ec_key.hpp>
#include <brood/acme/resources.hpp>
#include <brood/http/h2_client.hpp>
#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>
#include <brood/rt/timer.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace brood::acme {

/// Where the DNS-01 values go: `_acme-challenge.<name>` TXT, through the brood's DNS provider.
class dns01_publisher {
 public:
  virtual ~dns01_publisher() = default;
  /// Adds `value` to `_acme-challenge.<name>`'s TXT set and returns once it is visible.
  virtual rt::task<rt::result<void>> publish(std::string name, std::string value) = 0;
  /// Takes `value` out of that set again.
  virtual rt::task<rt::result<void>> withdraw(std::string name, std::string value) = 0;
  /// Its own words on its last failure, if it has any.
  virtual std::string last_error() const { return {}; }
};

struct client_options {
  std::string directory_url;  // e.g. https://acme-v02.api.letsencrypt.org/directory
  std::string contact;        // an e-mail address for the account, or ""
  /// Waits between polls when the server gives no Retry-After, and the most any poll waits.
  std::chrono::milliseconds poll_interval{1000}, max_poll_interval{10'000};
};

class client {
 public:
  client(http::h2_client& http, client_options o, const ec_key& account) noexcept
      : _http(http), _o(std::move(o)), _account(account) {}

  /// The certificate chain (PEM, leaf first) for `names` (the first is the subject's CN) over
  /// `certificate_key`. Errors: std::errc::protocol_error (the CA refused; last_error() says
  /// why), std::errc::resource_unavailable_try_again (rateLimited: retry_after() says when),
  /// std::errc::timed_out, std::errc::bad_message (an answer that is not RFC 8555's), or
  /// std::errc::io_error (the publisher failed: last_error() has its words).
  rt::task<rt::result<std::string>> issue(std::vector<std::string> names, const ec_key& certificate_key,
                                          dns01_publisher& dns, rt::clock::time_point deadline);

  const std::string& last_error() const noexcept { return _last_error; }
  const std::string& account_url() const noexcept { return _kid; }
  /// After rateLimited: the wait the server asked for (0 when it named none).
  std::chrono::seconds retry_after() const noexcept { return _retry_after; }

 private:
  rt::task<rt::result<http::response>> exchange(std::string method, std::string url, std::string body,
                                                rt::clock::time_point deadline);
  rt::task<rt::result<void>> ready(rt::clock::time_point deadline);  // directory, nonce and account
  rt::task<rt::result<http::response>> post(std::string url, std::string payload, rt::clock::time_point deadline);
  rt::task<rt::result<std::string>> order_certificate(std::vector<std::string> names, const ec_key& certificate_key,
                                                      dns01_publisher& dns, rt::clock::time_point deadline);
  rt::task<rt::result<void>> validate(std::string authorization_url, dns01_publisher& dns, rt::clock::time_point deadline);
  rt::task<rt::result<void>> pause(const http::response& r, rt::clock::time_point deadline);
  rt::result<void> fail(std::errc e, std::string why);

  http::h2_client& _http;
  client_options _o;
  const ec_key& _account;
  directory _dir;
  std::string _nonce, _kid, _last_error;
  std::chrono::seconds _retry_after{0};
  std::vector<std::pair<std::string, std::string>> _published;  // (name, value) of this order
};

}  // namespace brood::acme
