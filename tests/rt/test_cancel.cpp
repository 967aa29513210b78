// cancel_source / cancel_token / cancel_callback semantics.
#include "support/rt_test.hpp"

#include <brood/rt/cancel.hpp>

#include <vector>

using namespace brood::rt;

BOOST_AUTO_TEST_SUITE(cancel)

struct recorder {
  std::vector<int>* log;
  int id;
  static void fn(void* p) noexcept {
    auto* r = static_cast<recorder*>(p);
    r->log->push_back(r->id);
  }
};

BOOST_AUTO_TEST_CASE(callbacks_run_once_in_registration_order) {
  std::vector<int> log;
  cancel_source src;
  recorder a{&log, 1}, b{&log, 2}, c{&log, 3};
  cancel_callback ca, cb, cc;
  BOOST_TEST(ca.arm(src.token(), &recorder::fn, &a));
  BOOST_TEST(cb.arm(src.token(), &recorder::fn, &b));
  BOOST_TEST(cc.arm(src.token(), &recorder::fn, &c));
  cb.disarm();
  src.request_cancel();
  src.request_cancel();
  BOOST_TEST((log == std::vector<int>{1, 3}));
  BOOST_TEST(!ca.armed());
  // Arming on a cancelled token registers nothing and says so.
  cancel_callback late;
  BOOST_TEST(!late.arm(src.token(), &recorder::fn, &a));
  BOOST_TEST(log.size() == 2u);
}

BOOST_AUTO_TEST_CASE(empty_tokens_never_cancel) {
  cancel_token t;
  BOOST_TEST(!t.cancelled());
  BOOST_TEST(!t.can_be_cancelled());
  cancel_callback cb;
  std::vector<int> log;
  recorder r{&log, 1};
  BOOST_TEST(cb.arm(t, &recorder::fn, &r));
  BOOST_TEST(!cb.armed());
}

BOOST_AUTO_TEST_CASE(a_child_source_follows_its_parent) {
  cancel_source parent;
  cancel_source child(parent.token());
  cancel_source grandchild(child.token());
  BOOST_TEST(!grandchild.cancelled());
  parent.request_cancel();
  BOOST_TEST(child.cancelled());
  BOOST_TEST(grandchild.cancelled());
  // Cancelling a child leaves the parent alone.
  cancel_source p2;
  cancel_source c2(p2.token());
  c2.request_cancel();
  BOOST_TEST(!p2.cancelled());
  // A child of an already cancelled parent starts cancelled.
  cancel_source c3(parent.token());
  BOOST_TEST(c3.cancelled());
}

struct self_disarming {
  cancel_callback* other;
  int* calls;
  static void fn(void* p) noexcept {
    auto* s = static_cast<self_disarming*>(p);
    ++*s->calls;
    s->other->disarm();
  }
};

BOOST_AUTO_TEST_CASE(a_callback_may_disarm_a_later_one) {
  cancel_source src;
  int calls = 0;
  cancel_callback first, second;
  self_disarming a{&second, &calls}, b{&first, &calls};
  first.arm(src.token(), &self_disarming::fn, &a);
  second.arm(src.token(), &self_disarming::fn, &b);
  src.request_cancel();
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(tokens_and_callbacks_may_outlive_their_source) {
  cancel_token t;
  cancel_callback cb;
  std::vector<int> log;
  recorder r{&log, 1};
  {
    cancel_source src;
    t = src.token();
    cb.arm(t, &recorder::fn, &r);
  }
  BOOST_TEST(!t.cancelled());
  cb.disarm();  // must not touch freed memory (ASan checks)
  BOOST_TEST(log.empty());
}

BOOST_AUTO_TEST_SUITE_END()
