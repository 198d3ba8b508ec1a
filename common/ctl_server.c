/* ctl_server.c: the control socket of ctl_server.h, the half that every
 * daemon shares (common/PROTOCOL.md, section 10).
 *
 * Each connection (struct ctl_client) is a framed connection with 64 KiB
 * frames both ways, on a list of at most CTL_MAX_CLIENTS. A request is
 * answered at once and whole, before the next frame is read: CTL_REPLY
 * records, then CTL_END with a status. A reply (struct ctl_reply) lives
 * on the stack for one request and owns two buffers of one frame each:
 * the record being built and the "name=value" text of one field. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "ctl_server.h"
#include "daemon.h"
#include "fconn.h"
#include "listen.h"
#include "log.h"

#define CTL_NAME_MAX 32
#define CTL_ROLE_MAX 32

struct ctl_client {
	struct fconn f; /* first member */
	struct ctl_client *prev, *next;
	char name[CTL_NAME_MAX];
};

struct ctl_reply {
	struct ctl_client *c;
	uint32_t channel;
	struct buf rec;		/* the record being built */
	struct buf text;	/* one field's "name=value" */
	size_t sent;		/* record bytes sent so far */
	int failed_errno;	/* why a record could not be built, or 0 */
	unsigned truncated : 1; /* CTL_REPLY_MAX reached */
	unsigned broken : 1;	/* the connection cannot take more */
};

static int ctl_fd = -1;
static ev_io ctl_watcher;
static struct ctl_client *ctl_clients;
static size_t ctl_count;
static struct timespec ctl_started;
static const struct ctl_command *ctl_table;
static size_t ctl_ncommands;
static char ctl_role[CTL_ROLE_MAX];

/* ---- building records ---------------------------------------------------- */

static void ctl_reply_attr(struct ctl_reply *r, uint16_t key, const char *name,
			   const char *value, size_t len)
{
	if (ctl_reply_is_over(r))
		return;
	buf_reset(&r->text);
	if (buf_append_str(&r->text, name) < 0 ||
	    buf_append(&r->text, "=", 1) < 0 ||
	    buf_append(&r->text, value, len) < 0 ||
	    attr_append(&r->rec, key, buf_head(&r->text), r->text.len) < 0)
		r->failed_errno = errno ? errno : ENOMEM;
}

void ctl_field(struct ctl_reply *r, const char *name, const char *value)
{
	ctl_reply_attr(r, ATTR_FIELD, name, value, strlen(value));
}

void ctl_number(struct ctl_reply *r, const char *name, uint64_t value)
{
	char digits[24];
	int n = snprintf(digits, sizeof digits, "%" PRIu64, value);
	ctl_reply_attr(r, ATTR_NUMBER, name, digits, (size_t)n);
}

void ctl_record_end(struct ctl_reply *r)
{
	if (ctl_reply_is_over(r)) {
		buf_reset(&r->rec);
		return;
	}
	if (r->sent + r->rec.len > CTL_REPLY_MAX)
		r->truncated = 1;
	else if (fconn_send(&r->c->f, FRAME_CTL_REPLY, r->channel,
			    buf_head(&r->rec), r->rec.len) < 0)
		r->broken = 1;
	r->sent += r->rec.len;
	buf_reset(&r->rec);
}

int ctl_reply_is_over(const struct ctl_reply *r)
{
	return r->failed_errno || r->truncated || r->broken;
}

/* ---- counters every daemon shows ---------------------------------------- */

uint64_t ctl_memory_kib(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long kib = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

uint64_t ctl_uptime(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > ctl_started.tv_sec
		       ? (uint64_t)(now.tv_sec - ctl_started.tv_sec)
		       : 0;
}

/* ---- requests ------------------------------------------------------------ */

static const struct ctl_command *ctl_find(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < ctl_ncommands; i++)
		if (strlen(ctl_table[i].name) == len &&
		    memcmp(ctl_table[i].name, p, len) == 0)
			return &ctl_table[i];
	return NULL;
}

static int ctl_end(struct ctl_client *c, uint32_t channel, uint32_t status,
		   const char *msg)
{
	struct buf b;
	buf_init(&b, 1024);
	attr_append_u32(&b, ATTR_STATUS, status);
	if (msg)
		attr_append_str(&b, ATTR_MESSAGE, msg);
	int rc = fconn_send(&c->f, FRAME_CTL_END, channel, buf_head(&b), b.len);
	buf_free(&b);
	return rc;
}

/* A request's command and operands. */
struct ctl_request {
	const unsigned char *cmd;
	size_t cmdlen;
	struct ctl_arg args[CTL_MAX_ARGS];
	size_t nargs; /* operands kept in args */
	size_t extra; /* operands past CTL_MAX_ARGS, only counted */
};

/* 0, or -1 if the attribute list is malformed. */
static int ctl_request_parse(struct ctl_request *q,
			     const unsigned char *payload, size_t len)
{
	struct attr_iter it;
	struct attr a;
	int rc;
	memset(q, 0, sizeof *q);
	attr_iter_init(&it, payload, len);
	while ((rc = attr_next(&it, &a)) == 1) {
		if (a.key == ATTR_COMMAND) {
			q->cmd = a.value;
			q->cmdlen = a.len;
		} else if (a.key == ATTR_ARG && q->nargs < CTL_MAX_ARGS) {
			q->args[q->nargs].p = (const char *)a.value;
			q->args[q->nargs++].len = a.len;
		} else if (a.key == ATTR_ARG) {
			q->extra++;
		}
	}
	return rc < 0 ? -1 : 0;
}

