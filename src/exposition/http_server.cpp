#include "exposition/http_server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <streambuf>
#include <vector>

#include "common/errno_text.h"
#include "exposition/web_security.h"
#include "platform/optional_libraries.h"

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

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    default:
      return "Error";
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The q value of one Accept-Encoding element's parameters (";q=0.5"); 1 when absent, 0 when
// malformed (a coding we cannot read is not one we were asked for).
double QValue(std::string_view params) {
  while (!params.empty()) {
    const size_t semi = params.find(';');
    std::string_view param = Trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (param.size() < 2 || std::tolower(static_cast<unsigned char>(param[0])) != 'q' ||
        param[1] != '=') {
      continue;
    }
    const std::string value(Trim(param.substr(2)));
    char* end = nullptr;
    const double q = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || q < 0 || q > 1) return 0;
    return q;
  }
  return 1;
}

Nanos SteadyNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// "127.0.0.1:54321" or "[::1]:54321": the peer of socket `fd`, for a log line.
std::string PeerAddress(int fd) {
  sockaddr_storage addr{};
  socklen_t length = sizeof(addr);
  if (fd < 0 || getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    return "unknown";
  }
  char host[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "unknown";
}

// Why the handshake of `ssl` failed, in OpenSSL's words: its reason strings are constants
// ("peer did not return a certificate", "unsupported protocol", "http request"), never a
// secret, and few, so they also key the log limiter.
std::string HandshakeFailureReason(const OpenSslApi& api, const SSL* ssl, int ssl_error) {
  const unsigned long error = api.ERR_peek_error();
  if (error == 0) {
    return ssl_error == SSL_ERROR_SYSCALL ? "connection closed or reset during the handshake"
                                          : "handshake failed";
  }
  const char* text = api.ERR_reason_error_string(error);
  std::string reason = text != nullptr ? text : "error " + std::to_string(ERR_GET_REASON(error));
  if (ERR_GET_LIB(error) == ERR_LIB_SSL &&
      ERR_GET_REASON(error) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    reason += ": ";
    reason += api.X509_verify_cert_error_string(api.SSL_get_verify_result(ssl));
  }
  return reason;
}

// Nagle's algorithm holds back a response's last partial segment until the client ACKs the
// previous one, and clients delay ACKs by up to 40 ms: every keep-alive scrape used to wait
// that long. So: no Nagle on the socket, and no 16 KiB cap per write() (libevent's default),
// so headers and body leave in one writev().
void TuneConnection(evhttp_request* req) {
  evhttp_connection* connection = evhttp_request_get_connection(req);
  bufferevent* bev =
      connection != nullptr ? evhttp_connection_get_bufferevent(connection) : nullptr;
  if (bev == nullptr) return;
  bufferevent_set_max_single_write(bev, EV_SSIZE_MAX);
  const evutil_socket_t fd = bufferevent_getfd(bev);
  const int one = 1;
  if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// Hands the body to libevent without a copy.
void AddBody(evbuffer* buffer, std::string body) {
  if (body.empty()) return;
  auto* owned = new std::string(std::move(body));
  const auto release = [](const void*, size_t, void* arg) {
    delete static_cast<std::string*>(arg);
  };
  if (evbuffer_add_reference(buffer, owned->data(), owned->size(), release, owned) != 0) {
    evbuffer_add(buffer, owned->data(), owned->size());
    delete owned;
  }
}

// Hands `bytes`, owned by `owner`, to libevent without a copy; `owner` lives until they are
// sent.
void AddShared(evbuffer* buffer, std::shared_ptr<const PreparedBody> owner,
               std::string_view bytes) {
  if (bytes.empty()) return;
  auto* kept = new std::shared_ptr<const PreparedBody>(std::move(owner));
  const auto release = [](const void*, size_t, void* arg) {
    delete static_cast<std::shared_ptr<const PreparedBody>*>(arg);
  };
  if (evbuffer_add_reference(buffer, bytes.data(), bytes.size(), release, kept) != 0) {
    evbuffer_add(buffer, bytes.data(), bytes.size());
    delete kept;
  }
}

// `text` compressed at zlib's fastest level into a raw deflate stream (no zlib or gzip
// wrapper), appended to `out`. With Z_FINISH it ends with the final block; with Z_SYNC_FLUSH it
// ends byte-aligned without one, so that another raw deflate stream may follow it.
bool DeflateRaw(std::string_view text, int flush, int window_bits, int mem_level,
                std::string* out) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, -window_bits, mem_level,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return false;
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  size_t used = out->size();
  int rc = Z_OK;
  do {  // zlib's own pattern (zpipe.c): deflate until it leaves output space unused
    out->resize(used + std::max<size_t>(4096, text.size() / 4));
    stream.next_out = reinterpret_cast<Bytef*>(out->data() + used);
    stream.avail_out = static_cast<uInt>(out->size() - used);
    rc = deflate(&stream, flush);
    used = out->size() - stream.avail_out;
  } while (rc != Z_STREAM_ERROR && stream.avail_out == 0);
  out->resize(used);
  deflateEnd(&stream);
  return rc != Z_STREAM_ERROR && (flush != Z_FINISH || rc == Z_STREAM_END);
}

// zlib's gzip header at its fastest level: no name, no time, XFL 4 (fastest), OS 3 (Unix).
constexpr char kGzipHeader[10] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 4, 3};

