// json::parse: simdjson's DOM parser (UTF-8 and syntax validation), copied into json::value.
#include <brood/json/value.hpp>

#include <simdjson.h>

namespace brood::json {

namespace {

class json_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "json"; }
  std::string message(int v) const override { return simdjson::error_message(static_cast<simdjson::error_code>(v)); }
};

std::error_code make(simdjson::error_code e) { return {static_cast<int>(e), error_category()}; }

// Every accessor goes through get() into a named local: value_unsafe() on a temporary
// simdjson_result hands out a reference that dies with the temporary.
result<value> convert(simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::NULL_VALUE:
      return value(nullptr);
    case element_type::BOOL: {
      bool b = false;
      if (auto err = e.get(b)) return make(err);
      return value(b);
    }
    case element_type::INT64: {
      std::int64_t i = 0;
      if (auto err = e.get(i)) return make(err);
      return value(i);
    }
    case element_type::UINT64: {
      std::uint64_t u = 0;
      if (auto err = e.get(u)) return make(err);
      return value(u);
    }
    case element_type::DOUBLE: {
      double d = 0;
      if (auto err = e.get(d)) return make(err);
      return value(d);
    }
    case element_type::STRING: {
      std::string_view sv;
      if (auto err = e.get(sv)) return make(err);
      return value(std::string(sv));
    }
    case element_type::ARRAY: {
      simdjson::dom::array items;
      if (auto err = e.get(items)) return make(err);
      array a;
      for (simdjson::dom::element item : items) {
        auto v = convert(item);
        if (!v) return v.error();
        a.push_back(std::move(*v));
      }
      return value(std::move(a));
    }
    case element_type::OBJECT: {
      simdjson::dom::object fields;
      if (auto err = e.get(fields)) return make(err);
      object o;
      for (simdjson::dom::key_value_pair field : fields) {
        auto v = convert(field.value);
        if (!v) return v.error();
        o.keys.emplace_back(field.key);
        o.values.push_back(std::move(*v));
      }
      return value(std::move(o));
    }
  }
  return make(simdjson::INCORRECT_TYPE);
}

}  // namespace

const std::error_category& error_category() noexcept {
  static const json_error_category c;
  return c;
}

const value* value::find(std::string_view key) const noexcept {
  if (auto* o = as_object())
    for (std::size_t i = 0; i < o->size(); ++i)
      if (o->keys[i] == key) return &o->values[i];
  return nullptr;
}

result<std::int64_t> value::as_int() const noexcept {
  if (auto* i = std::get_if<std::int64_t>(&_v)) return *i;
  if (auto* u = std::get_if<std::uint64_t>(&_v)) {
    if (*u <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(*u);
    return std::errc::result_out_of_range;
  }
  return make(simdjson::INCORRECT_TYPE);
}

result<value> parse(std::string_view text, const parse_limits& limits) {
  if (text.size() > limits.max_bytes) return std::errc::message_size;
  simdjson::dom::parser parser(limits.max_bytes);
  if (auto e = parser.allocate(std::max<std::size_t>(text.size(), 64), limits.max_depth); e) return make(e);
  simdjson::padded_string padded(text);  // simdjson reads past the end: give it padding
  simdjson::dom::element root;
  if (auto e = parser.parse(padded).get(root); e) return make(e);
  return convert(root);
}

}  // namespace brood::json
