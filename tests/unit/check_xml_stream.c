/* check_xml_stream.c: unit tests for xml_stream. A whole client stream
 * gives the same events fed at once, byte by byte and split at every
 * offset; each RFC 6120 restriction and each limit is reported with its
 * condition (size as soon as it is passed, not at the end of the stanza);
 * nothing is reported after an error or a stop; reset starts a new
 * stream (also from inside a callback); compaction frees the expat state
 * and the stream goes on with the same namespaces. Events are recorded as
 * text lines so that runs can be compared. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "xml.h"
#include "xml_stream.h"

#define SHORT_HDR                                                              \
	"<stream:stream xmlns='jabber:client' "                                \
	"xmlns:stream='http://etherx.jabber.org/streams'>"
#define HDR                                                                    \
	"<stream:stream xmlns='jabber:client' "                                \
	"xmlns:stream='http://etherx.jabber.org/streams' to='example.com' "    \
	"version='1.0' xml:lang='en'>"

struct rec {
	struct buf log; /* one line per event */
	int opens, stanzas, closes, errors;
	enum xml_stream_error err;
	int stop_open;	     /* on_open returns -1 */
	int stop_at_stanza;  /* on_stanza number N (1-based) returns -1 */
	int reset_at_stanza; /* on_stanza number N calls xml_stream_reset */
	int reset_on_close;  /* on_close calls xml_stream_reset */
	struct xml_stream *s;
};

static int rec_open(void *ctx, const struct xml_node *root, const char *dns)
{
	struct rec *r = ctx;
	ck_assert_int_eq(r->errors, 0);
	ck_assert_ptr_null(root->first_child);
	r->opens++;
	buf_printf(&r->log, "open {%s}%s default=%s", root->ns ? root->ns : "",
		   root->name, dns ? dns : "(none)");
	for (size_t i = 0; i < root->nattrs; i++)
		buf_printf(&r->log, " {%s}%s=%s",
			   root->attrs[i].ns ? root->attrs[i].ns : "",
			   root->attrs[i].name, root->attrs[i].value);
	buf_append_str(&r->log, "\n");
	return r->stop_open ? -1 : 0;
}

static int rec_stanza(void *ctx, struct xml_node *stanza)
{
	struct rec *r = ctx;
	ck_assert_int_eq(r->errors, 0);
	ck_assert_ptr_null(stanza->parent);
	r->stanzas++;
	buf_printf(&r->log, "stanza {%s} ", stanza->ns ? stanza->ns : "");
	ck_assert_int_eq(xml_serialize(&r->log, stanza, NULL), 0);
	buf_append_str(&r->log, "\n");
	xml_arena_free(stanza->arena);
	if (r->reset_at_stanza == r->stanzas)
		xml_stream_reset(r->s);
	return r->stop_at_stanza == r->stanzas ? -1 : 0;
}

static void rec_close(void *ctx)
{
	struct rec *r = ctx;
	ck_assert_int_eq(r->errors, 0);
	r->closes++;
	buf_append_str(&r->log, "close\n");
	if (r->reset_on_close)
		xml_stream_reset(r->s);
}

static void rec_error(void *ctx, enum xml_stream_error err)
{
	struct rec *r = ctx;
	ck_assert_int_eq(r->errors, 0);
	r->errors++;
	r->err = err;
	buf_printf(&r->log, "error %s\n", xml_stream_error_condition(err));
}

static const struct xml_stream_ops rec_ops = {rec_open, rec_stanza, rec_close,
					      rec_error};

static const struct xml_stream_limits default_lim = {65536, 32};

static void rec_init(struct rec *r, const struct xml_stream_limits *lim)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->log, 1 << 20);
	r->s = xml_stream_new(lim ? lim : &default_lim, &rec_ops, r);
	ck_assert_ptr_nonnull(r->s);
}

static void rec_done(struct rec *r)
{
	xml_stream_free(r->s);
	buf_free(&r->log);
}

/* The log as a NUL-terminated string (valid until the next event). */
static const char *rec_log(struct rec *r)
{
	buf_append(&r->log, "", 1);
	r->log.len--;
	return buf_head(&r->log);
}

/* Feeds data in pieces of at most step bytes; the feed result that ended
   it (the first -1, or 0). */
