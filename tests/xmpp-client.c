/* xmpp-client.c: a scriptable XMPP client (libstrophe) for integration tests.
 *
 * It logs in, prints "connected FULL-JID", then runs commands read line by
 * line on stdin while it keeps the XMPP connection served (xmpp_run_once in
 * short slices, poll() on stdin between them). Every stanza received is
 * printed at once as "recv XML" on one line (newlines escaped as \n) and kept
 * in a bounded inbox that "expect" searches; a stanza that matched an expect
 * is taken out of the inbox, the others stay, so expects may come in any
 * order. Commands and exit codes: see usage() below. Used only by the tests;
 * stream management (XEP-0198) is off so that only real stanzas are seen.
 * libstrophe 0.12 cannot be told which SASL mechanism to use: it picks the
 * strongest one the server offers, so there is no --mech option. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <time.h>
#include <unistd.h>

#ifndef PARLEY_VERSION
#define PARLEY_VERSION "0.1.0"
#endif

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_CONNECT = 2,
	EXIT_TIMEOUT = 3,
	EXIT_STREAM = 4,
};

#define INBOX_MAX 512
#define LINE_MAX_BYTES (1024 * 1024)
#define SLICE_MS 20

enum client_state { STATE_CONNECTING, STATE_ONLINE, STATE_CLOSED };

struct client {
	xmpp_ctx_t *ctx;
	xmpp_conn_t *conn;
	enum client_state state;
	int conn_error;	    /* errno from libstrophe, 0 if none */
	char *stream_error; /* condition of a stream error, or NULL */
	int auth_failed;    /* libstrophe said SASL or auth failed */
	char last_log_error[256];
	int verbose;
	long timeout_ms;
	unsigned next_id;
	char *inbox[INBOX_MAX];
	size_t inbox_len;
	char *iq_reply; /* answer to the iq being waited for */
	char *line;	/* stdin bytes not yet ending in a newline */
	size_t line_len;
};

static const char usage_text[] =
	"usage: xmpp-client [-H HOST] [-P PORT] [--tls disable|trust|require]\n"
	"         [--legacy-session] [-r RESOURCE] [-t TIMEOUT_MS] [-v] JID "
	"PASS\n"
	"  -H, -P    server address and port (default 127.0.0.1 5222)\n"
	"  --tls     disable: no TLS; trust (default): TLS if offered;\n"
	"            require: TLS or fail (certificates are never checked)\n"
	"  --legacy-session  send an RFC 3921 <session/> iq after binding\n"
	"  -t        login, expect, iq and close timeout (default 5000)\n"
	"  -v        libstrophe's debug log on stderr\n"
	"stdin, one command a line (blank lines and # comments skipped):\n"
	"  send XML | message TO BODY | presence [SHOW|-] [PRIORITY]\n"
	"  unavailable | iq get|set TO|- CHILD-XML | raw TEXT\n"
	"  expect REGEX [TIMEOUT_MS] | wait MS | disconnect\n"
	"stdout: connected JID, recv XML, sent, result ID TYPE XML,\n"
	"  matched XML, timeout ..., disconnected, error REASON,\n"
	"  stream-error CONDITION, closed [REASON]\n"
	"exit: 0 disconnect or end of stdin, 1 usage or bad command,\n"
	"  2 connection or login failed, 3 expect or iq timeout,\n"
	"  4 stream error, or the server closed the connection\n";

_Noreturn static void usage(FILE *out, int code)
{
	fputs(usage_text, out);
	exit(code);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static long parse_ms(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < 0)
		return -1;
	return v;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p) {
		fprintf(stderr, "xmpp-client: out of memory\n");
		exit(EXIT_USAGE);
	}
	return p;
}

_Noreturn static void client_finish(struct client *c, int code)
{
	fflush(stdout);
	if (c->conn)
		xmpp_conn_release(c->conn);
	if (c->ctx)
		xmpp_ctx_free(c->ctx);
	xmpp_shutdown();
	exit(code);
}

