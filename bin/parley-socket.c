/* parley-socket: binds one listening socket, TCP or unix, puts it on
 * descriptor 0 (or -d FD) and executes a program with it. This is the
 * socket binder of Parley's s6 services: a run script binds a daemon's
 * socket with it and hands it to s6-fdholder-store, so that the fd holder
 * keeps the socket open across restarts of the daemon (Debian has no
 * s6-networking, hence no s6-tcpserver-socketbinder). A unix socket file
 * is replaced only when it is stale (nothing accepts on it); a live one
 * is "in use", like a bound TCP port. See parley-socket.1.
 * Exit codes (when it does not execute PROG): 100 bad usage or address,
 * 111 the socket cannot be bound now (in use, ...), 126 PROG cannot be
 * executed, 127 PROG is not found. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"

#define EXIT_USAGE 100
#define EXIT_TEMPORARY 111

struct socket_opts {
	mode_t mode;   /* unix socket permissions */
	long backlog;  /* listen() backlog */
	int reuseport; /* SO_REUSEPORT on a TCP socket */
	int blocking;  /* clear O_NONBLOCK before the exec */
	long fd;       /* the descriptor PROG gets the socket on */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: parley-socket [-m MODE] [-b BACKLOG] [-r] [-B] [-d FD] "
		"tcp ADDR PORT [--] PROG [ARGS...]\n"
		"       parley-socket [-m MODE] [-b BACKLOG] [-B] [-d FD] "
		"unix PATH [--] PROG [ARGS...]\n"
		"Binds and listens on one socket, puts it on descriptor FD "
		"(0) and executes PROG.\n"
		"  -m MODE     permissions of a unix socket, octal (0600)\n"
		"  -b BACKLOG  listen backlog (%d)\n"
		"  -r          TCP: SO_REUSEPORT, so that other sockets with "
		"it can share the port\n"
		"  -B          a blocking socket (default non-blocking)\n"
		"  -d FD       the descriptor PROG gets the socket on (0)\n"
		"  --help, --version\n"
		"A stale unix socket file (nothing accepts on it) is replaced; "
		"a live one is in use.\n"
		"Exit codes: 100 bad usage or address, 111 cannot bind now "
		"(in use, ...),\n126 PROG cannot be executed, 127 PROG is not "
		"found.\n",
		LISTEN_BACKLOG);
}

/* Parses a number in base between min and max; -1 if it is not one. */
static int parse_number(const char *s, int base, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, base);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* 1 if a server accepts connections on the unix socket at path. */
static int unix_socket_is_live(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sun.sun_path)
		return 0;
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int live = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0 ||
		   errno == EAGAIN;
	close(fd);
	return live;
}

/* The exit code for a failed bind: 100 when the address itself is wrong,
   111 when trying again later may work. */
static int bind_exit_code(int err)
{
	return err == EADDRNOTAVAIL || err == ENAMETOOLONG || err == EACCES ||
			       err == EAFNOSUPPORT || err == EINVAL
		       ? EXIT_USAGE
		       : EXIT_TEMPORARY;
}

/* Binds the socket argv[0..] describes ("tcp ADDR PORT" or "unix PATH");
   *used is set to the number of arguments taken. Returns the fd, or -1
   with *code set to the exit code and a message printed. */
