/* test-gateway.c: a scriptable gateway for the integration tests of
 * xmpp-routerd's gateway socket (PROTOCOL.md, section 9).
 *
 * Usage: test-gateway SOCKET_PATH. Connects to the router (HELLO role
 * "test-gateway"), reads commands on stdin, one per line (tg_commands), and
 * prints on stdout, one flushed line each: "data ID BYTES" (newline as \n,
 * CR as \r, backslash as \\, other control bytes as \xHH), "close ID
 * [CONDITION]", "matched ID", "timeout ID REGEX", "error TEXT". Received
 * text is also kept per channel for `expect`, which consumes it up to the
 * end of its match. Blocking I/O with poll(), one thread. Exit codes: 0 on
 * quit or end of input, 2 on FRAME_ERROR or a lost connection, 3 when an
 * expect times out, 100 on bad usage or a bad command, 111 if the socket
 * cannot be reached. */
#include <errno.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "buf.h"
#include "frame.h"

#define TG_ROLE "test-gateway"
#define TG_MAX_CHANNELS 256
#define TG_KEPT_LIMIT (8u * 1024 * 1024) /* per channel, for expect */
#define TG_IN_LIMIT (FRAME_HEADER_SIZE + FRAME_MAX_PAYLOAD + TG_READ_CHUNK)
#define TG_OUT_LIMIT (FRAME_HEADER_SIZE + FRAME_MAX_PAYLOAD)
#define TG_LINE_LIMIT (FRAME_MAX_PAYLOAD + 1024)
#define TG_READ_CHUNK (64u * 1024)
#define TG_MAX_ARGS 6
#define TG_CRED_MAX 1024
#define TG_EXPECT_DEFAULT_MS 5000
#define TG_CONDITION_MAX 64

#define TG_EXIT_OK 0
#define TG_EXIT_LOST 2
#define TG_EXIT_TIMEOUT 3
#define TG_EXIT_USAGE 100
#define TG_EXIT_TEMP 111

struct tg_channel {
	uint32_t id;
	int used;
	int closed;	 /* the router sent STREAM_CLOSE */
	struct buf kept; /* received text not yet consumed by expect */
};

static int tg_fd = -1;
static int tg_hello_seen;
static struct buf tg_in;   /* router bytes not yet a whole frame */
static struct buf tg_line; /* stdin bytes not yet a whole line */
static int tg_stdin_eof;
static struct tg_channel tg_channels[TG_MAX_CHANNELS];

/* Ends the program: a lost connection is an "error" event on stdout, any
   other reason a line on stderr. */
__attribute__((format(printf, 2, 3), noreturn)) static void
tg_die(int code, const char *fmt, ...)
{
	FILE *to = code == TG_EXIT_LOST ? stdout : stderr;
	va_list ap;
	fputs(code == TG_EXIT_LOST ? "error " : "test-gateway: ", to);
	va_start(ap, fmt);
	vfprintf(to, fmt, ap);
	va_end(ap);
	fputc('\n', to);
	fflush(to);
	exit(code);
}

static long long tg_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- channels ------------------------------------------------------------ */

static struct tg_channel *tg_channel_find(uint32_t id)
{
	for (size_t i = 0; i < TG_MAX_CHANNELS; i++)
		if (tg_channels[i].used && tg_channels[i].id == id)
			return &tg_channels[i];
	return NULL;
}

/* The channel id, created if new; exits if the table is full. */
static struct tg_channel *tg_channel_get(uint32_t id)
{
	struct tg_channel *c = tg_channel_find(id);
	for (size_t i = 0; !c && i < TG_MAX_CHANNELS; i++)
		if (!tg_channels[i].used) {
			c = &tg_channels[i];
			c->used = 1;
			c->id = id;
			c->closed = 0;
			buf_init(&c->kept, TG_KEPT_LIMIT);
		}
	if (!c)
		tg_die(TG_EXIT_USAGE, "more than %d channels", TG_MAX_CHANNELS);
	return c;
}

