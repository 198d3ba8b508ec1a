/* parleyctl: Parley's administration tool.
 *
 * A table of commands, each "noun verb" (or one word) with prefix matching
 * ("us ad" is "user add"). The user commands work on xmpp-routerd's store
 * directly (SQLite in WAL mode allows it while the daemon runs). The
 * session and stats commands ask the running xmpp-routerd over its
 * control socket (common/PROTOCOL.md, section 10) with blocking I/O: one
 * request, records back, an end status. The bosh commands ask one or
 * more boshd the same way, over their own control sockets: a listing
 * merges their records, a terminate tries each in turn; the poll commands
 * ask one or more pollgw (XEP-0025) alike. Output is
 * aligned columns by default, one JSON object per line with --json,
 * tab-separated with --tsv. Exit codes: 0 done, 1 the thing asked for does
 * not exist or already exists, 100 bad usage, 111 the store or the daemon
 * cannot be used. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "attr.h"
#include "frame.h"
#include "jid.h"
#include "log.h"
#include "scram.h"
#include "store.h"

#define PARLEYCTL_EXIT_NOT_FOUND 1
#define PARLEYCTL_EXIT_USAGE 100
#define PARLEYCTL_EXIT_TEMPORARY 111
#define PARLEYCTL_PASSWORD_MAX 1024
/* All the records of one answer, kept to align the columns. */
#define PARLEYCTL_REPLY_MAX (64u * 1024 * 1024)
#define PARLEYCTL_TIMEOUT_SECS 30
#define PARLEYCTL_FIELD_NAME_MAX 32
#define PARLEYCTL_COLUMNS_MAX 64
#define PARLEYCTL_CHANNEL 1
/* --bosh-control-socket (--poll-control-socket) given at most this many
   times */
#define PARLEYCTL_BOSH_SOCKETS_MAX 16
#define PARLEYCTL_POLL_SOCKETS_MAX 16

enum output { OUTPUT_TEXT, OUTPUT_JSON, OUTPUT_TSV };

struct parleyctl {
	const char *db;
	const char *socket; /* xmpp-routerd's control socket */
	const char *bosh_sockets[PARLEYCTL_BOSH_SOCKETS_MAX]; /* boshd's */
	size_t nbosh;
	const char *poll_sockets[PARLEYCTL_POLL_SOCKETS_MAX]; /* pollgw's */
	size_t npoll;
	enum output output;
	struct store *store;
};

enum needs { NEEDS_STORE, NEEDS_DAEMON, NEEDS_BOSHD, NEEDS_POLLGW };

struct command {
	const char *noun, *verb; /* verb NULL: a one-word command */
	int nargs, maxargs;	 /* required, allowed operands */
	const char *args;
	const char *help;
	enum needs needs;
	int vertical; /* text output: one "name value" line per field */
	/* the command the daemon knows, if not the words themselves */
	const char *daemon_command;
	int (*run)(struct parleyctl *ctl, const struct command *cmd,
		   char **argv, int argc);
};

/* Reads a password: the operand, else a line from stdin. */
static int read_password(char **argv, int argc, int index, char *out,
			 size_t outsz)
{
	if (argc > index) {
		snprintf(out, outsz, "%s", argv[index]);
		return 0;
	}
	if (isatty(0))
		fprintf(stderr, "password: ");
	if (!fgets(out, (int)outsz, stdin))
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return out[0] ? 0 : -1;
}

static int prep_user(const char *in, char *out, size_t outsz)
{
	if (strlen(in) == 0 || strlen(in) >= outsz) {
		fprintf(stderr, "parleyctl: bad user name: %s\n", in);
		return -1;
	}
	strcpy(out, in);
	if (jid_prep_local(out, outsz) < 0) {
		fprintf(stderr, "parleyctl: bad user name: %s\n", in);
		return -1;
	}
	return 0;
}

static int make_creds(const char *password, struct scram_creds *sha1,
		      struct scram_creds *sha256)
{
	if (scram_make_creds(SCRAM_SHA1, password, SCRAM_DEFAULT_ITERATIONS,
			     sha1) < 0 ||
	    scram_make_creds(SCRAM_SHA256, password, SCRAM_DEFAULT_ITERATIONS,
			     sha256) < 0) {
		fprintf(stderr, "parleyctl: password not allowed\n");
		return -1;
	}
	return 0;
}

/* user add and user passwd: NAME [PASSWORD] -> SCRAM keys -> store.
   creating says which; the store's "1" is "exists" or "no such user". */