static void say(const char *word, const char *rest)
{
	if (rest)
		printf("%s %s\n", word, rest);
	else
		printf("%s\n", word);
	fflush(stdout);
}

/* One line of text for a stanza: newlines and carriage returns escaped. */
static char *stanza_line(xmpp_ctx_t *ctx, xmpp_stanza_t *stanza)
{
	char *buf;
	size_t len;
	if (xmpp_stanza_to_text(stanza, &buf, &len) != 0)
		return NULL;
	char *out = xmalloc(2 * len + 1), *o = out;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n' || buf[i] == '\r') {
			*o++ = '\\';
			*o++ = buf[i] == '\n' ? 'n' : 'r';
		} else {
			*o++ = buf[i];
		}
	}
	*o = '\0';
	xmpp_free(ctx, buf);
	return out;
}

static void inbox_push(struct client *c, char *text)
{
	if (c->inbox_len == INBOX_MAX) {
		free(c->inbox[0]);
		memmove(c->inbox, c->inbox + 1,
			(INBOX_MAX - 1) * sizeof(c->inbox[0]));
		c->inbox_len--;
	}
	c->inbox[c->inbox_len++] = text;
}

static char *inbox_take(struct client *c, size_t i)
{
	char *text = c->inbox[i];
	memmove(c->inbox + i, c->inbox + i + 1,
		(c->inbox_len - i - 1) * sizeof(c->inbox[0]));
	c->inbox_len--;
	return text;
}

/* libstrophe's log: remembers errors (to explain a failed login), echoes
 * warnings and errors on stderr, everything with -v. */
static void on_log(void *userdata, xmpp_log_level_t level, const char *area,
		   const char *msg)
{
	struct client *c = userdata;
	if (strstr(msg, "auth failed") ||
	    (level >= XMPP_LEVEL_ERROR && strcmp(area, "auth") == 0))
		c->auth_failed = 1;
	/* libstrophe 0.12 passes no errno to on_conn when connect() fails */
	sscanf(msg, "connection failed, error %d", &c->conn_error);
	if (level >= XMPP_LEVEL_ERROR)
		snprintf(c->last_log_error, sizeof(c->last_log_error), "%s",
			 msg);
	if (c->verbose || level >= XMPP_LEVEL_WARN)
		fprintf(stderr, "xmpp-client: libstrophe %s: %s\n", area, msg);
}

/* The stream error's defined condition, read from the <stream:error>. */
static char *stream_condition(xmpp_stream_error_t *se)
{
	xmpp_stanza_t *child =
		se->stanza ? xmpp_stanza_get_children(se->stanza) : NULL;
	for (; child; child = xmpp_stanza_get_next(child)) {
		const char *name = xmpp_stanza_get_name(child);
		if (xmpp_stanza_is_tag(child) && name &&
		    strcmp(name, "text") != 0)
			return strdup(name);
	}
	return strdup("undefined-condition");
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
		    xmpp_stream_error_t *stream_error, void *userdata)
{
	struct client *c = userdata;
	(void)conn;
	if (event == XMPP_CONN_CONNECT) {
		c->state = STATE_ONLINE;
		return;
	}
	c->state = STATE_CLOSED;
	if (error)
		c->conn_error = error;
	if (stream_error && !c->stream_error)
		c->stream_error = stream_condition(stream_error);
}

static int on_stanza(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *userdata)
{
	struct client *c = userdata;
	const char *id = xmpp_stanza_get_id(stanza);
	/* not shown: answers to libstrophe's bind and session, and ours */
	if (id && strncmp(id, "_xmpp_", 6) == 0)
		return 1;
	char *text = stanza_line(xmpp_conn_get_context(conn), stanza);
	if (text) {
		say("recv", text);
		inbox_push(c, text);
	}
	return 1;
}