/* Keeps the newest bytes when the channel's text passes its limit. */
static void tg_channel_keep(struct tg_channel *c, const unsigned char *p,
			    size_t n)
{
	if (n > TG_KEPT_LIMIT) {
		p += n - TG_KEPT_LIMIT;
		n = TG_KEPT_LIMIT;
	}
	if (c->kept.len + n > TG_KEPT_LIMIT)
		buf_consume(&c->kept, c->kept.len + n - TG_KEPT_LIMIT);
	if (buf_append(&c->kept, p, n) < 0)
		tg_die(TG_EXIT_TEMP, "out of memory");
}

/* ---- output to the router ------------------------------------------------ */

static void tg_write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(tg_fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			tg_die(TG_EXIT_LOST, "write: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

static void tg_send(uint16_t type, uint32_t channel, const void *payload,
		    size_t len)
{
	struct buf out;
	buf_init(&out, TG_OUT_LIMIT);
	if (frame_append(&out, type, channel, payload, len) < 0)
		tg_die(TG_EXIT_USAGE, "frame: %s", strerror(errno));
	tg_write_all(buf_head(&out), out.len);
	buf_free(&out);
}

/* ---- input from the router ----------------------------------------------- */

static void tg_print_escaped(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			fputs("\\n", stdout);
		else if (p[i] == '\r')
			fputs("\\r", stdout);
		else if (p[i] == '\\')
			fputs("\\\\", stdout);
		else if (p[i] < 0x20 || p[i] == 0x7f)
			printf("\\x%02x", p[i]);
		else
			putchar(p[i]);
	}
}

static void tg_on_hello(const struct frame_header *h, const unsigned char *p)
{
	char role[64];
	const char *why = NULL;
	if (tg_hello_seen)
		tg_die(TG_EXIT_LOST, "second HELLO from the router");
	if (frame_hello_check(p, h->length, role, sizeof role, &why) < 0)
		tg_die(TG_EXIT_LOST, "bad HELLO: %s", why);
	tg_hello_seen = 1;
}

static void tg_on_error(const struct frame_header *h, const unsigned char *p)
{
	printf("error ");
	tg_print_escaped(p, h->length);
	printf("\n");
	fflush(stdout);
	exit(TG_EXIT_LOST);
}

static void tg_on_ping(const struct frame_header *h, const unsigned char *p)
{
	tg_send(FRAME_PONG, h->channel, p, h->length);
}

static void tg_on_pong(const struct frame_header *h, const unsigned char *p)
{
	(void)h;
	(void)p;
}

static void tg_on_data(const struct frame_header *h, const unsigned char *p)
{
	printf("data %u ", h->channel);
	tg_print_escaped(p, h->length);
	printf("\n");
	fflush(stdout);
	tg_channel_keep(tg_channel_get(h->channel), p, h->length);
}

static void tg_on_close(const struct frame_header *h, const unsigned char *p)
{
	char condition[TG_CONDITION_MAX + 1] = "";
	struct attr_iter it;
	struct attr a;
	int rc;
	attr_iter_init(&it, p, h->length);
	while ((rc = attr_next(&it, &a)) == 1)
		if (a.key == ATTR_CONDITION && a.len <= TG_CONDITION_MAX) {
			memcpy(condition, a.value, a.len);
			condition[a.len] = '\0';
		}
	if (rc < 0)
		tg_die(TG_EXIT_LOST, "malformed STREAM_CLOSE attributes");
	printf("close %u%s%s\n", h->channel, condition[0] ? " " : "",
	       condition);
	fflush(stdout);
	tg_channel_get(h->channel)->closed = 1;
}

struct tg_frame_handler {
	uint16_t type;
	void (*fn)(const struct frame_header *h, const unsigned char *p);
};

static const struct tg_frame_handler tg_frame_handlers[] = {
	{FRAME_HELLO, tg_on_hello},	 {FRAME_ERROR, tg_on_error},
	{FRAME_PING, tg_on_ping},	 {FRAME_PONG, tg_on_pong},
	{FRAME_STREAM_DATA, tg_on_data}, {FRAME_STREAM_CLOSE, tg_on_close},
};

static void tg_dispatch(const struct frame_header *h, const unsigned char *p)
{
	if (!tg_hello_seen && h->type != FRAME_HELLO && h->type != FRAME_ERROR)
		tg_die(TG_EXIT_LOST, "first frame is %s, not HELLO",
		       frame_type_name(h->type));
	for (size_t i = 0;
	     i < sizeof tg_frame_handlers / sizeof tg_frame_handlers[0]; i++)
		if (tg_frame_handlers[i].type == h->type) {
			tg_frame_handlers[i].fn(h, p);
			return;
		}
	tg_die(TG_EXIT_LOST, "unexpected %s frame from the router",
	       frame_type_name(h->type));
}

/* Reads what the socket has and handles every whole frame. */
static void tg_read_router(void)
{
	if (buf_reserve(&tg_in, TG_READ_CHUNK) < 0)
		tg_die(TG_EXIT_LOST, "input: %s", strerror(errno));
	ssize_t n = recv(tg_fd, buf_tail(&tg_in), TG_READ_CHUNK, 0);
	if (n < 0 && errno == EINTR)
		return;
	if (n < 0)
		tg_die(TG_EXIT_LOST, "read: %s", strerror(errno));
	if (n == 0)
		tg_die(TG_EXIT_LOST, "connection closed by the router");
	buf_commit(&tg_in, (size_t)n);
	for (;;) {
		struct frame_header h;
		const unsigned char *payload;
		const char *why = NULL;
		enum frame_decode_result r = frame_decode(
			(const unsigned char *)buf_head(&tg_in), tg_in.len,
			FRAME_MAX_PAYLOAD, &h, &payload, &why);
		if (r == FRAME_NEED_MORE)
			return;
		if (r == FRAME_BAD)
			tg_die(TG_EXIT_LOST, "malformed frame: %s", why);
		tg_dispatch(&h, payload);
		buf_consume(&tg_in, FRAME_HEADER_SIZE + h.length);
	}
}

static void tg_read_stdin(void)
{
	if (buf_reserve(&tg_line, TG_READ_CHUNK) < 0)
		tg_die(TG_EXIT_USAGE, "command line too long");
	ssize_t n = read(0, buf_tail(&tg_line), TG_READ_CHUNK);
	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		tg_stdin_eof = 1;
		return;
	}
	buf_commit(&tg_line, (size_t)n);
}

