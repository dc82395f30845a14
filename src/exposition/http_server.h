// A small HTTP server (libevent's evhttp) on its own thread: /metrics, landing page, reload.
// Responses go out in one write on TCP_NODELAY sockets, gzip-compressed when the client asks.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <thread>

#include "common/status.h"

struct event_base;
struct evhttp;

namespace rte {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// True when an Accept-Encoding header value accepts gzip: a "gzip" (or "x-gzip") or "*" coding
// whose q value is not 0 (RFC 9110 section 12.5.3). An explicit gzip;q=0 beats "*".
bool AcceptsGzip(std::string_view accept_encoding);

// `text` compressed into the gzip format (RFC 1952), at zlib's fastest level: a scrape is
// served on the HTTP thread, and the text format compresses tenfold even at that level.
std::string GzipCompress(std::string_view text);

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const std::string& method)>;

  HttpServer();
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Register every route before Listen().
  void Route(const std::string& path, Handler handler);
  // Binds "host:port" ("[::1]:port" for IPv6, ":port" for all addresses).
  Status Listen(const std::string& listen_address);
  void Start();
  void Stop();

 private:
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  std::map<std::string, Handler> routes_;
  std::thread thread_;
};

}  // namespace rte