static int feed_steps(struct rec *r, const char *data, size_t len, size_t step,
		      int compact)
{
	for (size_t off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;
		if (xml_stream_feed(r->s, data + off, n) < 0)
			return -1;
		if (compact)
			xml_stream_compact(r->s);
	}
	return 0;
}

/* ---- a whole client stream */

static const char client_stream[] =
	"<?xml version='1.0' encoding='UTF-8'?>\n" HDR
	"\n<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
	"AGp1bGlldABwYXNz</auth> \n\t "
	"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-"
	"bind'><resource>gajim.X</resource></bind></iq>"
	" "
	"<message to='romeo@example.net' type='chat' xml:lang='fr' "
	"id='a&amp;b'><body>caf\xc3\xa9 &lt;3 &#x263A;<![CDATA[ x<y ]]>"
	"</body><active xmlns='http://jabber.org/protocol/chatstates'/>"
	"<x xmlns='jabber:x:oob' xmlns:p='urn:p' p:q='1'><p:url>u</p:url>"
	"</x></message>\r\n"
	"<presence/>junk between stanzas is ignored"
	"<iq type='get' id='r'><query xmlns='jabber:iq:roster'>\n  <item "
	"jid='a@b'><group>F</group></item>\n</query></iq>"
	"<stream:error><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
	"</stream:error>"
	"</stream:stream>";

static const char client_expect[] =
	"open {http://etherx.jabber.org/streams}stream default=jabber:client "
	"{}to=example.com {}version=1.0 "
	"{http://www.w3.org/XML/1998/namespace}lang=en\n"
	"stanza {urn:ietf:params:xml:ns:xmpp-sasl} <auth "
	"xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
	"AGp1bGlldABwYXNz</auth>\n"
	"stanza {jabber:client} <iq xmlns='jabber:client' type='set' "
	"id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>"
	"gajim.X</resource></bind></iq>\n"
	"stanza {jabber:client} <message xmlns='jabber:client' "
	"to='romeo@example.net' type='chat' xml:lang='fr' id='a&amp;b'>"
	"<body>caf\xc3\xa9 &lt;3 \xe2\x98\xba x&lt;y </body><active "
	"xmlns='http://jabber.org/protocol/chatstates'/><x "
	"xmlns='jabber:x:oob' xmlns:ns1='urn:p' ns1:q='1'><url "
	"xmlns='urn:p'>u</url></x></message>\n"
	"stanza {jabber:client} <presence xmlns='jabber:client'/>\n"
	"stanza {jabber:client} <iq xmlns='jabber:client' type='get' "
	"id='r'><query xmlns='jabber:iq:roster'>\n  <item jid='a@b'><group>"
	"F</group></item>\n</query></iq>\n"
	"stanza {http://etherx.jabber.org/streams} <stream:error "
	"xmlns:stream='http://etherx.jabber.org/streams'><text "
	"xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>\n"
	"close\n";

START_TEST(test_client_stream_whole)
{
	struct rec r;
	rec_init(&r, NULL);
	ck_assert_int_eq(
		xml_stream_feed(r.s, client_stream, sizeof client_stream - 1),
		0);
	ck_assert_str_eq(rec_log(&r), client_expect);
	ck_assert_int_eq(r.opens, 1);
	ck_assert_int_eq(r.stanzas, 6);
	ck_assert_int_eq(r.closes, 1);
	/* after the close nothing more is parsed or reported */
	ck_assert_int_eq(xml_stream_feed(r.s, "<presence/>", 11), -1);
	ck_assert_int_eq(xml_stream_feed(r.s, "garbage<", 8), -1);
	ck_assert_int_eq(r.stanzas, 6);
	ck_assert_int_eq(r.errors, 0);
	rec_done(&r);
}
END_TEST

START_TEST(test_client_stream_byte_by_byte)
{
	struct rec r;
	rec_init(&r, NULL);
	ck_assert_int_eq(
		feed_steps(&r, client_stream, sizeof client_stream - 1, 1, 0),
		0);
	ck_assert_str_eq(rec_log(&r), client_expect);
	rec_done(&r);
}
END_TEST

