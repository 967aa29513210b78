// api_client: a node's signed requests to the scouts' API (docs/api.md) — the scouts found
// through the `_brood._tcp` SRV record and their A/AAAA records, all read over DoH (or one
// BROOD_API URL), tried in SRV order with failover to the next on a network error, a 5xx, a
// refusal (401, 403) or a 429; one that failed is tried last until the SRV is read again. A scout that refuses a request for clock skew says what its clock
// reads, and the difference is kept for status.
// Lifetime: the doh_client and identity must outlive it; close() before destroying it.
#pragma once

#include <brood/agent/config.hpp>
#include <brood/crypto/identity.hpp>
#include <brood/dns/doh_client.hpp>
#include <brood/http/h2_client.hpp>
#include <brood/records/names.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace brood::agent {

class api_client {
 public:
  api_client(const config& c, const crypto::identity& id, dns::doh_client& doh, std::shared_ptr<tls::context> tls);

  /// A node-signed request, to each scout in turn until one answers below 500. The answer, or
  /// the last error (std::errc::host_unreachable when no scout is known).
  rt::task<rt::result<http::response>> send(std::string method, std::string path, std::string body = {});
  /// GET /watch at the first scout that accepts it (200).
  rt::task<rt::result<std::unique_ptr<http::response_stream>>> watch();
  /// The scout that answered last ("host:port"), for status.
  const std::string& current() const noexcept { return _current; }
  /// How far this host's clock is ahead of (positive) or behind the last scout that refused a
  /// request for its time; 0 once a request is accepted again.
  std::int64_t clock_skew_ms() const noexcept { return _clock_skew_ms; }
  rt::task<void> close() { return _http.close(); }
  /// Drops the connections to the scouts (this node's address changed: they are dead).
  void reset() noexcept { _http.reset(); }

 private:
  rt::task<std::vector<std::string>> authorities();
  rt::task<rt::result<net::socket_address>> resolve(std::string host, std::uint16_t port);
  http::request signed_request(std::string method, std::string path, std::string body) const;
  void note_clock(const http::response& r);
  void demote(const std::string& authority);

  const config& _c;
  const crypto::identity& _id;
  dns::doh_client& _doh;
  records::names _n;
  http::h2_client _http;
  std::vector<std::string> _scouts;  // "host:port", in the order to try
  std::int64_t _scouts_read_ms = 0;
  std::map<std::string, net::socket_address> _addresses;  // host → address, from DoH
  std::string _current;
  std::int64_t _clock_skew_ms = 0;
};

}  // namespace brood::agent