static int on_iq_reply(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *userdata)
{
	struct client *c = userdata;
	free(c->iq_reply);
	c->iq_reply = stanza_line(xmpp_conn_get_context(conn), stanza);
	return 0;
}

/* Prints why the login failed and exits 2. */
_Noreturn static void client_login_failed(struct client *c)
{
	char reason[300];
	if (c->stream_error)
		snprintf(reason, sizeof(reason), "stream %s", c->stream_error);
	else if (c->auth_failed)
		snprintf(reason, sizeof(reason), "auth");
	else if (c->conn_error)
		snprintf(reason, sizeof(reason), "connect %s",
			 strerror(c->conn_error));
	else if (c->last_log_error[0])
		snprintf(reason, sizeof(reason), "%s", c->last_log_error);
	else
		snprintf(reason, sizeof(reason), "closed");
	say("error", reason);
	client_finish(c, EXIT_CONNECT);
}

/* Once online, the end of the connection ends the program: a stream
 * error exits 4, a close we did not ask for too. */
static void client_check_closed(struct client *c)
{
	if (c->state != STATE_CLOSED)
		return;
	if (c->stream_error) {
		say("stream-error", c->stream_error);
		client_finish(c, EXIT_STREAM);
	}
	say("closed", c->conn_error ? strerror(c->conn_error) : NULL);
	client_finish(c, EXIT_STREAM);
}

/* Serves the connection for up to ms milliseconds (one slice at most). */
static void client_run_slice(struct client *c, long ms)
{
	if (ms > SLICE_MS)
		ms = SLICE_MS;
	xmpp_run_once(c->ctx, ms < 1 ? 1 : (unsigned long)ms);
	client_check_closed(c);
}

static void client_wait(struct client *c, long ms)
{
	long deadline = now_ms() + ms;
	for (long left = ms; left > 0; left = deadline - now_ms())
		client_run_slice(c, left);
}

static char *client_new_id(struct client *c)
{
	char *id = xmalloc(24);
	snprintf(id, 24, "c%u", ++c->next_id);
	return id;
}

static void client_send(struct client *c, xmpp_stanza_t *stanza)
{
	xmpp_send(c->conn, stanza);
	xmpp_stanza_release(stanza);
}

/* Sends an iq with child and waits for its answer; NULL on timeout. */
static char *client_iq(struct client *c, const char *type, const char *to,
		       xmpp_stanza_t *child, const char *id)
{
	xmpp_stanza_t *iq = xmpp_iq_new(c->ctx, type, id);
	if (to)
		xmpp_stanza_set_to(iq, to);
	xmpp_stanza_add_child(iq, child);
	xmpp_id_handler_add(c->conn, on_iq_reply, id, c);
	client_send(c, iq);
	long deadline = now_ms() + c->timeout_ms;
	while (!c->iq_reply && now_ms() < deadline)
		client_run_slice(c, deadline - now_ms());
	if (!c->iq_reply)
		xmpp_id_handler_delete(c->conn, on_iq_reply, id);
	char *reply = c->iq_reply;
	c->iq_reply = NULL;
	return reply;
}

_Noreturn static void bad_command(struct client *c, const char *why,
				  const char *line)
{
	fprintf(stderr, "xmpp-client: %s: %s\n", why, line);
	client_finish(c, EXIT_USAGE);
}

/* Splits the first word off *rest (NULL if none); *rest is what follows. */
static char *next_word(char **rest)
{
	char *s = *rest + strspn(*rest, " \t");
	if (*s == '\0')
		return NULL;
	char *end = s + strcspn(s, " \t");
	if (*end) {
		*end++ = '\0';
		end += strspn(end, " \t");
	}
	*rest = end;
	return s;
}

static xmpp_stanza_t *parse_xml(struct client *c, const char *xml)
{
	xmpp_stanza_t *s = xmpp_stanza_new_from_string(c->ctx, xml);
	if (!s)
		bad_command(c, "cannot parse XML", xml);
	return s;
}

