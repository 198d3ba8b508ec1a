/* xmpp.c: the client side of an XMPP session for parley-load, shared by
 * every transport.
 *
 * Login steps: stream features -> SASL (PLAIN or SCRAM-SHA-1, sasl.c) ->
 * stream restart -> features -> resource binding -> session (only if the
 * server offers it without <optional/>) -> initial presence. Then chat
 * message bodies go to scenario.c, and the server's pings and roster
 * pushes are answered. Incoming top-level elements are dispatched by a
 * table of (step, namespace, name); an element no row matches is ignored.
 * Stanzas are written with xmlns='jabber:client', which a TCP stream
 * implies and a BOSH body requires. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "load.h"
#include "sasl.h"

#define NS_CLIENT "jabber:client"
#define NS_STREAMS "http://etherx.jabber.org/streams"
#define NS_STREAM_ERRORS "urn:ietf:params:xml:ns:xmpp-streams"
#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define NS_BIND "urn:ietf:params:xml:ns:xmpp-bind"
#define NS_SESSION "urn:ietf:params:xml:ns:xmpp-session"
#define NS_PING "urn:xmpp:ping"
#define NS_ROSTER "jabber:iq:roster"

#define XMPP_BIND_ID "parley-load-bind"
#define XMPP_SESSION_ID "parley-load-session"

enum xmpp_step {
	XMPP_STEP_FEATURES, /* user_start sets 0 */
	XMPP_STEP_AUTH,
	XMPP_STEP_FEATURES_AGAIN,
	XMPP_STEP_BIND,
	XMPP_STEP_SESSION,
	XMPP_STEP_ONLINE,
	XMPP_STEP_ANY,
};

/* The one stanza being written (the loop is single-threaded). */
static struct buf xmpp_scratch;

static int xmpp_send(struct user *u, const struct buf *b)
{
	return u->load->cfg->transport->send(u, buf_head(b), b->len);
}

/* Starts a stanza in the scratch buffer. */
static struct buf *xmpp_begin_stanza(void)
{
	if (xmpp_scratch.limit == 0)
		buf_init(&xmpp_scratch, LOAD_SCRATCH_MAX);
	buf_reset(&xmpp_scratch);
	return &xmpp_scratch;
}

static void xmpp_send_or_fail(struct user *u, const struct buf *b,
			      enum fail_kind kind)
{
	if (xmpp_send(u, b) < 0)
		user_fail(u, kind, "cannot queue a stanza");
}

/* ---- authentication ---- */

static int xmpp_offers_mechanism(const struct xml_node *features,
				 const char *mech)
{
	const struct xml_node *ms =
		xml_node_child(features, NS_SASL, "mechanisms");
	for (const struct xml_node *m = ms ? ms->first_child : NULL; m;
	     m = m->next) {
		const char *text = xml_node_is(m, NS_SASL, "mechanism")
					   ? xml_node_text(m)
					   : NULL;
		if (text && strcmp(text, mech) == 0)
			return 1;
	}
	return 0;
}

static int xmpp_requires_tls(const struct xml_node *features)
{
	const struct xml_node *tls =
		xml_node_child(features, NS_TLS, "starttls");
	return tls && xml_node_child(tls, NS_TLS, "required");
}

static void xmpp_on_features(struct user *u, struct xml_node *el)
{
	const struct load_config *cfg = u->load->cfg;
	const char *mech = sasl_mech_name(cfg->sasl);
	char name[LOAD_NAME_MAX], text[SASL_MAX_TEXT];
	if (xmpp_requires_tls(el)) {
		user_fail(u, FAIL_AUTH, "the server requires STARTTLS");
		return;
	}
	if (!xmpp_offers_mechanism(el, mech)) {
		user_fail(u, FAIL_AUTH, "the server does not offer %s", mech);
		return;
	}
	config_user_name(cfg, u->index, name, sizeof name);
	u->sasl = sasl_client_new(cfg->sasl, name, cfg->password);
	if (!u->sasl || sasl_client_initial(u->sasl, text, sizeof text) < 0) {
		user_fail(u, FAIL_AUTH, "cannot start SASL");
		return;
	}
	struct buf *b = xmpp_begin_stanza();
	buf_printf(b, "<auth xmlns='%s' mechanism='%s'>%s</auth>", NS_SASL,
		   mech, text[0] ? text : "=");
	u->step = XMPP_STEP_AUTH;
	xmpp_send_or_fail(u, b, FAIL_AUTH);
}

static void xmpp_on_challenge(struct user *u, struct xml_node *el)
{
	char text[SASL_MAX_TEXT];
	const char *why = "no SASL state";
	const char *in = xml_node_text(el);
	if (!u->sasl || !in ||
	    sasl_client_challenge(u->sasl, in, strlen(in), text, sizeof text,
				  &why) < 0) {
		user_fail(u, FAIL_AUTH, "%s", why);
		return;
	}
	struct buf *b = xmpp_begin_stanza();
	if (text[0])
		buf_printf(b, "<response xmlns='%s'>%s</response>", NS_SASL,
			   text);
	else
		buf_printf(b, "<response xmlns='%s'/>", NS_SASL);
	xmpp_send_or_fail(u, b, FAIL_AUTH);
}

