/* static.c: serves GET and HEAD from the document root.
 *
 * Files are opened with openat2(RESOLVE_BENEATH) relative to the root
 * directory descriptor, so neither ".." nor a symbolic link can lead out of
 * the root, whatever path_normalize let through. Conditional requests
 * (If-None-Match, If-Modified-Since), a single Range (with If-Range) and
 * precompressed .br/.gz siblings are handled here. Small files are read
 * into the response buffer and sent with the head in one write; larger
 * ones follow the head with sendfile(2). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "http_date.h"
#include "httpd.h"
#include "log.h"
#include "mime.h"
#include "range.h"

static int static_open(const char *rel)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, httpd_config.root_fd, rel, &how,
			    sizeof how);
}

static int static_status_for_errno(int e, const char *rel)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
	case ELOOP:
	case EXDEV: /* a symbolic link out of the root */
		return 404;
	case EACCES:
	case EPERM:
		return 403;
	case ENAMETOOLONG:
		return 414;
	default:
		log_warn("open %s: %s", rel, strerror(e));
		return 500;
	}
}

/* Opens rel + suffix if it is a regular file; -1 otherwise. */
static int static_open_sibling(const char *rel, const char *suffix,
			       struct stat *st)
{
	char name[HTTPD_PATH_MAX + 8];
	if ((size_t)snprintf(name, sizeof name, "%s%s", rel, suffix) >=
	    sizeof name)
		return -1;
	int fd = static_open(name);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Which encodings the client accepts: STATIC_ACCEPT_* bits. */
static unsigned static_accepted(const struct http_request *req)
{
	size_t len;
	const char *ae = http_header_get(req, "Accept-Encoding", &len);
	unsigned mask = 0;
	if (ae && http_list_has_token(ae, len, "br"))
		mask |= STATIC_ACCEPT_BR;
	if (ae && http_list_has_token(ae, len, "gzip"))
		mask |= STATIC_ACCEPT_GZIP;
	return mask;
}

static const struct static_encoding {
	unsigned bit;
	const char *token, *suffix;
} static_encodings[] = {
	{STATIC_ACCEPT_BR, "br", ".br"},
	{STATIC_ACCEPT_GZIP, "gzip", ".gz"},
};

const char *static_suffix_for(const char *encoding)
{
	for (size_t i = 0; i < 2; i++)
		if (encoding &&
		    strcmp(encoding, static_encodings[i].token) == 0)
			return static_encodings[i].suffix;
	return "";
}

/* Swaps f to a precompressed sibling when the client accepts one. */
static void static_pick_encoding(struct static_file *f, const char *rel,
				 unsigned accepted)
{
	for (size_t i = 0; i < 2 && accepted; i++) {
		const struct static_encoding *e = &static_encodings[i];
		if (!(accepted & e->bit))
			continue;
		struct stat st;
		int fd = static_open_sibling(rel, e->suffix, &st);
		if (fd < 0)
			continue;
		close(f->fd);
		f->fd = fd;
		f->st = st;
		f->encoding = e->token;
		f->has_sibling = 1;
		return;
	}
}

static void static_validators(struct static_file *f)
{
	snprintf(f->etag, sizeof f->etag, "\"%llx-%llx%s%s\"",
		 (unsigned long long)f->st.st_mtime,
		 (unsigned long long)f->st.st_size, f->encoding ? "-" : "",
		 f->encoding ? f->encoding : "");
	http_date_format(f->st.st_mtime, f->last_modified);
}

static void static_file_close(struct static_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/* Copies [first, first+count) of f into out (zero-filled if the file
   shrank). 0, or -1 on a short read. */
static int static_read(const struct static_file *f, char *out, uint64_t first,
		       uint64_t count)
{
	if (f->data) {
		memcpy(out, f->data + first, (size_t)count);
		return 0;
	}
	ssize_t n = pread(f->fd, out, (size_t)count, (off_t)first);
	if (n == (ssize_t)count)
		return 0;
	memset(out + (n > 0 ? n : 0), 0,
	       (size_t)count - (n > 0 ? (size_t)n : 0));
	return -1;
}

/* Compares entity tags; weak comparison ignores a W/ prefix on either. */
static int static_etag_equal(const char *a, size_t alen, const char *b,
			     int weak)
{
	size_t blen = strlen(b);
	if (alen >= 2 && a[0] == 'W' && a[1] == '/') {
		if (!weak)
			return 0;
		a += 2;
		alen -= 2;
	}
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* 1 if the If-None-Match list matches etag (weak comparison). */
static int static_none_match(const char *v, size_t len, const char *etag)
{
	const char *end = v + len;
	while (v < end) {
		while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
			v++;
		const char *start = v;
		if (v + 1 < end && v[0] == 'W' && v[1] == '/')
			v += 2;
		if (v < end && *v == '"') {
			const char *q =
				memchr(v + 1, '"', (size_t)(end - v - 1));
			v = q ? q + 1 : end;
		} else {
			while (v < end && *v != ',')
				v++;
		}
		size_t n = (size_t)(v - start);
		if ((n == 1 && *start == '*') ||
		    static_etag_equal(start, n, etag, 1))
			return 1;
	}
	return 0;
}

static int static_not_modified(const struct http_request *req,
			       const struct static_file *f)
{
	size_t len;
	const char *v = http_header_get(req, "If-None-Match", &len);
	if (v)
		return static_none_match(v, len, f->etag);
	v = http_header_get(req, "If-Modified-Since", &len);
	time_t since;
	if (v && http_date_parse(v, len, &since) == 0)
		return f->st.st_mtime <= since;
	return 0;
}

/* 1 if a Range may be honoured: no If-Range, or one that still matches. */
static int static_if_range_holds(const struct http_request *req,
				 const struct static_file *f)
{
	size_t len;
	const char *v = http_header_get(req, "If-Range", &len);
	if (!v)
		return 1;
	if ((len && v[0] == '"') || (len > 1 && v[0] == 'W' && v[1] == '/'))
		return static_etag_equal(v, len, f->etag, 0);
	return len == HTTP_DATE_LEN && memcmp(v, f->last_modified, len) == 0;
}

static void static_common_headers(struct response *r,
				  const struct static_file *f)
{
	response_header(r, "Last-Modified", f->last_modified);
	response_header(r, "ETag", f->etag);
	if (httpd_config.cache_control)
		response_header(r, "Cache-Control", httpd_config.cache_control);
	if (f->has_sibling)
		response_header(r, "Vary", "Accept-Encoding");
}

static int static_finish(struct client *cl, const struct http_request *req,
			 int status, uint64_t bytes)
{
	struct access_entry e;
	access_entry_from_request(&e, cl->peer, req);
	e.status = status;
	e.bytes = bytes;
	accesslog_write(&e);
	return 0;
}

static int static_send_304(struct client *cl, const struct http_request *req,
			   struct static_file *f)
{
	struct response r;
	static_file_close(f);
	response_begin(&r, req->version_minor, 304);
	static_common_headers(&r, f);
	response_end(&r, req->version_minor, cl->keep_alive);
	static_finish(cl, req, 304, 0);
	return client_send(cl, r.p, r.len);
}

static int static_send_416(struct client *cl, const struct http_request *req,
			   struct static_file *f)
{
	struct response r;
	char cr[48];
	static const char body[] = "416 Range Not Satisfiable\n";
	static_file_close(f);
	snprintf(cr, sizeof cr, "bytes */%llu",
		 (unsigned long long)f->st.st_size);
	response_begin(&r, req->version_minor, 416);
	response_header(&r, "Content-Range", cr);
	response_header(&r, "Content-Type", "text/plain; charset=utf-8");
	response_header_u64(&r, "Content-Length", sizeof body - 1);
	response_end(&r, req->version_minor, cl->keep_alive);
	if (req->method != HTTP_METHOD_HEAD) {
		memcpy(response_body_room(&r, sizeof body - 1), body,
		       sizeof body - 1);
		r.len += sizeof body - 1;
	}
	static_finish(cl, req, 416, 0);
	return client_send(cl, r.p, r.len);
}

/* Sends [first, first+count) of f with status 200 or 206. */
static int static_send_body(struct client *cl, const struct http_request *req,
			    struct static_file *f, const char *path, int status,
			    uint64_t first, uint64_t count)
{
	struct response r;
	response_begin(&r, req->version_minor, status);
	response_header(&r, "Content-Type", mime_type_for(path));
	if (strncmp(path, "/.well-known/", 13) == 0) /* XEP-0156 discovery */
		response_header(&r, "Access-Control-Allow-Origin", "*");
	response_header_u64(&r, "Content-Length", count);
	static_common_headers(&r, f);
	response_header(&r, "Accept-Ranges", "bytes");
	if (f->encoding)
		response_header(&r, "Content-Encoding", f->encoding);
	if (status == 206) {
		char cr[80];
		snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu",
			 (unsigned long long)first,
			 (unsigned long long)(first + count - 1),
			 (unsigned long long)f->st.st_size);
		response_header(&r, "Content-Range", cr);
	}
	response_end(&r, req->version_minor, cl->keep_alive);
	int head_only = req->method == HTTP_METHOD_HEAD;
	static_finish(cl, req, status, head_only ? 0 : count);
	char *room = head_only ? NULL : response_body_room(&r, (size_t)count);
	if (head_only || (room && count <= HTTPD_SMALL_FILE)) {
		if (!head_only && static_read(f, room, first, count) < 0) {
			log_warn("read %s: short read", path);
			cl->keep_alive = 0; /* the length promised is wrong */
		}
		if (!head_only)
			r.len += (size_t)count;
		static_file_close(f);
		return client_send(cl, r.p, r.len);
	}
	if (f->data) { /* cached, but too large for the head's buffer */
		static_file_close(f);
		return client_send2(cl, r.p, r.len, f->data + first,
				    (size_t)count);
	}
	return client_send_file(cl, r.p, r.len, f->fd, (off_t)first, count);
}

static int static_redirect_dir(struct client *cl,
			       const struct http_request *req, const char *path,
			       const char *query, size_t query_len)
{
	char location[HTTPD_PATH_MAX + 8];
	struct response r;
	static const char body[] = "301 Moved Permanently\n";
	snprintf(location, sizeof location, "%s/%s%.*s", path, query ? "?" : "",
		 query ? (int)query_len : 0, query ? query : "");
	response_begin(&r, req->version_minor, 301);
	response_header(&r, "Location", location);
	response_header(&r, "Content-Type", "text/plain; charset=utf-8");
	response_header_u64(&r, "Content-Length", sizeof body - 1);
	response_end(&r, req->version_minor, cl->keep_alive);
	if (req->method != HTTP_METHOD_HEAD) {
		memcpy(response_body_room(&r, sizeof body - 1), body,
		       sizeof body - 1);
		r.len += sizeof body - 1;
	}
	static_finish(cl, req, 301, 0);
	return client_send(cl, r.p, r.len);
}

static int static_send_ranged(struct client *cl, const struct http_request *req,
			      struct static_file *f, const char *path)
{
	uint64_t size = (uint64_t)f->st.st_size, first = 0, count = size;
	size_t len;
	const char *range = req->method == HTTP_METHOD_GET
				    ? http_header_get(req, "Range", &len)
				    : NULL;
	if (range && static_if_range_holds(req, f)) {
		enum range_result rr =
			range_parse(range, len, size, &first, &count);
		if (rr == RANGE_UNSATISFIABLE)
			return static_send_416(cl, req, f);
		if (rr == RANGE_OK)
			return static_send_body(cl, req, f, path, 206, first,
						count);
		first = 0;
		count = size;
	}
	return static_send_body(cl, req, f, path, 200, first, count);
}

/* Answers with f: 304, 416, 206 or 200. */
static int static_respond(struct client *cl, const struct http_request *req,
			  struct static_file *f, const char *path)
{
	if (static_not_modified(req, f))
		return static_send_304(cl, req, f);
	return static_send_ranged(cl, req, f, path);
}

int static_serve(struct client *cl, const struct http_request *req,
		 const char *path, int ends_with_slash, const char *query,
		 size_t query_len)
{
	char rel[HTTPD_PATH_MAX + 16];
	snprintf(rel, sizeof rel, "%s%s", path[1] ? path + 1 : "",
		 ends_with_slash ? "index.html" : "");
	if (rel[0] == '\0')
		strcpy(rel, "index.html");
	unsigned accepted = static_accepted(req);
	struct static_file f = {.fd = -1};
	if (filecache_lookup(rel, accepted, &f) == 0)
		return static_respond(cl, req, &f,
				      ends_with_slash ? rel : path);
	f.fd = static_open(rel);
	if (f.fd < 0)
		return client_send_error(
			cl, req, static_status_for_errno(errno, rel), 1);
	if (fstat(f.fd, &f.st) < 0 || !S_ISREG(f.st.st_mode)) {
		int is_dir = S_ISDIR(f.st.st_mode);
		close(f.fd);
		if (is_dir && !ends_with_slash)
			return static_redirect_dir(cl, req, path, query,
						   query_len);
		return client_send_error(cl, req, 404, 1);
	}
	static_pick_encoding(&f, rel, accepted);
	static_validators(&f);
	filecache_store(rel, accepted, &f);
	return static_respond(cl, req, &f, ends_with_slash ? rel : path);
}