static int user_set_password(struct parleyctl *ctl, char **argv, int argc,
			     int creating)
{
	char user[JID_PART_MAX + 1], password[PARLEYCTL_PASSWORD_MAX];
	struct scram_creds c1, c256;
	if (prep_user(argv[0], user, sizeof user) < 0)
		return PARLEYCTL_EXIT_USAGE;
	if (read_password(argv, argc, 1, password, sizeof password) < 0 ||
	    make_creds(password, &c1, &c256) < 0)
		return PARLEYCTL_EXIT_USAGE;
	int rc = creating ? store_user_create(ctl->store, user, &c1, &c256)
			  : store_user_set_creds(ctl->store, user, &c1, &c256);
	if (rc == 1) {
		fprintf(stderr,
			creating ? "parleyctl: user %s exists\n"
				 : "parleyctl: no user %s\n",
			user);
		return PARLEYCTL_EXIT_NOT_FOUND;
	}
	return rc == 0 ? 0 : PARLEYCTL_EXIT_TEMPORARY;
}

static int cmd_user_add(struct parleyctl *ctl, const struct command *cmd,
			char **argv, int argc)
{
	(void)cmd;
	return user_set_password(ctl, argv, argc, 1);
}

static int cmd_user_passwd(struct parleyctl *ctl, const struct command *cmd,
			   char **argv, int argc)
{
	(void)cmd;
	return user_set_password(ctl, argv, argc, 0);
}

/* user import: "NAME PASSWORD" lines from stdin (blank lines and lines
   starting with '#' skipped). Users that exist are counted, not changed.
   Any bad line stops the import there (exit 100, naming the line). */
static int cmd_user_import(struct parleyctl *ctl, const struct command *cmd,
			   char **argv, int argc)
{
	(void)cmd;
	(void)argv;
	(void)argc;
	char line[JID_PART_MAX + PARLEYCTL_PASSWORD_MAX + 4];
	unsigned long lineno = 0, created = 0, existed = 0;
	while (fgets(line, sizeof line, stdin)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char *password = strchr(line, ' ');
		if (password)
			*password++ = '\0';
		char user[JID_PART_MAX + 1];
		struct scram_creds c1, c256;
		if (!password || !*password) {
			fprintf(stderr, "parleyctl: line %lu: NAME PASSWORD\n",
				lineno);
			return PARLEYCTL_EXIT_USAGE;
		}
		if (prep_user(line, user, sizeof user) < 0 ||
		    make_creds(password, &c1, &c256) < 0) {
			fprintf(stderr, "parleyctl: line %lu refused\n", lineno);
			return PARLEYCTL_EXIT_USAGE;
		}
		int rc = store_user_create(ctl->store, user, &c1, &c256);
		if (rc < 0)
			return PARLEYCTL_EXIT_TEMPORARY;
		if (rc == 1)
			existed++;
		else
			created++;
	}
	fprintf(stderr, "parleyctl: %lu users created, %lu existed\n", created,
		existed);
	return 0;
}

static int cmd_user_delete(struct parleyctl *ctl, const struct command *cmd,
			   char **argv, int argc)
{
	(void)cmd;
	(void)argc;
	char user[JID_PART_MAX + 1];
	if (prep_user(argv[0], user, sizeof user) < 0)
		return PARLEYCTL_EXIT_USAGE;
	int rc = store_user_delete(ctl->store, user);
	if (rc == 1) {
		fprintf(stderr, "parleyctl: no user %s\n", user);
		return PARLEYCTL_EXIT_NOT_FOUND;
	}
	return rc == 0 ? 0 : PARLEYCTL_EXIT_TEMPORARY;
}

static int print_user(const char *user, void *ctx)
{
	const struct parleyctl *ctl = ctx;
	if (ctl->output == OUTPUT_JSON)
		printf("{\"user\":\"%s\"}\n", user); /* nodeprep forbids '"' */
	else
		printf("%s\n", user);
	return 0;
}

static int cmd_user_list(struct parleyctl *ctl, const struct command *cmd,
			 char **argv, int argc)
{
	(void)cmd;
	(void)argv;
	(void)argc;
	return store_user_list(ctl->store, print_user, ctl) == 0
		       ? 0
		       : PARLEYCTL_EXIT_TEMPORARY;
}

/* ---- the daemon's control socket ------------------------------------------
 */

/* One answer: the records (each a u32 length in host order, then the
   CTL_REPLY payload), then the end. */
struct answer {
	struct buf records;
	size_t nrecords;
	uint32_t status;
	char message[256];
};

static int daemon_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = {.tv_sec = PARLEYCTL_TIMEOUT_SECS};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* HELLO, then one CTL_REQUEST for command with its operands, into out.
   0, or -1 (the operands do not fit a control frame). */
static int request_build(struct buf *out, const char *command, char **argv,
			 int argc)
{
	struct buf payload;
	int rc = -1;
	buf_init(&payload, FRAME_CTL_MAX_PAYLOAD);
	if (frame_hello_append(out, "parleyctl") < 0 ||
	    attr_append_str(&payload, ATTR_COMMAND, command) < 0)
		goto out;
	for (int i = 0; i < argc; i++)
		if (attr_append_str(&payload, ATTR_ARG, argv[i]) < 0)
			goto out;
	rc = frame_append(out, FRAME_CTL_REQUEST, PARLEYCTL_CHANNEL,
			  buf_head(&payload), payload.len);
out:
	buf_free(&payload);
	return rc;
}

