// scout: the API as a scout serves it (SPEC §2, §6) — the certificate (kept by ACME, or an
// operator's files followed), the brood read and any interrupted rotation finished, the
// scout's own names announced, then HTTPS
// on BROOD_API_LISTEN:BROOD_API_PORT with the API's own tasks beside it. The same for
// `brood-api` (a program of its own) and `brood-agent` (tasks on the agent's reactor).
// Lifetime: the provider and the identity outlive the service; start(), then serve() until
// stop(); serve() must have returned before the service is destroyed.
#pragma once

#include <brood/api/api.hpp>
#include <brood/crypto/identity.hpp>
#include <brood/http/server.hpp>
#include <brood/net/listener.hpp>
#include <brood/scout/certificate_keeper.hpp>
#include <brood/scout/challenge_publisher.hpp>
#include <brood/scout/settings.hpp>
#include <brood/tls/tls_context.hpp>

#include <memory>
#include <optional>

namespace brood::scout {

/// The names a scout's certificate covers: the domain (which names every scout) and its own
/// `<id10>.<domain>` (its SRV target).
std::vector<std::string> certificate_names(const settings& s, const crypto::identity& id);

/// The certificate keeper the settings describe (ACME through `dns`), for bootstrap and serving.
keeper_options keeper_options_for(const settings& s, const crypto::identity& id);
challenge_options challenge_options_for(const settings& s);

class service {
 public:
  /// `pins`: the scouts the API trusts until its scout.json says otherwise (a scout approved
  /// later: those its agent pinned); empty for the first scout, which trusts itself.
  service(const settings& s, provider::provider& dns, const crypto::identity& id, api::brood_key key,
          std::vector<crypto::public_key> pins = {});
  service(const service&) = delete;
  ~service();

  /// The certificate (issued now if it must be), the API started, the scout's names announced
  /// (with an address: its SRV entry, its A/AAAA and its address among the domain's), the port
  /// bound: once this returns, connections are answered. `why` says what failed.
  rt::task<rt::result<void>> start(std::string* why);
  /// Serves until stop(), the certificate kept and the API's tasks run beside it.
  rt::task<void> serve();
  /// Graceful: new connections refused, those open drained, serve() returns.
  void stop() noexcept;

  const api::api& api() const noexcept { return _api; }

 private:
  rt::task<void> follow_files();
  rt::task<void> reload();

  const settings& _s;
  provider::provider& _dns;
  const crypto::identity& _id;
  std::unique_ptr<challenge_publisher> _challenges;
  std::unique_ptr<certificate_keeper> _keeper;
  api::api _api;
  std::optional<tls::server_credentials> _creds;
  std::optional<net::listener> _listener;
  std::unique_ptr<http::server> _server;
  std::string _reload_error;  // said once, not every 5 s
};

}  // namespace brood::scout
