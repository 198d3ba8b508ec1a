/* listen.c: listening and connecting sockets (see listen.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"

int fd_set_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	int fdfl = fcntl(fd, F_GETFD);
	if (fdfl < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

static int listen_tcp_one(const struct addrinfo *ai, int reuseport)
{
	int fd = socket(ai->ai_family,
			ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (reuseport &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
		goto fail;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0)
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

int listen_tcp(const char *addr, const char *port, int reuseport)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;
	int rc = getaddrinfo(addr, port, &hints, &res);
	if (rc != 0) {
		errno = rc == EAI_SYSTEM ? errno : EADDRNOTAVAIL;
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = listen_tcp_one(ai, reuseport);
	int e = errno;
	freeaddrinfo(res);
	errno = e;
	return fd;
}

static int unix_address(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

int listen_unix(const char *path, mode_t mode)
{
	struct sockaddr_un sun;
	if (unix_address(path, &sun) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    chmod(path, mode) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int listen_accept(int lfd, struct sockaddr_storage *ss, unsigned *len)
{
	socklen_t slen = ss ? (socklen_t)*len : 0;
	int fd = accept4(lfd, (struct sockaddr *)ss, ss ? &slen : NULL,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept: %m");
		return -1;
	}
	if (ss)
		*len = (unsigned)slen;
	return fd;
}

int connect_unix(const char *path)
{
	struct sockaddr_un sun;
	if (unix_address(path, &sun) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0 &&
	    errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int listen_fd_is_listening(int fd)
{
	int v = 0;
	socklen_t len = sizeof v;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) < 0)
		return 0;
	return v != 0;
}

void sockaddr_format(const void *sa, size_t salen, char *out, size_t outsz)
{
	const struct sockaddr *s = sa;
	char host[INET6_ADDRSTRLEN] = "?";
	if (s->sa_family == AF_INET) {
		const struct sockaddr_in *in = sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		snprintf(out, outsz, "%s:%u", host, ntohs(in->sin_port));
	} else if (s->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		snprintf(out, outsz, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else if (s->sa_family == AF_UNIX && salen > sizeof(sa_family_t)) {
		const struct sockaddr_un *un = sa;
		snprintf(out, outsz, "unix:%s", un->sun_path);
	} else {
		snprintf(out, outsz, "unix");
	}
}