/* Checks a FIELD or NUMBER value: "name=value", name of [a-z0-9_]. Returns
   the length of the name, or 0 if malformed. */
static size_t field_name_len(const struct attr *a)
{
	size_t n = 0;
	while (n < a->len && n <= PARLEYCTL_FIELD_NAME_MAX) {
		unsigned char c = a->value[n];
		if (c == '=')
			break;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return 0;
		n++;
	}
	if (n == 0 || n > PARLEYCTL_FIELD_NAME_MAX || n == a->len)
		return 0;
	if (a->key == ATTR_NUMBER) {
		size_t digits = a->len - n - 1;
		if (digits == 0 || digits > 20)
			return 0;
		for (size_t i = n + 1; i < a->len; i++)
			if (a->value[i] < '0' || a->value[i] > '9')
				return 0;
	}
	return n;
}

static int record_is_valid(const unsigned char *p, size_t len)
{
	struct attr_iter it;
	struct attr a;
	int rc;
	attr_iter_init(&it, p, len);
	while ((rc = attr_next(&it, &a)) == 1)
		if ((a.key == ATTR_FIELD || a.key == ATTR_NUMBER) &&
		    field_name_len(&a) == 0)
			return 0;
	return rc == 0;
}

static int answer_add_record(struct answer *ans, const unsigned char *p,
			     uint32_t len)
{
	if (!record_is_valid(p, len))
		return -1;
	if (buf_append(&ans->records, &len, sizeof len) < 0 ||
	    buf_append(&ans->records, p, len) < 0)
		return -1;
	ans->nrecords++;
	return 0;
}

static int answer_set_end(struct answer *ans, const unsigned char *p,
			  uint32_t len)
{
	struct attr_iter it;
	struct attr a;
	int rc, has_status = 0;
	attr_iter_init(&it, p, len);
	while ((rc = attr_next(&it, &a)) == 1) {
		if (a.key == ATTR_STATUS && attr_get_u32(&a, &ans->status) == 0)
			has_status = 1;
		else if (a.key == ATTR_MESSAGE)
			snprintf(ans->message, sizeof ans->message, "%.*s",
				 (int)(a.len > 200 ? 200 : a.len),
				 (const char *)a.value);
	}
	return rc == 0 && has_status ? 0 : -1;
}

static int answer_pong(int fd, const struct frame_header *h,
		       const unsigned char *payload)
{
	struct buf b;
	buf_init(&b, FRAME_HEADER_SIZE + FRAME_CTL_MAX_PAYLOAD);
	int rc = frame_append(&b, FRAME_PONG, h->channel, payload, h->length);
	if (rc == 0)
		rc = write_all(fd, buf_head(&b), b.len);
	buf_free(&b);
	return rc;
}

/* Handles one frame from the daemon: 1 at CTL_END, 0 to go on, -1 with
 *why on a protocol error. */
static int answer_on_frame(struct answer *ans, int fd, int *hello_done,
			   const struct frame_header *h,
			   const unsigned char *payload, const char **why)
{
	if (!*hello_done) {
		*hello_done = 1;
		if (h->type != FRAME_HELLO) {
			*why = "first frame is not HELLO";
			return -1;
		}
		return frame_hello_check(payload, h->length, NULL, 0, why);
	}
	if (h->type == FRAME_PING)
		return answer_pong(fd, h, payload);
	if (h->type == FRAME_PONG)
		return 0;
	if (h->type == FRAME_ERROR) {
		snprintf(ans->message, sizeof ans->message, "%.*s",
			 (int)(h->length > 200 ? 200 : h->length),
			 (const char *)payload);
		*why = ans->message;
		return -1;
	}
	*why = "malformed answer";
	if (h->channel != PARLEYCTL_CHANNEL)
		return -1;
	if (h->type == FRAME_CTL_REPLY) {
		if (answer_add_record(ans, payload, h->length) < 0) {
			*why = errno == ENOBUFS ? "answer too long"
						: "malformed record";
			return -1;
		}
		return 0;
	}
	if (h->type == FRAME_CTL_END)
		return answer_set_end(ans, payload, h->length) < 0 ? -1 : 1;
	return -1;
}

/* Reads frames until CTL_END. 0, or -1 with *why. */
static int answer_read(struct answer *ans, int fd, const char **why)
{
	struct buf in;
	int hello_done = 0, rc = 0;
	buf_init(&in, FRAME_HEADER_SIZE + FRAME_CTL_MAX_PAYLOAD);
	while (rc == 0) {
		struct frame_header h;
		const unsigned char *payload;
		enum frame_decode_result r = frame_decode(
			(const unsigned char *)buf_head(&in), in.len,
			FRAME_CTL_MAX_PAYLOAD, &h, &payload, why);
		if (r == FRAME_BAD) {
			rc = -1;
			break;
		}
		if (r == FRAME_OK) {
			rc = answer_on_frame(ans, fd, &hello_done, &h, payload,
					     why);
			buf_consume(&in, FRAME_HEADER_SIZE + h.length);
			continue;
		}
		size_t room =
			in.limit - in.len < 16384 ? in.limit - in.len : 16384;
		if (buf_reserve(&in, room) < 0) {
			*why = strerror(errno);
			rc = -1;
			break;
		}
		ssize_t n = read(fd, buf_tail(&in), room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*why = n == 0 ? "connection closed before the answer"
			       : errno == EAGAIN ? "no answer in time"
						 : strerror(errno);
			rc = -1;
			break;
		}
		buf_commit(&in, (size_t)n);
	}
	buf_free(&in);
	return rc < 0 ? -1 : 0;
}

