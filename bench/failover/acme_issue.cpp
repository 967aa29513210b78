// brood-bench-acme-issue: one certificate issued by the scout's own path — scout::settings from
// the environment (as a scout reads them), the challenge publisher over the brood's provider,
// certificate_keeper::ensure() — into a fresh state directory; prints the milliseconds it took.
// bench/failover/run times it against lego on the same CA and zone.
//   brood-bench-acme-issue NAME...   (BROOD_STATE_DIR must be an empty directory)
#include <brood/crypto/identity.hpp>
#include <brood/provider/cloudflare.hpp>
#include <brood/rt/reactor.hpp>
#include <brood/scout/scout.hpp>

#include <chrono>
#include <cstdio>

using namespace brood;

namespace {

rt::task<int> issue(scout::settings s, std::vector<std::string> names) {
  auto id = crypto::identity::load_or_create(s.state_dir + "/node.key");
  if (!id) co_return 1;
  provider::cloudflare_provider* cf = nullptr;
  auto dns = scout::make_provider(s, &cf);
  if (!dns) co_return 2;
  scout::challenge_publisher challenges(*dns, scout::challenge_options_for(s));
  auto o = scout::keeper_options_for(s, *id);
  o.names = std::move(names);
  scout::certificate_keeper keeper(o, challenges);
  const auto t0 = std::chrono::steady_clock::now();
  auto issued = co_await keeper.ensure();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  if (cf) co_await cf->close();
  if (!issued || !*issued) {
    std::fprintf(stderr, "brood-bench-acme-issue: %s\n", keeper.status().last_error.c_str());
    co_return 1;
  }
  std::printf("%lld\n", static_cast<long long>(ms));
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string why;
  auto s = scout::settings_from_env({.serve = false, .bootstrap = false}, &why);
  if (!s || argc < 2) {
    std::fprintf(stderr, "usage: brood-bench-acme-issue NAME... (%s)\n", why.c_str());
    return 2;
  }
  std::vector<std::string> names(argv + 1, argv + argc);
  rt::reactor r;
  return r.block_on(issue(std::move(*s), std::move(names)));
}
