#pragma once

namespace plumbline {

// Names the calling thread as `top -H`, perf and /proc show it (at most 15
// characters are kept).
void NameThisThread(const char* name);

}  // namespace plumbline
