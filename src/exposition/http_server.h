// A small HTTP server (libevent's evhttp) on its own thread: /metrics, landing page, reload.
#pragma once

#include <functional>
#include <map>
#include <string>
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
