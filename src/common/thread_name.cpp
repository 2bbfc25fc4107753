#include "common/thread_name.hpp"

#include <pthread.h>

#include <cstring>
#include <string>

namespace plumbline {

void NameThisThread(const char* name) {
  std::string shortened(name, strnlen(name, 15));
  pthread_setname_np(pthread_self(), shortened.c_str());
}

}  // namespace plumbline
