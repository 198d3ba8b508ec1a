/* config.c: checks http-filed's configuration once options are parsed:
 * the routes, the limits and the document root. Everything that can be
 * wrong with the configuration is found here, at start-up (exit 100). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "httpd.h"
#include "log.h"

struct httpd_config httpd_config = {
	.address = "127.0.0.1",
	.port = 5280,
	.root = PARLEY_WWW_DIR,
	.workers = 0,
	.max_connections = 16384,
	.header_timeout = 10,
	.idle_timeout = 60,
	.max_request_line = 8192,
	.max_head = 16384,
	.max_headers = HTTP_MAX_HEADERS,
	.max_body = 1024 * 1024,
	.backend_timeout = 120,
	.backend_wait = 10,
	.backend_queue = 4096,
	.cache_control = NULL,
	.access_log = "stderr",
	.root_fd = -1,
};

/* Parses "PREFIX=SOCKET"; the prefix starts with '/', has no trailing
   slash (except "/" itself) and no '?', '%' or '..'. */
int httpd_add_route(const char *spec)
{
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec || eq[1] == '\0' || spec[0] != '/')
		return -1;
	size_t plen = (size_t)(eq - spec);
	if (plen > 1 && spec[plen - 1] == '/')
		plen--;
	if (plen >= HTTPD_PREFIX_MAX || strlen(eq + 1) >= 108 ||
	    httpd_config.nroutes >= HTTPD_MAX_ROUTES)
		return -1;
	struct httpd_route *r = &httpd_config.routes[httpd_config.nroutes];
	memcpy(r->prefix, spec, plen);
	r->prefix[plen] = '\0';
	if (strpbrk(r->prefix, "?%#") || strstr(r->prefix, ".."))
		return -1;
	strcpy(r->socket, eq + 1);
	httpd_config.nroutes++;
	return 0;
}

static int httpd_open_root(void)
{
	int fd = open(httpd_config.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		log_error("document root %s: %m", httpd_config.root);
		return -1;
	}
	httpd_config.root_fd = fd;
	return 0;
}

int httpd_configure(void)
{
	struct httpd_config *c = &httpd_config;
	if (c->max_request_line > c->max_head) {
		log_error("--max-request-line (%ld) exceeds --max-head (%ld)",
			  c->max_request_line, c->max_head);
		return DAEMON_EXIT_USAGE;
	}
	c->limits.max_request_line = (size_t)c->max_request_line;
	c->limits.max_head = (size_t)c->max_head;
	c->limits.max_headers = (size_t)c->max_headers;
	if (httpd_open_root() < 0)
		return DAEMON_EXIT_USAGE;
	if (accesslog_open(c->access_log) < 0)
		return DAEMON_EXIT_USAGE;
	for (size_t i = 0; i < c->nroutes; i++)
		log_info("route %s -> %s", c->routes[i].prefix,
			 c->routes[i].socket);
	return 0;
}