static int socket_bind(char **argv, int argc, const struct socket_opts *o,
		       int *used, int *code)
{
	int fd;
	const char *what;
	*code = EXIT_USAGE;
	if (argc >= 3 && strcmp(argv[0], "tcp") == 0) {
		*used = 3;
		long port;
		if (parse_number(argv[2], 10, 1, 65535, &port) < 0) {
			fprintf(stderr, "parley-socket: not a port: %s\n",
				argv[2]);
			return -1;
		}
		what = argv[1];
		fd = listen_tcp(argv[1], argv[2], o->reuseport);
	} else if (argc >= 2 && strcmp(argv[0], "unix") == 0) {
		*used = 2;
		what = argv[1];
		if (unix_socket_is_live(argv[1])) {
			fprintf(stderr,
				"parley-socket: unix:%s: in use (a server "
				"accepts on it)\n",
				argv[1]);
			*code = EXIT_TEMPORARY;
			return -1;
		}
		fd = listen_unix(argv[1], o->mode);
	} else {
		usage(stderr);
		return -1;
	}
	if (fd < 0) {
		int e = errno;
		if (*used == 3)
			fprintf(stderr, "parley-socket: tcp:%s:%s: %s\n", what,
				argv[2], strerror(e));
		else
			fprintf(stderr, "parley-socket: unix:%s: %s\n", what,
				strerror(e));
		*code = bind_exit_code(e);
		return -1;
	}
	if (o->backlog != LISTEN_BACKLOG && listen(fd, (int)o->backlog) < 0) {
		fprintf(stderr, "parley-socket: listen: %s\n", strerror(errno));
		*code = EXIT_TEMPORARY;
		close(fd);
		return -1;
	}
	return fd;
}

/* Moves the socket to descriptor target, inheritable, blocking if asked. */
static int socket_place(int fd, const struct socket_opts *o)
{
	int target = (int)o->fd;
	if (fd != target) {
		if (dup2(fd, target) < 0)
			return -1;
		close(fd);
	} else if (fcntl(fd, F_SETFD, 0) < 0) {
		return -1;
	}
	if (o->blocking) {
		int fl = fcntl(target, F_GETFL);
		if (fl < 0 || fcntl(target, F_SETFL, fl & ~O_NONBLOCK) < 0)
			return -1;
	}
	return 0;
}

/* Parses the options before the socket's type; returns the index of the
   first other argument, or -1 (with *code set) to exit. */
static int parse_options(int argc, char **argv, struct socket_opts *o,
			 int *code)
{
	int i = 1;
	*code = EXIT_USAGE;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		long v;
		if (strcmp(a, "--help") == 0) {
			usage(stdout);
			*code = 0;
			return -1;
		}
		if (strcmp(a, "--version") == 0) {
			printf("parley-socket %s\n", PARLEY_VERSION);
			*code = 0;
			return -1;
		}
		if (strcmp(a, "-r") == 0) {
			o->reuseport = 1;
			continue;
		}
		if (strcmp(a, "-B") == 0) {
			o->blocking = 1;
			continue;
		}
		if ((strcmp(a, "-m") != 0 && strcmp(a, "-b") != 0 &&
		     strcmp(a, "-d") != 0) ||
		    i + 1 >= argc) {
			usage(stderr);
			return -1;
		}
		const char *s = argv[++i];
		if (a[1] == 'm' && parse_number(s, 8, 0, 0777, &v) == 0)
			o->mode = (mode_t)v;
		else if (a[1] == 'b' && parse_number(s, 10, 1, 65535, &v) == 0)
			o->backlog = v;
		else if (a[1] == 'd' && parse_number(s, 10, 0, 1023, &v) == 0)
			o->fd = v;
		else {
			fprintf(stderr, "parley-socket: %s: bad value: %s\n", a,
				s);
			return -1;
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	struct socket_opts o = {.mode = 0600, .backlog = LISTEN_BACKLOG};
	int code, used;
	int i = parse_options(argc, argv, &o, &code);
	if (i < 0)
		return code;
	int fd = socket_bind(argv + i, argc - i, &o, &used, &code);
	if (fd < 0)
		return code;
	i += used;
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (socket_place(fd, &o) < 0) {
		fprintf(stderr, "parley-socket: descriptor %ld: %s\n", o.fd,
			strerror(errno));
		return EXIT_TEMPORARY;
	}
	execvp(argv[i], argv + i);
	int e = errno;
	fprintf(stderr, "parley-socket: cannot execute %s: %s\n", argv[i],
		strerror(e));
	return e == ENOENT ? 127 : 126;
}
