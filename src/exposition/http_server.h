// A small HTTP server (libevent's evhttp) on its own thread: /metrics, landing page, reload.
// Responses go out in one write on TCP_NODELAY sockets, gzip-compressed when the client asks;
// HEAD gets GET's headers without the body; a POST from another site's page (Origin) gets 403.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>

#include "common/log_limiter.h"
#include "common/status.h"
#include "exposition/http_connections.h"

struct bufferevent;
struct event_base;
struct evhttp;
struct evhttp_request;
struct ssl_st;

namespace rte {

struct WebSecurity;

// The unchanging end of many responses (a /metrics page between two polls): its text, and its
// gzip form, compressed once on the first request that accepts gzip, as a raw deflate stream
// that each response splices after its own fresh beginning (one gzip member, as RFC 1952 has
// it, whose CRC-32 is combined from the two parts).
class PreparedBody {
 public:
  struct Deflated {
    bool ok = false;        // false when zlib failed: the response goes out plain
    std::string bytes;      // raw deflate, ending with the final block
    std::uint32_t crc = 0;  // CRC-32 of text()
  };

  explicit PreparedBody(std::string text) : text_(std::move(text)) {}
  const std::string& text() const { return text_; }
  // Thread-safe; compresses on the first call only.
  const Deflated& deflated() const;

 private:
  std::string text_;
  mutable std::once_flag deflate_once_;
  mutable Deflated deflated_;
};

// `head` followed by a prepared tail as one gzip member: `prefix` (the gzip header and `head`
// compressed, sync-flushed so that another deflate stream may follow), the tail's raw deflate
// bytes as compressed once, then `trailer` (the CRC-32 of both parts, combined, and their
// length modulo 2^32). Null when zlib failed.
struct GzipSplice {
  std::string prefix;
  std::string trailer;
  static std::optional<GzipSplice> Make(std::string_view head, const PreparedBody& tail);
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // When set, writes the body instead of `body`: straight into the response buffer, through
  // gzip when the client accepts it, so a large body (/metrics is megabytes at 1,000 targets)
  // never exists whole as text next to its compressed copy.
  std::function<void(std::ostream&)> write_body = nullptr;
  // When set, the body is `body` followed by `tail` (write_body is then ignored): the tail's
  // bytes are sent without a copy and, for gzip, compressed only once whatever the requests.
  std::shared_ptr<const PreparedBody> tail = nullptr;
};

// True when an Accept-Encoding header value accepts gzip: a "gzip" (or "x-gzip") or "*" coding
// whose q value is not 0 (RFC 9110 section 12.5.3). An explicit gzip;q=0 beats "*".
bool AcceptsGzip(std::string_view accept_encoding);

// `text` compressed into the gzip format (RFC 1952), at zlib's fastest level: a scrape is
// served on the HTTP thread, and the text format compresses tenfold even at that level. The
// same streaming compressor as the server's responses, into a string.
std::string GzipCompress(std::string_view text);

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const std::string& method)>;
  // Request size bounds: past either, the answer is 413 and the connection is closed.
  static constexpr size_t kMaxRequestHeaderBytes = 8 * 1024;  // all header lines together
  static constexpr size_t kMaxRequestBodyBytes = 4 * 1024;    // no endpoint reads a body

  // `stats` (optional) receives the server's figures: connections open and closed, failed TLS
  // handshakes, accept() out of descriptors.
  explicit HttpServer(WebServerStats* stats = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Register every route before Listen().
  void Route(const std::string& path, Handler handler);
  // Binds "host:port" ("[::1]:port" for IPv6, ":port" for all addresses).
  Status Listen(const std::string& listen_address);
  void Start();
  void Stop();
  // --web.config.file: TLS, basic auth and headers for every connection and request from now
  // on (null: none). Thread-safe.
  void SetSecurity(std::shared_ptr<const WebSecurity> security);
  // --web.max-connections and --web.read-timeout (HttpConnections::SetLimits). Thread-safe.
  void SetConnectionLimits(std::size_t max_open, Nanos read_timeout);
  // Thread-safe, any time: only the cap on open connections changes (the targets polled
  // changed); the read timeout and a held-down cap after EMFILE stay.
  void SetConnectionCap(std::size_t max_open);

 private:
  // Web security, kept apart from the routing: a TLS bufferevent per connection, and the auth
  // check and headers before a request is dispatched.
  static bufferevent* NewConnection(event_base* base, void* self);
  static void GuardedDispatch(evhttp_request* req, void* self);
  // OpenSSL's info callback of every web TLS connection: evhttp closes a connection whose
  // handshake failed without telling anyone, so the failure is counted and logged here.
  static void OnTlsInfo(const ssl_st* ssl, int where, int ret);
  std::shared_ptr<const WebSecurity> security() const;

  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  std::map<std::string, Handler> routes_;
  std::thread thread_;
  mutable std::mutex security_mu_;
  std::shared_ptr<const WebSecurity> security_;
  LogLimiter refusals_log_;   // refused requests and handshakes; HTTP thread only
  WebServerStats own_stats_;  // when the caller gives none
  WebServerStats* stats_;
  std::unique_ptr<HttpConnections> connections_;
};

}  // namespace rte
