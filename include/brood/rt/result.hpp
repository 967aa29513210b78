// result<T>: a value or a std::error_code — the one error type used across brood.
//
// Kernel errors arrive as -errno and become std::system_category() codes; compare them with
// std::errc values (ec == std::errc::operation_canceled) rather than raw numbers.
#pragma once

#include <cassert>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace brood::rt {

/// An error code from a negative kernel result (-errno).
inline std::error_code errno_code(int negative_errno) noexcept {
  return {-negative_errno, std::system_category()};
}

inline std::error_code make_error(std::errc e) noexcept { return std::make_error_code(e); }

template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_same_v<std::decay_t<T>, std::error_code>);

 public:
  result(T value) : _v(std::in_place_index<0>, std::move(value)) {}
  result(std::error_code ec) : _v(std::in_place_index<1>, ec) { assert(ec); }
  result(std::errc e) : result(std::make_error_code(e)) {}
  /// Any error-code enum (dns::error, ...), found through its make_error_code.
  template <class E>
    requires std::is_error_code_enum_v<E>
  result(E e) : result(std::error_code(make_error_code(e))) {}

  bool has_value() const noexcept { return _v.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(_v); }
  const T& value() const& { return std::get<0>(_v); }
  T&& value() && { return std::get<0>(std::move(_v)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; an empty code when there is a value.
  std::error_code error() const noexcept { return has_value() ? std::error_code{} : std::get<1>(_v); }

  /// The value, or throws std::system_error with `what` as context.
  T value_or_throw(const char* what) && {
    if (!has_value()) throw std::system_error(error(), what);
    return std::move(*this).value();
  }

 private:
  std::variant<T, std::error_code> _v;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(std::error_code ec) : _ec(ec) {}
  result(std::errc e) : _ec(std::make_error_code(e)) {}
  template <class E>
    requires std::is_error_code_enum_v<E>
  result(E e) : _ec(make_error_code(e)) {}

  bool has_value() const noexcept { return !_ec; }
  explicit operator bool() const noexcept { return has_value(); }
  std::error_code error() const noexcept { return _ec; }
  void value_or_throw(const char* what) && {
    if (_ec) throw std::system_error(_ec, what);
  }

 private:
  std::error_code _ec;
};

/// True when the error means "the operation was cancelled" (by a token or a timeout's token).
inline bool is_cancelled(std::error_code ec) noexcept { return ec == std::errc::operation_canceled; }

}  // namespace brood::rt
