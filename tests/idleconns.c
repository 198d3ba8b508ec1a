/* idleconns.c: holds many idle HTTP/1.1 keep-alive connections against a
 * server, to measure what an idle connection costs it (tests/bench/bench-http)
 * and to check that it does not drop them early.
 * Usage: idleconns [-n COUNT] [-t SECONDS] [-c SECONDS] [-r] HOST PORT PATH
 * Each connection is opened without blocking (WINDOW at a time), sends one
 * keep-alive GET for PATH, reads the whole response and is then held idle.
 * Prints "held N" once all are open (with -r also "ready", then holds until
 * SIGUSR1), and "connected N, failed N, closed_by_server N" at the end; exit
 * 0 if all COUNT connected and none was closed, 1 otherwise, 2 on bad usage.
 * libc and epoll only, so that the tool adds no noise of its own. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WINDOW 500          /* connections being opened at once */
#ifndef SOURCE_SPAN
#define SOURCE_SPAN 20000   /* connections per source address */
#endif
#define ERRORS_SHOWN 10     /* errors printed; the rest only counted */
#define HEAD_MAX 8192       /* longest response head accepted */
#define REQUEST_MAX 2048
#define SIGNAL_TAG UINT32_MAX /* epoll tag of the signalfd */

enum conn_state {
	CONN_UNUSED = 0,
	CONN_CONNECTING,
	CONN_READING,
	CONN_IDLE,
	CONN_FAILED,
	CONN_CLOSED, /* closed by the server while idle */
};

struct conn {
	int fd;
	enum conn_state state;
	char *head;         /* response head so far, while reading */
	size_t head_len;
	long long body_left; /* -1 until the head is complete */
};

struct run {
	struct conn *conns;
	size_t count;
	size_t started;   /* conns[0 .. started) have been tried */
	size_t busy;      /* connecting or reading */
	size_t idle;
	size_t failed;
	size_t closed;
	int epfd;
	struct sockaddr_in dst;
	char request[REQUEST_MAX];
	size_t request_len;
	int sources; /* source addresses 127.0.0.1 .. 127.0.0.sources */
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints the first ERRORS_SHOWN errors, so that 10,000 refused connections
 * do not print 10,000 lines. errno is preserved. */
__attribute__((format(printf, 1, 2))) static void conn_error(const char *fmt, ...)
{
	static unsigned shown;
	int saved = errno;
	if (shown < ERRORS_SHOWN) {
		va_list ap;
		va_start(ap, fmt);
		fputs("idleconns: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	} else if (shown == ERRORS_SHOWN) {
		fputs("idleconns: further errors not shown\n", stderr);
	}
	shown++;
	errno = saved;
}

static void usage(void)
{
	fprintf(stderr, "usage: idleconns [-n COUNT] [-t SECONDS] "
			"[-c CONNECT_SECONDS] [-r] HOST PORT PATH\n");
	exit(2);
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			perror("idleconns: setrlimit");
	}
}

static int resolve(const char *host, const char *port, struct sockaddr_in *out)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res;
	int err = getaddrinfo(host, port, &hints, &res);
	if (err) {
		fprintf(stderr, "idleconns: %s:%s: %s\n", host, port,
			gai_strerror(err));
		return -1;
	}
	memcpy(out, res->ai_addr, sizeof *out);
	freeaddrinfo(res);
	return 0;
}

static void conn_finish(struct run *r, struct conn *c, enum conn_state to)
{
	free(c->head);
	c->head = NULL;
	if (c->state == CONN_CONNECTING || c->state == CONN_READING)
		r->busy--;
	else if (c->state == CONN_IDLE)
		r->idle--;
	if (to == CONN_FAILED || to == CONN_CLOSED) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		if (to == CONN_FAILED)
			r->failed++;
		else
			r->closed++;
	} else if (to == CONN_IDLE) {
		r->idle++;
	}
	c->state = to;
}

static int bind_source(const struct run *r, int fd, size_t i)
{
	if (r->sources <= 1)
		return 0;
	int one = 1;
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
	struct sockaddr_in src = {.sin_family = AF_INET};
	src.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)(i / SOURCE_SPAN));
	return bind(fd, (struct sockaddr *)&src, sizeof src);
}