static void cmd_send(struct client *c, char *args)
{
	client_send(c, parse_xml(c, args));
	say("sent", NULL);
}

static void cmd_raw(struct client *c, char *args)
{
	xmpp_send_raw(c->conn, args, strlen(args));
	say("sent", NULL);
}

static void cmd_message(struct client *c, char *args)
{
	char *to = next_word(&args);
	if (!to)
		bad_command(c, "usage", "message TO BODY");
	char *id = client_new_id(c);
	xmpp_stanza_t *msg = xmpp_message_new(c->ctx, "chat", to, id);
	xmpp_message_set_body(msg, args);
	free(id);
	client_send(c, msg);
	say("sent", NULL);
}

static void cmd_presence(struct client *c, char *args)
{
	char *show = next_word(&args);
	char *priority = next_word(&args);
	xmpp_stanza_t *pres = xmpp_presence_new(c->ctx);
	const char *names[2] = {"show", "priority"};
	const char *values[2] = {show, priority};
	for (int i = 0; i < 2; i++) {
		if (!values[i] || strcmp(values[i], "-") == 0)
			continue;
		xmpp_stanza_t *el = xmpp_stanza_new(c->ctx);
		xmpp_stanza_t *text = xmpp_stanza_new(c->ctx);
		xmpp_stanza_set_name(el, names[i]);
		xmpp_stanza_set_text(text, values[i]);
		xmpp_stanza_add_child(el, text);
		xmpp_stanza_release(text);
		xmpp_stanza_add_child(pres, el);
		xmpp_stanza_release(el);
	}
	client_send(c, pres);
	say("sent", NULL);
}

static void cmd_unavailable(struct client *c, char *args)
{
	(void)args;
	xmpp_stanza_t *pres = xmpp_presence_new(c->ctx);
	xmpp_stanza_set_type(pres, "unavailable");
	client_send(c, pres);
	say("sent", NULL);
}

static void cmd_iq(struct client *c, char *args)
{
	char *type = next_word(&args);
	char *to = next_word(&args);
	if (!type || !to || !*args ||
	    (strcmp(type, "get") != 0 && strcmp(type, "set") != 0))
		bad_command(c, "usage", "iq get|set TO|- CHILD-XML");
	xmpp_stanza_t *child = parse_xml(c, args);
	char *id = client_new_id(c);
	char *reply =
		client_iq(c, type, strcmp(to, "-") == 0 ? NULL : to, child, id);
	xmpp_stanza_release(child);
	if (!reply) {
		say("timeout iq", id);
		client_finish(c, EXIT_TIMEOUT);
	}
	xmpp_stanza_t *parsed = xmpp_stanza_new_from_string(c->ctx, reply);
	const char *rtype = parsed ? xmpp_stanza_get_type(parsed) : NULL;
	printf("result %s %s %s\n", id, rtype ? rtype : "?", reply);
	fflush(stdout);
	if (parsed)
		xmpp_stanza_release(parsed);
	free(reply);
	free(id);
}

/* expect REGEX [TIMEOUT_MS]: the regex is everything up to an optional
 * last word made of digits. */
static void cmd_expect(struct client *c, char *args)
{
	long timeout = c->timeout_ms;
	char *last = strrchr(args, ' ');
	if (last && parse_ms(last + 1) >= 0) {
		timeout = parse_ms(last + 1);
		*last = '\0';
	}
	regex_t re;
	if (!*args || regcomp(&re, args, REG_EXTENDED | REG_NOSUB) != 0)
		bad_command(c, "bad regex", args);
	long deadline = now_ms() + timeout;
	for (;;) {
		for (size_t i = 0; i < c->inbox_len; i++) {
			if (regexec(&re, c->inbox[i], 0, NULL, 0) != 0)
				continue;
			char *text = inbox_take(c, i);
			say("matched", text);
			free(text);
			regfree(&re);
			return;
		}
		long left = deadline - now_ms();
		if (left <= 0)
			break;
		client_run_slice(c, left);
	}
	regfree(&re);
	say("timeout expect", args);
	client_finish(c, EXIT_TIMEOUT);
}

