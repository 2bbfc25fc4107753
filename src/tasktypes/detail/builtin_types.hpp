// The implementations the built-in table (builtins.cpp) points to, one per
// file under tasktypes/. Private to tasktypes/.
#pragma once

#include "tasktypes/tasktypes.hpp"

namespace plumbline::tasktypes::detail {

// text_multi_class.cpp
const TaskType& TextMultiClassType();

}  // namespace plumbline::tasktypes::detail
