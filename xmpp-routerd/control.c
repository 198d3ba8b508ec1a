/* control.c: xmpp-routerd's control socket (common/PROTOCOL.md, section
 * 10), spoken by parleyctl.
 *
 * Each connection (struct control_client) is a framed connection with
 * 64 KiB frames both ways; at most CONTROL_MAX_CLIENTS at once. A request
 * names a command of control_commands, the table below, and is answered
 * at once, whole: CTL_REPLY records, then CTL_END with a status. Answers
 * are bounded by CONTROL_REPLY_MAX. Anything that is not a well-formed
 * CTL_REQUEST closes that connection alone. Nothing here changes a session
 * except "session kick", which goes through xstream_fail like any stream
 * error. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "control.h"
#include "daemon.h"
#include "fconn.h"
#include "listen.h"
#include "log.h"
#include "xmppd.h"

#define CONTROL_NAME_MAX 32
#define CONTROL_FIELD_MAX (JID_FULL_MAX + 64)

struct control_client {
	struct fconn f; /* first member */
	struct control_client *prev, *next;
	char name[CONTROL_NAME_MAX];
};

/* One request being answered. */
struct control_reply {
	struct control_client *c;
	uint32_t channel;
	struct buf rec;		/* the record being built */
	size_t sent;		/* record bytes sent so far */
	unsigned truncated : 1; /* CONTROL_REPLY_MAX reached */
	unsigned failed : 1;	/* a record could not be built (memory) */
	unsigned broken : 1;	/* the connection cannot take more */
};

struct control_arg {
	const char *p;
	size_t len;
};

struct control_command {
	const char *name;
	size_t nargs;
	/* Writes the records; returns the status, *msg a static text or NULL.
	 */
	uint32_t (*run)(struct control_reply *r, const struct control_arg *args,
			const char **msg);
};

static int control_fd = -1;
static ev_io control_watcher;
static struct control_client *control_clients;
static size_t control_count;
static struct timespec control_started;

/* ---- building records ---------------------------------------------------- */

static void control_reply_attr(struct control_reply *r, uint16_t key,
			       const char *name, const char *value, size_t len)
{
	char text[CONTROL_FIELD_MAX];
	size_t n = strlen(name);
	if (n + 1 + len > sizeof text) {
		r->failed = 1;
		return;
	}
	memcpy(text, name, n);
	text[n] = '=';
	memcpy(text + n + 1, value, len);
	if (attr_append(&r->rec, key, text, n + 1 + len) < 0)
		r->failed = 1;
}

static void control_field(struct control_reply *r, const char *name,
			  const char *value)
{
	control_reply_attr(r, ATTR_FIELD, name, value, strlen(value));
}

static void control_number(struct control_reply *r, const char *name,
			   uint64_t v)
{
	char digits[24];
	int n = snprintf(digits, sizeof digits, "%" PRIu64, v);
	control_reply_attr(r, ATTR_NUMBER, name, digits, (size_t)n);
}

/* Sends the record built so far as one CTL_REPLY. */
static void control_record_end(struct control_reply *r)
{
	if (r->failed || r->truncated || r->broken) {
		buf_reset(&r->rec);
		return;
	}
	if (r->sent + r->rec.len > CONTROL_REPLY_MAX) {
		r->truncated = 1;
	} else if (fconn_send(&r->c->f, FRAME_CTL_REPLY, r->channel,
			      buf_head(&r->rec), r->rec.len) < 0) {
		r->broken = 1;
	}
	r->sent += r->rec.len;
	buf_reset(&r->rec);
}

/* ---- commands ---------------------------------------------------------------
 */

const char *control_presence_show(const char *presence)
{
	static const char *const shows[] = {"away", "chat", "dnd", "xa"};
	/* Our serialiser writes <show> without attributes in jabber:client. */
	const char *open = presence ? strstr(presence, "<show>") : NULL;
	if (!open)
		return "";
	open += strlen("<show>");
	const char *close = strstr(open, "</show>");
	if (!close)
		return "";
	for (size_t i = 0; i < sizeof shows / sizeof shows[0]; i++)
		if ((size_t)(close - open) == strlen(shows[i]) &&
		    memcmp(open, shows[i], strlen(shows[i])) == 0)
			return shows[i];
	return "";
}

static int control_session_is_listed(const struct session *s)
{
	return s->xs && s->xs->state != XS_CLOSING;
}

static int control_list_one(struct session *s, void *ctx)
{
	struct control_reply *r = ctx;
	const struct xstream *xs = s->xs;
	char priority[16];
	if (!control_session_is_listed(s))
		return 0;
	snprintf(priority, sizeof priority, "%d", s->priority);
	control_field(r, "jid", s->jid.full);
	control_field(r, "transport", xs->transport->name);
	control_field(r, "peer", xs->peer);
	control_number(r, "since", (uint64_t)xs->since);
	control_number(r, "bytes_in", xs->bytes_in);
	control_number(r, "bytes_out", xs->bytes_out);
	control_number(r, "stanzas_in", xs->stanzas_in);
	control_number(r, "stanzas_out", xs->stanzas_out);
	control_number(r, "available", s->available ? 1 : 0);
	control_field(r, "show",
		      s->available ? control_presence_show(s->presence) : "");
	control_field(r, "priority", priority);
	control_record_end(r);
	return r->truncated || r->broken;
}

