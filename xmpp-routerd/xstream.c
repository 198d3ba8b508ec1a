/* xstream.c: one XMPP client stream (RFC 6120), whatever carries it.
 *
 * The same state machine serves TCP clients (c2s.c) and, later, the
 * virtual streams of the BOSH and polling gateways: header checks, stream
 * features, STARTTLS, SASL (sasl.c), resource binding, the legacy session
 * IQ, then stanzas handed to the router. Every way a stream can go wrong
 * ends in the stream error RFC 6120 4.9.3 names, followed by the closing
 * tag. The transport only moves bytes (struct xstream_transport). */
#include <errno.h>
#include <stddef.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "memtrim.h"
#include "register.h"
#include "xmppd.h"

#define XSTREAM_REPLY_LIMIT (64 * 1024)

static const char xstream_header_fmt[] =
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	"xmlns:stream='http://etherx.jabber.org/streams' id='%s' from='%s' "
	"version='1.0' xml:lang='en'>";

static int xstream_write(struct xstream *xs, const char *s, size_t n)
{
	if (xs->state == XS_CLOSING && xs->header_sent == 0)
		return -1;
	xs->bytes_out += n;
	return xs->transport->send(xs, s, n);
}

static int xstream_write_str(struct xstream *xs, const char *s)
{
	return xstream_write(xs, s, strlen(s));
}

static int xstream_send_header(struct xstream *xs)
{
	char header[sizeof xstream_header_fmt + 64 + JID_PART_MAX];
	int n = snprintf(header, sizeof header, xstream_header_fmt, xs->id,
			 xmppd_config.domain);
	xs->header_sent = 1;
	return xstream_write(xs, header, (size_t)n);
}

void xstream_fail(struct xstream *xs, const char *condition, const char *text)
{
	if (xs->state == XS_CLOSING)
		return;
	if (!xs->header_sent)
		xstream_send_header(xs);
	log_info("%s: stream error %s%s%s", xs->peer, condition,
		 text ? ": " : "", text ? text : "");
	struct buf b;
	buf_init(&b, 4096);
	buf_printf(&b, "<stream:error><%s xmlns='%s'/>", condition,
		   NS_STREAM_ERRORS);
	if (text) {
		buf_printf(&b, "<text xmlns='%s'>", NS_STREAM_ERRORS);
		xml_escape_text(&b, text, strlen(text));
		buf_append_str(&b, "</text>");
	}
	buf_append_str(&b, "</stream:error></stream:stream>");
	xstream_write(xs, buf_head(&b), b.len);
	buf_free(&b);
	xs->condition = condition;
	xs->state = XS_CLOSING;
	xs->transport->close(xs);
}

void xstream_end(struct xstream *xs)
{
	if (xs->state == XS_CLOSING)
		return;
	if (!xs->header_sent)
		xstream_send_header(xs);
	xstream_write_str(xs, "</stream:stream>");
	xs->state = XS_CLOSING;
	xs->transport->close(xs);
}

int xstream_send_stanza(struct xstream *xs, const char *xml, size_t len)
{
	if (xs->state == XS_CLOSING)
		return -1;
	xs->stanzas_out++;
	return xstream_write(xs, xml, len);
}

int xstream_send_node(struct xstream *xs, const struct xml_node *n)
{
	struct buf b;
	buf_init(&b, (size_t)xmppd_config.max_stanza * 2);
	int rc = xml_serialize(&b, n, NS_CLIENT);
	if (rc == 0)
		rc = xstream_send_stanza(xs, buf_head(&b), b.len);
	buf_free(&b);
	return rc;
}

