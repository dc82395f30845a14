// The network-quality figures of the probe socket (cause 2) from the kernel's TCP_INFO, kept
// cumulative across reconnects. Pure: the probe reads the struct, this turns it into figures,
// so tests feed recorded values.
#pragma once

#include <cstdint>

#include "snapshot/probe_figures.h"

namespace rte {

// The TCP_INFO fields the exporter uses (struct tcp_info, linux/tcp.h).
struct TcpInfoReading {
  std::uint32_t rtt_us = 0;         // tcpi_rtt: smoothed round trip
  std::uint32_t total_retrans = 0;  // tcpi_total_retrans: segments retransmitted on this socket
  std::uint32_t pmtu = 0;           // tcpi_pmtu: path MTU
  std::uint32_t snd_mss = 0;        // tcpi_snd_mss: largest segment it sends
};

class TcpQuality {
 public:
  // `connection` counts the probe's connections: a new one starts its retransmit count at 0,
  // so the previous connection's last count is carried into the total.
  void Observe(const TcpInfoReading& reading, std::uint64_t connection, ProbeFigures& figures);

 private:
  std::uint64_t connection_ = 0;
  double carried_ = 0;  // retransmits of earlier connections
  double current_ = 0;  // of the current connection, as last read
};

}  // namespace rte
