/* conn.h: a non-blocking stream connection on libev with bounded input and
 * output queues, used for every peer of every daemon.
 *
 * Reads go first into one scratch buffer shared by the whole process (the
 * daemons are single-threaded); only the bytes the owner leaves unconsumed
 * are copied into the connection's own input queue. Writes go straight to
 * the socket when nothing is queued; only what the kernel does not take is
 * copied into the output queue. So an idle connection owns no buffer at
 * all. A file segment can follow the output queue (sendfile(2)).
 *
 * Back-pressure: while the output queue holds more than out_high bytes the
 * connection stops reading; it resumes when the queue has drained.
 *
 * Ownership: the owner embeds or allocates the struct conn and frees it;
 * conn_close releases the descriptor and buffers but never the struct.
 * Callbacks made from libev may close and free the connection: each returns
 * -1 when it did, and the caller then does not touch it again. */
#ifndef PARLEY_CONN_H
#define PARLEY_CONN_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define CONN_SCRATCH_SIZE (64 * 1024)

struct conn;

struct conn_ops {
	/* Bytes arrived: data[0..len) is everything unconsumed so far. Returns
	   how many bytes the owner consumed (the rest is kept and handed again
	   with the next bytes), or -1 if it closed the connection. */
	ssize_t (*on_read)(struct conn *c, const char *data, size_t len);
	/* The peer closed its side (reading has stopped). Returns 0, or -1 if
	   the owner closed the connection. May be NULL: then it is closed
	   through on_close(c, 0). */
	int (*on_eof)(struct conn *c);
	/* The output queue and file segment are fully sent after having been
	   queued. Returns 0 or -1 as above. May be NULL. */
	int (*on_drain)(struct conn *c);
	/* A read or write error (errno value) or EOF (0) without on_eof. The
	   owner must conn_close and may free; the connection is not used after
	   this returns. */
	void (*on_close)(struct conn *c, int error);
};

struct conn {
	ev_io io;
	struct ev_loop *loop;
	int fd;
	struct buf in, out;
	size_t out_high;
	int file_fd; /* -1 when no file segment is pending */
	off_t file_off;
	uint64_t file_left;
	unsigned paused : 1;  /* the owner asked not to read */
	unsigned blocked : 1; /* back-pressure: output above out_high */
	unsigned eof : 1;     /* the peer closed its sending side */
	unsigned closed : 1;
	const struct conn_ops *ops;
	void *owner;
};

/* Sets up c on fd (already non-blocking) and starts reading. in_limit and
   out_limit bound the queues; out_high is the back-pressure mark. */
void conn_init(struct conn *c, struct ev_loop *loop, int fd,
	       const struct conn_ops *ops, void *owner, size_t in_limit,
	       size_t out_limit, size_t out_high);
/* Sends or queues n bytes. more != 0 tells the kernel more follows at once
   (MSG_MORE), e.g. a header before a file. 0, or -1 with errno: ENOBUFS if
   the output queue would pass its limit, or the socket's error; on -1 the
   owner should close. */
int conn_write(struct conn *c, const void *p, size_t n, int more);
/* Sends count bytes of file_fd from offset after the queued output. The
   connection owns file_fd from now on and closes it. 0 or -1 as above. */
int conn_sendfile(struct conn *c, int file_fd, off_t offset, uint64_t count);
/* 1 if nothing is queued for output. */
int conn_is_flushed(const struct conn *c);
/* Stops / restarts reading at the owner's wish. conn_resume hands the
   unconsumed input to on_read again; it returns -1 if on_read closed. */
void conn_pause(struct conn *c);
int conn_resume(struct conn *c);
/* Reads now, without waiting for readiness (a freshly accepted socket
   often has its first request already). 0, or -1 if a callback closed the
   connection. */
int conn_read_now(struct conn *c);
/* Closes the descriptor and frees the queues; safe to call twice. */
void conn_close(struct conn *c);

#endif
