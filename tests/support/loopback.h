// Loopback networking for tests: a free port, and a tiny blocking HTTP/1.0 client.
#pragma once

#include <chrono>
#include <string>

namespace rte::testing {

// Binds 127.0.0.1:0, reads the port the kernel chose, closes the socket and returns the port.
int FreeLoopbackPort();

struct HttpResponse {
  int status = 0;       // 0 when no HTTP response was read (see error)
  std::string headers;  // raw header block, status line excluded
  std::string body;     // de-chunked if the server used chunked transfer encoding
  std::string error;    // transport error (connect refused, timeout, ...), empty otherwise
};

// One request to http://127.0.0.1:port/path with an overall timeout. Never throws for network
// errors: they come back as status 0 with `error` set.
HttpResponse HttpGet(int port, const std::string& path,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));
HttpResponse HttpPost(int port, const std::string& path, const std::string& body = "",
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace rte::testing