// `response.body` then `response.tail` as one gzip member (GzipSplice), the tail's compressed
// bytes sent without a copy.
bool WriteSplicedGzip(evbuffer* buffer, const HttpResponse& response) {
  const auto splice = GzipSplice::Make(response.body, *response.tail);
  if (!splice) return false;
  evbuffer_add(buffer, splice->prefix.data(), splice->prefix.size());
  AddShared(buffer, response.tail, response.tail->deflated().bytes);
  evbuffer_add(buffer, splice->trailer.data(), splice->trailer.size());
  return true;
}

// An output stream buffer that hands what is written to `sink` a piece at a time,
// gzip-compressed on the way when asked. A body is compressed while it is written: its text
// never exists whole next to its compressed copy, and what is held is one piece of each.
class BodyStreambuf : public std::streambuf {
 public:
  using Sink = std::function<void(const char*, size_t)>;

  BodyStreambuf(Sink sink, bool gzip) : sink_(std::move(sink)), gzip_(gzip), in_(kPieceBytes) {
    setp(in_.data(), in_.data() + in_.size());
    if (!gzip_) return;
    // windowBits 15 + 16: the gzip wrapper (header and CRC-32) instead of the zlib one.
    ok_ = deflateInit2(&stream_, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    deflating_ = ok_;
    out_.resize(kPieceBytes);
  }
  ~BodyStreambuf() override {
    if (deflating_) deflateEnd(&stream_);
  }
  BodyStreambuf(const BodyStreambuf&) = delete;
  BodyStreambuf& operator=(const BodyStreambuf&) = delete;

  // False once zlib failed (it cannot start without memory): the output is then unusable.
  bool ok() const { return ok_; }
  // Hands over what is still buffered and, for gzip, the end of the stream and its trailer.
  bool Finish() {
    Drain(true);
    return ok_;
  }

 protected:
  int_type overflow(int_type ch) override {
    Drain(false);
    if (!ok_) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }

 private:
  // 64 KiB: few evbuffer chains for a page of megabytes, little held while it is written.
  static constexpr size_t kPieceBytes = 64 * 1024;

  void Drain(bool finish) {
    const size_t n = static_cast<size_t>(pptr() - pbase());
    setp(in_.data(), in_.data() + in_.size());
    if (!ok_) return;
    if (!gzip_) {
      if (n > 0) sink_(in_.data(), n);
      return;
    }
    stream_.next_in = reinterpret_cast<Bytef*>(in_.data());
    stream_.avail_in = static_cast<uInt>(n);
    const int flush = finish ? Z_FINISH : Z_NO_FLUSH;
    int rc = Z_OK;
    do {  // zlib's own pattern (zpipe.c): deflate until it leaves output space unused
      stream_.next_out = reinterpret_cast<Bytef*>(out_.data());
      stream_.avail_out = static_cast<uInt>(out_.size());
      rc = deflate(&stream_, flush);
      if (rc == Z_STREAM_ERROR) {
        ok_ = false;
        return;
      }
      const size_t produced = out_.size() - stream_.avail_out;
      if (produced > 0) sink_(out_.data(), produced);
    } while (stream_.avail_out == 0);
    if (finish && rc != Z_STREAM_END) ok_ = false;
  }

  Sink sink_;
  bool gzip_;
  bool ok_ = true;
  bool deflating_ = false;
  z_stream stream_{};
  std::vector<char> in_;
  std::vector<char> out_;
};

// Writes the body into `buffer`, gzip-compressed when `gzip`; false when compression failed
// (the buffer is then emptied). With `buffer` null the body is only measured, into `length`:
// a HEAD response carries the Content-Length of the GET one and nothing is kept.
bool WriteBody(evbuffer* buffer, HttpResponse& response, bool gzip, size_t* length) {
  *length = 0;
  if (!gzip && !response.write_body) {
    *length = response.body.size();
    if (buffer != nullptr) AddBody(buffer, std::move(response.body));
    return true;
  }
  BodyStreambuf body(
      [buffer, length](const char* data, size_t n) {
        *length += n;
        if (buffer != nullptr) evbuffer_add(buffer, data, n);
      },
      gzip);
  if (body.ok()) {
    std::ostream out(&body);
    if (response.write_body) {
      response.write_body(out);
    } else {
      out.write(response.body.data(), static_cast<std::streamsize>(response.body.size()));
    }
    if (body.Finish()) return true;
  }
  if (buffer != nullptr) evbuffer_drain(buffer, evbuffer_get_length(buffer));
  return false;
}

// Sends `body` as the reply. evhttp sends a HEAD reply's body anyway and leaves out its
// Content-Length, so a client waits for a body that is not a response and a pipelined request
// after it is lost: a HEAD reply goes out with the GET one's Content-Length and no body.
void SendReply(evhttp_request* req, int status, evbuffer* body) {
  if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
    evkeyvalq* headers = evhttp_request_get_output_headers(req);
    if (evhttp_find_header(headers, "Content-Length") == nullptr) {
      evhttp_add_header(headers, "Content-Length",
                        std::to_string(evbuffer_get_length(body)).c_str());
    }
    evbuffer_drain(body, evbuffer_get_length(body));
  }
  evhttp_send_reply(req, status, ReasonPhrase(status), body);
}

