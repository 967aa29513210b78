// scout bootstrap (SPEC §5.1): a brood's first scout made from nothing, as the seed's flow has
// it — the brood key, the scout's certificate by ACME DNS-01 through the brood's own provider,
// then the brood's first records with the scout as a member (api::bootstrap). The certificate
// comes before any record, so a CA or provider that refuses leaves the zone as it was. Every
// step keeps what is already there: run again on a bootstrapped scout, it changes nothing.
#pragma once

#include <brood/crypto/identity.hpp>
#include <brood/provider/provider.hpp>
#include <brood/scout/settings.hpp>

#include <string>

namespace brood::scout {

struct bootstrap_outcome {
  bool key_created = false;          // brood.key was made
  bool certificate_issued = false;   // the CA issued one now
  unsigned records_added = 0, records_removed = 0;
};

/// Bootstraps the scout `id` reached at `address` (an IP, from BROOD_API_ADDRESS or STUN).
rt::task<rt::result<bootstrap_outcome>> bootstrap(const settings& s, provider::provider& p, const crypto::identity& id,
                                                  std::string address, std::string* why);

}  // namespace brood::scout
