/* base64.c: the strict base64 codec of base64.h.
 *
 * Decoding goes through a 256-entry table mapping each byte to its 6-bit
 * value, or to BASE64_BAD for anything outside the alphabet; '=' is only
 * accepted as the last one or two characters of the text, and the bits it
 * pads must be zero. Neither direction allocates. */
#include <errno.h>

#include "base64.h"

#define BASE64_BAD 0xff

static const char base64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of c in the alphabet, or BASE64_BAD. */
static unsigned base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (unsigned)(c - 'A');
	if (c >= 'a' && c <= 'z')
		return (unsigned)(c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0' + 52);
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return BASE64_BAD;
}

int base64_encode(const void *in, size_t len, char *out, size_t outsz,
		  size_t *outlen)
{
	const unsigned char *p = in;
	size_t need = BASE64_ENCODED_LEN(len);

	if (len > (((size_t)-1) / 4 - 1) || outsz < need + 1) {
		errno = ENOBUFS;
		return -1;
	}
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		size_t left = len - i;
		unsigned long v = (unsigned long)p[i] << 16;
		if (left > 1)
			v |= (unsigned long)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		out[o++] = base64_alphabet[(v >> 18) & 63];
		out[o++] = base64_alphabet[(v >> 12) & 63];
		out[o++] = left > 1 ? base64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = left > 2 ? base64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

/* Number of '=' at the end of a text of len characters (len % 4 == 0),
   or -1 if there are more than two. */
static int base64_padding(const char *in, size_t len)
{
	int pad = 0;
	while (pad < 3 && len > (size_t)pad && in[len - 1 - pad] == '=')
		pad++;
	return pad > 2 ? -1 : pad;
}

int base64_decode(const char *in, size_t len, unsigned char *out, size_t outsz,
		  size_t *outlen)
{
	if (len % 4 != 0) {
		errno = EINVAL;
		return -1;
	}
	int pad = base64_padding(in, len);
	if (pad < 0) {
		errno = EINVAL;
		return -1;
	}
	size_t n = len / 4 * 3 - (size_t)pad;
	if (n > outsz) {
		errno = ENOBUFS;
		return -1;
	}
	size_t o = 0;
	for (size_t i = 0; i < len; i += 4) {
		int last = i + 4 == len;
		unsigned long v = 0;
		for (size_t k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];
			unsigned d = 0;
			if (!(last && c == '=' && k >= 4 - (size_t)pad)) {
				d = base64_value(c);
				if (d == BASE64_BAD) {
					errno = EINVAL;
					return -1;
				}
			}
			v = v << 6 | d;
		}
		/* the bits under the padding must be zero (canonical form) */
		if (last && pad > 0 && (v & ((1ul << (pad * 8)) - 1)) != 0) {
			errno = EINVAL;
			return -1;
		}
		out[o++] = (unsigned char)(v >> 16);
		if (!last || pad < 2)
			out[o++] = (unsigned char)(v >> 8);
		if (!last || pad < 1)
			out[o++] = (unsigned char)v;
	}
	*outlen = o;
	return 0;
}