// scheme://host[:port] lower-cased and without the scheme's default port, so an Origin of
// "http://Example:80" and a Host of "example" compare equal.
std::string NormalizedOrigin(std::string_view scheme, std::string_view host) {
  std::string out(scheme);
  out += "://";
  for (char c : host) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string default_port = scheme == "https" ? ":443" : ":80";
  if (out.size() > default_port.size() &&
      out.compare(out.size() - default_port.size(), default_port.size(), default_port) == 0) {
    out.resize(out.size() - default_port.size());
  }
  return out;
}

// A browser names the page that sent a request in Origin; curl and Prometheus tooling send
// none. A state-changing request from another site's page (a visitor's browser made to POST
// /-/reload) carries that site's origin, which is not scheme://Host of this request.
bool CrossOrigin(evhttp_request* req, bool tls) {
  evkeyvalq* in = evhttp_request_get_input_headers(req);
  const char* origin = evhttp_find_header(in, "Origin");
  if (origin == nullptr) return false;
  const char* host = evhttp_find_header(in, "Host");
  if (host == nullptr || *host == '\0') return true;
  const std::string_view o = Trim(origin);
  const size_t sep = o.find("://");
  if (sep == std::string_view::npos) return true;  // "null" and other opaque origins
  const std::string_view scheme = o.substr(0, sep);
  if (!EqualsIgnoreCase(scheme, tls ? "https" : "http")) return true;
  return NormalizedOrigin(tls ? "https" : "http", o.substr(sep + 3)) !=
         NormalizedOrigin(tls ? "https" : "http", Trim(host));
}

void Dispatch(evhttp_request* req, const std::map<std::string, HttpServer::Handler>& routes,
              bool tls) {
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  std::string p = (path == nullptr || *path == '\0') ? "/" : path;
  HttpResponse response;
  auto it = routes.find(p);
  if (evhttp_request_get_command(req) == EVHTTP_REQ_POST && CrossOrigin(req, tls)) {
    response.status = 403;
    response.body = "cross-origin request refused: Origin is not this exporter\n";
  } else if (it == routes.end()) {
    response.status = 404;
    response.body = "not found; see / for what is served\n";
  } else {
    response = it->second(MethodName(evhttp_request_get_command(req)));
  }
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", response.content_type.c_str());
  // Caches must not serve a gzip body to a client that did not ask for one, or the reverse.
  evhttp_add_header(headers, "Vary", "Accept-Encoding");
  const char* accept = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept-Encoding");
  bool gzip = accept != nullptr && AcceptsGzip(accept) &&
              (response.write_body || !response.body.empty() ||
               (response.tail && !response.tail->text().empty()));
  // HEAD: the body is written only to be measured, through gzip when GET would be.
  const bool head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
  evbuffer* body = evbuffer_new();
  if (response.tail) {
    // Nothing is copied from the tail: SendReply measures a HEAD reply's and drops it.
    if (gzip && !WriteSplicedGzip(body, response)) gzip = false;  // zlib failed: plain
    if (!gzip) {
      AddBody(body, std::move(response.body));
      AddShared(body, response.tail, response.tail->text());
    }
  } else {
    evbuffer* into = head ? nullptr : body;
    size_t length = 0;
    if (gzip && !WriteBody(into, response, true, &length)) gzip = false;  // zlib failed: plain
    if (!gzip) WriteBody(into, response, false, &length);
    if (head) evhttp_add_header(headers, "Content-Length", std::to_string(length).c_str());
  }
  if (gzip) evhttp_add_header(headers, "Content-Encoding", "gzip");
  TuneConnection(req);
  SendReply(req, response.status, body);
  evbuffer_free(body);
}

}  // namespace

