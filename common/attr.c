/* attr.c: encoder and iterator of the attribute lists of attr.h.
 *
 * An attribute is a 6-byte header (u16 key, u32 length, big-endian) and its
 * value. The iterator hands out every attribute in order, known or not; the
 * caller skips the keys it does not know, which is what lets peers of
 * different minor versions talk. The iterator never reads outside the
 * payload it was given: a short header or an overrunning length is -1, and
 * stays -1 on further calls. */
#include <errno.h>
#include <string.h>

#include "attr.h"

int attr_append(struct buf *out, uint16_t key, const void *value, size_t len)
{
	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (buf_reserve(out, ATTR_HEADER_SIZE + len) < 0)
		return -1;
	unsigned char *p = (unsigned char *)buf_tail(out);
	p[0] = (unsigned char)(key >> 8);
	p[1] = (unsigned char)key;
	p[2] = (unsigned char)(len >> 24);
	p[3] = (unsigned char)(len >> 16);
	p[4] = (unsigned char)(len >> 8);
	p[5] = (unsigned char)len;
	if (len > 0)
		memcpy(p + ATTR_HEADER_SIZE, value, len);
	buf_commit(out, ATTR_HEADER_SIZE + len);
	return 0;
}

int attr_append_str(struct buf *out, uint16_t key, const char *s)
{
	return attr_append(out, key, s, strlen(s));
}

int attr_append_u32(struct buf *out, uint16_t key, uint32_t v)
{
	unsigned char be[4] = {
		(unsigned char)(v >> 24),
		(unsigned char)(v >> 16),
		(unsigned char)(v >> 8),
		(unsigned char)v,
	};
	return attr_append(out, key, be, sizeof be);
}

void attr_iter_init(struct attr_iter *it, const void *payload, size_t len)
{
	it->p = payload;
	it->left = len;
}

int attr_next(struct attr_iter *it, struct attr *a)
{
	if (it->left == 0)
		return 0;
	if (it->left < ATTR_HEADER_SIZE)
		return -1;
	const unsigned char *p = it->p;
	uint32_t len = (uint32_t)p[2] << 24 | (uint32_t)p[3] << 16 |
		       (uint32_t)p[4] << 8 | p[5];
	if (len > it->left - ATTR_HEADER_SIZE)
		return -1;
	a->key = (uint16_t)((unsigned)p[0] << 8 | p[1]);
	a->len = len;
	a->value = p + ATTR_HEADER_SIZE;
	it->p += ATTR_HEADER_SIZE + len;
	it->left -= ATTR_HEADER_SIZE + len;
	return 1;
}

int attr_get_u32(const struct attr *a, uint32_t *v)
{
	if (a->len != 4)
		return -1;
	const unsigned char *p = a->value;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	     p[3];
	return 0;
}
