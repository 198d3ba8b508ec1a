/* fconn.h: a connection that speaks the framed protocol (PROTOCOL.md).
 *
 * Wraps a struct conn: sends HELLO on start, checks the peer's HELLO, cuts
 * the input into frames, answers PING, and hands every other frame to the
 * owner. A malformed frame, a bad HELLO or a FRAME_ERROR from the peer
 * closes the connection with one log line naming the peer. Used by
 * http-filed towards its backends and by every backend towards http-filed,
 * the router and the CLI tools. */
#ifndef PARLEY_FCONN_H
#define PARLEY_FCONN_H

#include "conn.h"
#include "frame.h"

#define FCONN_ROLE_MAX 32

struct fconn;

struct fconn_ops {
	/* The peer's HELLO arrived and its version matches. 0, or -1 if the
	   owner closed the connection. May be NULL. */
	int (*on_hello)(struct fconn *f);
	/* One frame other than HELLO/PING/PONG/ERROR. 0, or -1 if closed. */
	int (*on_frame)(struct fconn *f, const struct frame_header *h,
			const unsigned char *payload);
	/* The connection is over: error is an errno value or 0 for EOF, why a
	   short reason. The owner must fconn_close and may free. */
	void (*on_close)(struct fconn *f, int error, const char *why);
};

struct fconn {
	struct conn
		conn; /* first member: a struct conn * is a struct fconn * */
	const struct fconn_ops *ops;
	void *owner;
	const char *name; /* for logs: "backend /http-bind", "client 3", ... */
	size_t max_payload;
	int hello_done;
	unsigned peer_minor; /* the peer's protocol minor version */
	char peer_role[FCONN_ROLE_MAX + 1];
};

/* Starts f on the connected, non-blocking fd and sends HELLO with role. */
void fconn_init(struct fconn *f, struct ev_loop *loop, int fd,
		const struct fconn_ops *ops, void *owner, const char *name,
		const char *role, size_t max_payload);
/* Sends one frame. 0, or -1 with errno (the owner should close). */
int fconn_send(struct fconn *f, uint16_t type, uint32_t channel,
	       const void *payload, size_t len);
/* Sends FRAME_ERROR with reason, then closes the connection. */
void fconn_fail(struct fconn *f, const char *reason);
void fconn_close(struct fconn *f);

#endif