START_TEST(test_client_stream_split_everywhere)
{
	size_t len = sizeof client_stream - 1;
	for (size_t cut = 0; cut < len; cut++) {
		struct rec r;
		rec_init(&r, NULL);
		ck_assert_int_eq(xml_stream_feed(r.s, client_stream, cut), 0);
		int rc = xml_stream_feed(r.s, client_stream + cut, len - cut);
		ck_assert_msg(rc == 0, "split at %zu: %s", cut, rec_log(&r));
		ck_assert_msg(strcmp(rec_log(&r), client_expect) == 0,
			      "split at %zu: %s", cut, rec_log(&r));
		rec_done(&r);
	}
}
END_TEST

/* Compacting after every piece wherever it is allowed changes nothing. */
START_TEST(test_client_stream_compact_everywhere)
{
	size_t len = sizeof client_stream - 1;
	for (size_t step = 1; step < 40; step++) {
		struct rec r;
		rec_init(&r, NULL);
		ck_assert_int_eq(feed_steps(&r, client_stream, len, step, 1),
				 0);
		ck_assert_msg(strcmp(rec_log(&r), client_expect) == 0,
			      "step %zu: %s", step, rec_log(&r));
		rec_done(&r);
	}
}
END_TEST

START_TEST(test_empty_header)
{
	struct rec r;
	rec_init(&r, NULL);
	const char s[] = "<stream:stream xmlns:stream='http://etherx.jabber."
			 "org/streams'/>";
	ck_assert_int_eq(xml_stream_feed(r.s, s, sizeof s - 1), 0);
	ck_assert_str_eq(rec_log(&r), "open {http://etherx.jabber.org/streams}"
				      "stream default=(none)\nclose\n");
	rec_done(&r);
}
END_TEST

/* ---- errors */

struct bad_case {
	const char *data;
	enum xml_stream_error err;
	int stanzas; /* delivered before the error */
	size_t len;  /* 0: strlen(data) */
};

static const struct bad_case bad_cases[] = {
	{"<!DOCTYPE stream>" HDR, XML_STREAM_RESTRICTED, 0, 0},
	{"<?xml version='1.0'?><!DOCTYPE s [<!ENTITY x 'y'>]>" HDR,
	 XML_STREAM_RESTRICTED, 0, 0},
	{HDR "<message><?foo bar?></message>", XML_STREAM_RESTRICTED, 0, 0},
	{HDR "<presence/><?foo?>", XML_STREAM_RESTRICTED, 1, 0},
	{"<?foo?>" HDR, XML_STREAM_RESTRICTED, 0, 0},
	{HDR "<message><!-- hi --></message>", XML_STREAM_RESTRICTED, 0, 0},
	{HDR "<presence/><!---->", XML_STREAM_RESTRICTED, 1, 0},
	{HDR "<message><body>&foo;</body></message>",
	 XML_STREAM_NOT_WELL_FORMED, 0, 0},
	{HDR "<message><body>\xc0\x80</body></message>",
	 XML_STREAM_NOT_WELL_FORMED, 0, 0},
	{HDR "<message><body>\xff</body></message>", XML_STREAM_NOT_WELL_FORMED,
	 0, 0},
	{HDR "<message to='\xed\xa0\x80'/>", XML_STREAM_NOT_WELL_FORMED, 0, 0},
	{HDR "<message><body></message></body>", XML_STREAM_NOT_WELL_FORMED, 0,
	 0},
	{HDR "<presence/></stream:strea>", XML_STREAM_NOT_WELL_FORMED, 1, 0},
	{HDR "<foo:bar/>", XML_STREAM_NOT_WELL_FORMED, 0, 0},
	{HDR "<a x='1' x='2'/>", XML_STREAM_NOT_WELL_FORMED, 0, 0},
	{HDR "<a>\x01</a>", XML_STREAM_NOT_WELL_FORMED, 0, 0},
	{"<?xml version='1.0' encoding='ISO-8859-1'?>" HDR,
	 XML_STREAM_UNSUPPORTED_ENCODING, 0, 0},
	{"\xff\xfe<\0s\0/\0>\0", XML_STREAM_UNSUPPORTED_ENCODING, 0, 10},
	{"<\0s\0/\0>\0", XML_STREAM_UNSUPPORTED_ENCODING, 0, 8},
	{"\0<\0s\0/\0>", XML_STREAM_UNSUPPORTED_ENCODING, 0, 8},
	{"\xfe\xff\0<\0s\0/\0>", XML_STREAM_UNSUPPORTED_ENCODING, 0, 10},
	{"hello <a/>", XML_STREAM_NOT_WELL_FORMED, 0, 0},
};

