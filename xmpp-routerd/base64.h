/* base64.h: standard base64 (RFC 4648 section 4, with '=' padding).
 *
 * Used by SCRAM for salts, nonces, proofs and signatures, and by the XMPP
 * SASL layer, whose <auth/>, <challenge/>, <response/> and <success/>
 * elements carry base64 text. Decoding is strict: no whitespace, padding
 * required, and the unused bits of the last group must be zero, so every
 * byte string has exactly one accepted encoding. */
#ifndef PARLEY_BASE64_H
#define PARLEY_BASE64_H

#include <stddef.h>

/* Characters needed to encode n bytes, without the NUL. */
#define BASE64_ENCODED_LEN(n) (((n) + 2) / 3 * 4)

/* Encodes in[0..len) into out as a NUL-terminated string; stores its length
   (without the NUL) in *outlen if outlen is not NULL. 0, or -1 with ENOBUFS
   if out (outsz bytes) cannot hold the text and its NUL. */
int base64_encode(const void *in, size_t len, char *out, size_t outsz,
		  size_t *outlen);
/* Decodes the text in[0..len) into out; stores the number of bytes in
   *outlen. 0, or -1 with EINVAL (not canonical base64) or ENOBUFS (more
   than outsz bytes). An empty text decodes to zero bytes. */
int base64_decode(const char *in, size_t len, unsigned char *out, size_t outsz,
		  size_t *outlen);

#endif
