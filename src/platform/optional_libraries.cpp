#include "platform/optional_libraries.h"

#include <dlfcn.h>

#include <atomic>
#include <mutex>
#include <string>

namespace rte {
namespace {

enum Library { kCrypto, kSsl, kEventOpenSsl, kLibraryCount };

// Debian 12's sonames, the ones the headers we build against belong to.
constexpr const char* kSonames[kLibraryCount] = {"libcrypto.so.3", "libssl.so.3",
                                                 "libevent_openssl-2.1.so.7"};

// Never dlclose()d: OpenSSL keeps global state and atexit handlers inside its libraries.
Result<void*> Open(const char* soname, const char* purpose) {
  void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return Result<void*>::Error("cannot load " + std::string(soname) + " (needed for " + purpose +
                                "): " + (why != nullptr ? why : "unknown error"));
  }
  return handle;
}

template <typename F>
Status Bind(void* handle, const char* soname, const char* name, F& slot) {
  slot = reinterpret_cast<F>(dlsym(handle, name));
  if (slot == nullptr) {
    return Status::Error("cannot use " + std::string(soname) + ": it has no " + name);
  }
  return Status::Ok();
}

// Serialises loading; once a table is complete it is published and never changes.
std::mutex load_mu;

}  // namespace

Result<const OpenSslApi*> LoadOpenSsl() {
  static std::atomic<const OpenSslApi*> loaded{nullptr};
  if (const OpenSslApi* api = loaded.load(std::memory_order_acquire)) return api;
  std::lock_guard lock(load_mu);
  if (const OpenSslApi* api = loaded.load(std::memory_order_acquire)) return api;
  void* handles[kLibraryCount] = {};
  for (int i = 0; i < kLibraryCount; ++i) {
    auto handle = Open(kSonames[i], "TLS");
    if (!handle.ok()) return Result<const OpenSslApi*>::Error(handle.error());
    handles[i] = handle.value();
  }
  static OpenSslApi api;
#define RTE_OPENSSL_BIND(library, name)                                                         \
  if (Status bound = Bind(handles[library], kSonames[library], #name, api.name); !bound.ok()) { \
    return Result<const OpenSslApi*>::Error(bound.message());                                   \
  }
  RTE_OPENSSL_FUNCTIONS(RTE_OPENSSL_BIND)
#undef RTE_OPENSSL_BIND
  loaded.store(&api, std::memory_order_release);
  return &api;
}

Result<const CryptApi*> LoadCrypt() {
  static std::atomic<const CryptApi*> loaded{nullptr};
  if (const CryptApi* api = loaded.load(std::memory_order_acquire)) return api;
  std::lock_guard lock(load_mu);
  if (const CryptApi* api = loaded.load(std::memory_order_acquire)) return api;
  constexpr const char* kSoname = "libcrypt.so.1";
  auto handle = Open(kSoname, "basic auth");
  if (!handle.ok()) return Result<const CryptApi*>::Error(handle.error());
  static CryptApi api;
  if (Status bound = Bind(handle.value(), kSoname, "crypt_rn", api.crypt_rn); !bound.ok()) {
    return Result<const CryptApi*>::Error(bound.message());
  }
  loaded.store(&api, std::memory_order_release);
  return &api;
}

}  // namespace rte
