// Thin shim over OpenSSL: CMS (protected settings), HMAC-SHA256 (SAS signatures), SHA-1 (thumbprints), the
// emulator's throw-away TLS certificate (EC keys, X.509 v3 extensions).
#ifndef VMSNAP_OPENSSL_SHIM_H
#define VMSNAP_OPENSSL_SHIM_H
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#endif