/* ---- printing records
 * --------------------------------------------------------- */

struct field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
	int number;
};

/* The next FIELD or NUMBER of a record; 1, or 0 at its end. */
static int record_next(struct attr_iter *it, struct field *f)
{
	struct attr a;
	while (attr_next(it, &a) == 1) {
		if (a.key != ATTR_FIELD && a.key != ATTR_NUMBER)
			continue; /* a key from a newer daemon */
		f->name = (const char *)a.value;
		f->name_len = field_name_len(&a);
		f->value = f->name + f->name_len + 1;
		f->value_len = a.len - f->name_len - 1;
		f->number = a.key == ATTR_NUMBER;
		return 1;
	}
	return 0;
}

/* Calls fn for each record of the answer. */
static void answer_foreach(const struct answer *ans,
			   void (*fn)(const unsigned char *p, size_t len,
				      void *ctx),
			   void *ctx)
{
	const char *p = buf_head(&ans->records);
	size_t left = ans->records.len;
	while (left >= sizeof(uint32_t)) {
		uint32_t len;
		memcpy(&len, p, sizeof len);
		fn((const unsigned char *)p + sizeof len, len, ctx);
		p += sizeof len + len;
		left -= sizeof len + len;
	}
}

/* Writes s as a JSON string, quotes included. */
static void json_string(FILE *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	putc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = c == '"'    ? "\\\""
				  : c == '\\' ? "\\\\"
				  : c == '\n' ? "\\n"
				  : c == '\r' ? "\\r"
				  : c == '\t' ? "\\t"
					      : NULL;
		if (esc)
			fputs(esc, out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		else
			putc(c, out);
	}
	putc('"', out);
}

static void print_json(const unsigned char *p, size_t len, void *ctx)
{
	struct attr_iter it;
	struct field f;
	const char *sep = "{";
	(void)ctx;
	attr_iter_init(&it, p, len);
	while (record_next(&it, &f)) {
		fputs(sep, stdout);
		json_string(stdout, f.name, f.name_len);
		putchar(':');
		if (f.number)
			fwrite(f.value, 1, f.value_len, stdout);
		else
			json_string(stdout, f.value, f.value_len);
		sep = ",";
	}
	fputs(*sep == '{' ? "{}\n" : "}\n", stdout);
}

/* Text output: control characters would break the columns. */
static void text_value(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		putchar(c < 0x20 || c == 0x7f ? '?' : c);
	}
}

/* TSV: backslash, tab, newline and carriage return escaped. */
static void tsv_value(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		const char *esc = c == '\\'   ? "\\\\"
				  : c == '\t' ? "\\t"
				  : c == '\n' ? "\\n"
				  : c == '\r' ? "\\r"
					      : NULL;
		if (esc)
			fputs(esc, stdout);
		else
			putchar(c);
	}
}