bool AcceptsGzip(std::string_view accept_encoding) {
  std::optional<double> gzip_q, any_q;
  while (!accept_encoding.empty()) {
    const size_t comma = accept_encoding.find(',');
    const std::string_view element = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    const size_t semi = element.find(';');
    const std::string_view coding = Trim(element.substr(0, semi));
    const double q = semi == std::string_view::npos ? 1.0 : QValue(element.substr(semi + 1));
    if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) {
      gzip_q = q;
    } else if (coding == "*") {
      any_q = q;
    }
  }
  if (gzip_q) return *gzip_q > 0;
  return any_q.value_or(0) > 0;
}

const PreparedBody::Deflated& PreparedBody::deflated() const {
  std::call_once(deflate_once_, [this] {
    deflated_.crc = static_cast<std::uint32_t>(crc32_z(
        crc32_z(0, nullptr, 0), reinterpret_cast<const Bytef*>(text_.data()), text_.size()));
    deflated_.ok = DeflateRaw(text_, Z_FINISH, 15, 8, &deflated_.bytes);
    if (!deflated_.ok) deflated_.bytes.clear();
    deflated_.bytes.shrink_to_fit();
  });
  return deflated_;
}

std::optional<GzipSplice> GzipSplice::Make(std::string_view head, const PreparedBody& tail) {
  const PreparedBody::Deflated& deflated = tail.deflated();
  if (!deflated.ok) return std::nullopt;
  GzipSplice splice;
  splice.prefix.assign(kGzipHeader, sizeof(kGzipHeader));
  uLong crc = crc32_z(0, nullptr, 0);
  if (!head.empty()) {
    // A few KiB of status lines: a small window and hash table compress them as well.
    if (!DeflateRaw(head, Z_SYNC_FLUSH, 12, 5, &splice.prefix)) return std::nullopt;
    crc = crc32_z(crc, reinterpret_cast<const Bytef*>(head.data()), head.size());
  }
  crc = crc32_combine(crc, deflated.crc, static_cast<z_off_t>(tail.text().size()));
  const auto length = static_cast<std::uint32_t>(head.size() + tail.text().size());
  splice.trailer.resize(8);
  for (int i = 0; i < 4; ++i) {
    splice.trailer[i] = static_cast<char>((crc >> (8 * i)) & 0xff);
    splice.trailer[4 + i] = static_cast<char>((length >> (8 * i)) & 0xff);
  }
  return splice;
}

std::string GzipCompress(std::string_view text) {
  std::string out;
  BodyStreambuf body([&out](const char* data, size_t n) { out.append(data, n); }, true);
  if (!body.ok()) return {};
  body.sputn(text.data(), static_cast<std::streamsize>(text.size()));
  return body.Finish() ? out : std::string();
}

