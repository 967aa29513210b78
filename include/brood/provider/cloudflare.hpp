// cloudflare_provider: the Cloudflare API v4 DNS-records client (SPEC §5, §10) over brood's
// HTTP/2 client. An edit lists each set (paginated; the whole zone once past two sets), then
// sends the difference as batches of at most `batch_limit` changes cut at set boundaries — each
// batch applied by Cloudflare in one transaction, all or nothing — pairing removed and added
// values into patches so record ids survive. Cloudflare has no prerequisites: a set changed
// between the listing and the batch is noticed only when a record the batch names is gone. Calls are rationed: brood keeps itself under `budget`
// calls per 5 minutes (Cloudflare blocks every call for 5 minutes past 1,200), a 429 is waited
// out when its Retry-After fits the deadline, 5xx answers are retried with backoff, and errors
// carry Cloudflare's own message.
#pragma once

#include <brood/http/h2_client.hpp>
#include <brood/provider/provider.hpp>
#include <brood/provider/txt_content.hpp>

#include <chrono>
#include <deque>
#include <memory>

namespace brood::provider {

struct cloudflare_options {
  std::string api = "https://api.cloudflare.com/client/v4";
  std::string token;    // BROOD_CF_TOKEN, sent as Authorization: Bearer
  std::string zone_id;  // BROOD_CF_ZONE_ID
  std::shared_ptr<tls::context> tls;  // null: the system's trust store
  http::resolver_fn resolve;
  std::chrono::milliseconds timeout{30'000};  // per edit or get, waits included
  unsigned budget = 1000;                     // calls per window, ours (Cloudflare's is 1,200)
  std::chrono::seconds window{300};
  std::size_t batch_limit = 200;  // changes per batch (Free's limit); more go in several batches
  unsigned attempts = 4;          // when the records change under us
};

class cloudflare_provider final : public provider {
 public:
  static rt::result<std::unique_ptr<cloudflare_provider>> make(cloudflare_options o);
  ~cloudflare_provider() override;

  std::string_view kind() const noexcept override { return "cloudflare"; }
  rt::task<result<std::vector<std::string>>> get(std::string name, rr_type type, std::string* why) override;
  std::chrono::milliseconds edit_timeout() const noexcept override { return _o.timeout; }
  unsigned edit_attempts() const noexcept override { return _o.attempts; }
  rt::task<result<std::vector<held_set>>> read_held(const std::vector<rrset>& sets, rt::clock::time_point deadline,
                                                    write_stats& stats, std::string* why) override;
  rt::task<result<void>> write(const std::vector<set_change>& changes, rt::clock::time_point deadline,
                               write_stats& stats, std::string* why) override;
  /// Must be awaited before destruction (closes the HTTP/2 connection).
  rt::task<void> close() { return _http.close(); }
  /// Calls made inside the current window.
  std::size_t recent_calls() const noexcept { return _recent.size(); }

 private:
  struct held {
    std::string id, name, value;
  };
  cloudflare_provider(cloudflare_options o, http::client_options co, std::string authority, std::string base);
  rt::task<result<http::response>> call(std::string method, std::string path, std::string body,
                                        rt::clock::time_point deadline, std::string* why);
  /// The records of `type` named `name`, or of every name when `name` is empty (one paginated
  /// listing of the zone: cheaper than a listing per name once an edit touches several).
  rt::task<result<std::vector<held>>> list(rr_type type, std::string name, rt::clock::time_point deadline,
                                           unsigned* calls, std::string* why);

  cloudflare_options _o;
  http::h2_client _http;
  std::string _authority, _base;
  std::deque<rt::clock::time_point> _recent;
};

}  // namespace brood::provider