/* Display width of a UTF-8 value: one column per character. */
static size_t text_width(const char *s, size_t len)
{
	size_t w = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

/* The columns: the field names of the first record, and their widths. */
struct table {
	enum output output;
	size_t nprinted; /* records printed by print_vertical */
	size_t ncolumns;
	struct field columns[PARLEYCTL_COLUMNS_MAX];
	size_t width[PARLEYCTL_COLUMNS_MAX];
};

static const struct field *record_find(const unsigned char *p, size_t len,
				       const struct field *column,
				       struct field *f)
{
	struct attr_iter it;
	attr_iter_init(&it, p, len);
	while (record_next(&it, f))
		if (f->name_len == column->name_len &&
		    memcmp(f->name, column->name, f->name_len) == 0)
			return f;
	return NULL;
}

static void table_measure(const unsigned char *p, size_t len, void *ctx)
{
	struct table *t = ctx;
	struct field f;
	if (t->ncolumns == 0) {
		struct attr_iter it;
		attr_iter_init(&it, p, len);
		while (t->ncolumns < PARLEYCTL_COLUMNS_MAX &&
		       record_next(&it, &t->columns[t->ncolumns])) {
			t->width[t->ncolumns] =
				t->columns[t->ncolumns].name_len;
			t->ncolumns++;
		}
	}
	for (size_t i = 0; i < t->ncolumns; i++)
		if (record_find(p, len, &t->columns[i], &f)) {
			size_t w = text_width(f.value, f.value_len);
			if (w > t->width[i])
				t->width[i] = w;
		}
}

static void table_cell(const struct table *t, size_t i, const char *s,
		       size_t len)
{
	if (i > 0)
		putchar(t->output == OUTPUT_TSV ? '\t' : ' ');
	if (t->output == OUTPUT_TSV) {
		tsv_value(s, len);
		return;
	}
	text_value(s, len);
	if (i + 1 < t->ncolumns)
		for (size_t w = text_width(s, len); w <= t->width[i]; w++)
			putchar(' ');
}

static void table_header(const struct table *t)
{
	for (size_t i = 0; i < t->ncolumns; i++)
		table_cell(t, i, t->columns[i].name, t->columns[i].name_len);
	putchar('\n');
}

static void table_row(const unsigned char *p, size_t len, void *ctx)
{
	const struct table *t = ctx;
	struct field f;
	for (size_t i = 0; i < t->ncolumns; i++) {
		if (record_find(p, len, &t->columns[i], &f))
			table_cell(t, i, f.value, f.value_len);
		else
			table_cell(t, i, "", 0);
	}
	putchar('\n');
}

/* One "name  value" line per field (a single record such as stats); an
   empty line between records (one per boshd, say). */
static void print_vertical(const unsigned char *p, size_t len, void *ctx)
{
	struct table *t = ctx;
	struct attr_iter it;
	struct field f;
	size_t width = 0;
	if (t->nprinted++)
		putchar('\n');
	attr_iter_init(&it, p, len);
	while (record_next(&it, &f))
		if (f.name_len > width)
			width = f.name_len;
	attr_iter_init(&it, p, len);
	while (record_next(&it, &f)) {
		table_cell(t, 0, f.name, f.name_len);
		for (size_t w = f.name_len; w < width + 2; w++)
			putchar(' ');
		text_value(f.value, f.value_len);
		putchar('\n');
	}
}

static void answer_print(const struct answer *ans, enum output output,
			 int vertical)
{
	struct table t = {.output = output};
	if (output == OUTPUT_JSON) {
		answer_foreach(ans, print_json, NULL);
		return;
	}
	if (vertical && output == OUTPUT_TEXT) {
		t.ncolumns = 1;
		answer_foreach(ans, print_vertical, &t);
		return;
	}
	answer_foreach(ans, table_measure, &t);
	if (ans->nrecords == 0)
		return;
	table_header(&t);
	answer_foreach(ans, table_row, &t);
}

/* The exit code for the daemon's status, with a line on stderr. */
static int answer_exit_code(const struct answer *ans)
{
	const char *m = ans->message[0] ? ans->message : "failed";
	switch (ans->status) {
	case FRAME_CTL_OK:
		return 0;
	case FRAME_CTL_NOT_FOUND:
		fprintf(stderr, "parleyctl: %s\n", m);
		return PARLEYCTL_EXIT_NOT_FOUND;
	case FRAME_CTL_BAD_REQUEST:
		fprintf(stderr, "parleyctl: the daemon refused: %s\n", m);
		return PARLEYCTL_EXIT_USAGE;
	default:
		fprintf(stderr, "parleyctl: the daemon says: %s\n", m);
		return PARLEYCTL_EXIT_TEMPORARY;
	}
}

/* Asks the daemon at path for command with its operands; the records
   go to ans (empty), its status and message too. 0, or an exit code after
   a line on stderr (the daemon cannot be reached or broke the protocol). */
static int daemon_ask(const char *path, const char *command, char **argv,
		      int argc, struct answer *ans)
{
	struct buf out;
	const char *why = NULL;
	ans->status = FRAME_CTL_FAILED;
	buf_init(&out, FRAME_HEADER_SIZE * 2 + 64 + FRAME_CTL_MAX_PAYLOAD);
	if (request_build(&out, command, argv, argc) < 0) {
		fprintf(stderr, "parleyctl: operands too long\n");
		buf_free(&out);
		return PARLEYCTL_EXIT_USAGE;
	}
	int fd = daemon_connect(path);
	if (fd < 0) {
		fprintf(stderr, "parleyctl: cannot connect to %s: %s\n", path,
			strerror(errno));
		buf_free(&out);
		return PARLEYCTL_EXIT_TEMPORARY;
	}
	int rc = write_all(fd, buf_head(&out), out.len);
	if (rc < 0)
		why = strerror(errno);
	else
		rc = answer_read(ans, fd, &why);
	close(fd);
	buf_free(&out);
	if (rc < 0) {
		fprintf(stderr, "parleyctl: %s: %s\n", path,
			why ? why : "protocol error");
		return PARLEYCTL_EXIT_TEMPORARY;
	}
	return 0;
}

/* The command as the daemon knows it: its words, or daemon_command. */
static void command_words(const struct command *cmd, char *out, size_t outsz)
{
	if (cmd->daemon_command)
		snprintf(out, outsz, "%s", cmd->daemon_command);
	else
		snprintf(out, outsz, "%s%s%s", cmd->noun, cmd->verb ? " " : "",
			 cmd->verb ? cmd->verb : "");
}

/* A command answered by xmpp-routerd. */
static int cmd_daemon(struct parleyctl *ctl, const struct command *cmd,
		      char **argv, int argc)
{
	char command[64];
	struct answer ans = {.status = FRAME_CTL_FAILED};
	command_words(cmd, command, sizeof command);
	buf_init(&ans.records, PARLEYCTL_REPLY_MAX);
	int rc = daemon_ask(ctl->socket, command, argv, argc, &ans);
	if (rc == 0) {
		answer_print(&ans, ctl->output, cmd->vertical);
		fflush(stdout);
		rc = answer_exit_code(&ans);
	}
	buf_free(&ans.records);
	return rc;
}

/* The gateways a bosh or poll command asks: their control sockets and
   how many there are. */
static const char *const *gateway_sockets(const struct parleyctl *ctl,
					  const struct command *cmd, size_t *n)
{
	if (cmd->needs == NEEDS_POLLGW) {
		*n = ctl->npoll;
		return ctl->poll_sockets;
	}
	*n = ctl->nbosh;
	return ctl->bosh_sockets;
}

/* Asks the gateway at path and adds its records to all. 0, or an exit
   code after a line on stderr. */
static int gateway_ask_into(const char *path, const char *command, char **argv,
			    int argc, struct answer *all)
{
	struct answer one = {.status = FRAME_CTL_FAILED};
	buf_init(&one.records, PARLEYCTL_REPLY_MAX);
	int rc = daemon_ask(path, command, argv, argc, &one);
	if (rc == 0 && buf_append(&all->records, buf_head(&one.records),
				  one.records.len) < 0) {
		fprintf(stderr, "parleyctl: %s: answer too long\n", path);
		rc = PARLEYCTL_EXIT_TEMPORARY;
	} else if (rc == 0) {
		all->nrecords += one.nrecords;
		rc = answer_exit_code(&one);
	}
	buf_free(&one.records);
	return rc;
}

/* A listing from every boshd (pollgw), merged: the records of all,
   printed together. The exit code is the first failure's, or 0. */
static int cmd_gateway_each(struct parleyctl *ctl, const struct command *cmd,
			    char **argv, int argc)
{
	char command[64];
	struct answer all = {.status = FRAME_CTL_OK};
	int rc = 0;
	size_t n;
	const char *const *sockets = gateway_sockets(ctl, cmd, &n);
	command_words(cmd, command, sizeof command);
	buf_init(&all.records, PARLEYCTL_REPLY_MAX);
	for (size_t i = 0; i < n; i++) {
		int r = gateway_ask_into(sockets[i], command, argv, argc, &all);
		if (rc == 0)
			rc = r;
	}
	answer_print(&all, ctl->output, cmd->vertical);
	fflush(stdout);
	buf_free(&all.records);
	return rc;
}

/* Asks each boshd (pollgw) in turn to end the session until one has it.
   0; 1 if none has it; the first failure's exit code if a gateway could
   not say. */
static int cmd_gateway_terminate(struct parleyctl *ctl,
				 const struct command *cmd, char **argv,
				 int argc)
{
	char command[64];
	int rc = PARLEYCTL_EXIT_NOT_FOUND;
	size_t n;
	const char *const *sockets = gateway_sockets(ctl, cmd, &n);
	command_words(cmd, command, sizeof command);
	for (size_t i = 0; i < n; i++) {
		struct answer one = {.status = FRAME_CTL_FAILED};
		buf_init(&one.records, FRAME_CTL_MAX_PAYLOAD);
		int r = daemon_ask(sockets[i], command, argv, argc, &one);
		buf_free(&one.records);
		if (r == 0 && one.status == FRAME_CTL_OK)
			return 0;
		if (r == 0 && one.status != FRAME_CTL_NOT_FOUND)
			r = answer_exit_code(&one);
		if (r != 0 && rc == PARLEYCTL_EXIT_NOT_FOUND)
			rc = r;
	}
	if (rc == PARLEYCTL_EXIT_NOT_FOUND)
		fprintf(stderr, "parleyctl: no such %s session: %s\n",
			cmd->needs == NEEDS_POLLGW ? "polling" : "BOSH",
			argv[0]);
	return rc;
}

/* ---- commands -------------------------------------------------------------
 */

static const struct command commands[] = {
	{"user", "add", 1, 2, "NAME [PASSWORD]",
	 "create a user (password from stdin if not given)", NEEDS_STORE, 0,
	 NULL, cmd_user_add},
	{"user", "delete", 1, 1, "NAME",
	 "delete a user and everything stored for them", NEEDS_STORE, 0, NULL,
	 cmd_user_delete},
	{"user", "list", 0, 0, "", "list users", NEEDS_STORE, 0, NULL,
	 cmd_user_list},
	{"user", "import", 0, 0, "",
	 "create users from \"NAME PASSWORD\" lines on stdin", NEEDS_STORE, 0,
	 NULL, cmd_user_import},
	{"user", "passwd", 1, 2, "NAME [PASSWORD]", "set a user's password",
	 NEEDS_STORE, 0, NULL, cmd_user_passwd},
	{"session", "list", 0, 0, "", "list the connected sessions",
	 NEEDS_DAEMON, 0, NULL, cmd_daemon},
	{"session", "kick", 1, 1, "JID",
	 "end one session (full JID) or all of a user's", NEEDS_DAEMON, 0, NULL,
	 cmd_daemon},
	{"stats", NULL, 0, 0, "", "the daemon's counters", NEEDS_DAEMON, 1,
	 NULL, cmd_daemon},
	{"bosh", "list", 0, 0, "", "list the BOSH sessions of every boshd",
	 NEEDS_BOSHD, 0, "session list", cmd_gateway_each},
	{"bosh", "terminate", 1, 1, "SID", "end a BOSH session", NEEDS_BOSHD, 0,
	 "session terminate", cmd_gateway_terminate},
	{"bosh", "stats", 0, 0, "", "each boshd's counters", NEEDS_BOSHD, 1,
	 "stats", cmd_gateway_each},
	{"poll", "list", 0, 0, "",
	 "list the polling (XEP-0025) sessions of every pollgw", NEEDS_POLLGW,
	 0, "session list", cmd_gateway_each},
	{"poll", "terminate", 1, 1, "ID", "end a polling session", NEEDS_POLLGW,
	 0, "session terminate", cmd_gateway_terminate},
	{"poll", "stats", 0, 0, "", "each pollgw's counters", NEEDS_POLLGW, 1,
	 "stats", cmd_gateway_each},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
	fprintf(f, "usage: parleyctl [--db FILE] [--control-socket PATH] "
		   "[--bosh-control-socket PATH]...\n"
		   "                 [--poll-control-socket PATH]... "
		   "[--json | --tsv] COMMAND [ARGS]\n"
		   "Administers a Parley server.\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char words[64];
		snprintf(words, sizeof words, "%s %s %s", commands[i].noun,
			 commands[i].verb ? commands[i].verb : "",
			 commands[i].args);
		fprintf(f, "  %-28s %s\n", words, commands[i].help);
	}
	fprintf(f,
		"\noptions:\n"
		"  --db FILE              the xmpp-routerd store "
		"[$XMPP_ROUTERD_DB]\n"
		"  --control-socket PATH  xmpp-routerd's control socket "
		"[$XMPP_ROUTERD_CONTROL_SOCKET]\n"
		"  --bosh-control-socket PATH\n"
		"                         a boshd's control socket, for the "
		"bosh commands; may be\n"
		"                         repeated "
		"[$PARLEYCTL_BOSH_CONTROL_SOCKET]\n"
		"  --poll-control-socket PATH\n"
		"                         a pollgw's control socket, for the "
		"poll commands; may be\n"
		"                         repeated "
		"[$PARLEYCTL_POLL_CONTROL_SOCKET]\n"
		"  --json                 one JSON object per line\n"
		"  --tsv                  tab-separated, with a header line\n"
		"  --help, --version\n"
		"Words may be abbreviated to any unique prefix.\n"
		"Exit codes: 0 done, 1 not found (or exists), 100 bad "
		"usage, 111 the store or\nthe daemon cannot be used.\n");
}

static int is_prefix(const char *word, const char *full)
{
	return strncmp(full, word, strlen(word)) == 0;
}

static int command_matches(const struct command *c, char **words, int n)
{
	if (n < 1 || !is_prefix(words[0], c->noun))
		return 0;
	return !c->verb || (n >= 2 && is_prefix(words[1], c->verb));
}

/* The one command matching the words, or NULL (printing why). */
static const struct command *find_command(char **words, int n)
{
	const struct command *found = NULL;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (!command_matches(&commands[i], words, n))
			continue;
		if (found) {
			fprintf(stderr, "parleyctl: '%s%s%s' is ambiguous\n",
				words[0], n > 1 ? " " : "",
				n > 1 ? words[1] : "");
			return NULL;
		}
		found = &commands[i];
	}
	if (!found)
		fprintf(stderr, "parleyctl: unknown command '%s%s%s'\n",
			words[0], n > 1 ? " " : "", n > 1 ? words[1] : "");
	return found;
}