/* The features offered in the current state. */
static void xstream_send_features(struct xstream *xs)
{
	struct xml_arena *a = xml_arena_new(XSTREAM_REPLY_LIMIT);
	struct xml_node *f = a ? xml_node_new(a, NS_STREAMS, "features") : NULL;
	if (!f) {
		xml_arena_free(a);
		xstream_fail(xs, "resource-constraint", NULL);
		return;
	}
	if (!xs->authenticated) {
		if (xs->tls_offered && !xs->tls) {
			struct xml_node *st =
				xml_node_add_child(f, NS_TLS, "starttls");
			if (st && !xs->secure)
				xml_node_add_child(st, NS_TLS, "required");
		}
		/* Off loopback, a client that can have TLS must take it first;
		   one that cannot (no certificate, or a gateway's plain HTTP)
		   may still use SCRAM, which never shows the password (sasl.c
		   leaves PLAIN out then). */
		if (xs->secure || xs->tls || !xs->tls_offered)
			sasl_add_mechanisms(xs, f);
		if ((xs->secure || xs->tls) && xmppd_config.registration)
			xml_node_add_child(
				f, "http://jabber.org/features/iq-register",
				"register");
	} else {
		xml_node_add_child(f, NS_BIND, "bind");
		struct xml_node *sess =
			xml_node_add_child(f, NS_SESSION, "session");
		if (sess)
			xml_node_add_child(sess, NS_SESSION, "optional");
	}
	struct buf b;
	buf_init(&b, XSTREAM_REPLY_LIMIT);
	/* The features element is written with the stream prefix. */
	buf_append_str(&b, "<stream:features>");
	for (struct xml_node *c = f->first_child; c; c = c->next)
		xml_serialize(&b, c, NS_CLIENT);
	buf_append_str(&b, "</stream:features>");
	xstream_write(xs, buf_head(&b), b.len);
	buf_free(&b);
	xml_arena_free(a);
}

/* Checks a stream header (RFC 6120 4.7, 4.8). -1 after a stream error. */
static int xstream_check_header(struct xstream *xs, const struct xml_node *root,
				const char *default_ns)
{
	if (!xml_node_is(root, NS_STREAMS, "stream")) {
		xstream_fail(xs, "invalid-namespace", NULL);
		return -1;
	}
	if (!default_ns || strcmp(default_ns, NS_CLIENT) != 0) {
		xstream_fail(xs, "invalid-namespace", "expected jabber:client");
		return -1;
	}
	const char *to = xml_node_attr(root, "to");
	if (to) {
		char domain[JID_PART_MAX + 1];
		if (strlen(to) > JID_PART_MAX ||
		    (strcpy(domain, to),
		     jid_prep_domain(domain, sizeof domain)) < 0 ||
		    strcmp(domain, xmppd_config.domain) != 0) {
			xstream_fail(xs, "host-unknown", NULL);
			return -1;
		}
	}
	const char *version = xml_node_attr(root, "version");
	if (!version || strncmp(version, "1.", 2) != 0) {
		xstream_fail(xs, "unsupported-version", "version 1.0 required");
		return -1;
	}
	return 0;
}

static int xstream_on_open(void *ctx, const struct xml_node *root,
			   const char *default_ns)
{
	struct xstream *xs = ctx;
	if (xs->state != XS_HEADER) {
		xstream_fail(xs, "not-well-formed", NULL);
		return -1;
	}
	if (xstream_check_header(xs, root, default_ns) < 0)
		return -1;
	xstream_send_header(xs);
	xs->state = xs->authenticated ? XS_BIND : XS_AUTH;
	xstream_send_features(xs);
	return 0;
}

static void xstream_on_close(void *ctx)
{
	struct xstream *xs = ctx;
	log_debug("%s: client closed its stream", xs->peer);
	xstream_end(xs);
}

static void xstream_on_error(void *ctx, enum xml_stream_error err)
{
	xstream_fail(ctx, xml_stream_error_condition(err), NULL);
}

static int xstream_on_starttls(struct xstream *xs)
{
	if (!xs->tls_offered || xs->tls || !xs->transport->starttls) {
		xstream_write_str(xs, "<failure xmlns='" NS_TLS "'/>");
		xstream_end(xs);
		return -1;
	}
	xstream_write_str(xs, "<proceed xmlns='" NS_TLS "'/>");
	if (xs->transport->starttls(xs) < 0) {
		xstream_fail(xs, "internal-server-error", "TLS failed");
		return -1;
	}
	return 0;
}

/* Sends <iq type='result' id=ID>inner</iq>. */
static void xstream_iq_result(struct xstream *xs, const char *id,
			      const char *inner)
{
	struct buf b;
	buf_init(&b, XSTREAM_REPLY_LIMIT);
	buf_append_str(&b, "<iq type='result' id='");
	xml_escape_attr(&b, id, strlen(id));
	buf_append_str(&b, "'");
	if (inner) {
		buf_append_str(&b, ">");
		buf_append_str(&b, inner);
		buf_append_str(&b, "</iq>");
	} else {
		buf_append_str(&b, "/>");
	}
	xstream_send_stanza(xs, buf_head(&b), b.len);
	buf_free(&b);
}

