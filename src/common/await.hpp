#pragma once

#include <future>
#include <utility>

namespace plumbline {

// The blocking form of a call that reports through a callback: `start`
// gets a callback that keeps the value it is given, and Await returns that
// value once it is there. The call must call the callback exactly once, from
// any thread (before `start` returns or later).
template <class V, class Start>
V Await(Start start) {
  std::promise<V> promise;
  auto future = promise.get_future();
  start([&promise](V value) { promise.set_value(std::move(value)); });
  return future.get();
}

}  // namespace plumbline
