/* idlexmpp.c: opens N authenticated, bound, available XMPP sessions on
 * loopback and holds them idle, to measure the server's memory per idle
 * session; or, with PAIRS=P in the environment, makes the sessions P
 * sender/receiver pairs, sends MESSAGES (default 20000) chat messages
 * through each pair as fast as the server takes them and reports the
 * messages per second delivered. Logins are sequential and blocking: it is
 * a measuring stick, not the load generator.
 * Usage: idlexmpp PORT DOMAIN USER PASSWORD N [HOLD_SECONDS]
 * USER may hold a %d, replaced by the session's number (u%d: u0, u1, ...)
 * since a user has few resources; each logs in with PLAIN (offered on
 * loopback). Prints "ready N" once all are up, then
 * holds them HOLD_SECONDS (default 30) or until stdin closes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = in[i] << 16;
		if (i + 1 < n)
			v |= in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

/* Reads until want appears (5 s at most). 0 or -1. */
static int read_until(int fd, const char *want)
{
	char buf[8192];
	size_t len = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 5000) <= 0)
			return -1;
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, want))
			return 0;
		if (len > sizeof buf / 2) { /* keep the tail only */
			memmove(buf, buf + len - 256, 256);
			len = 256;
		}
	}
}

static int say(int fd, const char *s)
{
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
}

static int login(int port, const char *domain, const char *auth, int i)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0)
		return -1;
	char header[512], bind[256];
	snprintf(header, sizeof header,
		 "<?xml version='1.0'?><stream:stream to='%s' "
		 "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/"
		 "streams' version='1.0'>",
		 domain);
	snprintf(bind, sizeof bind,
		 "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:"
		 "xmpp-bind'><resource>r%d</resource></bind></iq>",
		 i);
	if (say(fd, header) || read_until(fd, "</stream:features>") ||
	    say(fd, auth) || read_until(fd, "<success") || say(fd, header) ||
	    read_until(fd, "</stream:features>") || say(fd, bind) ||
	    read_until(fd, "</iq>") || say(fd, "<presence/>")) {
		close(fd);
		return -1;
	}
	return fd;
}

/* USER with its first "%d" replaced by i. */
static void user_name(const char *pattern, int i, char *out, size_t outsz)
{
	const char *d = strstr(pattern, "%d");
	if (!d) {
		snprintf(out, outsz, "%s", pattern);
		return;
	}
	snprintf(out, outsz, "%.*s%d%s", (int)(d - pattern), pattern, i, d + 2);
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Counts "<message" in what fd has for us (the tag never spans reads
   often enough to matter for a rate; a split one is counted by keeping
   the last bytes). */
static long drain_count(int fd, char *carry)
{
	char buf[65536 + 16];
	size_t keep = strlen(carry);
	memcpy(buf, carry, keep);
	ssize_t n = read(fd, buf + keep, 65536);
	if (n <= 0)
		return n < 0 ? 0 : -1;
	size_t len = keep + (size_t)n;
	buf[len] = '\0';
	long count = 0;
	for (char *p = buf; (p = strstr(p, "<message")) != NULL; p += 8)
		count++;
	size_t tail = len < 8 ? len : 7;
	memcpy(carry, buf + len - tail, tail);
	carry[tail] = '\0';
	return count;
}

/* Sessions 2i send to 2i+1; returns 0 if every message arrived. */
static int pairs(int *fds, int n, const char *domain, const char *pattern,
		 int messages)
{
	int np = n / 2;
	long sent_total = 0, got_total = 0, want = (long)np * messages;
	int *sent = calloc((size_t)np, sizeof *sent);
	char(*carry)[16] = calloc((size_t)np, sizeof *carry);
	struct pollfd *p = calloc((size_t)n, sizeof *p);
	if (!sent || !carry || !p)
		return 111;
	double t0 = now_seconds(), deadline = t0 + 120;
	while (got_total < want && now_seconds() < deadline) {
		for (int i = 0; i < n; i++) {
			p[i].fd = fds[i];
			p[i].events = i % 2 ? POLLIN
					    : (sent[i / 2] < messages ? POLLOUT : 0);
		}
		if (poll(p, (nfds_t)n, 1000) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (i % 2 && (p[i].revents & POLLIN)) {
				long c = drain_count(fds[i], carry[i / 2]);
				if (c < 0)
					return 1;
				got_total += c;
			} else if (!(i % 2) && (p[i].revents & POLLOUT)) {
				char to[256], msg[512];
				user_name(pattern, i + 1, to, sizeof to);
				int len = snprintf(msg, sizeof msg,
						   "<message to='%s@%s/r%d' type='chat'>"
						   "<body>m</body></message>",
						   to, domain, i + 1);
				for (int k = 0; k < 64 && sent[i / 2] < messages; k++) {
					if (write(fds[i], msg, (size_t)len) != len)
						break;
					sent[i / 2]++;
					sent_total++;
				}
			}
		}
	}
	double dt = now_seconds() - t0;
	printf("pairs %d, sent %ld, received %ld in %.2f s: %.0f messages/s\n", np,
	       sent_total, got_total, dt, (double)got_total / dt);
	return got_total == want ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: idlexmpp PORT DOMAIN USER PASSWORD N "
				"[HOLD_SECONDS]\n");
		return 100;
	}
	int port = atoi(argv[1]), n = atoi(argv[5]);
	int hold = argc > 6 ? atoi(argv[6]) : 30;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	int up = 0;
	int *fds = calloc((size_t)n, sizeof *fds);
	if (!fds)
		return 111;
	for (int i = 0; i < n; i++) {
		unsigned char plain[512];
		char user[256], enc[800], auth[1024];
		user_name(argv[3], i, user, sizeof user);
		size_t ulen = strlen(user), plen = strlen(argv[4]);
		if (ulen + plen + 2 > sizeof plain)
			return 100;
		plain[0] = 0;
		memcpy(plain + 1, user, ulen);
		plain[1 + ulen] = 0;
		memcpy(plain + 2 + ulen, argv[4], plen);
		base64(plain, 2 + ulen + plen, enc);
		snprintf(auth, sizeof auth,
			 "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
			 "mechanism='PLAIN'>%s</auth>",
			 enc);
		int fd = login(port, argv[2], auth, i);
		if (fd >= 0)
			fds[up++] = fd;
	}
	printf("ready %d\n", up);
	fflush(stdout);
	if (getenv("PAIRS"))
		return pairs(fds, up, argv[2], argv[3],
			     getenv("MESSAGES") ? atoi(getenv("MESSAGES")) : 20000);
	struct pollfd p = {.fd = 0, .events = POLLIN};
	poll(&p, 1, hold * 1000);
	return up == n ? 0 : 1;
}