/* Starts connection i; on any error it is counted as failed. */
static void conn_start(struct run *r, size_t i)
{
	struct conn *c = &r->conns[i];
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->state = CONN_CONNECTING;
	c->body_left = -1;
	r->busy++;
	if (c->fd == -1) {
		conn_error("socket: %s", strerror(errno));
		conn_finish(r, c, CONN_FAILED);
		return;
	}
	if (bind_source(r, c->fd, i) == -1) {
		conn_error("bind: %s", strerror(errno));
		conn_finish(r, c, CONN_FAILED);
		return;
	}
	int rc = connect(c->fd, (struct sockaddr *)&r->dst, sizeof r->dst);
	if (rc == -1 && errno != EINPROGRESS) {
		conn_error("connect: %s", strerror(errno));
		conn_finish(r, c, CONN_FAILED);
		return;
	}
	struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
		conn_error("epoll_ctl: %s", strerror(errno));
		conn_finish(r, c, CONN_FAILED);
	}
}

static void fill_window(struct run *r)
{
	while (r->busy < WINDOW && r->started < r->count)
		conn_start(r, r->started++);
}

/* The connect finished: send the request (it fits in an empty socket
 * buffer, so one send does) and wait for the response. */
static void conn_on_connected(struct run *r, struct conn *c, uint32_t i)
{
	int err = 0;
	socklen_t len = sizeof err;
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		errno = err;
		conn_error("connect: %s", strerror(errno));
		conn_finish(r, c, CONN_FAILED);
		return;
	}
	ssize_t n = send(c->fd, r->request, r->request_len, MSG_NOSIGNAL);
	if (n != (ssize_t)r->request_len) {
		conn_error("send: %s", strerror(errno));
		conn_finish(r, c, CONN_FAILED);
		return;
	}
	c->head = malloc(HEAD_MAX + 1);
	c->head_len = 0;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = i};
	if (!c->head || epoll_ctl(r->epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1) {
		conn_finish(r, c, CONN_FAILED);
		return;
	}
	c->state = CONN_READING;
}

/* Parses a complete head: status must be 2xx and Content-Length present.
 * Returns the body length, or -1. */
static long long head_body_length(const char *head)
{
	int status = 0;
	if (sscanf(head, "HTTP/1.%*d %d", &status) != 1 || status < 200 ||
	    status > 299) {
		conn_error("response status %d", status);
		return -1;
	}
	for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, "Content-Length:", 15) == 0)
			return strtoll(p + 17, NULL, 10);
	}
	conn_error("response without Content-Length");
	return -1;
}

/* Consumes n received bytes; returns 1 when the response is complete,
 * 0 if more is needed, -1 on a bad response. */
static int conn_consume(struct conn *c, const char *data, size_t n)
{
	if (c->body_left < 0) {
		size_t take = n;
		if (take > HEAD_MAX - c->head_len)
			take = HEAD_MAX - c->head_len;
		memcpy(c->head + c->head_len, data, take);
		c->head_len += take;
		c->head[c->head_len] = '\0';
		char *end = memmem(c->head, c->head_len, "\r\n\r\n", 4);
		if (!end)
			return c->head_len == HEAD_MAX ? -1 : 0;
		size_t head_size = (size_t)(end + 4 - c->head);
		size_t before = c->head_len - take; /* head bytes of earlier reads */
		size_t used = head_size - before;
		c->body_left = head_body_length(c->head);
		if (c->body_left < 0)
			return -1;
		c->body_left -= (long long)(n - used);
	} else {
		c->body_left -= (long long)n;
	}
	if (c->body_left < 0)
		return -1; /* more than the body: nothing else was asked for */
	return c->body_left == 0;
}

static void conn_on_readable(struct run *r, struct conn *c)
{
	static char buf[1 << 16];
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n > 0 && c->state == CONN_READING) {
			int rc = conn_consume(c, buf, (size_t)n);
			if (rc == -1) {
				conn_finish(r, c, CONN_FAILED);
				return;
			}
			if (rc == 1) {
				conn_finish(r, c, CONN_IDLE);
				return;
			}
		} else if (n > 0) {
			conn_error("unexpected bytes on an idle connection");
		} else if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			return;
		} else if (c->state == CONN_READING) {
			conn_error("connection lost before the whole response: %s",
				   n == 0 ? "closed" : strerror(errno));
			conn_finish(r, c, CONN_FAILED);
			return;
		} else {
			conn_finish(r, c, CONN_CLOSED);
			return;
		}
	}
}

