// cloudflare_fake: a Cloudflare API v4 DNS-records server for tests — Cloudflare itself cannot be
// reached from here (SPEC §10). It enforces the documented behaviour a client must cope with
// (see the project's notes on the API): the response envelope, Bearer auth and its error codes,
// 32-hex ids, list filters and pagination, TXT content quoted and split at 255 bytes, 4,096
// bytes of wire format per record and 8,192 characters per name and type, the record quota,
// TTL rules, exact duplicates, batches that apply all or nothing, and the rate limit: 1,200
// calls per 5 minutes, after which every call gets 429 with Retry-After for 5 minutes.
// Where Cloudflare's error code for a limit is undocumented, the code used here says so.
// Lifetime: the router it returns refers to the fake, which must outlive the server.
#pragma once

#include <brood/http/router.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace brood::test {

struct cloudflare_fake_options {
  std::string token = "cf-test-token-0123456789abcdefghijklmn";
  std::string zone_id = "023e105f4ecef8ad9ca31a8372d0c353";
  std::string zone_name = "brood.test";
  std::size_t record_quota = 3500;  // paid plans; Free is 200
  std::size_t batch_limit = 3500;   // changes per batch; Free is 200
  std::size_t rate_limit = 1200;    // calls per window, per token
  std::chrono::seconds rate_window{300};
  std::chrono::seconds block{300};  // everything refused this long once over the limit
};

class cloudflare_fake {
 public:
  struct record {
    std::string id, name, type, content;
    int ttl = 1;
    int priority = 0, weight = 0, port = 0;  // SRV
    std::string target;                      // SRV
  };

  explicit cloudflare_fake(cloudflare_fake_options o = {});
  http::router router();

  const std::vector<record>& records() const noexcept { return _records; }
  std::uint64_t calls() const noexcept { return _calls; }
  std::uint64_t writes() const noexcept { return _writes; }  // calls that changed something

 private:
  http::response handle(int kind, const http::request& req, const http::route_params& p);
  http::response list(const http::request& req);
  http::response create(const http::request& req);
  http::response get_one(const std::string& id);
  http::response replace(const std::string& id, const http::request& req, bool merge);
  http::response remove(const std::string& id);
  http::response batch(const http::request& req);

  cloudflare_fake_options _o;
  std::vector<record> _records;
  std::deque<std::chrono::steady_clock::time_point> _recent;  // calls inside the rate window
  std::chrono::steady_clock::time_point _blocked_until{};
  std::uint64_t _calls = 0, _writes = 0, _next_id = 1;
};

}  // namespace brood::test
