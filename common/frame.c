/* frame.c: encoder, sans-I/O decoder and HELLO handshake of the framed
 * protocol (frame.h, specified in PROTOCOL.md).
 *
 * The decoder never reads a socket: it looks at the bytes a connection has
 * buffered and says whether they start with a whole frame. It judges the
 * header as soon as its 16 bytes are there, so a peer announcing an oversized
 * payload, an unknown type or unknown flags is refused before any payload is
 * buffered. Every integer is big-endian on the wire. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"

/* The HELLO role token: 1..FRAME_ROLE_MAX bytes of [a-z0-9-]. */
#define FRAME_ROLE_MAX 32
/* "parley " + two numbers of up to FRAME_NUMBER_MAX digits + role. */
#define FRAME_NUMBER_MAX 5
#define FRAME_HELLO_MAX	 64

struct frame_type_desc {
	uint16_t type;
	const char *name;
};

static const struct frame_type_desc frame_types[] = {
	{FRAME_HELLO, "HELLO"},
	{FRAME_ERROR, "ERROR"},
	{FRAME_PING, "PING"},
	{FRAME_PONG, "PONG"},
	{FRAME_HTTP_REQUEST, "HTTP_REQUEST"},
	{FRAME_HTTP_RESPONSE, "HTTP_RESPONSE"},
	{FRAME_HTTP_ABORT, "HTTP_ABORT"},
	{FRAME_HTTP_INSTANCE, "HTTP_INSTANCE"},
	{FRAME_HTTP_DRAIN, "HTTP_DRAIN"},
	{FRAME_HTTP_DRAINED, "HTTP_DRAINED"},
	{FRAME_HTTP_RELEASE, "HTTP_RELEASE"},
	{FRAME_STREAM_OPEN, "STREAM_OPEN"},
	{FRAME_STREAM_DATA, "STREAM_DATA"},
	{FRAME_STREAM_RESTART, "STREAM_RESTART"},
	{FRAME_STREAM_CLOSE, "STREAM_CLOSE"},
	{FRAME_STREAM_RETURN, "STREAM_RETURN"},
	{FRAME_STREAM_HANDOVER, "STREAM_HANDOVER"},
	{FRAME_STREAM_HANDOVER_OK, "STREAM_HANDOVER_OK"},
	{FRAME_STREAM_ADOPT, "STREAM_ADOPT"},
	{FRAME_CTL_REQUEST, "CTL_REQUEST"},
	{FRAME_CTL_REPLY, "CTL_REPLY"},
	{FRAME_CTL_END, "CTL_END"},
};

static const struct frame_type_desc *frame_type_find(uint16_t type)
{
	for (size_t i = 0; i < sizeof frame_types / sizeof frame_types[0]; i++)
		if (frame_types[i].type == type)
			return &frame_types[i];
	return NULL;
}

int frame_type_is_known(uint16_t type)
{
	return frame_type_find(type) != NULL;
}

const char *frame_type_name(uint16_t type)
{
	const struct frame_type_desc *d = frame_type_find(type);
	return d ? d->name : "unknown";
}

