// scout_names: the one rule for the names a scout is reached by (SPEC §4) — an SRV entry
// `_brood._tcp.<domain>` → `<id10>.<domain>`, that name's A/AAAA, and its address among the
// domain's own A/AAAA (the seed's https://<domain>:8443). Bootstrap writes them for the first
// scout, a scout approved later writes its own, and removing a scout takes them out again; all
// three go through these two functions. Pure: sets in, sets out.
#pragma once

#include <brood/provider/provider.hpp>
#include <brood/records/names.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace brood::api {

/// The sets to read for a change of scout `id10`'s names: the SRV, `<id10>.<domain>` A and AAAA,
/// the domain's A and AAAA — in that order, empty.
std::vector<provider::rrset> scout_name_sets(const records::names& n, const std::string& id10, std::uint32_t ttl);

/// `current` (those sets as read) with scout `id10` reached at `address` (an IP) and `port`:
/// its SRV entry added if it has none (priority 0 as the first scout, 10 after another), its
/// own A or AAAA (as the address is) set to the address, the address added to the domain's. Everyone else's
/// entries and addresses are kept. `address` empty: the scout taken out — its SRV entries, its
/// own A/AAAA, and the addresses they held from the domain's.
std::vector<provider::rrset> with_scout(std::vector<provider::rrset> current, const records::names& n,
                                        const std::string& id10, const std::string& address, std::uint16_t port);

}  // namespace brood::api
