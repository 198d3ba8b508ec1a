/* fconn.c: framed-protocol connections (see fconn.h). */
#include <errno.h>
#include <string.h>

#include "fconn.h"
#include "log.h"

#define FCONN_QUEUE_LIMIT (FRAME_MAX_PAYLOAD * 4)
#define FCONN_QUEUE_HIGH (FRAME_MAX_PAYLOAD * 2)
#define FCONN_COALESCE (16 * 1024)
#define FCONN_PING_MAX 64

/* Ends the connection from inside a callback: tells the owner. */
static void fconn_end(struct fconn *f, int error, const char *why)
{
	f->ops->on_close(f, error, why);
}

static int fconn_on_hello(struct fconn *f, const struct frame_header *h,
			  const unsigned char *payload)
{
	const char *why = NULL;
	if (h->type != FRAME_HELLO) {
		log_warn("%s: first frame is %s, not HELLO", f->name,
			 frame_type_name(h->type));
		fconn_fail(f, "expected HELLO");
		fconn_end(f, EPROTO, "no hello");
		return -1;
	}
	if (frame_hello_check(payload, h->length, f->peer_role,
			      sizeof f->peer_role, &why) < 0) {
		log_warn("%s: bad HELLO: %s", f->name, why);
		fconn_fail(f, why);
		fconn_end(f, EPROTO, why);
		return -1;
	}
	f->hello_done = 1;
	f->peer_minor = frame_hello_minor(payload, h->length);
	log_debug("%s: peer is %s", f->name, f->peer_role);
	return f->ops->on_hello ? f->ops->on_hello(f) : 0;
}

static int fconn_dispatch(struct fconn *f, const struct frame_header *h,
			  const unsigned char *payload)
{
	if (!f->hello_done)
		return fconn_on_hello(f, h, payload);
	switch (h->type) {
	case FRAME_PING:
		if (h->length > FCONN_PING_MAX) {
			log_warn("%s: PING payload too long", f->name);
			fconn_end(f, EPROTO, "long ping");
			return -1;
		}
		if (fconn_send(f, FRAME_PONG, h->channel, payload, h->length) <
		    0) {
			fconn_end(f, errno, "write");
			return -1;
		}
		return 0;
	case FRAME_PONG:
		return 0;
	case FRAME_ERROR:
		log_warn("%s: peer reports an error: %.*s", f->name,
			 (int)(h->length > 200 ? 200 : h->length),
			 (const char *)payload);
		fconn_end(f, EPROTO, "peer error");
		return -1;
	case FRAME_HELLO:
		log_warn("%s: second HELLO", f->name);
		fconn_fail(f, "second HELLO");
		fconn_end(f, EPROTO, "second hello");
		return -1;
	default:
		return f->ops->on_frame(f, h, payload);
	}
}

static ssize_t fconn_on_read(struct conn *c, const char *data, size_t len)
{
	struct fconn *f = (struct fconn *)c;
	size_t used = 0;
	while (used < len && !c->paused) {
		struct frame_header h;
		const unsigned char *payload;
		const char *why = NULL;
		enum frame_decode_result r = frame_decode(
			(const unsigned char *)data + used, len - used,
			f->max_payload, &h, &payload, &why);
		if (r == FRAME_NEED_MORE)
			break;
		if (r == FRAME_BAD) {
			log_warn("%s: malformed frame: %s", f->name, why);
			fconn_fail(f, why);
			fconn_end(f, EPROTO, why);
			return -1;
		}
		used += FRAME_HEADER_SIZE + h.length;
		if (fconn_dispatch(f, &h, payload) < 0)
			return -1;
	}
	return (ssize_t)used;
}

static void fconn_on_conn_close(struct conn *c, int error)
{
	struct fconn *f = (struct fconn *)c;
	fconn_end(f, error, error ? strerror(error) : "closed by peer");
}

static const struct conn_ops fconn_conn_ops = {
	.on_read = fconn_on_read,
	.on_close = fconn_on_conn_close,
};

void fconn_init(struct fconn *f, struct ev_loop *loop, int fd,
		const struct fconn_ops *ops, void *owner, const char *name,
		const char *role, size_t max_payload)
{
	f->ops = ops;
	f->owner = owner;
	f->name = name;
	f->max_payload = max_payload > FRAME_MAX_PAYLOAD ? FRAME_MAX_PAYLOAD
							 : max_payload;
	f->hello_done = 0;
	f->peer_minor = 0;
	f->peer_role[0] = '\0';
	conn_init(&f->conn, loop, fd, &fconn_conn_ops, f,
		  FRAME_HEADER_SIZE + f->max_payload, FCONN_QUEUE_LIMIT,
		  FCONN_QUEUE_HIGH);
	struct buf hello;
	buf_init(&hello, 256);
	if (frame_hello_append(&hello, role) == 0)
		conn_write(&f->conn, buf_head(&hello), hello.len, 0);
	buf_free(&hello);
}

int fconn_send(struct fconn *f, uint16_t type, uint32_t channel,
	       const void *payload, size_t len)
{
	if (len > f->max_payload) {
		errno = EMSGSIZE;
		return -1;
	}
	struct frame_header h = {
		.length = (uint32_t)len, .type = type, .channel = channel};
	unsigned char head[FRAME_HEADER_SIZE + FCONN_COALESCE];
	frame_header_encode(&h, head);
	if (len <= FCONN_COALESCE) {
		if (len)
			memcpy(head + FRAME_HEADER_SIZE, payload, len);
		return conn_write(&f->conn, head, FRAME_HEADER_SIZE + len, 0);
	}
	if (conn_write(&f->conn, head, FRAME_HEADER_SIZE, 1) < 0)
		return -1;
	return conn_write(&f->conn, payload, len, 0);
}

void fconn_fail(struct fconn *f, const char *reason)
{
	fconn_send(f, FRAME_ERROR, 0, reason, strlen(reason));
}

void fconn_close(struct fconn *f)
{
	conn_close(&f->conn);
}
