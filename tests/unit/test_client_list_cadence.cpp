// CLIENT LIST every poll while the client count is modest, less often as it grows.
#include <catch2/catch.hpp>

#include "sources/redis/client_list_cadence.h"

using namespace rte;
using namespace std::chrono_literals;

TEST_CASE("CLIENT LIST cadence follows the number of clients", "[pool][cadence]") {
  struct Case {
    size_t clients;
    Duration poll_interval;
    Duration client_list_interval;
    Duration wait;
  };
  const Case cases[] = {
      {0, 5s, 30s, 0s},                               // nothing listed yet: every poll
      {50, 5s, 30s, 0s},                              // a few pools: every poll
      {1000, 5s, 30s, 0s},                            // the last count listed every poll
      {2000, 5s, 30s, 10s},                           // twice the clients: every second poll
      {5000, 5s, 30s, 25s},   {10000, 5s, 30s, 30s},  // capped at client_list_interval
      {100000, 5s, 30s, 30s}, {3000, 250ms, 30s, 750ms},
      {3000, 5s, 2s, 5s},  // an interval shorter than a poll: every poll at most
  };
  for (const auto& c : cases) {
    INFO(c.clients << " clients, poll " << FormatDuration(c.poll_interval) << ", interval "
                   << FormatDuration(c.client_list_interval));
    CHECK(FormatDuration(ClientListWait(c.clients, c.poll_interval, c.client_list_interval)) ==
          FormatDuration(c.wait));
  }
}
