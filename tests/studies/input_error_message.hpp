#pragma once
// The studies' tests check that bad settings name their key: the message of the InputError a
// call throws.
#include <functional>
#include <string>

#include "core/error.hpp"

namespace cwola::testing {

/// The InputError's message, or "" when `f` throws none.
inline std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace cwola::testing
