/*
 * digest.h — SHA-256, from OpenSSL's libcrypto (EVP).
 *
 * A file's identity is the SHA-256 of its decompressed content;
 * a fact's content hash is the SHA-256 of its fields.
 */
#ifndef KASI_DIGEST_H
#define KASI_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32
#define SHA256_HEX   (SHA256_BYTES * 2 + 1)

struct sha256;

/* NULL when out of memory. Freed with sha256_free. */
struct sha256 *sha256_new(void);
void sha256_update(struct sha256 *h, const void *data, size_t n);
/* Write the digest and start over. */
void sha256_final(struct sha256 *h, uint8_t out[SHA256_BYTES]);
void sha256_free(struct sha256 *h);

/* Lowercase hex of a digest, NUL-terminated. */
void sha256_hex(const uint8_t digest[SHA256_BYTES], char out[SHA256_HEX]);

/* The version of OpenSSL's libcrypto in use ("3.0.19"). */
const char *digest_library_version(void);

#endif
