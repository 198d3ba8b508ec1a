/* redeliver.c: the stanzas a gateway (boshd, pollgw) had queued for a
 * client that left before fetching them come back in its STREAM_CLOSE
 * (PROTOCOL.md 9.5). They are parsed here as the body of a jabber:client
 * stream, with the same limits as a client's stream, and each is routed
 * again by router_redeliver (XEP-0206 7: nothing is lost silently). */
#include "log.h"
#include "xmppd.h"

static const char redeliver_header[] =
	"<stream:stream xmlns='jabber:client' "
	"xmlns:stream='http://etherx.jabber.org/streams'>";

static int redeliver_on_open(void *ctx, const struct xml_node *root,
			     const char *default_ns)
{
	(void)ctx;
	(void)root;
	(void)default_ns;
	return 0;
}

static int redeliver_on_stanza(void *ctx, struct xml_node *stanza)
{
	router_redeliver(ctx, stanza);
	return 0;
}

static void redeliver_on_close(void *ctx)
{
	(void)ctx;
}

static void redeliver_on_error(void *ctx, enum xml_stream_error err)
{
	log_warn("undelivered stanzas for %s: %s; the rest is dropped",
		 (const char *)ctx, xml_stream_error_condition(err));
}

static const struct xml_stream_ops redeliver_ops = {
	.on_open = redeliver_on_open,
	.on_stanza = redeliver_on_stanza,
	.on_close = redeliver_on_close,
	.on_error = redeliver_on_error,
};

void redeliver_stanzas(const char *user, const char *xml, size_t len)
{
	struct xml_stream_limits lim = {
		.max_stanza = (size_t)xmppd_config.max_stanza,
		.max_depth = XMPPD_MAX_DEPTH,
	};
	struct xml_stream *p =
		xml_stream_new(&lim, &redeliver_ops, (void *)user);
	if (!p) {
		log_warn("undelivered stanzas for %s: out of memory", user);
		return;
	}
	log_info("%s: %zu bytes its gateway could not deliver, routed again",
		 user, len);
	if (xml_stream_feed(p, redeliver_header, sizeof redeliver_header - 1) ==
	    0)
		xml_stream_feed(p, xml, len);
	xml_stream_free(p);
}