static void frame_put_u16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void frame_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint16_t frame_get_u16(const unsigned char *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t frame_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

void frame_header_encode(const struct frame_header *h, unsigned char *p)
{
	frame_put_u32(p, h->length);
	frame_put_u16(p + 4, h->type);
	frame_put_u16(p + 6, h->flags);
	frame_put_u32(p + 8, h->channel);
	frame_put_u32(p + 12, 0);
}

int frame_append(struct buf *out, uint16_t type, uint32_t channel,
		 const void *payload, size_t len)
{
	if (len > FRAME_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	if (buf_reserve(out, FRAME_HEADER_SIZE + len) < 0)
		return -1;
	struct frame_header h = {
		.length = (uint32_t)len,
		.type = type,
		.flags = 0,
		.channel = channel,
	};
	unsigned char *p = (unsigned char *)buf_tail(out);
	frame_header_encode(&h, p);
	if (len > 0)
		memcpy(p + FRAME_HEADER_SIZE, payload, len);
	buf_commit(out, FRAME_HEADER_SIZE + len);
	return 0;
}

enum frame_decode_result frame_decode(const unsigned char *p, size_t n,
				      size_t max_payload,
				      struct frame_header *h,
				      const unsigned char **payload,
				      const char **why)
{
	if (n < FRAME_HEADER_SIZE)
		return FRAME_NEED_MORE;
	if (max_payload > FRAME_MAX_PAYLOAD)
		max_payload = FRAME_MAX_PAYLOAD;
	h->length = frame_get_u32(p);
	h->type = frame_get_u16(p + 4);
	h->flags = frame_get_u16(p + 6);
	h->channel = frame_get_u32(p + 8);
	const char *bad = NULL;
	if (h->length > max_payload)
		bad = "payload length over the limit";
	else if (!frame_type_is_known(h->type))
		bad = "unknown frame type";
	else if (h->flags & ~FRAME_F_KNOWN)
		bad = "unknown flag bits set";
	if (bad) {
		if (why)
			*why = bad;
		return FRAME_BAD;
	}
	if (n - FRAME_HEADER_SIZE < h->length)
		return FRAME_NEED_MORE;
	*payload = p + FRAME_HEADER_SIZE;
	return FRAME_OK;
}

static int frame_role_is_valid(const char *s, size_t len)
{
	if (len == 0 || len > FRAME_ROLE_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return 0;
	}
	return 1;
}

int frame_hello_append(struct buf *out, const char *role)
{
	if (!frame_role_is_valid(role, strlen(role))) {
		errno = EINVAL;
		return -1;
	}
	char text[FRAME_HELLO_MAX];
	int n = snprintf(text, sizeof text, "parley %d.%d %s",
			 FRAME_VERSION_MAJOR, FRAME_VERSION_MINOR, role);
	if (n < 0 || (size_t)n >= sizeof text) {
		errno = EINVAL;
		return -1;
	}
	return frame_append(out, FRAME_HELLO, 0, text, (size_t)n);
}

/* Parses 1..FRAME_NUMBER_MAX decimal digits at *p (advanced past them). */
static int frame_parse_number(const unsigned char **p, const unsigned char *end,
			      unsigned *v)
{
	size_t digits = 0;
	unsigned n = 0;
	while (*p < end && **p >= '0' && **p <= '9') {
		if (++digits > FRAME_NUMBER_MAX)
			return -1;
		n = n * 10 + (unsigned)(**p - '0');
		(*p)++;
	}
	if (digits == 0)
		return -1;
	*v = n;
	return 0;
}

/* Consumes the single byte c at *p; -1 if it is not there. */
static int frame_expect(const unsigned char **p, const unsigned char *end,
			unsigned char c)
{
	if (*p >= end || **p != c)
		return -1;
	(*p)++;
	return 0;
}

int frame_hello_check(const unsigned char *payload, size_t len, char *role,
		      size_t rolesz, const char **why)
{
	static const char magic[] = "parley ";
	const char *ignored;
	unsigned major, minor;
	if (!why)
		why = &ignored;
	*why = "malformed HELLO";
	if (len < sizeof magic - 1 || memcmp(payload, magic, sizeof magic - 1))
		return -1;
	const unsigned char *p = payload + sizeof magic - 1;
	const unsigned char *end = payload + len;
	if (frame_parse_number(&p, end, &major) < 0 ||
	    frame_expect(&p, end, '.') < 0 ||
	    frame_parse_number(&p, end, &minor) < 0 ||
	    frame_expect(&p, end, ' ') < 0)
		return -1;
	if (!frame_role_is_valid((const char *)p, (size_t)(end - p))) {
		*why = "malformed role in HELLO";
		return -1;
	}
	if (major != FRAME_VERSION_MAJOR) {
		*why = "protocol major version mismatch";
		return -1;
	}
	if (role && rolesz > 0) {
		size_t n = (size_t)(end - p);
		if (n > rolesz - 1)
			n = rolesz - 1;
		memcpy(role, p, n);
		role[n] = '\0';
	}
	*why = NULL;
	return 0;
}

unsigned frame_hello_minor(const unsigned char *payload, size_t len)
{
	static const char magic[] = "parley ";
	const unsigned char *p = payload + sizeof magic - 1;
	const unsigned char *end = payload + len;
	unsigned major, minor;
	if (len < sizeof magic - 1 ||
	    frame_parse_number(&p, end, &major) < 0 ||
	    frame_expect(&p, end, '.') < 0 ||
	    frame_parse_number(&p, end, &minor) < 0)
		return 0;
	return minor;
}
