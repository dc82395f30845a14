// How often the poller sends CLIENT LIST. Redis builds the whole list on its event loop, so
// its cost grows with the number of clients: every poll while that stays modest, less often
// above. Pure; docs/risk.md and the README give the measured cost.
#pragma once

#include <cstddef>

#include "common/duration.h"

namespace rte {

// Up to this many clients CLIENT LIST runs every poll (about 3 ms of Redis time and 280 KB of
// reply on Redis 7.0; busy detection wants a fresh list each poll).
inline constexpr size_t kClientListEveryPollClients = 1000;

// The wait after a CLIENT LIST that listed `clients` clients until the next one: zero (the next
// poll) up to kClientListEveryPollClients; above, poll_interval × clients /
// kClientListEveryPollClients, so Redis spends about as much time per second on it as on 1,000
// clients every poll; never longer than client_list_interval.
Duration ClientListWait(size_t clients, Duration poll_interval, Duration client_list_interval);

}  // namespace rte