/* Each bad input is reported once with its condition, fed whole or byte
   by byte, and every later feed returns -1 without events. */
START_TEST(test_bad_input)
{
	const struct bad_case *c = &bad_cases[_i];
	size_t len = c->len ? c->len : strlen(c->data);
	for (size_t step = 1; step <= len; step += len - 1) {
		struct rec r;
		rec_init(&r, NULL);
		ck_assert_int_eq(feed_steps(&r, c->data, len, step, 0), -1);
		ck_assert_int_eq(r.errors, 1);
		ck_assert_msg(r.err == c->err, "case %d step %zu: %s", _i, step,
			      xml_stream_error_condition(r.err));
		ck_assert_int_eq(r.stanzas, c->stanzas);
		ck_assert_int_eq(xml_stream_feed(r.s, "<a/>", 4), -1);
		ck_assert_int_eq(xml_stream_feed(r.s, " ", 1), -1);
		ck_assert_int_eq(r.errors, 1);
		ck_assert_int_eq(r.stanzas, c->stanzas);
		ck_assert_int_eq(xml_stream_compact(r.s), 0); /* nothing held */
		rec_done(&r);
		if (len == 1)
			break;
	}
}
END_TEST

/* A stanza of exactly max_stanza bytes passes; one byte more is a policy
   violation, reported when that byte arrives, whatever follows. */
START_TEST(test_stanza_size)
{
	struct xml_stream_limits lim = {100, 16};
	char st[200];
	/* <message><body>xxx...</body></message> of exactly 100 bytes */
	size_t fixed = strlen("<message><body></body></message>");
	memcpy(st, "<message><body>", 15);
	memset(st + 15, 'x', 100 - fixed);
	memcpy(st + 15 + 100 - fixed, "</body></message>", 17);
	struct rec r;
	rec_init(&r, &lim);
	ck_assert_int_eq(xml_stream_feed(r.s, SHORT_HDR, strlen(SHORT_HDR)), 0);
	ck_assert_int_eq(feed_steps(&r, st, 100, 1, 0), 0);
	ck_assert_int_eq(r.stanzas, 1);
	ck_assert_int_eq(feed_steps(&r, " \n", 2, 1, 0), 0); /* not counted */
	ck_assert_int_eq(feed_steps(&r, st, 100, 100, 0), 0);
	ck_assert_int_eq(r.stanzas, 2);
	rec_done(&r);

	/* 101 bytes, whole */
	memmove(st + 16, st + 15, 85);
	st[15] = 'y';
	rec_init(&r, &lim);
	ck_assert_int_eq(xml_stream_feed(r.s, SHORT_HDR, strlen(SHORT_HDR)), 0);
	ck_assert_int_eq(xml_stream_feed(r.s, st, 101), -1);
	ck_assert_int_eq(r.err, XML_STREAM_POLICY_VIOLATION);
	ck_assert_int_eq(r.stanzas, 0);
	rec_done(&r);

	/* an endless stanza, byte by byte: the error comes with byte 101 */
	memset(st, 'z', sizeof st);
	memcpy(st, "<message><body>", 15);
	for (int k = 0; k < 2; k++) {
		rec_init(&r, &lim);
		ck_assert_int_eq(
			xml_stream_feed(r.s, SHORT_HDR, strlen(SHORT_HDR)), 0);
		if (k == 1) /* the same with a start tag that never ends */
			memcpy(st, "<message to='", 13);
		size_t i;
		for (i = 0; i < sizeof st; i++)
			if (xml_stream_feed(r.s, st + i, 1) < 0)
				break;
		ck_assert_uint_eq(i, 100);
		ck_assert_int_eq(r.err, XML_STREAM_POLICY_VIOLATION);
		rec_done(&r);
	}
}
END_TEST

/* The header and what precedes it are bounded by max_stanza too. */
START_TEST(test_header_size)
{
	struct xml_stream_limits lim = {64, 16};
	struct rec r;
	rec_init(&r, &lim);
	ck_assert_int_eq(xml_stream_feed(r.s, HDR, strlen(HDR)), -1);
	ck_assert_int_eq(r.err, XML_STREAM_POLICY_VIOLATION);
	ck_assert_int_eq(r.opens, 0);
	rec_done(&r);
	rec_init(&r, &lim);
	ck_assert_int_eq(feed_steps(&r, HDR, strlen(HDR), 1, 0), -1);
	ck_assert_int_eq(r.err, XML_STREAM_POLICY_VIOLATION);
	rec_done(&r);
}
END_TEST

