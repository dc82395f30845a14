#include "exposition/http_server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>

#include "exposition/web_security.h"

namespace rte {
namespace {

const char* MethodName(evhttp_cmd_type type) {
  switch (type) {
    case EVHTTP_REQ_GET:
      return "GET";
    case EVHTTP_REQ_POST:
      return "POST";
    case EVHTTP_REQ_HEAD:
      return "HEAD";
    case EVHTTP_REQ_PUT:
      return "PUT";
    default:
      return "OTHER";
  }
}

void Dispatch(evhttp_request* req, void* arg) {
  auto* routes = static_cast<std::map<std::string, HttpServer::Handler>*>(arg);
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  std::string p = (path == nullptr || *path == '\0') ? "/" : path;
  HttpResponse response;
  auto it = routes->find(p);
  if (it == routes->end()) {
    response.status = 404;
    response.body = "not found; see / for what is served\n";
  } else {
    response = it->second(MethodName(evhttp_request_get_command(req)));
  }
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", response.content_type.c_str());
  evbuffer* body = evbuffer_new();
  evbuffer_add(body, response.body.data(), response.body.size());
  const char* reason = response.status == 200   ? "OK"
                       : response.status == 404 ? "Not Found"
                       : response.status == 405 ? "Method Not Allowed"
                                                : "Error";
  evhttp_send_reply(req, response.status, reason, body);
  evbuffer_free(body);
}

}  // namespace

HttpServer::HttpServer() {
  evthread_use_pthreads();  // Stop() breaks the loop from another thread
  base_ = event_base_new();
  http_ = evhttp_new(base_);
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
  evhttp_set_timeout(http_, 30);
}

HttpServer::~HttpServer() {
  Stop();
  evhttp_free(http_);
  event_base_free(base_);
}

void HttpServer::Route(const std::string& path, Handler handler) {
  routes_[path] = std::move(handler);
}

Status HttpServer::Listen(const std::string& listen_address) {
  const auto colon = listen_address.rfind(':');
  if (colon == std::string::npos) {
    return Status::Error("--web.listen-address must be host:port, got '" + listen_address + "'");
  }
  std::string host = listen_address.substr(0, colon);
  const std::string port_text = listen_address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
    return Status::Error("--web.listen-address has a bad port: '" + port_text + "'");
  }
  evhttp_set_gencb(http_, &HttpServer::GuardedDispatch, this);
  evhttp_set_bevcb(http_, &HttpServer::NewConnection, this);
  if (evhttp_bind_socket(http_, host.c_str(), static_cast<uint16_t>(port)) != 0) {
    return Status::Error("cannot listen on " + listen_address + ": " +
                         evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
  }
  return Status::Ok();
}

void HttpServer::SetSecurity(std::shared_ptr<const WebSecurity> security) {
  std::lock_guard lock(security_mu_);
  security_ = std::move(security);
}

std::shared_ptr<const WebSecurity> HttpServer::security() const {
  std::lock_guard lock(security_mu_);
  return security_;
}

bufferevent* HttpServer::NewConnection(event_base* base, void* self) {
  auto security = static_cast<HttpServer*>(self)->security();
  if (!security || !security->tls) return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
  SSL* ssl = SSL_new(security->tls.get());
  if (ssl == nullptr) return nullptr;  // evhttp drops the connection
  bufferevent* bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                    BEV_OPT_CLOSE_ON_FREE);
  if (bev != nullptr) bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  return bev;
}

void HttpServer::GuardedDispatch(evhttp_request* req, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  auto security = server->security();
  if (security) {
    evkeyvalq* out = evhttp_request_get_output_headers(req);
    for (const auto& [name, value] : security->headers) {
      evhttp_add_header(out, name.c_str(), value.c_str());
    }
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
    const char* path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
    // /-/healthy stays open for load balancers and orchestrators.
    const bool open = path != nullptr && std::strcmp(path, "/-/healthy") == 0;
    const char* authorization =
        evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!open && security->auth.enabled() &&
        (authorization == nullptr || !security->auth.Allows(authorization))) {
      const Nanos now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
      const auto decision = server->auth_failures_log_.Occurred("web_auth_failed", now);
      if (decision.log) {
        // Never the credentials: only whether any were sent.
        spdlog::warn("event=web_auth_failed credentials={} repeats_suppressed={}",
                     authorization == nullptr ? "missing" : "wrong", decision.suppressed);
      }
      evhttp_add_header(out, "WWW-Authenticate", "Basic realm=\"redis-timeout-exporter\"");
      evhttp_add_header(out, "Content-Type", "text/plain; charset=utf-8");
      evbuffer* body = evbuffer_new();
      evbuffer_add_printf(body, "authentication required\n");
      evhttp_send_reply(req, 401, "Unauthorized", body);
      evbuffer_free(body);
      return;
    }
  }
  Dispatch(req, &server->routes_);
}

void HttpServer::Start() {
  thread_ = std::thread([this] { event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY); });
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  event_base_loopbreak(base_);
  thread_.join();
}

}  // namespace rte
