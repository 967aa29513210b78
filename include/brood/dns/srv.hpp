// SRV target order (RFC 2782): lowest priority first; within a priority, a weighted random
// order (a target with weight w among a total W comes first with probability w/W; weight 0
// targets come last unless only they remain). Callers try targets in this order and fall
// through to the next one on failure.
#pragma once

#include <brood/dns/message.hpp>

#include <random>
#include <vector>

namespace brood::dns {

std::vector<srv_record> order_srv(std::vector<srv_record> records, std::mt19937& rng);

}  // namespace brood::dns
