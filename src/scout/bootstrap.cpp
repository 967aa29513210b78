// A first scout from nothing: brood key, certificate, records; idempotent.
#include <brood/scout/bootstrap.hpp>

#include <brood/api/api.hpp>
#include <brood/api/brood_key.hpp>
#include <brood/crypto/box.hpp>
#include <brood/records/names.hpp>
#include <brood/scout/certificate_keeper.hpp>
#include <brood/scout/challenge_publisher.hpp>
#include <brood/scout/scout.hpp>

namespace brood::scout {

rt::task<rt::result<bootstrap_outcome>> bootstrap(const settings& s, provider::provider& p, const crypto::identity& id,
                                                  std::string address, std::string* why) {
  bootstrap_outcome out;
  const std::string key_path = s.state_dir + "/brood.key";
  auto key = api::load_brood_key(key_path);
  if (!key && key.error() == std::errc::no_such_file_or_directory) {
    api::brood_key fresh{1, crypto::random_secret_key()};
    if (auto w = api::save_brood_key(key_path, fresh); !w) {
      if (why) *why = key_path + ": " + w.error().message();
      co_return w.error();
    }
    key = fresh;
    out.key_created = true;
  }
  if (!key) {
    if (why) *why = key_path + ": " + key.error().message();
    co_return key.error();
  }
  if (s.acme) {
    challenge_publisher challenges(p, challenge_options_for(s));
    certificate_keeper keeper(keeper_options_for(s, id), challenges);
    auto issued = co_await keeper.ensure();
    if (!issued) {
      if (why) *why = "certificate: " + keeper.status().last_error;
      co_return issued.error();
    }
    out.certificate_issued = *issued;
  }
  const api::bootstrap_params params{s.asn, s.subnet, s.keepalive, s.stale, 16, address, s.port, s.wg_port};
  std::string provider_why;
  auto w = co_await api::bootstrap(p, records::names(s.domain), id, *key, params, &provider_why);
  if (!w) {
    if (why) *why = "records: " + w.error().message() + (provider_why.empty() ? "" : ": " + provider_why);
    co_return w.error();
  }
  out.records_added = w->added;
  out.records_removed = w->removed;
  co_return out;
}

}  // namespace brood::scout