/* Waits up to timeout_ms (-1: for ever) for the router, and for stdin if
   with_stdin, and reads what came. */
static void tg_pump(int timeout_ms, int with_stdin)
{
	struct pollfd fds[2] = {{.fd = tg_fd, .events = POLLIN},
				{.fd = 0, .events = POLLIN}};
	int n = poll(fds, with_stdin && !tg_stdin_eof ? 2 : 1, timeout_ms);
	if (n < 0 && errno != EINTR)
		tg_die(TG_EXIT_LOST, "poll: %s", strerror(errno));
	if (n <= 0)
		return;
	if (fds[0].revents)
		tg_read_router();
	if (with_stdin && fds[1].revents)
		tg_read_stdin();
}

/* ---- commands ------------------------------------------------------------ */

static uint32_t tg_parse_u32(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX || s[0] == '-')
		tg_die(TG_EXIT_USAGE, "bad number for %s", what);
	return (uint32_t)v;
}

static void tg_cmd_open(int argc, char **argv)
{
	uint32_t id = tg_parse_u32(argv[1], "ID");
	struct buf p;
	buf_init(&p, TG_OUT_LIMIT);
	attr_append_str(&p, ATTR_PEER, argc > 2 ? argv[2] : "127.0.0.1:9");
	attr_append_str(&p, ATTR_TRANSPORT, argc > 3 ? argv[3] : "bosh");
	attr_append_u32(&p, ATTR_SECURE,
			argc > 4 ? tg_parse_u32(argv[4], "SECURE") : 1);
	struct tg_channel *c = tg_channel_get(id);
	c->closed = 0;
	buf_reset(&c->kept);
	tg_send(FRAME_STREAM_OPEN, id, buf_head(&p), p.len);
	buf_free(&p);
}

static void tg_cmd_data(int argc, char **argv)
{
	(void)argc;
	tg_send(FRAME_STREAM_DATA, tg_parse_u32(argv[1], "ID"), argv[2],
		strlen(argv[2]));
}