/* One more --bosh-control-socket; 0, or -1 past the bound. */
static int add_bosh_socket(struct parleyctl *ctl, const char *path)
{
	if (ctl->nbosh == PARLEYCTL_BOSH_SOCKETS_MAX) {
		fprintf(stderr, "parleyctl: at most %d boshd control sockets\n",
			PARLEYCTL_BOSH_SOCKETS_MAX);
		return -1;
	}
	ctl->bosh_sockets[ctl->nbosh++] = path;
	return 0;
}

/* One more --poll-control-socket; 0, or -1 past the bound. */
static int add_poll_socket(struct parleyctl *ctl, const char *path)
{
	if (ctl->npoll == PARLEYCTL_POLL_SOCKETS_MAX) {
		fprintf(stderr,
			"parleyctl: at most %d pollgw control sockets\n",
			PARLEYCTL_POLL_SOCKETS_MAX);
		return -1;
	}
	ctl->poll_sockets[ctl->npoll++] = path;
	return 0;
}

/* Parses the options; the index of the first word, or -1 with *rc set. */
static int parse_options(struct parleyctl *ctl, int argc, char **argv, int *rc)
{
	int i = 1;
	*rc = PARLEYCTL_EXIT_USAGE;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctl->output = OUTPUT_JSON;
		else if (strcmp(argv[i], "--tsv") == 0)
			ctl->output = OUTPUT_TSV;
		else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			ctl->db = argv[++i];
		else if (strcmp(argv[i], "--control-socket") == 0 &&
			 i + 1 < argc)
			ctl->socket = argv[++i];
		else if (strcmp(argv[i], "--bosh-control-socket") == 0 &&
			 i + 1 < argc) {
			if (add_bosh_socket(ctl, argv[++i]) < 0)
				return -1;
		} else if (strcmp(argv[i], "--poll-control-socket") == 0 &&
			   i + 1 < argc) {
			if (add_poll_socket(ctl, argv[++i]) < 0)
				return -1;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			*rc = 0;
			return -1;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("parleyctl %s\n", PARLEY_VERSION);
			*rc = 0;
			return -1;
		} else {
			usage(stderr);
			return -1;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return -1;
	}
	return i;
}

