/* server.c: http-filed's listening sockets and the accept loop.
 *
 * In the master (server_setup), either fd 0 is a listening socket handed
 * over by s6 and every worker accepts on it, or one SO_REUSEPORT socket is
 * bound per worker so the kernel spreads connections across them. Each
 * worker accepts on its socket until stopped, and answers 503 to a
 * connection past --max-connections. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "httpd.h"
#include "listen.h"
#include "log.h"

#define SERVER_ACCEPTS_PER_WAKEUP 64

static int server_fds[DAEMON_MAX_WORKERS];
static int server_nfds;
static ev_io server_accept_watcher;
static struct ev_loop *server_loop;

/* A bad address is a configuration error; a busy port may free up. */
static int server_exit_code(int e)
{
	return e == EADDRNOTAVAIL || e == EACCES ? DAEMON_EXIT_USAGE
						 : DAEMON_EXIT_TEMPORARY;
}

/* Our workers bind with SO_REUSEPORT, which would also let them share a
   port with another running http-filed. Unless sharing was asked for, a
   plain bind first makes sure nobody holds the port. -1 if taken. */
static int server_port_is_taken(const char *port)
{
	int fd = listen_tcp(httpd_config.address, port, 0);
	if (fd < 0) {
		log_error("listen on %s:%s: %m", httpd_config.address, port);
		return -1;
	}
	close(fd);
	return 0;
}

int server_setup(int nworkers)
{
	if (listen_fd_is_listening(0)) {
		if (fd_set_nonblocking(0) < 0) {
			log_error("fd 0: %m");
			return DAEMON_EXIT_TEMPORARY;
		}
		log_info("accepting on the socket given as fd 0");
		for (int i = 0; i < nworkers; i++)
			server_fds[i] = 0;
		server_nfds = nworkers;
		return 0;
	}
	char port[16];
	snprintf(port, sizeof port, "%ld", httpd_config.port);
	if (!httpd_config.share_port && server_port_is_taken(port) < 0)
		return server_exit_code(errno);
	for (int i = 0; i < nworkers; i++) {
		int fd = listen_tcp(httpd_config.address, port, 1);
		if (fd < 0) {
			log_error("listen on %s:%s: %m", httpd_config.address,
				  port);
			return server_exit_code(errno);
		}
		server_fds[i] = fd;
	}
	server_nfds = nworkers;
	log_info("listening on %s:%s", httpd_config.address, port);
	return 0;
}

static void server_refuse(int fd)
{
	static const char busy[] =
		"HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
		"text/plain\r\n"
		"Content-Length: 24\r\nConnection: close\r\n\r\n"
		"503 Service Unavailable\n";
	ssize_t w =
		send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)w;
	close(fd);
}

static void server_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	for (int i = 0; i < SERVER_ACCEPTS_PER_WAKEUP; i++) {
		struct sockaddr_storage ss;
		unsigned len = sizeof ss;
		int fd = listen_accept(w->fd, &ss, &len);
		if (fd < 0)
			return;
		if (clients_count() >= (size_t)httpd_config.max_connections) {
			log_warn("connection limit (%ld) reached, refusing one",
				 httpd_config.max_connections);
			server_refuse(fd);
			continue;
		}
		char peer[HTTPD_PEER_MAX];
		sockaddr_format(&ss, len, peer, sizeof peer);
		client_start(loop, fd, peer, ss.ss_family != AF_UNIX);
	}
}

int server_worker_start(struct ev_loop *loop, int index)
{
	server_loop = loop;
	int fd = server_fds[index % server_nfds];
	for (int i = 0; i < server_nfds; i++)
		if (server_fds[i] != fd && server_fds[i] != 0)
			close(server_fds[i]);
	clients_init(loop);
	accesslog_start(loop);
	if (backends_start(loop) < 0)
		return -1;
	ev_io_init(&server_accept_watcher, server_on_accept, fd, EV_READ);
	ev_io_start(loop, &server_accept_watcher);
	log_debug("worker %d accepting on fd %d", index, fd);
	return 0;
}

/* A graceful stop: no more accepting (a socket that s6-fdholder holds
   keeps its backlog for our successor), idle connections closed, the
   others answered with "Connection: close", the backends asked to answer
   what they hold (HTTP_RELEASE). The loop ends with the last client. */
void server_worker_stop(struct ev_loop *loop)
{
	ev_io_stop(loop, &server_accept_watcher);
	close(server_accept_watcher.fd);
	clients_stop();
	log_info("stop: %zu client connections still busy", clients_count());
	backends_release();
	if (clients_count() == 0)
		backends_stop();
	accesslog_flush();
}

void server_worker_reload(struct ev_loop *loop)
{
	(void)loop;
	accesslog_reopen();
	log_info("access log reopened");
}
