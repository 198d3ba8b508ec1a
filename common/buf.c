/* buf.c: the growable, bounded byte buffer of buf.h.
 *
 * Storage grows geometrically (doubling from BUF_MIN_CAP) and is never larger
 * than limit + 1 bytes (the extra byte only gives vsnprintf room for its NUL).
 * Consumed bytes are reclaimed lazily: when an append needs room at the back,
 * the live bytes are first moved to the front, and only if that is not enough
 * is the storage reallocated. Every failing append leaves len and the bytes
 * unchanged. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BUF_MIN_CAP 64

void buf_init(struct buf *b, size_t limit)
{
	b->data = NULL;
	b->off = 0;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
}

void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b, b->limit);
}

char *buf_head(const struct buf *b)
{
	return b->data ? b->data + b->off : NULL;
}

char *buf_tail(const struct buf *b)
{
	return b->data ? b->data + b->off + b->len : NULL;
}

/* Moves the live bytes to the front of the storage. */
static void buf_compact(struct buf *b)
{
	if (b->off == 0)
		return;
	if (b->len > 0)
		memmove(b->data, b->data + b->off, b->len);
	b->off = 0;
}

/* The capacity to allocate for need bytes: doubling, capped at max. */
static size_t buf_grown_cap(size_t cap, size_t need, size_t max)
{
	size_t c = cap < BUF_MIN_CAP ? BUF_MIN_CAP : cap;
	while (c < need && c <= SIZE_MAX / 2)
		c *= 2;
	if (c < need)
		c = need;
	return c > max ? max : c;
}

/* Ensures n free bytes after the live ones; the caller checked the limit,
 * and n <= limit - len + 1, so the storage stays within limit + 1. */
static int buf_make_room(struct buf *b, size_t n)
{
	if (b->cap - b->off - b->len >= n)
		return 0;
	buf_compact(b);
	if (b->cap - b->len >= n)
		return 0;
	size_t max = b->limit == SIZE_MAX ? SIZE_MAX : b->limit + 1;
	size_t cap = buf_grown_cap(b->cap, b->len + n, max);
	char *p = realloc(b->data, cap);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_reserve(struct buf *b, size_t n)
{
	if (n > b->limit - b->len) {
		errno = ENOBUFS;
		return -1;
	}
	return buf_make_room(b, n);
}

void buf_commit(struct buf *b, size_t n)
{
	b->len += n;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (buf_reserve(b, n) < 0)
		return -1;
	memcpy(buf_tail(b), p, n);
	b->len += n;
	return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *tail = buf_tail(b);
	size_t room = b->cap - b->off - b->len;
	/* tail is NULL only when room is 0, which vsnprintf allows */
	va_start(ap, fmt);
	int r = vsnprintf(tail, room, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	size_t need = (size_t)r;
	if (need > b->limit - b->len) {
		errno = ENOBUFS;
		return -1;
	}
	if (need >= room) {
		if (buf_make_room(b, need + 1) < 0)
			return -1;
		va_start(ap, fmt);
		r = vsnprintf(buf_tail(b), need + 1, fmt, ap);
		va_end(ap);
		if (r < 0 || (size_t)r != need) {
			errno = EINVAL; /* the arguments changed under us */
			return -1;
		}
	}
	b->len += need;
	return 0;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->off = 0;
		b->len = 0;
		return;
	}
	b->off += n;
	b->len -= n;
}

void buf_reset(struct buf *b)
{
	b->off = 0;
	b->len = 0;
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len < b->len)
		b->len = len;
}
