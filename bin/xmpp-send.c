/* xmpp-send.c: send one XMPP chat message from a script.
 *
 * Logs in with libstrophe, sends one <message type='chat'/> to TO, closes
 * the stream cleanly (waiting for the server's </stream:stream>, so the
 * message has been taken by the server) and exits. The password comes from
 * XMPP_PASSWORD when that is set and not empty, and then there is no
 * PASSWORD argument; the body is MESSAGE, or standard input when MESSAGE is
 * absent. The man page is xmpp-send.1 beside this file. Exit codes: 0 sent,
 * 1 usage, 2 connection or login failed, 3 timeout. */
#include <errno.h>
#include <getopt.h>
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
};

#define BODY_MAX (256 * 1024)
#define SLICE_MS 50

enum send_state { STATE_CONNECTING, STATE_ONLINE, STATE_CLOSED };

struct send_job {
	const char *host;
	unsigned short port;
	long tls_flags;
	const char *resource;
	long timeout_ms;
	int verbose;
	const char *jid;
	const char *password;
	const char *to;
	char *body;
	enum send_state state;
	int conn_error;
	int stream_error;
	int auth_failed;
	char last_error[256]; /* libstrophe's last error message */
};

static const char usage_text[] =
	"usage: xmpp-send [-H HOST] [-P PORT] [--tls disable|trust|require]\n"
	"                 [-r RESOURCE] [-t TIMEOUT_MS] [-v] "
	"JID PASSWORD TO [MESSAGE]\n"
	"       XMPP_PASSWORD=... xmpp-send [OPTIONS] JID TO [MESSAGE]\n"
	"Sends one chat message; MESSAGE is read from stdin when absent.\n"
	"  -H, -P   server address and port (default 127.0.0.1 5222)\n"
	"  --tls    disable, trust (default: TLS if offered) or require;\n"
	"           certificates are never checked\n"
	"  -t       login and close timeout in ms (default 10000)\n"
	"  -v       libstrophe's debug log on stderr\n"
	"Exit: 0 sent, 1 usage, 2 connection or login failed, 3 timeout.\n";

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

static long parse_number(const char *s, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < 0 || v > max)
		usage(stderr, EXIT_USAGE);
	return v;
}

static long tls_flags(const char *mode)
{
	if (strcmp(mode, "disable") == 0)
		return XMPP_CONN_FLAG_DISABLE_TLS;
	if (strcmp(mode, "trust") == 0)
		return XMPP_CONN_FLAG_TRUST_TLS;
	if (strcmp(mode, "require") == 0)
		return XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_TRUST_TLS;
	usage(stderr, EXIT_USAGE);
}

