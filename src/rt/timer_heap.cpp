// timer_heap: intrusive binary min-heap of timer_nodes (index stored in the node).
#include <brood/rt/timer_node.hpp>

namespace brood::rt {

void timer_heap::push(timer_node& t) {
  t.seq = _seq++;
  _h.push_back(&t);
  t.index = _h.size() - 1;
  sift_up(t.index);
}

timer_node* timer_heap::pop() noexcept {
  if (_h.empty()) return nullptr;
  timer_node* t = _h.front();
  erase(*t);
  return t;
}

void timer_heap::erase(timer_node& t) noexcept {
  const std::size_t i = t.index;
  if (i == timer_node::npos) return;
  timer_node* last = _h.back();
  _h.pop_back();
  t.index = timer_node::npos;
  if (last == &t) return;
  place(i, last);
  if (i > 0 && before(last, _h[(i - 1) / 2]))
    sift_up(i);
  else
    sift_down(i);
}

void timer_heap::sift_up(std::size_t i) noexcept {
  timer_node* t = _h[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!before(t, _h[parent])) break;
    place(i, _h[parent]);
    i = parent;
  }
  place(i, t);
}

void timer_heap::sift_down(std::size_t i) noexcept {
  timer_node* t = _h[i];
  const std::size_t n = _h.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && before(_h[child + 1], _h[child])) ++child;
    if (!before(_h[child], t)) break;
    place(i, _h[child]);
    i = child;
  }
  place(i, t);
}

}  // namespace brood::rt
