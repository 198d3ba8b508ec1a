/* poll_key.c: the XEP-0025 key sequence of poll_key.h, on OpenSSL's SHA-1
 * and base64 encoder. */
#include <openssl/evp.h>
#include <string.h>

#include "poll_key.h"

int poll_key_hash(const char *key, char out[POLL_KEY_HASH_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha1(), NULL) ||
	    mdlen != 20)
		return -1;
	/* EVP_EncodeBlock writes 4 * ceil(20 / 3) = 28 bytes and a NUL */
	return EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen) ==
			       POLL_KEY_HASH_LEN
		       ? 0
		       : -1;
}

int poll_key_follows(const char *key, const char *prev)
{
	char h[POLL_KEY_HASH_LEN + 1];
	return poll_key_hash(key, h) == 0 && strcmp(h, prev) == 0;
}
