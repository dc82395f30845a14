#include "sources/redis/discoverer.h"

#include <algorithm>
#include <memory>
#include <set>

#include "parse/redis_text.h"
#include "sources/redis/poll_batch.h"

namespace rte {
namespace {

timeval ToTimeval(Duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return timeval{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

}  // namespace

Discoverer::Discoverer(event_base* base, evdns_base* dns, const Clock& clock,
                       const SecretCache& secrets, TlsContextLoader* tls_loader,
                       DiscoveryConfig config, RefreshCallback on_refresh)
    : base_(base),
      dns_(dns),
      clock_(clock),
      secrets_(secrets),
      tls_loader_(tls_loader),
      config_(std::move(config)),
      on_refresh_(std::move(on_refresh)) {
  tick_ = event_new(base_, -1, EV_PERSIST, &Discoverer::OnTick, this);
}

Discoverer::~Discoverer() {
  event_free(tick_);
  ++refresh_id_;  // callbacks of the connections closed below see a stale refresh
  for (auto& conn : conns_) conn->Close();
  conns_.clear();
}

void Discoverer::Start() {
  const timeval every = ToTimeval(config_.refresh_interval);
  event_add(tick_, &every);
  Refresh();
}

void Discoverer::OnTick(evutil_socket_t, short, void* self) {
  static_cast<Discoverer*>(self)->Refresh();
}

std::unique_ptr<RespConnection> Discoverer::NewConnection() {
  return std::make_unique<RespConnection>(base_, dns_, clock_, tls_loader_,
                                          static_cast<size_t>(config_.base.max_reply_bytes));
}

void Discoverer::Refresh() {
  if (refreshing_) return;  // a refresh still waits on a slow server
  refreshing_ = true;
  ++refresh_id_;
  conns_.clear();  // closed when the last refresh ended; freed here, outside their callbacks
  refresh_ = DiscoveryRefresh{};
  errors_.clear();
  if (config_.type == DiscoveryConfig::Type::kCluster) {
    candidates_ = config_.seeds;
    for (const Endpoint& e : known_) {
      if (std::find(candidates_.begin(), candidates_.end(), e) == candidates_.end()) {
        candidates_.push_back(e);
      }
    }
    AskClusterNode(0);
    return;
  }
  candidates_ = config_.seeds;
  refresh_.sentinels.resize(candidates_.size());
  sentinels_left_ = candidates_.size();
  for (size_t i = 0; i < candidates_.size(); ++i) conns_.push_back(NewConnection());
  for (size_t i = 0; i < candidates_.size() && refreshing_; ++i) AskSentinel(i);
}

void Discoverer::Ask(RespConnection& conn, const Endpoint& endpoint,
                     std::optional<std::vector<std::string>> auth,
                     std::vector<std::vector<std::string>> commands,
                     std::function<void(std::string, std::vector<Reply>)> done) {
  const std::uint64_t id = refresh_id_;
  const Duration timeout = config_.base.poll_timeout;
  auto finished = std::make_shared<bool>(false);
  auto once = [this, id, finished, done](std::string error, std::vector<Reply> replies) {
    if (*finished || id != refresh_id_) return;
    *finished = true;
    done(std::move(error), std::move(replies));
  };
  conn.Connect(
      endpoint, config_.base.tls, config_.base.connect_timeout,
      [this, &conn, endpoint, auth = std::move(auth), commands = std::move(commands), timeout,
       once](TransportError error, const std::string& detail) mutable {
        if (error != TransportError::kNone) {
          once(DescribeConnectFailure(error, detail, endpoint.ToString(),
                                      config_.base.connect_timeout)
                   .message,
               {});
          return;
        }
        auto replies = std::make_shared<std::vector<Reply>>();
        const size_t wanted = commands.size();
        if (auth) {
          conn.Send(*auth, timeout, [once](CommandOutcome outcome) mutable {
            if (!outcome.ok()) {
              once("AUTH: " + std::string(TransportErrorName(outcome.error)), {});
            } else if (outcome.reply.is_error()) {
              once("AUTH failed: " + outcome.reply.str.substr(0, outcome.reply.str.find(' ')), {});
            }
          });
        }
        for (const auto& argv : commands) {
          const std::string name = argv.size() > 1 ? argv[0] + " " + argv[1] : argv[0];
          conn.Send(argv, timeout, [once, replies, wanted, name](CommandOutcome outcome) mutable {
            if (!outcome.ok()) {
              once(name + ": " + TransportErrorName(outcome.error) +
                       (outcome.detail.empty() ? "" : " (" + outcome.detail + ")"),
                   {});
              return;
            }
            if (outcome.reply.is_error()) {
              once(name + " answered: " + outcome.reply.str, {});
              return;
            }
            replies->push_back(std::move(outcome.reply));
            if (replies->size() == wanted) once("", std::move(*replies));
          });
        }
      });
}

void Discoverer::AskClusterNode(size_t index) {
  if (index >= candidates_.size()) {
    refresh_.ok = false;
    std::string error = "no seed or known node answered";
    for (const std::string& e : errors_) error += "; " + e;
    refresh_.error = std::move(error);
    Finish();
    return;
  }
  std::optional<std::vector<std::string>> auth;
  if (!config_.base.password.empty()) {
    auto command = AuthCommand(config_.base, secrets_);
    if (!command.ok()) {
      refresh_.error = command.error();
      Finish();
      return;
    }
    auth = std::move(command.value());
  }
  conns_.push_back(NewConnection());
  RespConnection& conn = *conns_.back();
  const Endpoint endpoint = candidates_[index];
  Ask(conn, endpoint, std::move(auth), {{"CLUSTER", "NODES"}, {"CLUSTER", "INFO"}},
      [this, index, endpoint, &conn](std::string error, std::vector<Reply> replies) {
        conn.Close();
        if (error.empty()) {
          auto nodes = ParseClusterNodes(replies[0].str);
          if (!nodes.ok()) {
            error = nodes.error();
          } else {
            refresh_.ok = true;
            refresh_.asked = endpoint.ToString();
            refresh_.cluster_nodes = std::move(nodes.value());
            refresh_.cluster_state = ParseInfo(replies[1].str).Text("cluster_state").value_or("");
            Finish();
            return;
          }
        }
        errors_.push_back(endpoint.ToString() + ": " + error);
        AskClusterNode(index + 1);
      });
}

void Discoverer::AskSentinel(size_t index) {
  SentinelAnswer& answer = refresh_.sentinels[index];
  answer.sentinel = candidates_[index].ToString();
  std::optional<std::vector<std::string>> auth;
  if (!config_.sentinel_auth.empty()) {
    auto command = AuthCommand("", config_.sentinel_auth, secrets_);
    if (!command.ok()) {
      answer.error = "sentinel password: " + command.error();
      SentinelDone(index);
      return;
    }
    auth = std::move(command.value());
  }
  RespConnection& conn = *conns_[index];
  Ask(conn, candidates_[index], std::move(auth),
      {{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", config_.master_name},
       {"SENTINEL", "REPLICAS", config_.master_name}},
      [this, index, &conn](std::string error, std::vector<Reply> replies) {
        conn.Close();
        SentinelAnswer& answer = refresh_.sentinels[index];
        if (error.empty()) {
          auto master = ParseSentinelMasterAddress(replies[0]);
          auto replicas = ParseSentinelReplicas(replies[1]);
          if (!master.ok()) {
            error = master.error();
          } else if (!replicas.ok()) {
            error = replicas.error();
          } else {
            answer.master = master.value();
            answer.replicas = std::move(replicas.value());
          }
        }
        answer.error = error;
        SentinelDone(index);
      });
}

void Discoverer::SentinelDone(size_t) {
  if (--sentinels_left_ > 0) return;
  bool any = false;
  std::string errors;
  for (const SentinelAnswer& a : refresh_.sentinels) {
    any |= a.master.has_value();
    if (!a.error.empty()) errors += (errors.empty() ? "" : "; ") + a.sentinel + ": " + a.error;
  }
  refresh_.ok = any;
  if (!any) refresh_.error = "no sentinel answered: " + errors;
  Finish();
}

void Discoverer::Finish() {
  refreshing_ = false;
  ++refresh_id_;  // late callbacks of this refresh are ignored
  on_refresh_(std::move(refresh_));
  refresh_ = DiscoveryRefresh{};
}

}  // namespace rte
