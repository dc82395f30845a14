// OpenSSL, libevent_openssl and libcrypt, dlopen()ed only when a setting needs them: merely
// mapping them costs about 2 MiB of resident memory that a plain-TCP exporter never uses.
#pragma once

#include <crypt.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/status.h"

namespace rte {

// Every OpenSSL and libevent_openssl function the daemon calls, as (library, name). OpenSSL's
// function-like macros are called through what they expand to: SSL_CTX_ctrl
// (SSL_CTX_set_min_proto_version, SSL_CTX_add0_chain_cert), SSL_ctrl (SSL_set_tlsext_host_name),
// SSL_get_ex_data/SSL_set_ex_data (SSL_get/set_app_data), OPENSSL_sk_pop_free (sk_..._pop_free).
#define RTE_OPENSSL_FUNCTIONS(X)                                 \
  X(kCrypto, ASN1_TIME_to_tm)                                    \
  X(kCrypto, BIO_free)                                           \
  X(kCrypto, BIO_new_mem_buf)                                    \
  X(kCrypto, CRYPTO_memcmp)                                      \
  X(kCrypto, ERR_clear_error)                                    \
  X(kCrypto, ERR_get_error)                                      \
  X(kCrypto, ERR_peek_error)                                     \
  X(kCrypto, ERR_reason_error_string)                            \
  X(kCrypto, EVP_DecodeBlock)                                    \
  X(kCrypto, EVP_Digest)                                         \
  X(kCrypto, EVP_PKEY_free)                                      \
  X(kCrypto, EVP_sha256)                                         \
  X(kCrypto, OPENSSL_sk_pop_free)                                \
  X(kCrypto, PEM_read_bio_PrivateKey)                            \
  X(kCrypto, PEM_read_bio_X509)                                  \
  X(kCrypto, X509_NAME_free)                                     \
  X(kCrypto, X509_STORE_add_cert)                                \
  X(kCrypto, X509_VERIFY_PARAM_set1_host)                        \
  X(kCrypto, X509_VERIFY_PARAM_set1_ip_asc)                      \
  X(kCrypto, X509_free)                                          \
  X(kCrypto, X509_get0_notAfter)                                 \
  X(kCrypto, X509_get_default_cert_file)                         \
  X(kCrypto, X509_get_default_cert_file_env)                     \
  X(kCrypto, X509_verify_cert_error_string)                      \
  X(kSsl, SSL_CTX_check_private_key)                             \
  X(kSsl, SSL_CTX_ctrl)                                          \
  X(kSsl, SSL_CTX_free)                                          \
  X(kSsl, SSL_CTX_get_cert_store)                                \
  X(kSsl, SSL_CTX_load_verify_locations)                         \
  X(kSsl, SSL_CTX_new)                                           \
  X(kSsl, SSL_CTX_set_client_CA_list)                            \
  X(kSsl, SSL_CTX_set_session_id_context)                        \
  X(kSsl, SSL_CTX_set_verify)                                    \
  X(kSsl, SSL_CTX_use_PrivateKey)                                \
  X(kSsl, SSL_CTX_use_PrivateKey_file)                           \
  X(kSsl, SSL_CTX_use_certificate)                               \
  X(kSsl, SSL_CTX_use_certificate_chain_file)                    \
  X(kSsl, SSL_ctrl)                                              \
  X(kSsl, SSL_free)                                              \
  X(kSsl, SSL_get0_param)                                        \
  X(kSsl, SSL_get0_peer_certificate)                             \
  X(kSsl, SSL_get_error)                                         \
  X(kSsl, SSL_get_ex_data)                                       \
  X(kSsl, SSL_get_fd)                                            \
  X(kSsl, SSL_get_verify_result)                                 \
  X(kSsl, SSL_load_client_CA_file)                               \
  X(kSsl, SSL_new)                                               \
  X(kSsl, SSL_set_ex_data)                                       \
  X(kSsl, SSL_set_info_callback)                                 \
  X(kSsl, TLS_client_method)                                     \
  X(kSsl, TLS_server_method)                                     \
  X(kEventOpenSsl, bufferevent_get_openssl_error)                \
  X(kEventOpenSsl, bufferevent_openssl_filter_new)               \
  X(kEventOpenSsl, bufferevent_openssl_set_allow_dirty_shutdown) \
  X(kEventOpenSsl, bufferevent_openssl_socket_new)

struct OpenSslApi {
#define RTE_OPENSSL_MEMBER(library, name) decltype(&::name) name = nullptr;
  RTE_OPENSSL_FUNCTIONS(RTE_OPENSSL_MEMBER)
#undef RTE_OPENSSL_MEMBER
};

struct CryptApi {
  decltype(&::crypt_rn) crypt_rn = nullptr;
};

// Loads libcrypto.so.3, libssl.so.3 and libevent_openssl-2.1.so.7 on the first call and binds
// every function; later calls return the same table. Thread-safe. The first call reads files:
// make it where blocking is allowed (config load, the TLS loader's worker), not on a loop.
// The error names the library or the function that is missing; a failed load is tried again at
// the next call, so installing the libraries and reloading is enough.
Result<const OpenSslApi*> LoadOpenSsl();

// The same for libcrypt.so.1 (bcrypt for the web endpoint's basic auth).
Result<const CryptApi*> LoadCrypt();

}  // namespace rte