/* The whole of standard input, one trailing newline removed. */
static char *read_body(void)
{
	char *body = malloc(BODY_MAX + 1);
	size_t len = 0;
	ssize_t n;
	if (!body)
		return NULL;
	while (len < BODY_MAX &&
	       (n = read(0, body + len, BODY_MAX - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(body);
			return NULL;
		}
		len += (size_t)n;
	}
	if (len && body[len - 1] == '\n')
		len--;
	body[len] = '\0';
	return body;
}

static void parse_args(int argc, char **argv, struct send_job *j)
{
	static const struct option longopts[] = {
		{"host", required_argument, NULL, 'H'},
		{"port", required_argument, NULL, 'P'},
		{"tls", required_argument, NULL, 'T'},
		{"resource", required_argument, NULL, 'r'},
		{"timeout", required_argument, NULL, 't'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "H:P:r:t:vhV", longopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'H':
			j->host = optarg;
			break;
		case 'P':
			j->port = (unsigned short)parse_number(optarg, 65535);
			break;
		case 'T':
			j->tls_flags = tls_flags(optarg);
			break;
		case 'r':
			j->resource = optarg;
			break;
		case 't':
			j->timeout_ms = parse_number(optarg, 3600 * 1000L);
			break;
		case 'v':
			j->verbose = 1;
			break;
		case 'h':
			usage(stdout, EXIT_OK);
		case 'V':
			printf("xmpp-send %s\n", PARLEY_VERSION);
			exit(EXIT_OK);
		default:
			usage(stderr, EXIT_USAGE);
		}
	}
	const char *env = getenv("XMPP_PASSWORD");
	int from_env = env && *env;
	int fixed = from_env ? 2 : 3; /* JID [PASSWORD] TO */
	int left = argc - optind;
	if (left < fixed || left > fixed + 1 || j->port == 0)
		usage(stderr, EXIT_USAGE);
	j->jid = argv[optind++];
	j->password = from_env ? env : argv[optind++];
	j->to = argv[optind++];
	j->body = optind < argc ? strdup(argv[optind]) : read_body();
	if (!j->body) {
		fprintf(stderr, "xmpp-send: cannot read the message: %s\n",
			strerror(errno));
		exit(EXIT_USAGE);
	}
}

static void on_log(void *userdata, xmpp_log_level_t level, const char *area,
		   const char *msg)
{
	struct send_job *j = userdata;
	if (strstr(msg, "auth failed") ||
	    (level >= XMPP_LEVEL_ERROR && strcmp(area, "auth") == 0))
		j->auth_failed = 1;
	/* libstrophe 0.12 passes no errno to on_conn when connect() fails */
	sscanf(msg, "connection failed, error %d", &j->conn_error);
	if (level >= XMPP_LEVEL_ERROR)
		snprintf(j->last_error, sizeof(j->last_error), "%s", msg);
	if (j->verbose)
		fprintf(stderr, "xmpp-send: libstrophe %s: %s\n", area, msg);
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
		    xmpp_stream_error_t *stream_error, void *userdata)
{
	struct send_job *j = userdata;
	(void)conn;
	if (event == XMPP_CONN_CONNECT) {
		j->state = STATE_ONLINE;
		return;
	}
	j->state = STATE_CLOSED;
	if (error)
		j->conn_error = error;
	j->stream_error |= stream_error != NULL;
}

/* Runs the event loop until the state leaves `from` or the deadline. */
static int run_while(xmpp_ctx_t *ctx, struct send_job *j, enum send_state from)
{
	long deadline = now_ms() + j->timeout_ms;
	while (j->state == from && now_ms() < deadline)
		xmpp_run_once(ctx, SLICE_MS);
	return j->state == from ? -1 : 0;
}

static int login_failed(const struct send_job *j)
{
	const char *why = j->auth_failed     ? "authentication failed"
			  : j->stream_error  ? "stream error"
			  : j->conn_error    ? strerror(j->conn_error)
			  : j->last_error[0] ? j->last_error
					     : "connection closed";
	fprintf(stderr, "xmpp-send: cannot log in as %s on %s:%u: %s\n", j->jid,
		j->host, j->port, why);
	return EXIT_CONNECT;
}

/* Logs in, sends, closes; returns the exit code. */
static int send_one(xmpp_ctx_t *ctx, xmpp_conn_t *conn, struct send_job *j)
{
	char jid[1024];
	snprintf(jid, sizeof(jid), "%s%s%s", j->jid, j->resource ? "/" : "",
		 j->resource ? j->resource : "");
	xmpp_conn_set_flags(conn, j->tls_flags | XMPP_CONN_FLAG_DISABLE_SM);
	xmpp_conn_set_jid(conn, jid);
	xmpp_conn_set_pass(conn, j->password);
	if (xmpp_connect_client(conn, j->host, j->port, on_conn, j) != 0)
		return login_failed(j);
	if (run_while(ctx, j, STATE_CONNECTING) < 0) {
		fprintf(stderr, "xmpp-send: timeout while logging in\n");
		return EXIT_TIMEOUT;
	}
	if (j->state != STATE_ONLINE)
		return login_failed(j);
	xmpp_stanza_t *msg = xmpp_message_new(ctx, "chat", j->to, "send1");
	xmpp_message_set_body(msg, j->body);
	xmpp_send(conn, msg);
	xmpp_stanza_release(msg);
	xmpp_disconnect(conn);
	if (run_while(ctx, j, STATE_ONLINE) < 0) {
		fprintf(stderr, "xmpp-send: timeout while closing\n");
		return EXIT_TIMEOUT;
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static struct send_job job = {
		.host = "127.0.0.1",
		.port = 5222,
		.tls_flags = XMPP_CONN_FLAG_TRUST_TLS,
		.timeout_ms = 10000,
	};
	parse_args(argc, argv, &job);
	signal(SIGPIPE, SIG_IGN);
	xmpp_initialize();
	xmpp_log_t log = {on_log, &job};
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, &log);
	xmpp_conn_t *conn = ctx ? xmpp_conn_new(ctx) : NULL;
	int code = EXIT_CONNECT;
	if (conn)
		code = send_one(ctx, conn, &job);
	else
		fprintf(stderr, "xmpp-send: cannot set up libstrophe\n");
	if (conn)
		xmpp_conn_release(conn);
	if (ctx)
		xmpp_ctx_free(ctx);
	xmpp_shutdown();
	free(job.body);
	return code;
}
