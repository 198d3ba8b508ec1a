/* httpd.h: http-filed's private declarations, shared by its files.
 *
 * main.c describes the daemon and its options (into httpd_config);
 * server.c accepts connections; client.c runs one HTTP connection; static.c
 * serves files; backend.c forwards routed requests over the framed
 * protocol (backend_pick.c chooses the instance, or to wait for one);
 * response.c builds response heads; accesslog.c writes the
 * access log. One worker process runs all of this on one libev loop. */
#ifndef PARLEY_HTTPD_H
#define PARLEY_HTTPD_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "conn.h"
#include "deadline.h"
#include "http_date.h"
#include "http_parse.h"

#define HTTPD_MAX_ROUTES 16
#define HTTPD_PREFIX_MAX 128
#define HTTPD_PATH_MAX 4096
#define HTTPD_PEER_MAX 48
#define HTTPD_OUT_LIMIT (8u * 1024 * 1024)
#define HTTPD_OUT_HIGH (256u * 1024)
#define HTTPD_SMALL_FILE (32u * 1024) /* read into the head's buffer */
/* Requests waiting for a backend (PROTOCOL.md 8.7) keep their encoded
   frame: at most this many bytes of them per worker, besides the count
   that --backend-queue bounds. */
#define HTTPD_WAIT_BYTES_MAX (64u * 1024 * 1024)

struct httpd_route {
	char prefix[HTTPD_PREFIX_MAX];
	char socket[108];
};

struct httpd_config {
	const char *address;
	long port;
	const char *root;
	long workers;
	long max_connections;
	long header_timeout;
	long idle_timeout;
	long max_request_line;
	long max_head;
	long max_headers;
	long max_body;
	long backend_timeout;
	long backend_wait;  /* seconds a request may wait for a backend */
	long backend_queue; /* requests that may wait, per worker */
	const char *cache_control;
	const char *access_log;
	int share_port; /* may bind a port another process holds (REUSEPORT) */
	struct httpd_route routes[HTTPD_MAX_ROUTES];
	size_t nroutes;
	/* Set up at start: */
	int root_fd;
	struct http_limits limits;
};

extern struct httpd_config httpd_config;

/* config.c */
int httpd_add_route(const char *spec);
int httpd_configure(void);

/* server.c: the worker's listeners and its set of clients. */
struct httpd_worker;
int server_setup(int nworkers);
int server_worker_start(struct ev_loop *loop, int index);
void server_worker_stop(struct ev_loop *loop);
void server_worker_reload(struct ev_loop *loop);

enum client_state {
	CLIENT_IDLE,	/* between requests: on the idle list */
	CLIENT_READING, /* a request has begun: on the header list */
	CLIENT_WAITING, /* its request is at a backend */
	CLIENT_WRITING, /* its response is queued */
};

struct backend_request;

struct access_entry {
	const char *peer;
	const char *request_line; /* NULL for an unparsable request */
	size_t request_line_len;
	const char *referer, *agent; /* NULL when absent */
	size_t referer_len, agent_len;
	int status;
	uint64_t bytes; /* body bytes sent */
};

struct client {
	struct conn conn; /* first member */
	struct deadline_entry deadline;
	struct client *prev, *next;
	enum client_state state;
	unsigned keep_alive : 1;
	unsigned close_after : 1;
	unsigned sent_continue : 1;
	unsigned head_seen : 1; /* the head's end has arrived */
	unsigned is_tcp : 1;
	unsigned nodelay : 1; /* TCP_NODELAY set (once kept alive) */
	uint32_t scanned;	/* head bytes already searched for its end */
	struct backend_request *pending;
	char peer[HTTPD_PEER_MAX];
};

/* client.c */
void client_start(struct ev_loop *loop, int fd, const char *peer, int is_tcp);
/* Sends a response head and body built by the caller; then the client
   goes on with its next request or closes. 0, or -1 if it was closed. */
int client_send(struct client *cl, const char *data, size_t len);
/* Sends a head, then count bytes of fd from off (the connection owns fd
   from now on). 0, or -1 if the client was closed. */
int client_send_file(struct client *cl, const char *head, size_t len, int fd,
		     off_t off, uint64_t count);
/* Sends a short error response (text body "NNN Reason\n"). keep is 0 to
   close the connection afterwards. 0, or -1 if the client was closed. */
int client_send_error(struct client *cl, const struct http_request *req,
		      int status, int keep);