static void cmd_wait(struct client *c, char *args)
{
	long ms = parse_ms(args);
	if (ms < 0)
		bad_command(c, "usage", "wait MS");
	client_wait(c, ms);
}

_Noreturn static void client_disconnect(struct client *c)
{
	xmpp_disconnect(c->conn);
	long deadline = now_ms() + c->timeout_ms;
	while (c->state != STATE_CLOSED && now_ms() < deadline)
		xmpp_run_once(c->ctx, SLICE_MS);
	say("disconnected", NULL);
	client_finish(c, EXIT_OK);
}

static void cmd_disconnect(struct client *c, char *args)
{
	(void)args;
	client_disconnect(c);
}

struct command {
	const char *name;
	void (*run)(struct client *c, char *args);
};

static const struct command commands[] = {
	{"send", cmd_send},
	{"message", cmd_message},
	{"presence", cmd_presence},
	{"unavailable", cmd_unavailable},
	{"iq", cmd_iq},
	{"expect", cmd_expect},
	{"wait", cmd_wait},
	{"raw", cmd_raw},
	{"disconnect", cmd_disconnect},
};

static void client_command(struct client *c, char *line)
{
	size_t len = strlen(line);
	if (len && line[len - 1] == '\r')
		line[len - 1] = '\0';
	char *args = line;
	char *name = next_word(&args);
	if (!name || name[0] == '#')
		return;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) == 0) {
			commands[i].run(c, args);
			return;
		}
	}
	bad_command(c, "unknown command", name);
}

/* Reads what stdin has, runs each complete line; end of input disconnects. */
static void client_read_stdin(struct client *c)
{
	char buf[65536];
	ssize_t n = read(0, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		if (c->line_len) { /* a last line without a newline */
			c->line[c->line_len] = '\0';
			c->line_len = 0;
			client_command(c, c->line);
		}
		client_disconnect(c);
	}
	if (c->line_len + (size_t)n + 1 > LINE_MAX_BYTES)
		bad_command(c, "line too long", "stdin");
	char *grown = realloc(c->line, c->line_len + (size_t)n + 1);
	if (!grown)
		bad_command(c, "out of memory", "stdin");
	c->line = grown;
	memcpy(c->line + c->line_len, buf, (size_t)n);
	c->line_len += (size_t)n;
	char *nl;
	while ((nl = memchr(c->line, '\n', c->line_len)) != NULL) {
		size_t used = (size_t)(nl - c->line) + 1;
		char *cmd = xmalloc(used);
		memcpy(cmd, c->line, used - 1);
		cmd[used - 1] = '\0';
		memmove(c->line, c->line + used, c->line_len - used);
		c->line_len -= used;
		client_command(c, cmd);
		free(cmd);
	}
}

static void client_legacy_session(struct client *c)
{
	xmpp_stanza_t *session = xmpp_stanza_new(c->ctx);
	xmpp_stanza_set_name(session, "session");
	xmpp_stanza_set_ns(session, "urn:ietf:params:xml:ns:xmpp-session");
	char *reply =
		client_iq(c, "set", NULL, session, "_xmpp_session_rfc3921");
	xmpp_stanza_release(session);
	if (!reply || !strstr(reply, "type=\"result\"")) {
		say("error", reply ? "session" : "timeout session");
		client_finish(c, EXIT_CONNECT);
	}
	free(reply);
}

struct options {
	const char *host;
	unsigned short port;
	long tls_flags;
	int legacy_session;
	const char *resource;
	long timeout_ms;
	int verbose;
	const char *jid;
	const char *password;
};

