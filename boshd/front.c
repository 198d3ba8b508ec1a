/* front.c: what boshd does with the HTTP requests http-filed routes to
 * /http-bind (the transport is common/gw_front.c). POST bodies are parsed
 * (bosh_body.c) and handed to their session (sessions.c); OPTIONS gets the
 * CORS preflight answer; GET and HEAD a short notice; any other method
 * 405. HTTP_ABORT goes to sessions_abort. */
#include <stdio.h>

#include "boshd.h"
#include "gw_front.h"
#include "log.h"

#define FRONT_MAX_CHILDREN 256
#define FRONT_MAX_DEPTH 32
#define FRONT_TEXT "text/plain; charset=utf-8"

static const char front_preflight[] =
	"Access-Control-Allow-Methods: POST, GET, OPTIONS\0"
	"Access-Control-Allow-Headers: Content-Type\0"
	"Access-Control-Max-Age: 86400\0";
static const char front_notice[] =
	"boshd: a BOSH connection manager (XEP-0124, XEP-0206); "
	"POST <body/> elements here.\n";
static const char front_bad_request[] = "400 Bad Request\n";
static const char front_not_allowed[] = "405 Method Not Allowed\n";

void front_respond(uint64_t req, unsigned status, const char *body, size_t len)
{
	gw_front_respond(req, status, "text/xml; charset=utf-8", NULL, body,
			 len);
}

static void front_post(const struct gw_request *r)
{
	struct bosh_body_limits lim = {
		.max_bytes = (size_t)boshd_config.max_body,
		.max_children = FRONT_MAX_CHILDREN,
		.max_depth = FRONT_MAX_DEPTH,
	};
	struct bosh_body *body = NULL;
	enum bosh_body_error err;
	if (bosh_body_parse(r->body, r->body_len, &lim, &body, &err) < 0) {
		log_info("bad BOSH body from %.*s: %s", (int)r->peer_len,
			 r->peer, bosh_body_error_condition(err));
		gw_front_respond(r->handle, 400, FRONT_TEXT, NULL,
				 front_bad_request,
				 sizeof front_bad_request - 1);
		return;
	}
	char peer[48];
	snprintf(peer, sizeof peer, "%.*s", (int)r->peer_len, r->peer);
	sessions_request(body, peer, r->loopback, r->handle);
}

static void front_on_request(const struct gw_request *r)
{
	if (gw_request_is(r, "POST"))
		front_post(r);
	else if (gw_request_is(r, "OPTIONS"))
		gw_front_respond(r->handle, 200, FRONT_TEXT, front_preflight,
				 "", 0);
	else if (gw_request_is(r, "GET") || gw_request_is(r, "HEAD"))
		gw_front_respond(r->handle, 200, FRONT_TEXT, NULL, front_notice,
				 sizeof front_notice - 1);
	else
		gw_front_respond(r->handle, 405, FRONT_TEXT,
				 "Allow: POST, GET, OPTIONS\0",
				 front_not_allowed,
				 sizeof front_not_allowed - 1);
}

/* http-filed is stopping: every held request is answered now (those of
   other http-filed connections too: an early empty answer costs a
   client one request). */
static void front_release(uint32_t conn)
{
	(void)conn;
	sessions_release_all();
}

static const struct gw_front_ops front_ops = {
	.on_request = front_on_request,
	.on_abort = sessions_abort,
	.on_release = front_release,
};

void front_start(struct ev_loop *loop)
{
	gw_front_start(loop, "boshd", boshd_config.bosh.instance,
		       boshd_config.cors_origin, &front_ops);
}
