// The FRR configurations the frr tests share: a reflector with a scout peer and three clients —
// in two vlans, in one, in none — so that render's golden file and the policy change's cases
// speak of the same neighbours.
#pragma once

#include <brood/frr/config.hpp>

namespace brood::test {

inline frr::config reflector_config() {
  frr::config c;
  c.hostname = "vm";
  c.asn = 65000;
  c.router_id = "10.100.0.1";
  c.route_reflector = true;
  c.neighbors = {{"10.100.0.2", "scout 1f2e3d4c5b", false, {}, ""},
                 {"10.100.0.7", "worker a1b2c3d4e5", true, {200, 100}, "a1b2c3d4e5"},
                 {"10.100.0.8", "worker 9988776655", true, {100}, "9988776655"},
                 {"10.100.0.9", "worker 1234567890", true, {}, "1234567890"}};
  return c;
}

}  // namespace brood::test