static void xmpp_on_success(struct user *u, struct xml_node *el)
{
	const char *why = "no SASL state";
	const char *in = xml_node_text(el);
	if (!u->sasl || !in ||
	    sasl_client_success(u->sasl, in, strlen(in), &why) < 0) {
		user_fail(u, FAIL_AUTH, "%s", why);
		return;
	}
	sasl_client_free(u->sasl);
	u->sasl = NULL;
	u->step = XMPP_STEP_FEATURES_AGAIN;
	u->load->cfg->transport->restart(u);
}

/* The name of the first child element: a failure's or error's condition. */
static const char *xmpp_condition(const struct xml_node *el)
{
	const struct xml_node *c = xml_node_child(el, NULL, NULL);
	return c ? c->name : "(none)";
}

static void xmpp_on_failure(struct user *u, struct xml_node *el)
{
	user_fail(u, FAIL_AUTH, "SASL failure: %s", xmpp_condition(el));
}

/* ---- binding, session, presence ---- */

static void xmpp_on_features_again(struct user *u, struct xml_node *el)
{
	if (!xml_node_child(el, NS_BIND, "bind")) {
		user_fail(u, FAIL_BIND, "no resource binding offered");
		return;
	}
	const struct xml_node *s = xml_node_child(el, NS_SESSION, "session");
	u->session_needed = s && !xml_node_child(s, NS_SESSION, "optional");
	struct buf *b = xmpp_begin_stanza();
	buf_printf(b,
		   "<iq xmlns='%s' type='set' id='%s'><bind xmlns='%s'/></iq>",
		   NS_CLIENT, XMPP_BIND_ID, NS_BIND);
	u->step = XMPP_STEP_BIND;
	xmpp_send_or_fail(u, b, FAIL_BIND);
}

static void xmpp_go_online(struct user *u)
{
	struct buf *b = xmpp_begin_stanza();
	buf_printf(b, "<presence xmlns='%s'/>", NS_CLIENT);
	u->step = XMPP_STEP_ONLINE;
	if (xmpp_send(u, b) < 0) {
		user_fail(u, FAIL_BIND, "cannot send presence");
		return;
	}
	user_online(u);
}

/* 1 if el is the result of our iq with this id, 0 if another iq, -1 (and
   the user failed) if it is our iq's error. */
static int xmpp_iq_result(struct user *u, const struct xml_node *el,
			  const char *id, const char *what)
{
	const char *el_id = xml_node_attr(el, "id");
	const char *type = xml_node_attr(el, "type");
	if (!el_id || strcmp(el_id, id) != 0 || !type)
		return 0;
	if (strcmp(type, "result") == 0)
		return 1;
	const struct xml_node *err = xml_node_child(el, NULL, "error");
	user_fail(u, FAIL_BIND, "%s refused: %s", what,
		  err ? xmpp_condition(err) : type);
	return -1;
}

static void xmpp_on_bind_result(struct user *u, struct xml_node *el)
{
	if (xmpp_iq_result(u, el, XMPP_BIND_ID, "bind") <= 0)
		return;
	const struct xml_node *bind = xml_node_child(el, NS_BIND, "bind");
	const struct xml_node *jid =
		bind ? xml_node_child(bind, NS_BIND, "jid") : NULL;
	const char *text = jid ? xml_node_text(jid) : NULL;
	if (!text || !*text || strlen(text) >= LOAD_JID_MAX) {
		user_fail(u, FAIL_BIND, "bind result without a usable JID");
		return;
	}
	free(u->jid);
	u->jid = strdup(text);
	if (!u->jid) {
		user_fail(u, FAIL_BIND, "out of memory");
		return;
	}
	if (!u->session_needed) {
		xmpp_go_online(u);
		return;
	}
	struct buf *b = xmpp_begin_stanza();
	buf_printf(
		b,
		"<iq xmlns='%s' type='set' id='%s'><session xmlns='%s'/></iq>",
		NS_CLIENT, XMPP_SESSION_ID, NS_SESSION);
	u->step = XMPP_STEP_SESSION;
	xmpp_send_or_fail(u, b, FAIL_BIND);
}

static void xmpp_on_session_result(struct user *u, struct xml_node *el)
{
	if (xmpp_iq_result(u, el, XMPP_SESSION_ID, "session") > 0)
		xmpp_go_online(u);
}

/* ---- online ---- */

