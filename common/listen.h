/* listen.h: sockets for daemons: TCP listeners (SO_REUSEPORT so that
 * several workers can each have their own), unix listeners, unix client
 * connections, and recognising a listening socket handed over on fd 0 by
 * s6-tcpserver-socketbinder or s6-fdholder-retrieve. Every descriptor made
 * here is non-blocking and close-on-exec. */
#ifndef PARLEY_LISTEN_H
#define PARLEY_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

#define LISTEN_BACKLOG 4096

/* Binds and listens on addr:port (IPv4 or IPv6 literal, or a name).
 * Returns the fd, or -1 with errno (EADDRINUSE, ...). */
int listen_tcp(const char *addr, const char *port, int reuseport);
/* Binds and listens on a unix stream socket at path, replacing a stale
 * socket file left by a previous run. Returns the fd, or -1 with errno. */
int listen_unix(const char *path, mode_t mode);
struct sockaddr_storage;
/* Accepts one connection on the listening socket lfd, non-blocking and
   close-on-exec; the peer's address goes to ss/len when ss is not NULL.
   Returns the fd, or -1 when there is nothing (more) to accept; an error
   other than "try again" or an aborted handshake is logged. */
int listen_accept(int lfd, struct sockaddr_storage *ss, unsigned *len);
/* Starts a connection to the unix socket at path. Returns the fd, or -1
 * with errno (ENOENT, ECONNREFUSED, EAGAIN, ...). */
int connect_unix(const char *path);
/* 1 if fd is a listening stream socket, else 0. */
int listen_fd_is_listening(int fd);
/* Makes fd non-blocking and close-on-exec; 0 or -1 with errno. */
int fd_set_nonblocking(int fd);
/* Formats a socket address as "host:port" (or the path of a unix peer). */
void sockaddr_format(const void *sa, size_t salen, char *out, size_t outsz);

#endif
