// brood-agent: the node daemon (SPEC §2).
//
//   brood-agent [run]        enrol if needed, then keep this node in the brood until SIGTERM
//   brood-agent status       the node as its running agent last wrote it (<state>/status.json);
//                            --json prints that file
//   brood-agent id           this node's id10, public key and WireGuard public key (creates
//                            node.key if missing)
//
// Configuration: environment variables, see include/brood/agent/config.hpp and docs/lab.md.
#include <brood/agent/agent.hpp>
#include <brood/agent/config.hpp>
#include <brood/agent/status_table.hpp>
#include <brood/crypto/identity.hpp>
#include <brood/json/value.hpp>
#include <brood/rt/reactor.hpp>
#include <brood/rt/signal_set.hpp>
#include <brood/rt/task_scope.hpp>

#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace brood;

namespace {

rt::task<void> stop_on_signal(rt::signal_set* sigs, rt::task_scope* scope) {
  auto s = co_await sigs->next();
  if (s) {
    std::fprintf(stderr, "brood-agent: stopping\n");
    scope->cancel();
  }
}

rt::task<void> run_agent(agent::agent* a, int* status, rt::task_scope* everything) {
  *status = co_await a->run();
  everything->cancel();  // the agent ended by itself: stop waiting for signals
}

rt::task<int> run(agent::config c, const crypto::identity& id) {
  agent::agent a(std::move(c), id);
  rt::signal_set sigs{SIGTERM, SIGINT};
  int status = 0;
  rt::task_scope signals{rt::no_parent};
  rt::task_scope work{rt::no_parent};
  signals.spawn(stop_on_signal(&sigs, &work));
  work.spawn(run_agent(&a, &status, &signals));
  co_await work.join();
  signals.cancel();
  co_await signals.join();
  co_return status;
}

int status_command(const std::string& dir, bool as_json) {
  std::ifstream f(dir + "/status.json");
  if (!f) {
    std::fprintf(stderr, "brood-agent: no %s/status.json: is the agent running? (BROOD_STATE_DIR)\n", dir.c_str());
    return 1;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  if (as_json) {
    std::printf("%s\n", ss.str().c_str());
    return 0;
  }
  auto j = json::parse(ss.str());
  if (!j) {
    std::fprintf(stderr, "brood-agent: %s/status.json is not JSON\n", dir.c_str());
    return 1;
  }
  std::fputs(agent::render_status(*j).c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "run";
  const char* dir_env = std::getenv("BROOD_STATE_DIR");
  const std::string dir = dir_env && *dir_env ? dir_env : "/var/lib/brood";
  if (cmd == "status") return status_command(dir, argc > 2 && std::strcmp(argv[2], "--json") == 0);
  if (cmd == "id") {
    ::mkdir(dir.c_str(), 0700);
    auto id = crypto::identity::load_or_create(dir + "/node.key");
    if (!id) {
      std::fprintf(stderr, "brood-agent: %s/node.key: %s\n", dir.c_str(), id.error().message().c_str());
      return 1;
    }
    std::printf("%s %s %s\n", id->id10().c_str(), crypto::base64url(id->pk()).c_str(),
                id->wireguard_public_base64().c_str());
    return 0;
  }
  if (cmd != "run") {
    std::fprintf(stderr, "usage: brood-agent [run | status [--json] | id]\n");
    return 2;
  }
  std::string why;
  auto c = agent::config_from_env(&why);
  if (!c) {
    std::fprintf(stderr, "brood-agent: %s\n", why.c_str());
    return 2;
  }
  ::mkdir(c->state_dir.c_str(), 0700);
  auto id = crypto::identity::load_or_create(c->state_dir + "/node.key");
  if (!id) {
    std::fprintf(stderr, "brood-agent: %s/node.key: %s\n", c->state_dir.c_str(), id.error().message().c_str());
    return 1;
  }
  // An agent has a few operations in flight per peer at most, and the completion ring's pages
  // are resident memory (16 bytes an entry): sized for a brood of thousands, not for the API's
  // connections (operations past half the ring wait their turn, none is lost).
  rt::reactor_options ro;
  ro.sq_entries = 128;
  ro.cq_entries = 1024;
  rt::reactor r(ro);
  return r.block_on(run(std::move(*c), *id));
}
