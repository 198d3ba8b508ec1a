/* conn.c: buffered non-blocking connections on libev (see conn.h).
 * The fast path (a whole request read, a whole response written) copies
 * nothing into per-connection buffers and allocates nothing. */
#include <errno.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"

#define CONN_READ_CHUNK (16 * 1024)
#define CONN_SENDFILE_CHUNK (1024 * 1024)

static char conn_scratch[CONN_SCRATCH_SIZE];

int conn_is_flushed(const struct conn *c)
{
	return c->out.len == 0 && c->file_fd < 0;
}

static void conn_update_events(struct conn *c)
{
	if (c->closed)
		return;
	int want = 0;
	if (!c->paused && !c->blocked && !c->eof)
		want |= EV_READ;
	if (!conn_is_flushed(c))
		want |= EV_WRITE;
	if (ev_is_active(&c->io) &&
	    (c->io.events & (EV_READ | EV_WRITE)) == want)
		return;
	ev_io_stop(c->loop, &c->io);
	if (want) {
		ev_io_set(&c->io, c->fd, want);
		ev_io_start(c->loop, &c->io);
	}
}

/* Hands data to the owner and keeps what it left. -1 if the connection is
   gone (closed by the owner, or by us after an overflow). */
static int conn_deliver(struct conn *c, const char *data, size_t len,
			int from_scratch)
{
	ssize_t used = c->ops->on_read(c, data, len);
	if (used < 0)
		return -1;
	size_t rest = len - (size_t)used;
	if (from_scratch) {
		if (rest && buf_append(&c->in, data + used, rest) < 0) {
			c->ops->on_close(c, ENOBUFS);
			return -1;
		}
	} else {
		buf_consume(&c->in, (size_t)used);
	}
	if (c->in.len == 0)
		buf_free(&c->in);
	return 0;
}

static int conn_handle_eof(struct conn *c)
{
	c->eof = 1;
	conn_update_events(c);
	if (c->ops->on_eof)
		return c->ops->on_eof(c);
	c->ops->on_close(c, 0);
	return -1;
}

static int conn_do_read(struct conn *c)
{
	ssize_t n;
	if (c->in.len == 0) {
		n = read(c->fd, conn_scratch, sizeof conn_scratch);
		if (n > 0)
			return conn_deliver(c, conn_scratch, (size_t)n, 1);
	} else {
		size_t room = c->in.limit - c->in.len;
		if (room > CONN_READ_CHUNK)
			room = CONN_READ_CHUNK;
		if (room == 0 || buf_reserve(&c->in, room) < 0) {
			c->ops->on_close(c, ENOBUFS);
			return -1;
		}
		n = read(c->fd, buf_tail(&c->in), room);
		if (n > 0) {
			buf_commit(&c->in, (size_t)n);
			return conn_deliver(c, buf_head(&c->in), c->in.len, 0);
		}
	}
	if (n == 0)
		return conn_handle_eof(c);
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	c->ops->on_close(c, errno);
	return -1;
}

/* Writes what is queued, then the file segment. 1 if everything went, 0 if
   the kernel is full, -1 with errno on error. */
static int conn_flush(struct conn *c)
{
	while (c->out.len) {
		ssize_t w =
			send(c->fd, buf_head(&c->out), c->out.len,
			     MSG_NOSIGNAL | (c->file_fd >= 0 ? MSG_MORE : 0));
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		buf_consume(&c->out, (size_t)w);
	}
	buf_free(&c->out);
	while (c->file_fd >= 0) {
		size_t chunk = c->file_left > CONN_SENDFILE_CHUNK
				       ? CONN_SENDFILE_CHUNK
				       : (size_t)c->file_left;
		ssize_t w =
			chunk ? sendfile(c->fd, c->file_fd, &c->file_off, chunk)
			      : 0;
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (w == 0 && chunk) {
			errno = EIO; /* the file shrank under us */
			return -1;
		}
		c->file_left -= (uint64_t)w;
		if (c->file_left == 0) {
			close(c->file_fd);
			c->file_fd = -1;
		}
	}
	return 1;
}

static int conn_do_write(struct conn *c)
{
	int r = conn_flush(c);
	if (r < 0) {
		c->ops->on_close(c, errno);
		return -1;
	}
	if (r == 0)
		return 0;
	c->blocked = 0;
	conn_update_events(c);
	if (c->ops->on_drain)
		return c->ops->on_drain(c);
	return 0;
}

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	struct conn *c = (struct conn *)w;
	if ((revents & EV_WRITE) && conn_do_write(c) < 0)
		return;
	if ((revents & EV_READ) && !c->paused && !c->blocked && !c->eof)
		conn_do_read(c);
}

void conn_init(struct conn *c, struct ev_loop *loop, int fd,
	       const struct conn_ops *ops, void *owner, size_t in_limit,
	       size_t out_limit, size_t out_high)
{
	ev_io_init(&c->io, conn_io_cb, fd, EV_READ);
	c->loop = loop;
	c->fd = fd;
	buf_init(&c->in, in_limit);
	buf_init(&c->out, out_limit);
	c->out_high = out_high;
	c->file_fd = -1;
	c->file_off = 0;
	c->file_left = 0;
	c->paused = c->blocked = c->eof = c->closed = 0;
	c->ops = ops;
	c->owner = owner;
	ev_io_start(loop, &c->io);
}

static int conn_after_queue(struct conn *c)
{
	if (c->out.len > c->out_high)
		c->blocked = 1;
	conn_update_events(c);
	return 0;
}

int conn_write(struct conn *c, const void *p, size_t n, int more)
{
	if (c->closed || c->file_fd >= 0) {
		errno = c->closed ? EPIPE : EBUSY;
		return -1;
	}
	size_t done = 0;
	if (c->out.len == 0) {
		ssize_t w =
			send(c->fd, p, n, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		done = w > 0 ? (size_t)w : 0;
		if (done == n)
			return 0;
	}
	if (buf_append(&c->out, (const char *)p + done, n - done) < 0)
		return -1;
	return conn_after_queue(c);
}

int conn_sendfile(struct conn *c, int file_fd, off_t offset, uint64_t count)
{
	if (c->closed || c->file_fd >= 0) {
		close(file_fd);
		errno = c->closed ? EPIPE : EBUSY;
		return -1;
	}
	c->file_fd = file_fd;
	c->file_off = offset;
	c->file_left = count;
	if (c->out.len == 0 && conn_flush(c) < 0)
		return -1;
	return conn_after_queue(c);
}

int conn_read_now(struct conn *c)
{
	return conn_do_read(c);
}

void conn_pause(struct conn *c)
{
	c->paused = 1;
	conn_update_events(c);
}

int conn_resume(struct conn *c)
{
	c->paused = 0;
	conn_update_events(c);
	if (c->in.len)
		return conn_deliver(c, buf_head(&c->in), c->in.len, 0);
	return 0;
}

void conn_close(struct conn *c)
{
	if (c->closed)
		return;
	c->closed = 1;
	ev_io_stop(c->loop, &c->io);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->file_fd >= 0)
		close(c->file_fd);
	c->file_fd = -1;
	buf_free(&c->in);
	buf_free(&c->out);
}