static void tg_cmd_restart(int argc, char **argv)
{
	(void)argc;
	tg_send(FRAME_STREAM_RESTART, tg_parse_u32(argv[1], "ID"), NULL, 0);
}

/* close ID [XML]: STREAM_CLOSE, with XML as its UNDELIVERED stanzas. */
static void tg_cmd_close(int argc, char **argv)
{
	struct buf b;
	buf_init(&b, TG_OUT_LIMIT);
	if (argc > 2 && attr_append_str(&b, ATTR_UNDELIVERED, argv[2]) < 0)
		tg_die(TG_EXIT_USAGE, "close: too long");
	tg_send(FRAME_STREAM_CLOSE, tg_parse_u32(argv[1], "ID"), buf_head(&b),
		b.len);
	buf_free(&b);
}

static const char tg_b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends the base64 text (RFC 4648, padded) of p[0..n) to out. */
static void tg_base64(struct buf *out, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char q[4] = {tg_b64_alphabet[(v >> 18) & 63],
			     tg_b64_alphabet[(v >> 12) & 63],
			     i + 1 < n ? tg_b64_alphabet[(v >> 6) & 63] : '=',
			     i + 2 < n ? tg_b64_alphabet[v & 63] : '='};
		buf_append(out, q, sizeof q);
	}
}

static void tg_cmd_auth(int argc, char **argv)
{
	(void)argc;
	uint32_t id = tg_parse_u32(argv[1], "ID");
	size_t ulen = strlen(argv[2]), plen = strlen(argv[3]);
	if (ulen + plen > TG_CRED_MAX)
		tg_die(TG_EXIT_USAGE, "credentials too long");
	unsigned char cred[TG_CRED_MAX + 2];
	cred[0] = '\0';
	memcpy(cred + 1, argv[2], ulen);
	cred[1 + ulen] = '\0';
	memcpy(cred + 2 + ulen, argv[3], plen);
	struct buf x;
	buf_init(&x, 4 * TG_CRED_MAX);
	buf_append_str(&x, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
			   "mechanism='PLAIN'>");
	tg_base64(&x, cred, 2 + ulen + plen);
	buf_append_str(&x, "</auth>");
	tg_send(FRAME_STREAM_DATA, id, buf_head(&x), x.len);
	buf_free(&x);
}

/* 1 if the kept text of c matches re; then it is consumed up to the end of
   the match. */
static int tg_channel_match(struct tg_channel *c, const regex_t *re)
{
	regmatch_t m;
	if (buf_reserve(&c->kept, 1) < 0)
		buf_consume(&c->kept, 1); /* full: drop the oldest byte */
	if (buf_reserve(&c->kept, 1) < 0)
		return 0;
	*buf_tail(&c->kept) = '\0'; /* after the text, not part of it */
	if (regexec(re, buf_head(&c->kept), 1, &m, 0) != 0)
		return 0;
	buf_consume(&c->kept, (size_t)m.rm_eo);
	return 1;
}

/* expect ID REGEX [TIMEOUT_MS]: a last word of digits is the timeout. */
static void tg_cmd_expect(int argc, char **argv)
{
	(void)argc;
	uint32_t id = tg_parse_u32(argv[1], "ID");
	long long ms = TG_EXPECT_DEFAULT_MS;
	char *pattern = argv[2];
	char *sp = strrchr(pattern, ' ');
	if (sp && sp[1] && strspn(sp + 1, "0123456789") == strlen(sp + 1)) {
		ms = tg_parse_u32(sp + 1, "TIMEOUT_MS");
		*sp = '\0';
	}
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED) != 0)
		tg_die(TG_EXIT_USAGE, "bad regex: %s", pattern);
	struct tg_channel *c = tg_channel_get(id);
	long long deadline = tg_now_ms() + ms;
	for (;;) {
		if (tg_channel_match(c, &re)) {
			regfree(&re);
			printf("matched %u\n", id);
			fflush(stdout);
			return;
		}
		long long left = deadline - tg_now_ms();
		if (c->closed || left <= 0)
			break;
		tg_pump((int)left, 0);
	}
	regfree(&re);
	printf("timeout %u %s\n", id, pattern);
	fflush(stdout);
	exit(TG_EXIT_TIMEOUT);
}