static int run_on_store(struct parleyctl *ctl, const struct command *cmd,
			char **argv, int argc)
{
	if (!ctl->db) {
		fprintf(stderr, "parleyctl: no store: use --db FILE or "
				"XMPP_ROUTERD_DB\n");
		return PARLEYCTL_EXIT_USAGE;
	}
	ctl->store = store_open_sqlite(ctl->db);
	if (!ctl->store)
		return PARLEYCTL_EXIT_TEMPORARY;
	int rc = cmd->run(ctl, cmd, argv, argc);
	store_close(ctl->store);
	return rc;
}

/* 1 if the control sockets cmd needs are named (the environment's boshd
   or pollgw socket when no option names one), else 0 after a line on
   stderr. */
static int sockets_are_named(struct parleyctl *ctl, const struct command *cmd)
{
	const char *bosh = getenv("PARLEYCTL_BOSH_CONTROL_SOCKET");
	const char *poll = getenv("PARLEYCTL_POLL_CONTROL_SOCKET");
	if (cmd->needs == NEEDS_BOSHD && ctl->nbosh == 0 && bosh && *bosh)
		add_bosh_socket(ctl, bosh);
	if (cmd->needs == NEEDS_POLLGW && ctl->npoll == 0 && poll && *poll)
		add_poll_socket(ctl, poll);
	if (cmd->needs == NEEDS_BOSHD && ctl->nbosh == 0) {
		fprintf(stderr, "parleyctl: no boshd control socket: use "
				"--bosh-control-socket PATH or "
				"PARLEYCTL_BOSH_CONTROL_SOCKET\n");
		return 0;
	}
	if (cmd->needs == NEEDS_POLLGW && ctl->npoll == 0) {
		fprintf(stderr, "parleyctl: no pollgw control socket: use "
				"--poll-control-socket PATH or "
				"PARLEYCTL_POLL_CONTROL_SOCKET\n");
		return 0;
	}
	if (cmd->needs == NEEDS_DAEMON && !ctl->socket) {
		fprintf(stderr, "parleyctl: no control socket: use "
				"--control-socket PATH or "
				"XMPP_ROUTERD_CONTROL_SOCKET\n");
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct parleyctl ctl = {
		.db = getenv("XMPP_ROUTERD_DB"),
		.socket = getenv("XMPP_ROUTERD_CONTROL_SOCKET"),
	};
	int rc;
	log_init("parleyctl");
	int i = parse_options(&ctl, argc, argv, &rc);
	if (i < 0)
		return rc;
	const struct command *cmd = find_command(argv + i, argc - i);
	if (!cmd)
		return PARLEYCTL_EXIT_USAGE;
	int words = cmd->verb ? 2 : 1;
	int nops = argc - i - words;
	if (nops < cmd->nargs || nops > cmd->maxargs) {
		fprintf(stderr, "usage: parleyctl %s%s%s %s\n", cmd->noun,
			cmd->verb ? " " : "", cmd->verb ? cmd->verb : "",
			cmd->args);
		return PARLEYCTL_EXIT_USAGE;
	}
	if (cmd->needs == NEEDS_STORE)
		return run_on_store(&ctl, cmd, argv + i + words, nops);
	if (!sockets_are_named(&ctl, cmd))
		return PARLEYCTL_EXIT_USAGE;
	return cmd->run(&ctl, cmd, argv + i + words, nops);
}
