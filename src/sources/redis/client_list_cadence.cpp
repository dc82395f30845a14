#include "sources/redis/client_list_cadence.h"

#include <algorithm>

namespace rte {

Duration ClientListWait(size_t clients, Duration poll_interval, Duration client_list_interval) {
  if (clients <= kClientListEveryPollClients) return Duration(0);
  const double polls = static_cast<double>(clients) / kClientListEveryPollClients;
  const auto scaled =
      Duration(static_cast<Duration::rep>(static_cast<double>(poll_interval.count()) * polls));
  return std::min(scaled, std::max(client_list_interval, poll_interval));
}

}  // namespace rte
