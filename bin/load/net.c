/* net.c: parley-load's sockets: the descriptor limit, non-blocking
 * connects from several loopback source addresses, and the one read buffer.
 *
 * One source address reaches one server address and port through about
 * 28,000 ephemeral ports; binding each new socket to the next of
 * --source-addresses (round robin) with IP_BIND_ADDRESS_NO_PORT lets the
 * kernel choose the port at connect time per 4-tuple, so the load can go
 * past that. Socket errors that say something about the server are
 * counted: a connect refused, a connection reset. Used by tcp.c, http.c
 * and poll.c. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "load.h"
#include "log.h"

static char net_buffer[LOAD_READ_CHUNK];
static size_t net_next_source;

char *net_read_buffer(void)
{
	return net_buffer;
}

void net_count_error(struct load *l, int err)
{
	if (err == ECONNREFUSED)
		l->stats.refused++;
	else if (err == ECONNRESET)
		l->stats.resets++;
}

uint64_t load_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void net_raise_fd_limit(unsigned long need)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("parley-load: getrlimit");
		return;
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		perror("parley-load: setrlimit RLIMIT_NOFILE");
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		fprintf(stderr,
			"parley-load: warning: the descriptor limit is %lu "
			"(hard) but this run may need %lu; connections past it "
			"will fail (raise ulimit -Hn, or split the users over "
			"several processes with --first)\n",
			(unsigned long)rl.rlim_max, need);
}

static int net_bind_source(const struct load_config *cfg, int fd)
{
	if (cfg->nsources == 0)
		return 0;
	const struct sockaddr_in *src = &cfg->sources[net_next_source];
	net_next_source = (net_next_source + 1) % cfg->nsources;
	int one = 1;
	/* without it every bind would reserve a port for all destinations */
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			 sizeof one);
	return bind(fd, (const struct sockaddr *)src, sizeof *src);
}

int net_connect(const struct load_config *cfg, const struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (net_bind_source(cfg, fd) < 0 ||
	    (connect(fd, (const struct sockaddr *)to, sizeof *to) < 0 &&
	     errno != EINPROGRESS)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int net_connect_result(int fd)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* The ephemeral ports of one source address toward one destination. */
static unsigned long net_port_range(void)
{
	unsigned long lo = 32768, hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%lu %lu", &lo, &hi) != 2 || hi < lo)
			lo = 32768, hi = 60999;
		fclose(f);
	}
	return hi - lo + 1;
}

void net_check_ports(const struct load_config *cfg, unsigned long conns)
{
	unsigned long sources = cfg->nsources ? cfg->nsources : 1;
	unsigned long ports = net_port_range();
	if (conns > sources * ports)
		fprintf(stderr,
			"parley-load: warning: %lu connections but %lu source "
			"address(es) of %lu ports each; add "
			"--source-addresses\n",
			conns, sources, ports);
}
