// brood-api: the scouts' HTTPS API as a program of its own (SPEC §2's standalone entry point,
// for the seed's three-container scout layout); `brood-agent run` on a scout serves the same
// API (src/scout) as tasks on the agent's reactor.
//
//   brood-api            serve on BROOD_API_PORT until SIGTERM/SIGINT
//   brood-api bootstrap  a new brood's first records (_meta, every set header; with
//                        BROOD_API_ADDRESS also the scout's SRV, A/AAAA, _n and _k, making it a
//                        member) and, unless BROOD_TLS_CERT names an operator's, the scout's
//                        certificate by ACME; harmless to run again. Creates brood.key in the
//                        state directory if missing.
//
// Configuration: environment variables, listed in include/brood/scout/settings.hpp.
#include <brood/api/brood_key.hpp>
#include <brood/provider/cloudflare.hpp>
#include <brood/rt/reactor.hpp>
#include <brood/rt/signal_set.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/scout/bootstrap.hpp>
#include <brood/scout/scout.hpp>

#include <sys/stat.h>

#include <cstdio>

using namespace brood;

namespace {

rt::task<void> stop_on_signal(rt::signal_set* sigs, scout::service* service) {
  auto s = co_await sigs->next();
  if (s) service->stop();
}

rt::task<int> serve(const scout::settings& s, provider::provider& dns, const crypto::identity& id) {
  const std::string& key_path = s.brood_key_file;
  auto key = api::load_brood_key(key_path);
  if (!key) {
    std::fprintf(stderr, "brood-api: %s: %s (a new brood starts with `brood-agent bootstrap`)\n", key_path.c_str(),
                 key.error().message().c_str());
    co_return 1;
  }
  scout::service service(s, dns, id, *key);
  std::string why;
  if (auto started = co_await service.start(&why); !started) {
    std::fprintf(stderr, "brood-api: %s\n", why.c_str());
    co_return 1;
  }
  rt::signal_set sigs{SIGTERM, SIGINT};
  const rt::cancel_token parent = co_await rt::current_token();
  rt::task_scope scope(parent);
  scope.spawn(stop_on_signal(&sigs, &service));
  co_await service.serve();
  scope.cancel();
  co_await scope.join();
  co_return 0;
}

rt::task<int> run(scout::settings s, bool bootstrap) {
  ::mkdir(s.state_dir.c_str(), 0700);
  auto id = crypto::identity::load_or_create(s.state_dir + "/node.key");
  if (!id) {
    std::fprintf(stderr, "brood-api: %s/node.key: %s\n", s.state_dir.c_str(), id.error().message().c_str());
    co_return 1;
  }
  provider::cloudflare_provider* cf = nullptr;
  auto dns = scout::make_provider(s, &cf);
  if (!dns) {
    std::fprintf(stderr, "brood-api: cannot set up the %s provider (check its variables)\n", s.provider.c_str());
    co_return 2;
  }
  int status = 0;
  if (bootstrap) {
    std::string why;
    auto b = co_await scout::bootstrap(s, *dns, *id, s.address, &why);
    if (b) {
      std::printf("bootstrapped %s: scout %s, %u records written%s\n", s.domain.c_str(), id->id10().c_str(),
                  b->records_added, b->certificate_issued ? ", certificate issued" : "");
    } else {
      std::fprintf(stderr, "brood-api: bootstrap: %s\n", why.c_str());
      status = 1;
    }
  } else {
    status = co_await serve(s, *dns, *id);
  }
  if (cf) co_await cf->close();
  co_return status;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "serve";
  if (cmd != "serve" && cmd != "bootstrap") {
    std::fprintf(stderr, "usage: brood-api [serve | bootstrap]\n");
    return 2;
  }
  std::string why;
  auto s = scout::settings_from_env({.serve = cmd != "bootstrap", .bootstrap = cmd == "bootstrap"}, &why);
  if (!s) {
    std::fprintf(stderr, "brood-api: %s\n", why.c_str());
    return 2;
  }
  rt::reactor r;
  return r.block_on(run(std::move(*s), cmd == "bootstrap"));
}
