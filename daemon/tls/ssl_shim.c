/* libssl.so shim for Debian's CivetWeb on OpenSSL 3.
 *
 * Debian built libcivetweb against the OpenSSL 1.1 API: at run time it
 * dlopen()s "libssl.so" and looks up SSL_get_peer_certificate, which OpenSSL 3
 * turned into a macro. The lookup fails, CivetWeb's TLS set-up fails quietly
 * and the first HTTPS connection calls a null pointer. This library is named
 * libssl.so, depends on the real libssl.so.3 / libcrypto.so.3 (so every other
 * symbol resolves through them) and adds the one missing function. mlopsd
 * finds it first through its DT_RPATH (daemon/server/CMakeLists.txt). */
#include <openssl/ssl.h>

#undef SSL_get_peer_certificate
X509* SSL_get_peer_certificate(const SSL* s);
X509* SSL_get_peer_certificate(const SSL* s) { return SSL_get1_peer_certificate(s); }