static uint32_t control_session_list(struct control_reply *r,
				     const struct control_arg *args,
				     const char **msg)
{
	(void)args;
	(void)msg;
	session_foreach(control_list_one, r);
	return FRAME_CTL_OK;
}

/* Ends every listed session in the list starting at s (full: only the one
   equal to it). Returns how many. */
static size_t control_kick_sessions(struct session *s, const struct jid *full)
{
	size_t n = 0;
	while (s) {
		/* xstream_fail only schedules the end: s stays valid. */
		struct session *next = s->next_of_user;
		if (control_session_is_listed(s) &&
		    (!full || jid_equal(&s->jid, full))) {
			log_info("control: kicking %s", s->jid.full);
			xstream_fail(s->xs, "policy-violation",
				     "kicked by the administrator");
			n++;
		}
		s = next;
	}
	return n;
}

static uint32_t control_session_kick(struct control_reply *r,
				     const struct control_arg *args,
				     const char **msg)
{
	(void)r;
	struct jid j;
	if (jid_parse(&j, args[0].p, args[0].len) < 0) {
		*msg = errno == ENOMEM ? "out of memory" : "malformed JID";
		return errno == ENOMEM ? FRAME_CTL_FAILED
				       : FRAME_CTL_BAD_REQUEST;
	}
	size_t n = 0;
	const char *domain = j.full + j.domain_off;
	if (j.local_len > 0 && j.domain_len == strlen(xmppd_config.domain) &&
	    memcmp(domain, xmppd_config.domain, j.domain_len) == 0) {
		char user[JID_PART_MAX + 1];
		memcpy(user, j.full, j.local_len);
		user[j.local_len] = '\0';
		n = control_kick_sessions(session_find_user(user),
					  jid_has_resource(&j) ? &j : NULL);
	}
	jid_free(&j);
	if (n == 0) {
		*msg = "no such session";
		return FRAME_CTL_NOT_FOUND;
	}
	return FRAME_CTL_OK;
}

struct control_totals {
	uint64_t tcp, bosh, poll, stanzas_in, stanzas_out;
};

static int control_count_one(struct session *s, void *ctx)
{
	struct control_totals *t = ctx;
	if (!control_session_is_listed(s))
		return 0;
	const char *name = s->xs->transport->name;
	if (strcmp(name, "tcp") == 0)
		t->tcp++;
	else if (strcmp(name, "bosh") == 0)
		t->bosh++;
	else if (strcmp(name, "poll") == 0)
		t->poll++;
	t->stanzas_in += s->xs->stanzas_in;
	t->stanzas_out += s->xs->stanzas_out;
	return 0;
}

/* VmRSS of this process in KiB, or 0 if /proc cannot tell. */
static uint64_t control_memory_kib(void)
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

static uint64_t control_uptime(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > control_started.tv_sec
		       ? (uint64_t)(now.tv_sec - control_started.tv_sec)
		       : 0;
}

static uint32_t control_stats(struct control_reply *r,
			      const struct control_arg *args, const char **msg)
{
	(void)args;
	(void)msg;
	struct control_totals t = {0};
	session_foreach(control_count_one, &t);
	control_number(r, "sessions", t.tcp + t.bosh + t.poll);
	control_number(r, "sessions_tcp", t.tcp);
	control_number(r, "sessions_bosh", t.bosh);
	control_number(r, "sessions_poll", t.poll);
	control_number(r, "uptime", control_uptime());
	control_number(r, "stanzas_in", t.stanzas_in);
	control_number(r, "stanzas_out", t.stanzas_out);
	control_number(r, "stanzas_routed", router_stanzas_total());
	control_number(r, "stanzas_per_second", router_stanza_rate());
	control_number(r, "memory_kib", control_memory_kib());
	control_record_end(r);
	return FRAME_CTL_OK;
}

static const struct control_command control_commands[] = {
	{"session list", 0, control_session_list},
	{"session kick", 1, control_session_kick},
	{"stats", 0, control_stats},
};

/* ---- requests ------------------------------------------------------------ */

static const struct control_command *control_find(const unsigned char *p,
						  size_t len)
{
	size_t n = sizeof control_commands / sizeof control_commands[0];
	for (size_t i = 0; i < n; i++)
		if (strlen(control_commands[i].name) == len &&
		    memcmp(control_commands[i].name, p, len) == 0)
			return &control_commands[i];
	return NULL;
}

static int control_end(struct control_client *c, uint32_t channel,
		       uint32_t status, const char *msg)
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

/* Parses and answers one CTL_REQUEST. 0, or -1 if the connection must be
   closed (malformed request, or it cannot take the answer). */
