// The human form of status.json (`brood-agent status`): the node, then one line per peer, per
// vlan and per BGP session.
#pragma once

#include <brood/json/value.hpp>

#include <string>

namespace brood::agent {

/// A table of `status` (as the agent writes it); fields that are missing print as "-".
std::string render_status(const json::value& status);

}  // namespace brood::agent