static void xstream_iq_error(struct xstream *xs, const char *id,
			     const char *type, const char *condition)
{
	struct buf b;
	buf_init(&b, 4096);
	buf_append_str(&b, "<iq type='error' id='");
	xml_escape_attr(&b, id, strlen(id));
	buf_printf(&b, "'><error type='%s'><%s xmlns='%s'/></error></iq>", type,
		   condition, NS_STANZA_ERRORS);
	xstream_send_stanza(xs, buf_head(&b), b.len);
	buf_free(&b);
}

/* RFC 6120 7: binds a resource. */
static void xstream_bind(struct xstream *xs, struct xml_node *iq,
			 struct xml_node *bind)
{
	const char *id = xml_node_attr(iq, "id");
	struct xml_node *res = xml_node_child(bind, NS_BIND, "resource");
	const char *resource = res ? xml_node_text(res) : NULL;
	if (session_bind(xs, resource) < 0) {
		if (errno == EMFILE)
			xstream_iq_error(xs, id, "cancel",
					 "resource-constraint");
		else
			xstream_iq_error(xs, id, "modify", "bad-request");
		return;
	}
	struct buf inner;
	buf_init(&inner, 4096);
	buf_append_str(&inner, "<bind xmlns='" NS_BIND "'><jid>");
	xml_escape_text(&inner, xs->session->jid.full,
			strlen(xs->session->jid.full));
	buf_append_str(&inner, "</jid></bind>");
	buf_append(&inner, "", 1);
	xstream_iq_result(xs, id, buf_head(&inner));
	buf_free(&inner);
	xs->state = XS_ACTIVE;
	log_info("%s: bound %s (%s)", xs->peer, xs->session->jid.full,
		 xs->transport->name);
}

/* Stanzas after authentication and before binding: only the bind IQ. */
static void xstream_before_bind(struct xstream *xs, struct xml_node *el)
{
	const char *type = xml_node_attr(el, "type");
	const char *id = xml_node_attr(el, "id");
	struct xml_node *bind = xml_node_child(el, NS_BIND, "bind");
	if (xml_node_is(el, NS_CLIENT, "iq") && type && id && bind &&
	    strcmp(type, "set") == 0) {
		xstream_bind(xs, el, bind);
		return;
	}
	if (xml_node_is(el, NS_CLIENT, "iq") && id && type &&
	    (strcmp(type, "get") == 0 || strcmp(type, "set") == 0)) {
		xstream_iq_error(xs, id, "auth", "not-authorized");
		return;
	}
	xstream_fail(xs, "not-authorized", "bind a resource first");
}

static int xstream_is_stanza(const struct xml_node *el)
{
	return el->ns && strcmp(el->ns, NS_CLIENT) == 0 &&
	       (strcmp(el->name, "message") == 0 ||
		strcmp(el->name, "presence") == 0 ||
		strcmp(el->name, "iq") == 0);
}

/* The legacy session IQ (RFC 3921 3; advertised as optional). */
static int xstream_is_session_iq(const struct xml_node *el)
{
	const char *type = xml_node_attr(el, "type");
	return xml_node_is(el, NS_CLIENT, "iq") && type &&
	       strcmp(type, "set") == 0 &&
	       xml_node_child(el, NS_SESSION, "session") &&
	       !xml_node_attr(el, "to");
}

/* Handles one top-level element; takes ownership of the tree. */
static int xstream_on_stanza(void *ctx, struct xml_node *el)
{
	struct xstream *xs = ctx;
	xs->stanzas_in++;
	switch (xs->state) {
	case XS_AUTH:
	case XS_SASL:
		if (xml_node_is(el, NS_TLS, "starttls"))
			xstream_on_starttls(xs);
		else if (xml_node_is(el, NS_CLIENT, "iq") &&
			 xml_node_child(el, "jabber:iq:register", "query"))
			register_preauth(xs, el);
		else if (el->ns && strcmp(el->ns, NS_SASL) == 0)
			sasl_handle(xs, el);
		else
			xstream_fail(xs, "not-authorized", NULL);
		break;
	case XS_BIND:
		xstream_before_bind(xs, el);
		break;
	case XS_ACTIVE:
		if (xstream_is_session_iq(el)) {
			xstream_iq_result(xs,
					  xml_node_attr(el, "id")
						  ? xml_node_attr(el, "id")
						  : "",
					  NULL);
			break;
		}
		if (!xstream_is_stanza(el)) {
			xstream_fail(xs, "unsupported-stanza-type", NULL);
			break;
		}
		router_from_client(xs->session, el);
		return xs->state == XS_CLOSING ? -1
					       : 0; /* the router freed el */
	default:
		break;
	}
	xml_arena_free(el->arena);
	return xs->state == XS_CLOSING || xs->restart_pending ? -1 : 0;
}