static void xmpp_on_message(struct user *u, struct xml_node *el)
{
	const char *type = xml_node_attr(el, "type");
	const struct xml_node *body = xml_node_child(el, NULL, "body");
	if (!body || (type && strcmp(type, "error") == 0))
		return;
	const char *text = xml_node_text(body);
	if (text)
		scenario_on_body(u, text);
}

/* Answers a get or set: a result for pings and roster pushes, else
   service-unavailable, as RFC 6120 8.2.3 asks of every entity. */
static void xmpp_on_iq(struct user *u, struct xml_node *el)
{
	const char *type = xml_node_attr(el, "type");
	const char *id = xml_node_attr(el, "id");
	if (!type || !id ||
	    (strcmp(type, "get") != 0 && strcmp(type, "set") != 0))
		return;
	const char *from = xml_node_attr(el, "from");
	int known = xml_node_child(el, NS_PING, "ping") ||
		    (strcmp(type, "set") == 0 &&
		     xml_node_child(el, NS_ROSTER, "query"));
	struct buf *b = xmpp_begin_stanza();
	buf_printf(b, "<iq xmlns='%s' type='%s' id='", NS_CLIENT,
		   known ? "result" : "error");
	xml_escape_attr(b, id, strlen(id));
	if (from) {
		buf_append_str(b, "' to='");
		xml_escape_attr(b, from, strlen(from));
	}
	if (known)
		buf_append_str(b, "'/>");
	else
		buf_printf(b, "'><error type='cancel'><service-unavailable "
			      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
			      "</error></iq>");
	(void)xmpp_send(u, b); /* a full queue drops the answer, no more */
}

int xmpp_send_chat(struct user *u, const char *to, const char *body)
{
	struct buf *b = xmpp_begin_stanza();
	buf_printf(b, "<message xmlns='%s' type='chat' to='", NS_CLIENT);
	xml_escape_attr(b, to, strlen(to));
	buf_append_str(b, "'><body>");
	xml_escape_text(b, body, strlen(body));
	if (buf_append_str(b, "</body></message>") < 0)
		return -1;
	return xmpp_send(u, b);
}

void xmpp_count_unsent(struct user *u, const char *data, size_t len)
{
	static const char start[] = "<message ", body[] = "<body>";
	if (u->state != USER_FAILED || len == 0)
		return;
	for (const char *p = data, *end = data + len;
	     (p = memmem(p, (size_t)(end - p), start, sizeof start - 1));
	     p += sizeof start - 1) {
		u->load->stats.unsent++;
		const char *b = memmem(p, (size_t)(end - p), body,
				       sizeof body - 1);
		long n = b ? scenario_message_number(
				     u->load, b + sizeof body - 1,
				     (size_t)(end - b) - (sizeof body - 1))
			   : -1;
		if (n >= 0)
			ledger_withdraw(u->load, (unsigned long)n);
	}
}

/* ---- dispatch ---- */

static void xmpp_on_stream_error(struct user *u, struct xml_node *el)
{
	const struct xml_node *c = xml_node_child(el, NS_STREAM_ERRORS, NULL);
	user_fail(u, FAIL_STREAM, "stream error: %s", c ? c->name : "(none)");
}

struct xmpp_handler {
	enum xmpp_step step;
	const char *ns; /* NULL: any (BOSH servers differ on stanza xmlns) */
	const char *name;
	void (*handle)(struct user *u, struct xml_node *el);
};

static const struct xmpp_handler xmpp_handlers[] = {
	{XMPP_STEP_ANY, NS_STREAMS, "error", xmpp_on_stream_error},
	{XMPP_STEP_FEATURES, NS_STREAMS, "features", xmpp_on_features},
	{XMPP_STEP_AUTH, NS_SASL, "challenge", xmpp_on_challenge},
	{XMPP_STEP_AUTH, NS_SASL, "success", xmpp_on_success},
	{XMPP_STEP_AUTH, NS_SASL, "failure", xmpp_on_failure},
	{XMPP_STEP_FEATURES_AGAIN, NS_STREAMS, "features",
	 xmpp_on_features_again},
	{XMPP_STEP_BIND, NULL, "iq", xmpp_on_bind_result},
	{XMPP_STEP_SESSION, NULL, "iq", xmpp_on_session_result},
	{XMPP_STEP_ONLINE, NULL, "message", xmpp_on_message},
	{XMPP_STEP_ONLINE, NULL, "iq", xmpp_on_iq},
};

int xmpp_on_element(struct user *u, struct xml_node *el)
{
	size_t n = sizeof xmpp_handlers / sizeof xmpp_handlers[0];
	for (size_t i = 0; i < n; i++) {
		const struct xmpp_handler *h = &xmpp_handlers[i];
		if ((h->step == XMPP_STEP_ANY || h->step == u->step) &&
		    xml_node_is(el, h->ns, h->name)) {
			h->handle(u, el);
			break;
		}
	}
	xml_arena_free(el->arena);
	return user_is_gone(u) ? -1 : 0;
}
