/* front.c: pollgw's answers to the HTTP requests http-filed forwards
 * (the framing is common/gw_front.c). A POST body is parsed
 * (poll_body.c) and handed to the sessions; OPTIONS gets the CORS
 * preflight answer; GET a short notice. Every answer to a POST is HTTP
 * 200 (XEP-0025 3) and names its identifier twice: in the ID cookie the
 * XEP asks for, set so that document.cookie can read it (not HttpOnly),
 * and in the X-Poll-ID header, exposed to scripts (CORS), which a fetch
 * reads race-free. pollgw never reads the Cookie request header: the
 * identifier comes from the body alone. */
#include <stdio.h>

#include "gw_front.h"
#include "log.h"
#include "pollgw.h"

/* The most that a peer address takes in logs and the session list. */
#define FRONT_PEER_MAX 48

void pollgw_front_answer(uint64_t req, const char *id, const char *body,
			 size_t len)
{
	/* header lines, each NUL-terminated, the list ended by an empty one */
	char headers[3 * POLL_ID_MAX + 160];
	int n = snprintf(headers, sizeof headers,
			 "Set-Cookie: ID=%s; Path=/; SameSite=Strict%c"
			 "X-Poll-ID: %s%c"
			 "Access-Control-Expose-Headers: X-Poll-ID%c",
			 id, '\0', id, '\0', '\0');
	if (n < 0 || (size_t)n >= sizeof headers)
		return; /* cannot happen: identifiers are short */
	headers[n] = '\0';
	gw_front_respond(req, 200, "text/xml; charset=utf-8", headers, body,
			 len);
}

static void front_text(uint64_t req, unsigned status, const char *headers,
		       const char *text, size_t len)
{
	gw_front_respond(req, status, "text/plain; charset=utf-8", headers,
			 text, len);
}

static void front_post(const struct gw_request *r)
{
	const struct poll_body_limits lim = {(size_t)pollgw_config.max_body};
	char peer[FRONT_PEER_MAX];
	struct poll_body b;
	enum poll_body_error err;
	snprintf(peer, sizeof peer, "%.*s", (int)r->peer_len, r->peer);
	if (poll_body_parse(r->body, r->body_len, &lim, &b, &err) < 0) {
		log_info("bad polling request from %s: %s (%zu bytes)", peer,
			 poll_body_error_name(err), r->body_len);
		pollgw_front_answer(r->handle, POLL_ERR_BAD_REQUEST, "", 0);
		return;
	}
	pollgw_sessions_request(&b, peer, r->loopback, r->handle);
}

static void front_on_request(const struct gw_request *r)
{
	static const char preflight[] =
		"Access-Control-Allow-Methods: POST, GET, OPTIONS\0"
		"Access-Control-Allow-Headers: Content-Type\0"
		"Access-Control-Max-Age: 86400\0";
	static const char notice[] =
		"pollgw: an XMPP HTTP polling gateway (XEP-0025); POST "
		"\"identifier;key,xml\" here.\n";
	static const char not_allowed[] = "405 Method Not Allowed\n";
	if (gw_request_is(r, "POST"))
		front_post(r);
	else if (gw_request_is(r, "OPTIONS"))
		front_text(r->handle, 200, preflight, "", 0);
	else if (gw_request_is(r, "GET") || gw_request_is(r, "HEAD"))
		front_text(r->handle, 200, NULL, notice, sizeof notice - 1);
	else
		front_text(r->handle, 405, "Allow: POST, GET, OPTIONS\0",
			   not_allowed, sizeof not_allowed - 1);
}

/* http-filed is stopping: every request waiting for the shortest
   interval is answered now (those of other http-filed connections too:
   an early answer costs a client nothing). */
static void front_release(uint32_t conn)
{
	(void)conn;
	pollgw_sessions_release_all();
}

static const struct gw_front_ops front_ops = {
	.on_request = front_on_request,
	.on_abort = pollgw_sessions_abort,
	.on_release = front_release,
};

void pollgw_front_start(struct ev_loop *loop)
{
	gw_front_start(loop, "pollgw", pollgw_instance(),
		       pollgw_config.cors_origin, &front_ops);
}