static const struct xml_stream_ops xstream_parser_ops = {
	.on_open = xstream_on_open,
	.on_stanza = xstream_on_stanza,
	.on_close = xstream_on_close,
	.on_error = xstream_on_error,
};

/* A fresh random stream id (RFC 6120 4.7.3: new for each stream, also
   after a restart). */
static int xstream_new_id(struct xstream *xs)
{
	unsigned char rnd[8];
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return -1;
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(xs->id + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

/* ---- idle streams drop their parser state */

static struct deadline_list xstream_idle_list;

static void xstream_on_idle(struct deadline_list *l, struct deadline_entry *e)
{
	struct xstream *xs =
		(struct xstream *)((char *)e - offsetof(struct xstream, idle));
	if (!xs->parser)
		return;
	int had_state = xml_stream_has_state(xs->parser);
	if (xml_stream_compact(xs->parser) < 0)
		deadline_touch(l, e); /* in the middle of a stanza: later */
	else if (had_state)
		memtrim_note(XSTREAM_PARSER_BYTES);
}

void xstream_start(struct ev_loop *loop)
{
	deadline_list_init(&xstream_idle_list, loop, XSTREAM_IDLE_SECS,
			   xstream_on_idle);
	memtrim_start(loop);
}

void xstream_stop(void)
{
	deadline_list_stop(&xstream_idle_list);
	memtrim_stop();
}

/* ---- the stream */

int xstream_init(struct xstream *xs, const struct xstream_transport *t,
		 void *owner, const char *peer, int secure, int tls_offered)
{
	memset(xs, 0, sizeof *xs);
	xs->transport = t;
	xs->owner = owner;
	xs->state = XS_HEADER;
	xs->secure = secure != 0;
	xs->tls_offered = tls_offered != 0;
	xs->since = time(NULL);
	snprintf(xs->peer, sizeof xs->peer, "%s", peer);
	if (xstream_new_id(xs) < 0)
		return -1;
	struct xml_stream_limits lim = {
		.max_stanza = (size_t)xmppd_config.max_stanza,
		.max_depth = XMPPD_MAX_DEPTH,
	};
	xs->parser = xml_stream_new(&lim, &xstream_parser_ops, xs);
	return xs->parser ? 0 : -1;
}

int xstream_feed(struct xstream *xs, const char *data, size_t len)
{
	if (xs->state == XS_CLOSING || !xs->parser)
		return -1;
	xs->bytes_in += len;
	deadline_touch(&xstream_idle_list, &xs->idle);
	int rc = xml_stream_feed(xs->parser, data, len);
	if (xs->restart_pending && xs->state != XS_CLOSING) {
		/* The parser was stopped at the element that ended the old
		   stream; the client waits for our answer before it sends
		   more, so nothing of the new stream is lost here. */
		xs->restart_pending = 0;
		xml_stream_reset(xs->parser);
		return 0;
	}
	return rc;
}

/* After SASL success or STARTTLS, the client opens a new stream. The
   parser is reset once the current feed has unwound (never from inside
   one of its own callbacks). */
void xstream_restart(struct xstream *xs)
{
	xstream_new_id(xs);
	xs->header_sent = 0;
	xs->state = XS_HEADER;
	xs->restart_pending = 1;
}

void xstream_tls_started(struct xstream *xs)
{
	xs->tls = 1;
	xs->secure = 1;
	xstream_restart(xs);
}


void xstream_gone(struct xstream *xs)
{
	if (xs->session) {
		session_unbind(xs->session);
		xs->session = NULL;
	}
	sasl_free(xs);
	deadline_remove(&xstream_idle_list, &xs->idle);
	xml_stream_free(xs->parser);
	xs->parser = NULL;
	free(xs->user);
	xs->user = NULL;
	xs->state = XS_CLOSING;
}
