// certificate_keeper: the scout's own certificate, kept by ACME (RFC 8555) — issued when the
// files are missing, do not go together, do not cover the scout's names or are two thirds into
// their lifetime; renewed the same way while the scout runs, each new certificate handed to the
// TLS server for new connections (those open keep theirs); a failure retried with doubling
// waits (never sooner than the CA's Retry-After, and kept across restarts), and said in status
// and metrics. The files: the ACME account key, the certificate's key and the chain (0600), a
// new pair written whole beside the old one and renamed over it, so a crash leaves one pair or
// the other.
// Lifetime: the publisher outlives the keeper; one ensure() or run() at a time.
#pragma once

#include <brood/acme/client.hpp>
#include <brood/json/writer.hpp>
#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>
#include <brood/tls/tls_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace brood::scout {

struct keeper_options {
  std::vector<std::string> names;  // the first is the subject; lower case
  std::string cert_file, key_file, account_file;
  /// When the next attempt may be made after a failure, kept across restarts (a scout that
  /// restarts in a loop must not ask the CA in a loop); empty: not kept.
  std::string retry_file;
  acme::client_options acme;
  std::string ca_file;  // extra trust anchors for the ACME server (labs)
  /// The first wait after a failure, doubled after each until `max_retry`.
  std::chrono::milliseconds retry{60'000}, max_retry{6 * 3600 * 1000};
  /// One issuance, every poll and DNS wait included.
  std::chrono::milliseconds issue_timeout{600'000};
  /// The most the keeper sleeps before it looks at the clock again (a clock set forward must
  /// not make it miss the renewal).
  std::chrono::milliseconds max_sleep{3'600'000};
  std::function<std::int64_t()> clock;  // wall milliseconds; empty: the system clock
};

struct keeper_status {
  std::string serial;
  std::int64_t not_after_ms = 0, renew_at_ms = 0;
  std::uint64_t issued = 0, failures = 0;  // since start
  unsigned failing = 0;                     // failures in a row
  std::string last_error;                   // the last failure, "" once one succeeded
  std::int64_t next_attempt_ms = 0;         // after a failure
};

class certificate_keeper {
 public:
  certificate_keeper(keeper_options o, acme::dns01_publisher& dns);
  certificate_keeper(const certificate_keeper&) = delete;
  ~certificate_keeper();

  /// Makes the files hold a certificate for the names that is not due for renewal, issuing one
  /// if they do not. True if it issued. When issuing fails: false if the files still hold a
  /// certificate for the names (due, or even expired: it is served while run() retries, since
  /// serving none helps nobody), else the error (status().last_error says why).
  rt::task<rt::result<bool>> ensure();
  /// Until cancelled: renews when due, then `reload()`s so new connections get the new
  /// certificate; failures retried with backoff.
  rt::task<void> run(std::function<rt::task<void>()> reload);
  const keeper_status& status() const noexcept { return _s; }
  /// The status as a JSON object value, and as Prometheus metrics.
  void write_status(json::writer& w) const;
  void write_metrics(std::string& out) const;

 private:
  std::int64_t now() const;
  /// The files as they are: when renewal is due; nullopt when they hold no certificate for the
  /// names that goes with the key.
  rt::task<std::optional<std::int64_t>> due();
  rt::task<rt::result<void>> issue();
  rt::task<rt::result<void>> attempt();  // issue(), and the retry file kept
  void failed(std::string why, std::chrono::seconds retry_after);
  rt::task<void> load_retry();
  rt::task<void> save_retry();

  keeper_options _o;
  acme::dns01_publisher& _dns;
  keeper_status _s;
  std::chrono::milliseconds _backoff;
  bool _retry_loaded = false;
};

}  // namespace brood::scout
