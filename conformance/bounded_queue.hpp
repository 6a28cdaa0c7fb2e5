// A bounded FIFO between the threads of a pipeline (generator -> target -> judge): a producer
// waits while it is full, so memory stays bounded however fast one side is; close() ends it,
// and pop() then returns what is left and false once it is empty.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace vtspec::conformance {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}

  // Waits for room; false (the item dropped) once the queue is closed.
  bool push(T&& item) {
    std::unique_lock lock(mutex_);
    space_.wait(lock, [&] { return items_.size() < capacity_ || closed_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    ready_.notify_one();
    return true;
  }
  // Ignores the bound (for filling the queue before its consumer starts).
  void push_unbounded(T&& item) {
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(item));
    ready_.notify_one();
  }
  // Waits for an item; false once the queue is closed and empty.
  bool pop(T& out) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !items_.empty() || closed_; });
    return take(out);
  }
  // Without waiting: false if there is nothing now.
  bool try_pop(T& out) {
    std::lock_guard lock(mutex_);
    return take(out);
  }
  // No more pushes; pops drain what is there. Wakes every waiter.
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    ready_.notify_all();
    space_.notify_all();
  }

 private:
  bool take(T& out) {
    if (items_.empty()) return false;
    out = std::move(items_.front());
    items_.pop_front();
    space_.notify_one();
    return true;
  }

  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace vtspec::conformance
