/*
 * digest.c — SHA-256 over libcrypto's EVP interface (see digest.h).
 */
#include "core/common.h"
#include "io/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

struct sha256 {
	EVP_MD_CTX *ctx;
};

struct sha256 *sha256_new(void)
{
	struct sha256 *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		sha256_free(h);
		return NULL;
	}
	return h;
}

void sha256_update(struct sha256 *h, const void *data, size_t n)
{
	EVP_DigestUpdate(h->ctx, data, n);
}

void sha256_final(struct sha256 *h, uint8_t out[SHA256_BYTES])
{
	unsigned len = SHA256_BYTES;
	EVP_DigestFinal_ex(h->ctx, out, &len);
	/* Ready for the next message, with the digest already fetched. */
	EVP_DigestInit_ex2(h->ctx, NULL, NULL);
}

void sha256_free(struct sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void sha256_hex(const uint8_t digest[SHA256_BYTES], char out[SHA256_HEX])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < SHA256_BYTES; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[2 * SHA256_BYTES] = '\0';
}

const char *digest_library_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION_STRING);
}
