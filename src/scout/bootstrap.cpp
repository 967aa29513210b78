// A first scout from nothing: brood key, certificate, records; idempotent.
#include <brood/scout/bootstrap.hpp>

#include <brood/api/api.hpp>
#include <brood/api/brood_key.hpp>
#include <brood/crypto/box.hpp>
#include <brood/records/meta.hpp>
#include <brood/records/names.hpp>
#include <brood/scout/certificate_keeper.hpp>
#include <brood/scout/challenge_publisher.hpp>
#include <brood/scout/scout.hpp>

namespace brood::scout {

rt::task<rt::result<bootstrap_outcome>> bootstrap(const settings& s, provider::provider& p, const crypto::identity& id,
                                                  std::string address, std::string* why) {
  bootstrap_outcome out;
  const std::string& key_path = s.brood_key_file;
  auto key = api::load_brood_key(key_path);
  const records::names names(s.domain);
  if (!key && key.error() == std::errc::no_such_file_or_directory) {
    // No key here: this is the brood's first scout, or a mistake. A brood already at the domain
    // (a _meta this scout did not sign) is another scout's: a new key and records beside it
    // would only confuse its nodes.
    std::string read_why;
    auto meta = co_await p.get(names.meta(), provider::rr_type::txt, &read_why);
    if (!meta) {
      if (why) *why = "reading " + names.meta() + ": " + meta.error().message() + (read_why.empty() ? "" : ": " + read_why);
      co_return meta.error();
    }
    const std::vector<crypto::public_key> self{id.pk()};
    bool ours = meta->empty();
    for (auto& text : *meta) ours = ours || records::decode_meta(text, names.meta(), self).has_value();
    if (!ours) {
      if (why)
        *why = "a brood already exists at " + s.domain + " and this scout did not make it: a further scout joins by " +
               "approval (broodctl approve " + id.id10() + " --role scout)";
      co_return std::errc::file_exists;
    }
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
  auto w = co_await api::bootstrap(p, names, id, *key, params, &provider_why);
  if (!w) {
    if (why) *why = "records: " + w.error().message() + (provider_why.empty() ? "" : ": " + provider_why);
    co_return w.error();
  }
  out.records_added = w->added;
  out.records_removed = w->removed;
  co_return out;
}

}  // namespace brood::scout
