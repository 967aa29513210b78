// The one spelling of a domain name that brood signs and compares: ASCII lower case, without
// trailing dots (`Brood.Example.` and `brood.example` are one brood). Signatures over records
// and requests cover this form, so a node configured with either spelling is understood.
#pragma once

#include <string>
#include <string_view>

namespace brood::dns {

inline std::string canonical_name(std::string_view name) {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out;
  out.reserve(name.size());
  for (char c : name) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

}  // namespace brood::dns
