// Thin shim over libcurl: typed wrappers for the variadic curl_easy_setopt/getinfo and curl_multi_setopt.
#ifndef VMSNAP_CURL_SHIM_H
#define VMSNAP_CURL_SHIM_H
#include <curl/curl.h>

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
static inline CURLMcode vmsnap_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
#endif