/* Sends a short error response for a request that is no longer at hand
   (a backend's failure): e gives the access-log fields. */
int client_send_status(struct client *cl, int version_minor, int head_only,
		       int status, int keep, struct access_entry *e);
/* Sends a head and a body (a backend's response). */
int client_send2(struct client *cl, const char *head, size_t hlen,
		 const char *body, size_t blen);
/* The client's request is now at a backend, as r. */
void client_wait(struct client *cl, struct backend_request *r);
void client_close(struct client *cl);
/* A graceful stop: closes the idle connections (after reading a request
   that has already arrived on one, which is then served); the others
   close after their response, which says "Connection: close". */
void clients_stop(void);
size_t clients_count(void);
void clients_init(struct ev_loop *loop);

#define STATIC_ETAG_MAX 48

/* A file about to be served: open (fd) or held in the file cache
   (data). */
struct static_file {
	int fd;		  /* -1 when data is set */
	const char *data; /* the content, when cached */
	struct stat st;
	const char *encoding; /* "br", "gzip" or NULL */
	int has_sibling;      /* a compressed sibling exists */
	char etag[STATIC_ETAG_MAX];
	char last_modified[HTTP_DATE_LEN + 1];
};

#define STATIC_ACCEPT_BR 1u
#define STATIC_ACCEPT_GZIP 2u

/* static.c: serves GET/HEAD from the document root. Returns 0, or -1 if
   the client was closed. */
int static_serve(struct client *cl, const struct http_request *req,
		 const char *path, int ends_with_slash, const char *query,
		 size_t query_len);

/* The file-name suffix of a precompressed sibling ("" for none). */
const char *static_suffix_for(const char *encoding);

/* filecache.c: small files kept in memory, checked against the disk with
   one stat on every use. */
/* Fills f from the cache if (rel, accepted) is there and the file on disk
   is unchanged. 0 on a hit, -1 on a miss. f->data stays valid until the
   next filecache call. */
int filecache_lookup(const char *rel, unsigned accepted, struct static_file *f);
/* Keeps f (open, regular) in the cache if it is small enough; on success
   f->data points at the cached copy. Never fails visibly. */
void filecache_store(const char *rel, unsigned accepted, struct static_file *f);

/* backend.c */
int backends_start(struct ev_loop *loop);
/* Closes every backend connection and stops every timer (at the end of a
   stop); backends_stop_soon does it from the next loop iteration, for
   callers that may sit inside a backend connection's callback. */
void backends_stop(void);
void backends_stop_soon(void);
/* A graceful stop begins: HTTP_RELEASE to every backend that knows it. */
void backends_release(void);
/* The route whose prefix matches path, or NULL. */
const struct httpd_route *backend_route_for(const char *path);
/* Forwards a request, or keeps it waiting for a backend (PROTOCOL.md
   8.7); answers 503 itself when it can do neither. 0, or -1 if the client
   was closed. */
int backend_forward(struct client *cl, const struct httpd_route *route,
		    const struct http_request *req, const char *body,
		    size_t body_len);
/* The client went away: tells the backend (if the request was sent) and
   forgets the request. */
void backend_abort(struct backend_request *r);

/* response.c: response heads in a per-process scratch buffer. */
struct response {
	char *p;
	size_t len, cap;
};
const char *response_reason(int status);
/* Starts "HTTP/1.x NNN Reason" with Date and Server. */
void response_begin(struct response *r, int version_minor, int status);
void response_header(struct response *r, const char *name, const char *value);
void response_header_n(struct response *r, const char *name, const char *value,
		       size_t len);
void response_header_u64(struct response *r, const char *name, uint64_t v);
/* Adds Connection as keep_alive says and the final empty line. */
void response_end(struct response *r, int version_minor, int keep_alive);
/* Room after the head for up to n body bytes; NULL if it does not fit. */
char *response_body_room(struct response *r, size_t n);

/* accesslog.c */
int accesslog_open(const char *dest);
void accesslog_start(struct ev_loop *loop);
void accesslog_reopen(void);
void accesslog_flush(void);
/* Fills e's request fields from a parsed request (req may be NULL). */
void access_entry_from_request(struct access_entry *e, const char *peer,
			       const struct http_request *req);
/* One line in combined log format, if the log is on. */
void accesslog_write(const struct access_entry *e);
int accesslog_is_on(void);

#endif
