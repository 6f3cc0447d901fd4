// Thin shim over libcurl: typed wrappers for the variadic curl_easy_setopt/getinfo and curl_multi_setopt, a share
// handle, and the OpenSSL hooks that give every TLS connection the process's one certificate store.
#ifndef VMSNAP_CURL_SHIM_H
#define VMSNAP_CURL_SHIM_H
#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

typedef size_t (*vmsnap_curl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);

static inline CURLcode vmsnap_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vmsnap_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vmsnap_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vmsnap_easy_setopt_offset(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vmsnap_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vmsnap_easy_setopt_data_cb(CURL *h, CURLoption o, vmsnap_curl_data_cb v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vmsnap_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode vmsnap_easy_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode vmsnap_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode vmsnap_easy_getinfo_offset(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode vmsnap_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
// The TLS library libcurl was built with, e.g. "OpenSSL/3.0.19" (NULL without TLS).
static inline const char *vmsnap_curl_ssl_version(void) {
    curl_version_info_data *data = curl_version_info(CURLVERSION_NOW);
    return data ? data->ssl_version : NULL;
}
static inline CURLSHcode vmsnap_share_setopt_long(CURLSH *s, CURLSHoption o, long v) { return curl_share_setopt(s, o, v); }

// CURLOPT_SSL_CTX_FUNCTION: the connection's SSL_CTX verifies against `store` (an X509_STORE*, one reference taken
// per connection), so libcurl neither opens nor parses a CA file per connection.
static inline CURLcode vmsnap_ssl_ctx_use_store(CURL *curl, void *ssl_ctx, void *store) {
    (void)curl;
    if (X509_STORE_up_ref((X509_STORE *)store) != 1) return CURLE_SSL_CACERT_BADFILE;
    SSL_CTX_set_cert_store((SSL_CTX *)ssl_ctx, (X509_STORE *)store);
    return CURLE_OK;
}

// Hands `store` to every TLS connection `h` opens, instead of a CA file or directory.
static inline CURLcode vmsnap_easy_use_x509_store(CURL *h, void *store) {
    CURLcode result = curl_easy_setopt(h, CURLOPT_CAINFO, (char *)NULL);
    if (result == CURLE_OK) result = curl_easy_setopt(h, CURLOPT_CAPATH, (char *)NULL);
    if (result == CURLE_OK) result = curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, vmsnap_ssl_ctx_use_store);
    if (result == CURLE_OK) result = curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, store);
    return result;
}

// Whether the transfer's TLS connection resumed an earlier session: 1 yes, 0 no (full handshake), -1 no TLS or not
// OpenSSL. Valid while the transfer runs (e.g. from its header callback).
static inline int vmsnap_easy_tls_session_reused(CURL *h) {
    struct curl_tlssessioninfo *info = NULL;
    if (curl_easy_getinfo(h, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || info == NULL) return -1;
    if (info->backend != CURLSSLBACKEND_OPENSSL || info->internals == NULL) return -1;
    return SSL_session_reused((SSL *)info->internals);
}
#endif
