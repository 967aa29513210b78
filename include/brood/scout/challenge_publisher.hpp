// challenge_publisher: ACME DNS-01 values written through the brood's own DNS provider — a
// read-modify-write of `_acme-challenge.<name>` TXT that adds or takes out one value and keeps
// any other (a second scout's order for the same name may be under way) — and, before the CA is
// told to look, waited for until every server that answers for the zone has it: the CA asks
// those servers, and one that has not seen the change yet would fail the authorization, which
// counts against Let's Encrypt's failed-validation limit.
// Lifetime: the provider outlives the publisher; used from one reactor.
#pragma once

#include <brood/acme/client.hpp>
#include <brood/provider/provider.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace brood::scout {

struct challenge_options {
  /// The zone's authoritative servers (ip:port). Empty: looked up as the NS of `zone` through
  /// the system's resolver, each name server's A/AAAA on port 53.
  std::vector<std::string> servers;
  std::string zone;
  std::uint32_t ttl = 60;
  /// How long a value may take to show on every server, and the pause between looks.
  std::chrono::milliseconds visible_within{120'000}, poll{500};
};

class challenge_publisher final : public acme::dns01_publisher {
 public:
  challenge_publisher(provider::provider& p, challenge_options o) : _p(p), _o(std::move(o)) {}
  rt::task<rt::result<void>> publish(std::string name, std::string value) override;
  rt::task<rt::result<void>> withdraw(std::string name, std::string value) override;
  /// The provider's or the DNS's words on the last failure.
  std::string last_error() const override { return _why; }

 private:
  rt::task<rt::result<void>> change(std::string owner, std::string value, bool add);
  rt::task<rt::result<std::vector<std::string>>> servers();
  rt::task<rt::result<void>> wait_visible(std::string owner, std::string value);

  provider::provider& _p;
  challenge_options _o;
  std::vector<std::string> _servers;  // found once
  std::string _why;
};

}  // namespace brood::scout