/* A tree that costs far more than its markup hits the arena limit. */
START_TEST(test_arena_limit_in_stanza)
{
	struct xml_stream_limits lim = {2000, 16};
	char st[2000];
	size_t n = 0;
	n += (size_t)sprintf(st, "<m>");
	while (n < 1990)
		n += (size_t)sprintf(st + n, "<a/>");
	n += (size_t)sprintf(st + n, "</m>");
	struct rec r;
	rec_init(&r, &lim);
	ck_assert_int_eq(xml_stream_feed(r.s, HDR, strlen(HDR)), 0);
	ck_assert_int_eq(xml_stream_feed(r.s, st, n), -1);
	ck_assert_int_eq(r.err, XML_STREAM_POLICY_VIOLATION);
	rec_done(&r);
}
END_TEST

START_TEST(test_depth)
{
	struct xml_stream_limits lim = {65536, 3};
	const char ok[] = "<a><b><c>t</c></b></a>";
	const char deep[] = "<a><b><c><d/></c></b></a>";
	struct rec r;
	rec_init(&r, &lim);
	ck_assert_int_eq(xml_stream_feed(r.s, HDR, strlen(HDR)), 0);
	ck_assert_int_eq(xml_stream_feed(r.s, ok, sizeof ok - 1), 0);
	ck_assert_int_eq(r.stanzas, 1);
	ck_assert_int_eq(feed_steps(&r, deep, sizeof deep - 1, 1, 0), -1);
	ck_assert_int_eq(r.err, XML_STREAM_POLICY_VIOLATION);
	ck_assert_int_eq(r.stanzas, 1);
	rec_done(&r);
}
END_TEST

START_TEST(test_condition_names)
{
	ck_assert_str_eq(xml_stream_error_condition(XML_STREAM_NOT_WELL_FORMED),
			 "not-well-formed");
	ck_assert_str_eq(xml_stream_error_condition(XML_STREAM_RESTRICTED),
			 "restricted-xml");
	ck_assert_str_eq(
		xml_stream_error_condition(XML_STREAM_POLICY_VIOLATION),
		"policy-violation");
	ck_assert_str_eq(xml_stream_error_condition(XML_STREAM_NO_MEMORY),
			 "resource-constraint");
	ck_assert_str_eq(
		xml_stream_error_condition(XML_STREAM_UNSUPPORTED_ENCODING),
		"unsupported-encoding");
	ck_assert_str_eq(xml_stream_error_condition((enum xml_stream_error)99),
			 "undefined-condition");
}
END_TEST

/* ---- stops and resets */

START_TEST(test_callback_stops)
{
	struct rec r;
	rec_init(&r, NULL);
	r.stop_at_stanza = 1;
	const char two[] = HDR "<presence/><presence type='x'/>";
	ck_assert_int_eq(xml_stream_feed(r.s, two, sizeof two - 1), -1);
	ck_assert_int_eq(r.stanzas, 1);
	ck_assert_int_eq(xml_stream_feed(r.s, "<presence/>", 11), -1);
	ck_assert_int_eq(r.stanzas, 1);
	ck_assert_int_eq(r.errors, 0);
	rec_done(&r);

	rec_init(&r, NULL);
	r.stop_open = 1;
	ck_assert_int_eq(xml_stream_feed(r.s, two, sizeof two - 1), -1);
	ck_assert_int_eq(r.opens, 1);
	ck_assert_int_eq(r.stanzas, 0);
	ck_assert_int_eq(xml_stream_feed(r.s, "<presence/>", 11), -1);
	ck_assert_int_eq(r.errors, 0);
	rec_done(&r);
}
END_TEST

