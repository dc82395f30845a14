// Whether a target's host is this machine, so its listening socket can be read via sock_diag.
#pragma once

#include <string_view>

namespace rte {

// True for "localhost", loopback addresses (127.0.0.0/8, ::1, ::ffff:127.x.y.z) and any address
// currently on a local interface (getifaddrs, read on each call so interfaces may come and go).
// Hostnames other than "localhost" are not resolved (DNS could stall the poll loop): false,
// and the target needs `local: true` in the config.
bool IsLocalAddress(std::string_view host);

}  // namespace rte