static void on_event(struct run *r, const struct epoll_event *ev)
{
	uint32_t i = ev->data.u32;
	struct conn *c = &r->conns[i];
	if (c->state == CONN_CONNECTING)
		conn_on_connected(r, c, i);
	else if (c->state == CONN_READING || c->state == CONN_IDLE)
		conn_on_readable(r, c);
}

/* Runs the event loop until deadline, or until all are open when
 * until_open is set; returns 1 if a signal on sigfd ended it. */
static int run_loop(struct run *r, int sigfd, double deadline, int until_open)
{
	struct epoll_event evs[256];
	for (;;) {
		if (until_open) {
			fill_window(r);
			if (r->busy == 0 && r->started == r->count)
				return 0;
		}
		double left = deadline - now_seconds();
		if (left <= 0)
			return 0;
		int n = epoll_wait(r->epfd, evs, 256, (int)(left * 1000) + 1);
		if (n == -1 && errno != EINTR) {
			perror("idleconns: epoll_wait");
			return 0;
		}
		for (int k = 0; k < n; k++) {
			if (evs[k].data.u32 == SIGNAL_TAG) {
				struct signalfd_siginfo si;
				if (read(sigfd, &si, sizeof si) < 0)
					perror("idleconns: signalfd");
				return 1;
			}
			on_event(r, &evs[k]);
		}
	}
}

/* A last look at every idle connection: has the server closed it? */
static void sweep_idle(struct run *r)
{
	for (size_t i = 0; i < r->count; i++) {
		struct conn *c = &r->conns[i];
		if (c->state == CONN_IDLE)
			conn_on_readable(r, c);
	}
}

static int setup_signals(int epfd)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = SIGNAL_TAG};
	if (fd == -1 || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		perror("idleconns: signalfd");
		exit(1);
	}
	return fd;
}

static size_t parse_count(const char *s, size_t max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v == 0 || v > max)
		usage();
	return (size_t)v;
}

int main(int argc, char **argv)
{
	size_t count = 1000, hold = 10, connect_limit = 60;
	int ready_mode = 0, opt;
	while ((opt = getopt(argc, argv, "n:t:c:r")) != -1) {
		switch (opt) {
		case 'n': count = parse_count(optarg, 1000000); break;
		case 't': hold = parse_count(optarg, 86400); break;
		case 'c': connect_limit = parse_count(optarg, 86400); break;
		case 'r': ready_mode = 1; break;
		default: usage();
		}
	}
	if (argc - optind != 3)
		usage();

	struct run r = {.count = count};
	if (resolve(argv[optind], argv[optind + 1], &r.dst) == -1)
		return 2;
	int len = snprintf(r.request, sizeof r.request,
			   "GET %s HTTP/1.1\r\nHost: %s:%s\r\n"
			   "Connection: keep-alive\r\n\r\n",
			   argv[optind + 2], argv[optind], argv[optind + 1]);
	if (len < 0 || (size_t)len >= sizeof r.request)
		usage();
	r.request_len = (size_t)len;
	r.sources = (int)((count + SOURCE_SPAN - 1) / SOURCE_SPAN);
	raise_nofile();
	r.conns = calloc(count, sizeof *r.conns);
	r.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!r.conns || r.epfd == -1) {
		perror("idleconns");
		return 1;
	}
	int sigfd = setup_signals(r.epfd);
	setvbuf(stdout, NULL, _IOLBF, 0);

	double start = now_seconds();
	int stopped = run_loop(&r, sigfd, start + (double)connect_limit, 1);
	size_t connected = r.idle + r.closed;
	fprintf(stderr, "idleconns: %zu of %zu open in %.2f s\n", connected,
		count, now_seconds() - start);
	for (size_t i = 0; i < count; i++) /* still opening at the limit */
		if (r.conns[i].state == CONN_CONNECTING ||
		    r.conns[i].state == CONN_READING)
			conn_finish(&r, &r.conns[i], CONN_FAILED);
	r.failed += count - r.started;

	if (!stopped) {
		printf("held %zu\n", r.idle);
		if (ready_mode)
			printf("ready\n");
		run_loop(&r, sigfd, now_seconds() + (double)hold, 0);
	}
	sweep_idle(&r);
	connected = count - r.failed;
	printf("connected %zu, failed %zu, closed_by_server %zu\n", connected,
	       r.failed, r.closed);
	return connected == count && r.closed == 0 ? 0 : 1;
}