START_TEST(test_reset)
{
	struct rec r;
	rec_init(&r, NULL);
	const char first[] = HDR "<auth xmlns='urn:ietf:params:xml:ns:xmpp-"
				 "sasl'/><iq";
	ck_assert_int_eq(xml_stream_feed(r.s, first, sizeof first - 1), 0);
	xml_stream_reset(r.s);
	const char second[] = "<?xml version='1.0'?><stream:stream "
			      "xmlns='jabber:server' xmlns:stream='http://"
			      "etherx.jabber.org/streams'><presence/>";
	ck_assert_int_eq(xml_stream_feed(r.s, second, sizeof second - 1), 0);
	ck_assert_int_eq(r.opens, 2);
	ck_assert_int_eq(r.stanzas, 2);
	ck_assert_ptr_nonnull(strstr(rec_log(&r),
				     "open {http://etherx.jabber.org/streams}"
				     "stream default=jabber:server\n"
				     "stanza {jabber:server} <presence "
				     "xmlns='jabber:server'/>\n"));
	/* reset also revives a stream that failed */
	ck_assert_int_eq(xml_stream_feed(r.s, "<!-- -->", 8), -1);
	ck_assert_int_eq(r.errors, 1);
	xml_stream_reset(r.s);
	r.errors = 0;
	ck_assert_int_eq(xml_stream_feed(r.s, HDR, strlen(HDR)), 0);
	ck_assert_int_eq(r.opens, 3);
	rec_done(&r);
}
END_TEST

/* SASL success: the callback resets, and the new header that follows in
   the same bytes is parsed as a new stream, at any split. */
START_TEST(test_reset_in_callback)
{
	const char data[] = HDR "<auth xmlns='urn:ietf:params:xml:ns:xmpp-"
				"sasl'>x</auth>" HDR "<presence/>";
	size_t len = sizeof data - 1;
	for (size_t cut = 0; cut <= len; cut++) {
		struct rec r;
		rec_init(&r, NULL);
		r.reset_at_stanza = 1;
		ck_assert_int_eq(xml_stream_feed(r.s, data, cut), 0);
		ck_assert_int_eq(xml_stream_feed(r.s, data + cut, len - cut),
				 0);
		ck_assert_int_eq(r.opens, 2);
		ck_assert_int_eq(r.stanzas, 2);
		ck_assert_int_eq(r.errors, 0);
		rec_done(&r);
	}
	/* STARTTLS: reset and stop; the rest (TLS) is not parsed */
	struct rec r;
	rec_init(&r, NULL);
	r.reset_at_stanza = 1;
	r.stop_at_stanza = 1;
	const char tls[] = HDR "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-"
			       "tls'/>\x16\x03\x01\x02";
	ck_assert_int_eq(xml_stream_feed(r.s, tls, sizeof tls - 1), -1);
	ck_assert_int_eq(r.errors, 0);
	ck_assert_int_eq(xml_stream_feed(r.s, HDR, strlen(HDR)), 0);
	ck_assert_int_eq(r.opens, 2);
	rec_done(&r);
	/* a reset from on_close: the next stream follows */
	rec_init(&r, NULL);
	r.reset_on_close = 1;
	const char two[] = HDR "</stream:stream>" HDR "<presence/>";
	ck_assert_int_eq(xml_stream_feed(r.s, two, sizeof two - 1), 0);
	ck_assert_int_eq(r.opens, 2);
	ck_assert_int_eq(r.closes, 1);
	ck_assert_int_eq(r.stanzas, 1);
	rec_done(&r);
}
END_TEST

/* ---- compaction */

START_TEST(test_compact)
{
	struct rec r;
	rec_init(&r, NULL);
	ck_assert_int_eq(xml_stream_compact(r.s), 0); /* nothing yet */
	ck_assert_int_eq(xml_stream_feed(r.s, "<?xml version='1.0'?>", 21), 0);
	ck_assert_int_eq(xml_stream_compact(r.s), -1); /* before the header */
	ck_assert_int_eq(xml_stream_feed(r.s, HDR, strlen(HDR)), 0);
	ck_assert_int_eq(xml_stream_compact(r.s), 0);
	ck_assert_int_eq(xml_stream_compact(r.s), 0); /* already */
	ck_assert_int_eq(xml_stream_feed(r.s, "<message><body>hi", 17), 0);
	ck_assert_int_eq(xml_stream_compact(r.s), -1); /* in a stanza */
	ck_assert_int_eq(xml_stream_feed(r.s, "</body></message>", 17), 0);
	ck_assert_int_eq(xml_stream_compact(r.s), 0);
	ck_assert_int_eq(xml_stream_feed(r.s, " \n ", 3), 0);
	ck_assert_int_eq(xml_stream_compact(r.s), 0); /* whitespace only */
	ck_assert_int_eq(xml_stream_feed(r.s, "<pres", 5), 0);
	ck_assert_int_eq(xml_stream_compact(r.s), -1); /* partial tag */
	ck_assert_int_eq(xml_stream_feed(r.s, "ence/>", 6), 0);
	ck_assert_int_eq(xml_stream_compact(r.s), 0);
	/* after compaction: same namespaces, the stream: prefix still
	   bound, and the close is recognised */
	const char more[] = "<iq type='get'/><stream:error/></stream:stream>";
	ck_assert_int_eq(xml_stream_feed(r.s, more, sizeof more - 1), 0);
	ck_assert_int_eq(r.opens, 1);
	ck_assert_str_eq(
		strstr(rec_log(&r), "stanza"),
		"stanza {jabber:client} <message xmlns='jabber:client'><body>"
		"hi</body></message>\n"
		"stanza {jabber:client} <presence xmlns='jabber:client'/>\n"
		"stanza {jabber:client} <iq xmlns='jabber:client' "
		"type='get'/>\n"
		"stanza {http://etherx.jabber.org/streams} <stream:error "
		"xmlns:stream='http://etherx.jabber.org/streams'/>\n"
		"close\n");
	rec_done(&r);
}
END_TEST

