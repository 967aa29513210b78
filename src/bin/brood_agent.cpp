// brood-agent: the node daemon (SPEC §2).
//
//   brood-agent [run]        enrol if needed, then keep this node in the brood until SIGTERM;
//                            with BROOD_API_TOKEN (and a provider's variables), on a scout —
//                            the first, or a node approved with role scout — the API is served
//                            too, as tasks on the same reactor
//   brood-agent bootstrap    the brood's first scout from nothing (SPEC §5.1): brood.key, the
//                            scout's address (BROOD_API_ADDRESS, else STUN), its certificate by
//                            ACME DNS-01, the first records; then runs as that scout. Run again,
//                            it changes nothing
//   brood-agent status       the node as its running agent last wrote it (<state>/status.json);
//                            --json prints that file
//   brood-agent id           this node's id10, public key and WireGuard public key (creates
//                            node.key if missing)
//
// Configuration: environment variables, see include/brood/agent/config.hpp (every node),
// include/brood/scout/settings.hpp (scouts) and docs/lab.md.
#include <brood/agent/agent.hpp>
#include <brood/agent/config.hpp>
#include <brood/agent/status_table.hpp>
#include <brood/api/brood_key.hpp>
#include <brood/crypto/identity.hpp>
#include <brood/json/value.hpp>
#include <brood/net/socket_address.hpp>
#include <brood/provider/cloudflare.hpp>
#include <brood/scout/bootstrap.hpp>
#include <brood/scout/scout.hpp>
#include <brood/stun/stun_client.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/reactor.hpp>
#include <brood/rt/signal_set.hpp>
#include <brood/rt/task_scope.hpp>

#include <sys/stat.h>
#include <unistd.h>

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

rt::task<void> run_agent(agent::agent* a, int* status, rt::task_scope* signals, rt::task_scope* work) {
  *status = co_await a->run();
  // The agent ended by itself: stop waiting for signals, and stop the API beside it.
  signals->cancel();
  work->cancel();
}