static int control_request(struct control_client *c, uint32_t channel,
			   const unsigned char *payload, size_t len)
{
	struct control_arg args[CONTROL_MAX_ARGS];
	const unsigned char *cmd = NULL;
	size_t cmdlen = 0, nargs = 0, extra = 0;
	struct attr_iter it;
	struct attr a;
	int rc;
	attr_iter_init(&it, payload, len);
	while ((rc = attr_next(&it, &a)) == 1) {
		if (a.key == ATTR_COMMAND) {
			cmd = a.value;
			cmdlen = a.len;
		} else if (a.key == ATTR_ARG && nargs < CONTROL_MAX_ARGS) {
			args[nargs].p = (const char *)a.value;
			args[nargs++].len = a.len;
		} else if (a.key == ATTR_ARG) {
			extra++;
		}
	}
	if (rc < 0 || channel == 0) {
		log_warn("%s: malformed CTL_REQUEST", c->name);
		return -1;
	}
	const struct control_command *command =
		cmd && cmdlen <= CONTROL_COMMAND_MAX ? control_find(cmd, cmdlen)
						     : NULL;
	char msg[CONTROL_COMMAND_MAX + 64];
	if (!command) {
		snprintf(msg, sizeof msg, "unknown command '%.*s'",
			 cmd ? (int)(cmdlen > 64 ? 64 : cmdlen) : 0,
			 cmd ? (const char *)cmd : "");
		return control_end(c, channel, FRAME_CTL_BAD_REQUEST, msg);
	}
	if (nargs + extra != command->nargs) {
		snprintf(msg, sizeof msg, "'%s' takes %zu operand%s",
			 command->name, command->nargs,
			 command->nargs == 1 ? "" : "s");
		return control_end(c, channel, FRAME_CTL_BAD_REQUEST, msg);
	}
	struct control_reply r = {.c = c, .channel = channel};
	buf_init(&r.rec, FRAME_CTL_MAX_PAYLOAD);
	const char *text = NULL;
	uint32_t status = command->run(&r, args, &text);
	buf_free(&r.rec);
	log_debug("%s: %s: status %u", c->name, command->name, status);
	if (r.broken)
		return -1;
	if (r.failed) {
		status = FRAME_CTL_FAILED;
		text = "out of memory";
	} else if (r.truncated) {
		status = FRAME_CTL_TRUNCATED;
		text = "answer too long: truncated";
	}
	return control_end(c, channel, status, text);
}

/* ---- connections ----------------------------------------------------------
 */

static void control_free(struct control_client *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		control_clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	fconn_close(&c->f);
	free(c);
	control_count--;
}

static int control_on_frame(struct fconn *f, const struct frame_header *h,
			    const unsigned char *payload)
{
	struct control_client *c = (struct control_client *)f;
	if (h->type != FRAME_CTL_REQUEST) {
		log_warn("%s: unexpected %s frame", c->name,
			 frame_type_name(h->type));
		fconn_fail(f, "protocol error");
		control_free(c);
		return -1;
	}
	if (control_request(c, h->channel, payload, h->length) < 0) {
		fconn_fail(f, "protocol error");
		control_free(c);
		return -1;
	}
	return 0;
}

static void control_on_close(struct fconn *f, int error, const char *why)
{
	struct control_client *c = (struct control_client *)f;
	(void)error;
	log_debug("%s: gone (%s)", c->name, why);
	control_free(c);
}

static const struct fconn_ops control_fconn_ops = {
	.on_hello = NULL,
	.on_frame = control_on_frame,
	.on_close = control_on_close,
};

static void control_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	int fd = listen_accept(w->fd, NULL, NULL);
	if (fd < 0)
		return;
	struct control_client *c = NULL;
	if (control_count >= CONTROL_MAX_CLIENTS)
		log_warn("control connection limit (%d) reached, refusing one",
			 CONTROL_MAX_CLIENTS);
	else
		c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return;
	}
	snprintf(c->name, sizeof c->name, "control fd %d", fd);
	c->next = control_clients;
	if (control_clients)
		control_clients->prev = c;
	control_clients = c;
	control_count++;
	fconn_init(&c->f, loop, fd, &control_fconn_ops, c, c->name,
		   "xmpp-routerd", FRAME_CTL_MAX_PAYLOAD);
}

int control_setup(void)
{
	clock_gettime(CLOCK_MONOTONIC, &control_started);
	if (!xmppd_config.control_socket)
		return 0;
	control_fd = listen_unix(xmppd_config.control_socket, 0600);
	if (control_fd < 0) {
		log_error("control socket %s: %m", xmppd_config.control_socket);
		return DAEMON_EXIT_USAGE;
	}
	log_info("control socket %s", xmppd_config.control_socket);
	return 0;
}

void control_start(struct ev_loop *loop)
{
	if (control_fd < 0)
		return;
	ev_io_init(&control_watcher, control_on_accept, control_fd, EV_READ);
	ev_io_start(loop, &control_watcher);
}

void control_stop(struct ev_loop *loop)
{
	if (control_fd >= 0) {
		ev_io_stop(loop, &control_watcher);
		close(control_fd);
		control_fd = -1;
	}
	while (control_clients)
		control_free(control_clients);
}
