/* buf.h: a growable byte buffer with a hard upper bound.
 *
 * Used by every connection for its input and output queues and by the frame
 * and attribute encoders. Bytes live in data[off .. off+len); consuming from
 * the front only advances off, and the buffer compacts itself lazily when it
 * needs room at the back. A buffer never grows past its limit: appends that
 * would exceed it fail with ENOBUFS and leave the buffer unchanged. */
#ifndef PARLEY_BUF_H
#define PARLEY_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t off;   /* start of unconsumed bytes */
	size_t len;   /* number of unconsumed bytes */
	size_t cap;   /* allocated size of data */
	size_t limit; /* largest len ever allowed */
};

/* Sets up an empty buffer that may hold up to limit bytes. Allocates nothing. */
void buf_init(struct buf *b, size_t limit);
/* Releases the storage; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);
/* Pointer to the first unconsumed byte (valid until the next append). */
char *buf_head(const struct buf *b);
/* Ensures room for n more bytes at the back; 0, or -1 with ENOBUFS/ENOMEM. */
int buf_reserve(struct buf *b, size_t n);
/* Pointer to the free space at the back, after buf_reserve. */
char *buf_tail(const struct buf *b);
/* Records that n bytes were written at buf_tail. */
void buf_commit(struct buf *b, size_t n);
/* Appends n bytes; 0, or -1 with errno and the buffer unchanged. */
int buf_append(struct buf *b, const void *p, size_t n);
/* Appends a NUL-terminated string without the NUL. */
int buf_append_str(struct buf *b, const char *s);
/* printf-style append; -1 with errno if it would exceed the limit. */
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Drops n bytes from the front (n <= len). */
void buf_consume(struct buf *b, size_t n);
/* Empties the buffer but keeps its storage. */
void buf_reset(struct buf *b);
/* Drops the unconsumed bytes past the first len (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);

#endif