/* Compaction keeps the header's own prefixes and URIs with quotes. */
START_TEST(test_compact_odd_header)
{
	struct rec r;
	rec_init(&r, NULL);
	const char hdr[] = "<s:x xmlns:s='urn:s' xmlns='urn:a&apos;b' "
			   "xmlns:db='jabber:server:dialback'>";
	ck_assert_int_eq(xml_stream_feed(r.s, hdr, sizeof hdr - 1), 0);
	ck_assert_int_eq(xml_stream_compact(r.s), 0);
	const char st[] = "<db:result/><m/><s:y/></s:x>";
	ck_assert_int_eq(xml_stream_feed(r.s, st, sizeof st - 1), 0);
	ck_assert_str_eq(rec_log(&r),
			 "open {urn:s}x default=urn:a'b\n"
			 "stanza {jabber:server:dialback} <result "
			 "xmlns='jabber:server:dialback'/>\n"
			 "stanza {urn:a'b} <m xmlns='urn:a&apos;b'/>\n"
			 "stanza {urn:s} <y xmlns='urn:s'/>\n"
			 "close\n");
	rec_done(&r);
}
END_TEST

/* A header with too many declarations to keep is never compacted, and
   still works. */
START_TEST(test_compact_big_header)
{
	struct rec r;
	rec_init(&r, NULL);
	char hdr[2048];
	size_t n = (size_t)sprintf(hdr, "<stream:stream xmlns='jabber:client' "
					"xmlns:stream='http://etherx.jabber."
					"org/streams'");
	for (int i = 0; i < 20; i++)
		n += (size_t)sprintf(hdr + n, " xmlns:p%d='urn:p%d'", i, i);
	n += (size_t)sprintf(hdr + n, ">");
	ck_assert_int_eq(xml_stream_feed(r.s, hdr, n), 0);
	ck_assert_int_eq(xml_stream_compact(r.s), -1);
	ck_assert_int_eq(xml_stream_feed(r.s, "<p3:a/>", 7), 0);
	ck_assert_ptr_nonnull(strstr(rec_log(&r), "stanza {urn:p3} <a "));
	rec_done(&r);
}
END_TEST

Suite *xml_stream_suite(void)
{
	Suite *s = suite_create("xml_stream");
	TCase *tc = tcase_create("stream");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_client_stream_whole);
	tcase_add_test(tc, test_client_stream_byte_by_byte);
	tcase_add_test(tc, test_client_stream_split_everywhere);
	tcase_add_test(tc, test_client_stream_compact_everywhere);
	tcase_add_test(tc, test_empty_header);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_bad_input, 0,
			    sizeof bad_cases / sizeof bad_cases[0]);
	tcase_add_test(tc, test_stanza_size);
	tcase_add_test(tc, test_header_size);
	tcase_add_test(tc, test_arena_limit_in_stanza);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_condition_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("control");
	tcase_add_test(tc, test_callback_stops);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_reset_in_callback);
	tcase_add_test(tc, test_compact);
	tcase_add_test(tc, test_compact_odd_header);
	tcase_add_test(tc, test_compact_big_header);
	suite_add_tcase(s, tc);
	return s;
}
