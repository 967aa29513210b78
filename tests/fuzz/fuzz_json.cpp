// libFuzzer target: json::parse on arbitrary bytes, then the writer on whatever parsed: the
// output must parse again (the writer only emits valid JSON).
#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>

#include <cstdlib>
#include <string_view>

namespace {
void write(const brood::json::value& v, brood::json::writer& w) {
  if (auto* s = v.as_string()) {
    w.string(*s);
  } else if (auto* b = v.as_bool()) {
    w.boolean(*b);
  } else if (auto* a = v.as_array()) {
    w.begin_array();
    for (auto& item : *a) write(item, w);
    w.end_array();
  } else if (auto* o = v.as_object()) {
    w.begin_object();
    for (std::size_t i = 0; i < o->size(); ++i) {
      w.key(o->keys[i]);
      write(o->values[i], w);
    }
    w.end_object();
  } else if (auto i = v.as_int()) {
    w.number(*i);
  } else {
    w.null();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto v = brood::json::parse(in);
  if (!v) return 0;
  brood::json::writer w;
  write(*v, w);
  if (!brood::json::parse(w.str())) std::abort();
  return 0;
}