/* Runs command and ends its answer; 0, or -1 if the connection broke. */
static int ctl_run(struct ctl_client *c, uint32_t channel,
		   const struct ctl_command *command,
		   const struct ctl_arg *args)
{
	struct ctl_reply r = {.c = c, .channel = channel};
	buf_init(&r.rec, FRAME_CTL_MAX_PAYLOAD);
	buf_init(&r.text, FRAME_CTL_MAX_PAYLOAD);
	const char *text = NULL;
	uint32_t status = command->run(&r, args, &text);
	buf_free(&r.rec);
	buf_free(&r.text);
	log_debug("%s: %s: status %u", c->name, command->name, status);
	if (r.broken)
		return -1;
	if (r.failed_errno) {
		status = FRAME_CTL_FAILED;
		text = r.failed_errno == ENOBUFS ? "a record is too long"
						 : "out of memory";
	} else if (r.truncated) {
		status = FRAME_CTL_TRUNCATED;
		text = "answer too long: truncated";
	}
	return ctl_end(c, channel, status, text);
}

/* Parses and answers one CTL_REQUEST. 0, or -1 if the connection must be
   closed (malformed request, or it cannot take the answer). */
static int ctl_request(struct ctl_client *c, uint32_t channel,
		       const unsigned char *payload, size_t len)
{
	struct ctl_request q;
	if (ctl_request_parse(&q, payload, len) < 0 || channel == 0) {
		log_warn("%s: malformed CTL_REQUEST", c->name);
		return -1;
	}
	const struct ctl_command *command = q.cmd && q.cmdlen <= CTL_COMMAND_MAX
						    ? ctl_find(q.cmd, q.cmdlen)
						    : NULL;
	char msg[CTL_COMMAND_MAX + 64];
	if (!command) {
		snprintf(msg, sizeof msg, "unknown command '%.*s'",
			 q.cmd ? (int)(q.cmdlen > 64 ? 64 : q.cmdlen) : 0,
			 q.cmd ? (const char *)q.cmd : "");
		return ctl_end(c, channel, FRAME_CTL_BAD_REQUEST, msg);
	}
	if (q.nargs + q.extra != command->nargs) {
		snprintf(msg, sizeof msg, "'%s' takes %zu operand%s",
			 command->name, command->nargs,
			 command->nargs == 1 ? "" : "s");
		return ctl_end(c, channel, FRAME_CTL_BAD_REQUEST, msg);
	}
	return ctl_run(c, channel, command, q.args);
}

/* ---- connections ------------------------------------------------------ */

static void ctl_client_free(struct ctl_client *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl_clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	fconn_close(&c->f);
	free(c);
	ctl_count--;
}

static int ctl_on_frame(struct fconn *f, const struct frame_header *h,
			const unsigned char *payload)
{
	struct ctl_client *c = (struct ctl_client *)f;
	if (h->type != FRAME_CTL_REQUEST)
		log_warn("%s: unexpected %s frame", c->name,
			 frame_type_name(h->type));
	if (h->type != FRAME_CTL_REQUEST ||
	    ctl_request(c, h->channel, payload, h->length) < 0) {
		fconn_fail(f, "protocol error");
		ctl_client_free(c);
		return -1;
	}
	return 0;
}

static void ctl_on_close(struct fconn *f, int error, const char *why)
{
	struct ctl_client *c = (struct ctl_client *)f;
	(void)error;
	log_debug("%s: gone (%s)", c->name, why);
	ctl_client_free(c);
}

static const struct fconn_ops ctl_fconn_ops = {
	.on_hello = NULL,
	.on_frame = ctl_on_frame,
	.on_close = ctl_on_close,
};

static void ctl_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	int fd = listen_accept(w->fd, NULL, NULL);
	if (fd < 0)
		return;
	struct ctl_client *c = NULL;
	if (ctl_count >= CTL_MAX_CLIENTS)
		log_warn("control connection limit (%d) reached, refusing one",
			 CTL_MAX_CLIENTS);
	else
		c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return;
	}
	snprintf(c->name, sizeof c->name, "control fd %d", fd);
	c->next = ctl_clients;
	if (ctl_clients)
		ctl_clients->prev = c;
	ctl_clients = c;
	ctl_count++;
	fconn_init(&c->f, loop, fd, &ctl_fconn_ops, c, c->name, ctl_role,
		   FRAME_CTL_MAX_PAYLOAD);
}

int ctl_server_setup(const char *path, const char *role,
		     const struct ctl_command *table, size_t ncommands)
{
	clock_gettime(CLOCK_MONOTONIC, &ctl_started);
	if (!path)
		return 0;
	ctl_table = table;
	ctl_ncommands = ncommands;
	snprintf(ctl_role, sizeof ctl_role, "%s", role);
	ctl_fd = listen_unix(path, 0600);
	if (ctl_fd < 0) {
		log_error("control socket %s: %m", path);
		return DAEMON_EXIT_USAGE;
	}
	log_info("control socket %s", path);
	return 0;
}

void ctl_server_start(struct ev_loop *loop)
{
	if (ctl_fd < 0)
		return;
	ev_io_init(&ctl_watcher, ctl_on_accept, ctl_fd, EV_READ);
	ev_io_start(loop, &ctl_watcher);
}

void ctl_server_stop(struct ev_loop *loop)
{
	if (ctl_fd >= 0) {
		ev_io_stop(loop, &ctl_watcher);
		close(ctl_fd);
		ctl_fd = -1;
	}
	while (ctl_clients)
		ctl_client_free(ctl_clients);
}
