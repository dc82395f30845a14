#include "sources/redis/tcp_quality.h"

namespace rte {

void TcpQuality::Observe(const TcpInfoReading& reading, std::uint64_t connection,
                         ProbeFigures& figures) {
  if (connection != connection_) {
    carried_ += current_;
    current_ = 0;
    connection_ = connection;
  }
  // The kernel's count only rises on one socket; never let a stale read take it back.
  if (reading.total_retrans > current_) current_ = reading.total_retrans;
  figures.tcp_rtt_seconds = static_cast<double>(reading.rtt_us) / 1e6;
  figures.tcp_retransmits_total = carried_ + current_;
  if (reading.pmtu > 0) figures.tcp_path_mtu_bytes = reading.pmtu;
  if (reading.snd_mss > 0) figures.tcp_mss_bytes = reading.snd_mss;
}

}  // namespace rte