static void tg_cmd_wait(int argc, char **argv)
{
	(void)argc;
	long long deadline = tg_now_ms() + tg_parse_u32(argv[1], "MS");
	long long left;
	while ((left = deadline - tg_now_ms()) > 0)
		tg_pump((int)left, 0);
}

static void tg_cmd_quit(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	exit(TG_EXIT_OK);
}

/* argc counts the command word. The last of max_args words takes the rest
   of the line, spaces included. */
struct tg_command {
	const char *name;
	int min_args, max_args;
	void (*fn)(int argc, char **argv);
};

static const struct tg_command tg_commands[] = {
	{"open", 2, 5, tg_cmd_open},	   {"data", 3, 3, tg_cmd_data},
	{"restart", 2, 2, tg_cmd_restart}, {"close", 2, 3, tg_cmd_close},
	{"auth", 4, 4, tg_cmd_auth},	   {"expect", 3, 3, tg_cmd_expect},
	{"wait", 2, 2, tg_cmd_wait},	   {"quit", 1, 1, tg_cmd_quit},
};

/* Splits line in place into at most max words; the last takes the rest. */
static int tg_split(char *line, char **argv, int max)
{
	int argc = 0;
	while (*line && argc < max) {
		while (*line == ' ')
			line++;
		if (!*line)
			break;
		argv[argc++] = line;
		if (argc == max)
			break;
		line += strcspn(line, " ");
		if (*line)
			*line++ = '\0';
	}
	return argc;
}

static void tg_run(char *line)
{
	char *argv[TG_MAX_ARGS];
	char word[16];
	size_t wl = strcspn(line, " ");
	if (wl == 0 || line[0] == '#')
		return;
	snprintf(word, sizeof word, "%.*s", (int)wl, line);
	for (size_t i = 0; i < sizeof tg_commands / sizeof tg_commands[0];
	     i++) {
		const struct tg_command *c = &tg_commands[i];
		if (strcmp(c->name, word) != 0)
			continue;
		int argc = tg_split(line, argv, c->max_args);
		if (argc < c->min_args)
			tg_die(TG_EXIT_USAGE, "too few arguments: %s", line);
		c->fn(argc, argv);
		return;
	}
	tg_die(TG_EXIT_USAGE, "unknown command: %s", line);
}

/* Runs every whole line waiting in tg_line. */
static void tg_run_lines(void)
{
	char *nl;
	while (tg_line.len &&
	       (nl = memchr(buf_head(&tg_line), '\n', tg_line.len))) {
		size_t n = (size_t)(nl - buf_head(&tg_line));
		char *line = malloc(n + 1);
		if (!line)
			tg_die(TG_EXIT_TEMP, "out of memory");
		memcpy(line, buf_head(&tg_line), n);
		line[n] = '\0';
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		buf_consume(&tg_line, n + 1);
		tg_run(line);
		free(line);
	}
}

static void tg_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		tg_die(TG_EXIT_USAGE, "socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	tg_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (tg_fd < 0 || connect(tg_fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		tg_die(TG_EXIT_TEMP, "connect: %s", strerror(errno));
	struct buf hello;
	buf_init(&hello, 256);
	if (frame_hello_append(&hello, TG_ROLE) < 0)
		tg_die(TG_EXIT_TEMP, "HELLO");
	tg_write_all(buf_head(&hello), hello.len);
	buf_free(&hello);
}

int main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr,
			"usage: test-gateway SOCKET_PATH < commands\n"
			"commands: open ID [PEER] [TRANSPORT] [SECURE] | "
			"data ID XML | restart ID | close ID |\n"
			"  auth ID USER PASSWORD | expect ID REGEX "
			"[TIMEOUT_MS] | wait MS | quit\n");
		return TG_EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	buf_init(&tg_in, TG_IN_LIMIT);
	buf_init(&tg_line, TG_LINE_LIMIT);
	tg_connect(argv[1]);
	for (;;) {
		tg_run_lines();
		if (tg_stdin_eof)
			break;
		tg_pump(-1, 1);
	}
	return TG_EXIT_OK;
}