/// The scout's public address: BROOD_API_ADDRESS, else what STUN (BROOD_STUN) says.
rt::task<std::string> public_address(const scout::settings& s, const agent::config& c) {
  if (!s.address.empty()) co_return s.address;
  std::vector<net::socket_address> servers;
  for (auto& a : c.stun) servers.push_back(*net::socket_address::parse(a));
  if (servers.empty()) co_return std::string{};
  auto d = co_await stun::discover(servers);
  for (auto& e : d.endpoints(c.wg_port)) {
    auto ip = e.to_string();  // ip:port or [ip]:port
    ip = ip.substr(0, ip.rfind(':'));
    if (ip.size() > 2 && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
    co_return ip;
  }
  co_return std::string{};
}

/// The scout's API beside the agent (SPEC §2, §5.10). A node approved as a scout later first
/// waits until its agent holds the brood key and its own record says role scout, then takes
/// over the key and the scouts the agent pinned. The API's start waits on the CA and the
/// provider; until it can start it is tried again (30 s, doubling to 10 min) while the agent
/// keeps the mesh: a scout whose API is down is a node like any other.
rt::task<void> run_scout(scout::settings* s, provider::provider* dns, const crypto::identity* id, const agent::agent* a,
                         const agent::config* c) {
  const std::string& key_path = s->brood_key_file;
  auto key = api::load_brood_key(key_path);
  std::vector<crypto::public_key> pins;
  const bool handed_over = !key && key.error() == std::errc::no_such_file_or_directory;
  if (handed_over) {
    std::fprintf(stderr, "brood-agent: BROOD_API_TOKEN is set: serving the API once approved as a scout\n");
    for (;;) {
      if (auto h = a->handoff()) {
        key = api::brood_key{h->kv, h->key};
        pins = h->pins;
        break;
      }
      auto slept = co_await rt::sleep_for(std::chrono::seconds(2));
      if (!slept) co_return;
    }
  }
  if (!key) {
    std::fprintf(stderr, "brood-agent: %s: %s (not serving the API)\n", key_path.c_str(), key.error().message().c_str());
    co_return;
  }
  if (s->address.empty()) s->address = co_await public_address(*s, *c);
  auto wait = std::chrono::seconds(30);
  for (;;) {
    scout::service service(*s, *dns, *id, *key, pins);
    std::string why;
    if (auto started = co_await service.start(&why); started) {
      // The key file after scout.json (written by the API's start, with the pins): a crash in
      // between only means waiting for the handoff again.
      if (handed_over)
        if (auto saved = api::save_brood_key(key_path, *key); !saved)
          std::fprintf(stderr, "brood-agent: %s: %s\n", key_path.c_str(), saved.error().message().c_str());
      // Stopped gracefully when the agent's work is cancelled (SIGTERM).
      const rt::cancel_token token = co_await rt::current_token();
      rt::cancel_callback on_stop;
      if (on_stop.arm(token, [](void* p) noexcept { static_cast<scout::service*>(p)->stop(); }, &service))
        co_await service.serve();
      co_return;
    }
    std::fprintf(stderr, "brood-agent: the API did not start: %s (again in %lld s)\n", why.c_str(),
                 static_cast<long long>(wait.count()));
    auto slept = co_await rt::sleep_for(wait);
    if (!slept) co_return;
    wait = std::min<std::chrono::seconds>(wait * 2, std::chrono::minutes(10));
  }
}

rt::task<int> run(agent::config c, const crypto::identity& id, std::optional<scout::settings> scout_settings) {
  provider::cloudflare_provider* cf = nullptr;
  std::unique_ptr<provider::provider> dns;
  if (scout_settings) {
    dns = scout::make_provider(*scout_settings, &cf);
    if (!dns)  // the node stays in the mesh; only the API is missing
      std::fprintf(stderr, "brood-agent: cannot set up the %s provider (check its variables): not serving the API\n",
                   scout_settings->provider.c_str());
    // The first scout's agent reads the key it made; a scout approved later got its own from _k.
    const std::string& key_path = scout_settings->brood_key_file;
    if (c.key_file.empty() && ::access(key_path.c_str(), F_OK) == 0) c.key_file = key_path;
  }
  const agent::config agent_config = c;  // run_scout's copy: the agent takes its own
  agent::agent a(std::move(c), id);
  rt::signal_set sigs{SIGTERM, SIGINT};
  int status = 0;
  rt::task_scope signals{rt::no_parent};
  rt::task_scope work{rt::no_parent};
  signals.spawn(stop_on_signal(&sigs, &work));
  work.spawn(run_agent(&a, &status, &signals, &work));
  if (dns) work.spawn(run_scout(&*scout_settings, dns.get(), &id, &a, &agent_config));
  co_await work.join();
  signals.cancel();
  co_await signals.join();
  if (cf) co_await cf->close();
  co_return status;
}

/// brood-agent bootstrap: the first scout, then the scout itself.
rt::task<int> bootstrap(agent::config c, const crypto::identity& id, scout::settings s) {
  const std::string address = co_await public_address(s, c);
  if (address.empty()) {
    std::fprintf(stderr, "brood-agent: bootstrap: no public address: set BROOD_API_ADDRESS, or BROOD_STUN to a "
                         "STUN server that answers\n");
    co_return 1;
  }
  provider::cloudflare_provider* cf = nullptr;
  auto dns = scout::make_provider(s, &cf);
  if (!dns) {
    std::fprintf(stderr, "brood-agent: cannot set up the %s provider (check its variables)\n", s.provider.c_str());
    co_return 2;
  }
  std::string why;
  auto b = co_await scout::bootstrap(s, *dns, id, address, &why);
  if (cf) co_await cf->close();
  if (!b) {
    std::fprintf(stderr, "brood-agent: bootstrap: %s\n", why.c_str());
    // A scout bootstrapped before (its brood.key is there) is still a node of the brood: the
    // CA or the provider failing now must not take it out of the mesh.
    if (::access(s.brood_key_file.c_str(), F_OK) != 0) co_return 1;
    std::fprintf(stderr, "brood-agent: %s was bootstrapped before: running as the scout\n", s.domain.c_str());
  } else {
    std::fprintf(stderr, "brood-agent: bootstrapped %s: scout %s at %s; %s, %s, %u records written\n",
                 s.domain.c_str(), id.id10().c_str(), address.c_str(), b->key_created ? "brood.key made" : "brood.key kept",
                 b->certificate_issued ? "certificate issued" : "certificate kept", b->records_added);
  }
  const int status = co_await run(std::move(c), id, std::move(s));
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
  if (cmd != "run" && cmd != "bootstrap") {
    std::fprintf(stderr, "usage: brood-agent [run | bootstrap | status [--json] | id]\n");
    return 2;
  }
  std::string why;
  auto c = agent::config_from_env(&why);
  if (!c) {
    std::fprintf(stderr, "brood-agent: %s\n", why.c_str());
    return 2;
  }
  // A scout: bootstrapping one, or a node with the operator's token (a scout, or one to be
  // approved as a scout: it serves once it is one).
  std::optional<scout::settings> scout_settings;
  const bool bootstrapping = cmd == "bootstrap";
  const char* token = std::getenv("BROOD_API_TOKEN");
  if (bootstrapping || (token && *token)) {
    scout_settings = scout::settings_from_env({.serve = true, .bootstrap = bootstrapping}, &why);
    if (!scout_settings && bootstrapping) {
      std::fprintf(stderr, "brood-agent: %s\n", why.c_str());
      return 2;
    }
    // A node already in the brood stays in it; only the API waits for a configuration it can use.
    if (!scout_settings) std::fprintf(stderr, "brood-agent: %s: not serving the API\n", why.c_str());
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
  if (bootstrapping) return r.block_on(bootstrap(std::move(*c), *id, std::move(*scout_settings)));
  return r.block_on(run(std::move(*c), *id, std::move(scout_settings)));
}
