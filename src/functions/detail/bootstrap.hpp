// The python workers' bootstrap script (bootstrap.cpp). Private to functions/.
#pragma once

namespace plumbline::functions::detail {
extern const char* const kPythonBootstrap;
}
