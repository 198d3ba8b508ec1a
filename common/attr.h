/* attr.h: the attribute list carried in frame payloads.
 *
 * A payload is a sequence of attributes, each
 *   u16 key, u32 length, length bytes of value
 * in network byte order. Keys are defined per frame type in PROTOCOL.md; a
 * receiver skips keys it does not know, so that a daemon can be upgraded
 * without its peers. A key may repeat (HTTP headers). Values are opaque
 * bytes; integers are sent as 4-byte big-endian values. */
#ifndef PARLEY_ATTR_H
#define PARLEY_ATTR_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define ATTR_HEADER_SIZE 6

/* Keys of FRAME_HTTP_REQUEST and FRAME_HTTP_RESPONSE (see PROTOCOL.md). */
enum attr_key {
	ATTR_METHOD = 1,  /* request: "GET", "POST", ... */
	ATTR_TARGET = 2,  /* request: the raw request-target, e.g. /http-bind?x */
	ATTR_VERSION = 3, /* request: "HTTP/1.1" */
	ATTR_PEER = 4,    /* request: client address "127.0.0.1:5555" */
	ATTR_HEADER = 5,  /* both, repeated: "Name: value" as received/sent */
	ATTR_BODY = 6,    /* both: the whole body */
	ATTR_STATUS = 7,  /* response: u32 status code */
	ATTR_PREFIX = 8,  /* request: the route prefix that matched */
	/* Keys of FRAME_STREAM_OPEN and FRAME_STREAM_CLOSE: */
	ATTR_TRANSPORT = 9,  /* open: "bosh", "poll" */
	ATTR_SECURE = 10,    /* open: u32, 1 if the client's HTTP was TLS or
				loopback (PLAIN may be offered) */
	ATTR_CONDITION = 11, /* close: why, e.g. "remote-connection-failed" */
	ATTR_UNDELIVERED = 17, /* close, gateway -> router: stanzas for the
				  client it could not deliver (1.3) */
	/* Keys of the control frames (CTL_REQUEST, CTL_REPLY, CTL_END): */
	ATTR_COMMAND = 12, /* request: the command, e.g. "session list" */
	ATTR_ARG = 13,     /* request, repeated: one operand */
	ATTR_FIELD = 14,   /* reply, repeated: "name=value", a text field */
	ATTR_NUMBER = 15,  /* reply, repeated: "name=123", an unsigned integer */
	ATTR_MESSAGE = 16, /* end: a human-readable explanation */
	/* CTL_END also carries ATTR_STATUS (u32, enum frame_ctl_status) */
};

/* Appends one attribute; 0, or -1 with errno (ENOBUFS if out is full). */
int attr_append(struct buf *out, uint16_t key, const void *value, size_t len);
int attr_append_str(struct buf *out, uint16_t key, const char *s);
int attr_append_u32(struct buf *out, uint16_t key, uint32_t v);

/* Iterates over the attributes of a payload. */
struct attr_iter {
	const unsigned char *p;
	size_t left;
};

struct attr {
	uint16_t key;
	uint32_t len;
	const unsigned char *value; /* points into the payload */
};

void attr_iter_init(struct attr_iter *it, const void *payload, size_t len);
/* 1 and *a filled with the next attribute, 0 at the clean end, -1 if the
 * payload is truncated or an attribute overruns it (a protocol error). */
int attr_next(struct attr_iter *it, struct attr *a);
/* Reads a 4-byte value; -1 if a->len != 4. */
int attr_get_u32(const struct attr *a, uint32_t *v);

#endif
