/* main.c: http-filed, Parley's HTTP front door. Describes the daemon (its
 * options and callbacks) and hands over to the shared skeleton in
 * common/daemon.c. See http-filed.8. */
#include <stdio.h>

#include "daemon.h"
#include "httpd.h"

#define C httpd_config
static const struct opt httpd_options[] = {
	{"address", 'a', "HTTP_FILED_ADDRESS", OPT_STRING, &C.address, 0, 0,
	 NULL, "ADDR", "listen address (127.0.0.1)"},
	{"port", 'p', "HTTP_FILED_PORT", OPT_LONG, &C.port, 1, 65535, NULL,
	 "PORT", "listen port (5280)"},
	{"root", 'r', "HTTP_FILED_ROOT", OPT_STRING, &C.root, 0, 0, NULL, "DIR",
	 "document root (" PARLEY_WWW_DIR ")"},
	{"workers", 'w', "HTTP_FILED_WORKERS", OPT_LONG, &C.workers, 0,
	 DAEMON_MAX_WORKERS, NULL, "N",
	 "worker processes, 0 = one per core (0)"},
	{"max-connections", 'c', "HTTP_FILED_MAX_CONNECTIONS", OPT_LONG,
	 &C.max_connections, 1, 1000000, NULL, "N",
	 "connections per worker (16384)"},
	{"header-timeout", 0, "HTTP_FILED_HEADER_TIMEOUT", OPT_LONG,
	 &C.header_timeout, 1, 3600, NULL, "SECS",
	 "time to receive a whole request, else 408 (10)"},
	{"idle-timeout", 0, "HTTP_FILED_IDLE_TIMEOUT", OPT_LONG,
	 &C.idle_timeout, 1, 86400, NULL, "SECS", "keep-alive idle time (60)"},
	{"max-request-line", 0, "HTTP_FILED_MAX_REQUEST_LINE", OPT_LONG,
	 &C.max_request_line, 64, 65536, NULL, "BYTES",
	 "longest request line, else 414 (8192)"},
	{"max-head", 0, "HTTP_FILED_MAX_HEAD", OPT_LONG, &C.max_head, 256,
	 262144, NULL, "BYTES", "longest request head, else 431 (16384)"},
	{"max-headers", 0, "HTTP_FILED_MAX_HEADERS", OPT_LONG, &C.max_headers,
	 1, HTTP_MAX_HEADERS, NULL, "N", "most header fields, else 431 (64)"},
	{"max-body", 0, "HTTP_FILED_MAX_BODY", OPT_LONG, &C.max_body, 0,
	 64L * 1024 * 1024, NULL, "BYTES",
	 "largest request body, else 413 (1048576)"},
	{"cache-control", 0, "HTTP_FILED_CACHE_CONTROL", OPT_STRING,
	 &C.cache_control, 0, 0, NULL, "VALUE",
	 "Cache-Control header for files (none)"},
	{"route", 0, "HTTP_FILED_ROUTES", OPT_LIST, NULL, 0, 0, httpd_add_route,
	 "PREFIX=SOCKET",
	 "forward PREFIX to a backend's unix socket (repeatable; a PREFIX\n"
	 "given again adds an instance of that backend)"},
	{"backend-timeout", 0, "HTTP_FILED_BACKEND_TIMEOUT", OPT_LONG,
	 &C.backend_timeout, 1, 86400, NULL, "SECS",
	 "longest wait for a backend's response, else 504 (120)"},
	{"backend-wait", 0, "HTTP_FILED_BACKEND_WAIT", OPT_LONG,
	 &C.backend_wait, 0, 3600, NULL, "SECS",
	 "longest wait for a backend to take a request, else 503 (10)"},
	{"backend-queue", 0, "HTTP_FILED_BACKEND_QUEUE", OPT_LONG,
	 &C.backend_queue, 0, 1000000, NULL, "N",
	 "requests that may wait for a backend, per worker (4096)"},
	{"access-log", 0, "HTTP_FILED_ACCESS_LOG", OPT_STRING, &C.access_log, 0,
	 0, NULL, "DEST", "off, stderr, fd:N or a file (stderr)"},
	{"share-port", 0, "HTTP_FILED_SHARE_PORT", OPT_FLAG, &C.share_port, 0,
	 0, NULL, NULL,
	 "share the port with other http-filed instances (SO_REUSEPORT)"},
	{NULL, 0, NULL, 0, NULL, 0, 0, NULL, NULL, NULL},
};
#undef C

static const struct daemon_desc httpd_daemon = {
	.name = "http-filed",
	.env_prefix = "HTTP_FILED",
	.summary = "Serves static files and forwards path prefixes to Parley "
		   "backends.",
	.opts = httpd_options,
	.configure = httpd_configure,
	.setup = server_setup,
	.workers = &httpd_config.workers,
	.worker_start = server_worker_start,
	.worker_stop = server_worker_stop,
	.worker_reload = server_worker_reload,
};

int main(int argc, char **argv)
{
	return daemon_main(&httpd_daemon, argc, argv);
}
