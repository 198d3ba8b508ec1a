/* rawhttp.c: a raw-socket HTTP client for the integration tests.
 *
 * It sends exactly the bytes it reads on stdin (so tests can send malformed
 * requests that curl refuses to produce) and prints every byte the server
 * answers until the server closes the connection or TIMEOUT_MS pass with
 * no progress. Plain libc; used only by the shell tests under tests/http.
 *
 * Usage: rawhttp [-t TIMEOUT_MS] [-s] [-d DELAY_MS] HOST PORT
 *        rawhttp -L HOST PORT
 *   -t  idle timeout in milliseconds (default 2000)
 *   -s  half-close (shutdown SHUT_WR) once everything is sent
 *   -d  send one byte at a time, DELAY_MS apart (slowloris); stops sending
 *       early if the server closes
 *   -L  listen on HOST:PORT instead (no SO_REUSEPORT), print "ready" and
 *       hold the port until stdin ends: makes a port that is in use
 * Exit: 0 the server closed the connection, 2 the idle timeout passed with
 * the connection still open, 1 connect or usage error. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct rawhttp_opts {
	long timeout_ms;
	long delay_ms;
	int half_close;
	int listen_only;
	const char *host;
	const char *port;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: rawhttp [-t TIMEOUT_MS] [-s] [-d DELAY_MS] HOST PORT\n"
		"       rawhttp -L HOST PORT\n");
	exit(1);
}

static long parse_ms(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < 0)
		usage();
	return v;
}

static void parse_args(int argc, char **argv, struct rawhttp_opts *o)
{
	int c;
	o->timeout_ms = 2000;
	o->delay_ms = -1;
	o->half_close = 0;
	o->listen_only = 0;
	while ((c = getopt(argc, argv, "t:sd:L")) != -1) {
		switch (c) {
		case 't': o->timeout_ms = parse_ms(optarg); break;
		case 's': o->half_close = 1; break;
		case 'd': o->delay_ms = parse_ms(optarg); break;
		case 'L': o->listen_only = 1; break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	o->host = argv[optind];
	o->port = argv[optind + 1];
}

/* Reads all of stdin into a malloc'd buffer; *len gets its size. */
static char *read_stdin(size_t *len)
{
	size_t cap = 4096, n = 0;
	char *p = malloc(cap);
	if (!p)
		return NULL;
	for (;;) {
		if (n == cap) {
			char *q = realloc(p, cap * 2);
			if (!q) {
				free(p);
				return NULL;
			}
			p = q;
			cap *= 2;
		}
		ssize_t r = read(0, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(p);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return p;
}

static int connect_to(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	int err = getaddrinfo(host, port, &hints, &res);
	if (err) {
		fprintf(stderr, "rawhttp: %s:%s: %s\n", host, port,
			gai_strerror(err));
		return -1;
	}
	int fd = -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		fprintf(stderr, "rawhttp: connect %s:%s: %s\n", host, port,
			strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* -L: binds and listens on host:port, says "ready", holds the port until
 * stdin ends. 0, or 1 if the port cannot be had. */
static int hold_port(const char *host, const char *port)
{
	struct addrinfo hints, *res;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return 1;
	int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, 16) < 0) {
		fprintf(stderr, "rawhttp: listen %s:%s: %s\n", host, port,
			strerror(errno));
		freeaddrinfo(res);
		return 1;
	}
	freeaddrinfo(res);
	printf("ready\n");
	fflush(stdout);
	char b[256];
	while (read(0, b, sizeof b) > 0)
		;
	close(fd);
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all_stdout(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(1, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* State of one exchange: what is left to send, whether the peer closed. */
struct exchange {
	int fd;
	const char *out;
	size_t out_len;
	size_t sent;
	int send_done;   /* everything sent, or sending gave up */
	int closed;      /* the server closed (EOF or reset) */
	long next_send;  /* with -d: earliest time of the next byte */
};

/* Reads what is available; 1 if progress, 0 if none, sets closed on EOF. */
static int exchange_read(struct exchange *x)
{
	char b[16384];
	ssize_t r = read(x->fd, b, sizeof b);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r <= 0) {
		x->closed = 1;
		return 1;
	}
	write_all_stdout(b, (size_t)r);
	return 1;
}

static void exchange_finish_send(struct exchange *x, int half_close)
{
	x->send_done = 1;
	if (half_close)
		shutdown(x->fd, SHUT_WR);
}

/* Sends the next chunk (one byte with -d); 1 if progress. */
static int exchange_write(struct exchange *x, const struct rawhttp_opts *o)
{
	size_t n = x->out_len - x->sent;
	if (o->delay_ms >= 0 && n > 1)
		n = 1;
	ssize_t w = send(x->fd, x->out + x->sent, n, MSG_NOSIGNAL);
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (w < 0) { /* EPIPE, ECONNRESET: the server is gone */
		x->send_done = 1;
		return 1;
	}
	x->sent += (size_t)w;
	if (o->delay_ms >= 0)
		x->next_send = now_ms() + o->delay_ms;
	if (x->sent == x->out_len)
		exchange_finish_send(x, o->half_close);
	return 1;
}

static int run(struct exchange *x, const struct rawhttp_opts *o)
{
	long last = now_ms();
	if (x->out_len == 0)
		exchange_finish_send(x, o->half_close);
	while (!x->closed) {
		long now = now_ms();
		if (now - last >= o->timeout_ms)
			return 2;
		int want_out = !x->send_done && now >= x->next_send;
		long wait = o->timeout_ms - (now - last);
		if (!x->send_done && !want_out && x->next_send - now < wait)
			wait = x->next_send - now;
		struct pollfd pfd = {x->fd, POLLIN | (want_out ? POLLOUT : 0), 0};
		int r = poll(&pfd, 1, (int)wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return 1;
		int progress = 0;
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			progress |= exchange_read(x);
		if (!x->closed && want_out && (pfd.revents & (POLLOUT | POLLERR)))
			progress |= exchange_write(x, o);
		if (progress)
			last = now_ms();
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rawhttp_opts o;
	parse_args(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	if (o.listen_only)
		return hold_port(o.host, o.port);
	struct exchange x;
	memset(&x, 0, sizeof x);
	char *in = read_stdin(&x.out_len);
	if (!in) {
		perror("rawhttp: stdin");
		return 1;
	}
	x.out = in;
	x.fd = connect_to(o.host, o.port);
	if (x.fd < 0)
		return 1;
	fcntl(x.fd, F_SETFL, fcntl(x.fd, F_GETFL) | O_NONBLOCK);
	x.next_send = now_ms();
	int rc = run(&x, &o);
	close(x.fd);
	free(in);
	return rc;
}