static long tls_flags(const char *mode)
{
	if (strcmp(mode, "disable") == 0)
		return XMPP_CONN_FLAG_DISABLE_TLS;
	if (strcmp(mode, "trust") == 0)
		return XMPP_CONN_FLAG_TRUST_TLS;
	if (strcmp(mode, "require") == 0)
		return XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_TRUST_TLS;
	usage(stderr, EXIT_USAGE);
	return 0;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"host", required_argument, NULL, 'H'},
		{"port", required_argument, NULL, 'P'},
		{"tls", required_argument, NULL, 'T'},
		{"legacy-session", no_argument, NULL, 'L'},
		{"resource", required_argument, NULL, 'r'},
		{"timeout", required_argument, NULL, 't'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	*o = (struct options){.host = "127.0.0.1",
			      .port = 5222,
			      .tls_flags = XMPP_CONN_FLAG_TRUST_TLS,
			      .timeout_ms = 5000};
	int ch;
	long v;
	while ((ch = getopt_long(argc, argv, "H:P:r:t:vhV", longopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'H':
			o->host = optarg;
			break;
		case 'P':
			v = parse_ms(optarg);
			if (v < 1 || v > 65535)
				usage(stderr, EXIT_USAGE);
			o->port = (unsigned short)v;
			break;
		case 'T':
			o->tls_flags = tls_flags(optarg);
			break;
		case 'L':
			o->legacy_session = 1;
			break;
		case 'r':
			o->resource = optarg;
			break;
		case 't':
			if ((o->timeout_ms = parse_ms(optarg)) < 0)
				usage(stderr, EXIT_USAGE);
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout, EXIT_OK);
			break;
		case 'V':
			printf("xmpp-client %s\n", PARLEY_VERSION);
			exit(EXIT_OK);
		default:
			usage(stderr, EXIT_USAGE);
		}
	}
	if (argc - optind != 2)
		usage(stderr, EXIT_USAGE);
	o->jid = argv[optind];
	o->password = argv[optind + 1];
}

static void client_connect(struct client *c, const struct options *o)
{
	c->conn = xmpp_conn_new(c->ctx);
	xmpp_conn_set_flags(c->conn, o->tls_flags | XMPP_CONN_FLAG_DISABLE_SM);
	char jid[1024];
	snprintf(jid, sizeof(jid), "%s%s%s", o->jid, o->resource ? "/" : "",
		 o->resource ? o->resource : "");
	xmpp_conn_set_jid(c->conn, jid);
	xmpp_conn_set_pass(c->conn, o->password);
	xmpp_handler_add(c->conn, on_stanza, NULL, NULL, NULL, c);
	if (xmpp_connect_client(c->conn, o->host, o->port, on_conn, c) != 0)
		client_login_failed(c);
	long deadline = now_ms() + c->timeout_ms;
	while (c->state == STATE_CONNECTING && now_ms() < deadline)
		xmpp_run_once(c->ctx, SLICE_MS);
	if (c->state == STATE_CONNECTING) {
		say("error", "timeout");
		client_finish(c, EXIT_CONNECT);
	}
	if (c->state == STATE_CLOSED)
		client_login_failed(c);
	if (o->legacy_session)
		client_legacy_session(c);
	say("connected", xmpp_conn_get_bound_jid(c->conn));
}

int main(int argc, char **argv)
{
	static struct client c;
	struct options o;
	parse_args(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	c.verbose = o.verbose;
	c.timeout_ms = o.timeout_ms;
	xmpp_initialize();
	static xmpp_log_t log = {on_log, &c};
	c.ctx = xmpp_ctx_new(NULL, &log);
	if (!c.ctx) {
		say("error", "libstrophe context");
		return EXIT_CONNECT;
	}
	client_connect(&c, &o);
	for (;;) {
		client_run_slice(&c, SLICE_MS);
		struct pollfd pfd = {.fd = 0, .events = POLLIN};
		if (poll(&pfd, 1, 0) > 0)
			client_read_stdin(&c);
	}
}