HttpServer::HttpServer(WebServerStats* stats) : stats_(stats != nullptr ? stats : &own_stats_) {
  evthread_use_pthreads();  // Stop() breaks the loop from another thread
  base_ = event_base_new();
  http_ = evhttp_new(base_);
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
  connections_ = std::make_unique<HttpConnections>(base_, stats_);
  // evhttp's own timeout restarts with every byte; HttpConnections' deadline does not.
  evhttp_set_timeout(http_, static_cast<int>(HttpConnections::kDefaultReadTimeout / 1'000'000'000));
  // Requests are small: a scrape or a reload has a few headers and no body. Larger ones are
  // answered 413 and closed before they are buffered (a 61 MB header line or a 1 GB POST must
  // not grow our memory or keep a core busy).
  evhttp_set_max_headers_size(http_, kMaxRequestHeaderBytes);
  evhttp_set_max_body_size(http_, kMaxRequestBodyBytes);
}

HttpServer::~HttpServer() {
  Stop();
  evhttp_free(http_);  // closes every connection, which HttpConnections hears of
  connections_.reset();
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
  evhttp_bound_socket* bound =
      evhttp_bind_socket_with_handle(http_, host.c_str(), static_cast<uint16_t>(port));
  if (bound == nullptr) {
    return Status::Error("cannot listen on " + listen_address + ": " +
                         evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
  }
  // evhttp listens with a backlog of 128: a burst of scrapers (or a flood) would overflow it
  // and wait a SYN retransmit. Linux lets listen() be called again to raise it (capped by
  // net.core.somaxconn).
  if (::listen(evhttp_bound_socket_get_fd(bound), SOMAXCONN) != 0) {
    spdlog::warn("event=web_backlog_not_raised error=\"{}\" backlog=128", ErrnoText());
  }
  connections_->Watch(evhttp_bound_socket_get_listener(bound));
  return Status::Ok();
}

void HttpServer::SetSecurity(std::shared_ptr<const WebSecurity> security) {
  std::lock_guard lock(security_mu_);
  security_ = std::move(security);
}

void HttpServer::SetConnectionLimits(std::size_t max_open, Nanos read_timeout) {
  connections_->SetLimits(max_open, read_timeout);
  // evhttp's own timeout (a backstop) is only set before the loop runs: evhttp is not
  // thread-safe.
  if (!thread_.joinable()) {
    const timeval tv = NanosToTimeval(read_timeout);
    evhttp_set_timeout_tv(http_, &tv);
  }
}

void HttpServer::SetConnectionCap(std::size_t max_open) { connections_->SetMaxOpen(max_open); }

std::shared_ptr<const WebSecurity> HttpServer::security() const {
  std::lock_guard lock(security_mu_);
  return security_;
}

bufferevent* HttpServer::NewConnection(event_base* base, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  auto security = server->security();
  bufferevent* bev = nullptr;
  if (!security || !security->tls) {
    bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
  } else {
    auto loaded = LoadOpenSsl();  // loaded already: LoadWebSecurity made security->tls with it
    if (!loaded.ok()) return nullptr;
    const OpenSslApi& api = *loaded.value();
    SSL* ssl = api.SSL_new(security->tls.get());
    // evhttp then makes a plain bufferevent itself: the TLS client's handshake fails on it.
    if (ssl == nullptr) return nullptr;
    api.SSL_set_ex_data(ssl, 0, self);  // SSL_set_app_data
    api.SSL_set_info_callback(ssl, &HttpServer::OnTlsInfo);
    bev = api.bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                             BEV_OPT_CLOSE_ON_FREE);
    if (bev != nullptr) api.bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  }
  if (bev != nullptr) server->connections_->Opened(bev);
  return bev;
}

void HttpServer::OnTlsInfo(const ssl_st* ssl, int where, int ret) {
  // The handshake function returned: done (ret 1), waiting for the socket, or failed.
  if ((where & SSL_CB_EXIT) == 0 || ret > 0) return;
  auto loaded = LoadOpenSsl();  // loaded already: `ssl` was made by it
  if (!loaded.ok()) return;
  const OpenSslApi& api = *loaded.value();
  const int error = api.SSL_get_error(ssl, ret);
  if (error != SSL_ERROR_SSL && error != SSL_ERROR_SYSCALL && error != SSL_ERROR_ZERO_RETURN) {
    return;
  }
  auto* server = static_cast<HttpServer*>(api.SSL_get_ex_data(ssl, 0));  // SSL_get_app_data
  if (server == nullptr) return;
  server->stats_->tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
  const std::string reason = HandshakeFailureReason(api, ssl, error);
  // One line per reason and interval: a client without its certificate does not hide the
  // plain-HTTP scraper next to it.
  const auto decision =
      server->refusals_log_.Occurred("web_tls_handshake_failed " + reason, SteadyNow());
  if (decision.log) {
    spdlog::warn("event=web_tls_handshake_failed remote={} reason=\"{}\" repeats_suppressed={}",
                 PeerAddress(api.SSL_get_fd(ssl)), reason, decision.suppressed);
  }
}

void HttpServer::GuardedDispatch(evhttp_request* req, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  if (evhttp_connection* connection = evhttp_request_get_connection(req)) {
    server->connections_->RequestArrived(connection);
  }
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
      const auto decision = server->refusals_log_.Occurred("web_auth_failed", SteadyNow());
      if (decision.log) {
        // Never the credentials: only whether any were sent.
        spdlog::warn("event=web_auth_failed credentials={} repeats_suppressed={}",
                     authorization == nullptr ? "missing" : "wrong", decision.suppressed);
      }
      evhttp_add_header(out, "WWW-Authenticate", "Basic realm=\"redis-timeout-exporter\"");
      evhttp_add_header(out, "Content-Type", "text/plain; charset=utf-8");
      evbuffer* body = evbuffer_new();
      evbuffer_add_printf(body, "authentication required\n");
      SendReply(req, 401, body);
      evbuffer_free(body);
      return;
    }
  }
  Dispatch(req, server->routes_, security && security->tls);
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
