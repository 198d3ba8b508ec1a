/* check_xml.c: unit tests for xml: the arena never passes its limit and
 * aligns what it hands out, trees are built, queried and deep-copied,
 * and the serialiser escapes text and attributes, declares exactly the
 * namespaces a receiver needs, and round-trips through the stream parser
 * (parse, serialise, parse again gives the same tree). */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "suites.h"
#include "xml.h"
#include "xml_stream.h"

#define NS_CLIENT "jabber:client"
#define NS_XML "http://www.w3.org/XML/1998/namespace"
#define NS_STREAMS "http://etherx.jabber.org/streams"

/* Serialises n into a NUL-terminated string (static storage). */
static const char *ser(const struct xml_node *n, const char *parent_ns)
{
	static char out[8192];
	struct buf b;
	buf_init(&b, sizeof out - 1);
	ck_assert_int_eq(xml_serialize(&b, n, parent_ns), 0);
	memcpy(out, buf_head(&b), b.len);
	out[b.len] = '\0';
	buf_free(&b);
	return out;
}

static int str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* 1 if the trees at a and b have the same names, attributes and text. */
static int tree_eq(const struct xml_node *a, const struct xml_node *b)
{
	if (!str_eq(a->ns, b->ns) || !str_eq(a->name, b->name) ||
	    a->nattrs != b->nattrs || a->text_len != b->text_len)
		return 0;
	if (a->text && (!b->text || memcmp(a->text, b->text, a->text_len)))
		return 0;
	for (size_t i = 0; i < a->nattrs; i++)
		if (!str_eq(a->attrs[i].ns, b->attrs[i].ns) ||
		    !str_eq(a->attrs[i].name, b->attrs[i].name) ||
		    !str_eq(a->attrs[i].value, b->attrs[i].value))
			return 0;
	const struct xml_node *x = a->first_child, *y = b->first_child;
	for (; x && y; x = x->next, y = y->next)
		if (x->parent != a || y->parent != b || !tree_eq(x, y))
			return 0;
	return !x && !y;
}

/* ---- arena */

START_TEST(test_arena_limit)
{
	struct xml_arena *a = xml_arena_new(10000);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(xml_arena_used(a), 0);
	size_t n = 0;
	void *p;
	errno = 0;
	while ((p = xml_arena_alloc(a, 37)) != NULL) {
		ck_assert_uint_eq((uintptr_t)p % alignof(max_align_t), 0);
		memset(p, 0xab, 37); /* ASan checks the block bounds */
		n++;
		ck_assert_uint_le(xml_arena_used(a), 10000);
	}
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_uint_gt(n, 10000 / 64 - 4); /* the limit is nearly reached */
	size_t used = xml_arena_used(a);
	errno = 0;
	ck_assert_ptr_null(xml_arena_alloc(a, 100000));
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_uint_eq(xml_arena_used(a), used);
	xml_arena_free(a);
	xml_arena_free(NULL);
}
END_TEST

START_TEST(test_arena_tiny_and_huge)
{
	struct xml_arena *a = xml_arena_new(0);
	ck_assert_ptr_nonnull(a);
	errno = 0;
	ck_assert_ptr_null(xml_arena_alloc(a, 1));
	ck_assert_int_eq(errno, ENOBUFS);
	errno = 0;
	ck_assert_ptr_null(xml_node_new(a, NULL, "x"));
	ck_assert_int_eq(errno, ENOBUFS);
	xml_arena_free(a);

	a = xml_arena_new(SIZE_MAX);
	errno = 0;
	ck_assert_ptr_null(xml_arena_alloc(a, SIZE_MAX - 3));
	ck_assert_int_eq(errno, ENOBUFS);
	errno = 0;
	ck_assert_ptr_null(xml_arena_strndup(a, "x", SIZE_MAX));
	ck_assert_int_eq(errno, ENOBUFS);
	/* blocks keep doubling past the first: a big one still works */
	char *big = xml_arena_alloc(a, 100000);
	ck_assert_ptr_nonnull(big);
	memset(big, 1, 100000);
	ck_assert_uint_ge(xml_arena_used(a), 100000);
	xml_arena_free(a);
}
END_TEST

START_TEST(test_arena_strndup)
{
	struct xml_arena *a = xml_arena_new(4096);
	char *s = xml_arena_strndup(a, "hello world", 5);
	ck_assert_str_eq(s, "hello");
	char *e = xml_arena_strndup(a, NULL, 0);
	ck_assert_str_eq(e, "");
	xml_arena_free(a);
}
END_TEST

/* ---- building and queries */

START_TEST(test_build_and_query)
{
	struct xml_arena *a = xml_arena_new(65536);
	struct xml_node *m = xml_node_new(a, NS_CLIENT, "message");
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_eq(m->arena, a);
	ck_assert_int_eq(xml_node_set_attr(m, "to", "juliet@example.com"), 0);
	ck_assert_int_eq(xml_node_set_attr(m, "type", "chat"), 0);
	ck_assert_int_eq(xml_node_set_attr(m, "id", "1"), 0);
	ck_assert_uint_eq(m->nattrs, 3);
	ck_assert_str_eq(xml_node_attr(m, "type"), "chat");
	ck_assert_ptr_null(xml_node_attr(m, "from"));
	/* replace keeps the order, remove closes the gap */
	ck_assert_int_eq(xml_node_set_attr(m, "type", "normal"), 0);
	ck_assert_uint_eq(m->nattrs, 3);
	ck_assert_str_eq(m->attrs[1].value, "normal");
	ck_assert_int_eq(xml_node_set_attr(m, "to", NULL), 0);
	ck_assert_uint_eq(m->nattrs, 2);
	ck_assert_str_eq(m->attrs[0].name, "type");
	ck_assert_str_eq(m->attrs[1].name, "id");
	ck_assert_int_eq(xml_node_set_attr(m, "nothere", NULL), 0);
	ck_assert_uint_eq(m->nattrs, 2);

	ck_assert_str_eq(xml_node_text(m), "");
	struct xml_node *body = xml_node_add_child(m, NS_CLIENT, "body");
	struct xml_node *st = xml_node_add_child(
		m, "http://jabber.org/protocol/chatstates", "active");
	ck_assert_ptr_nonnull(xml_node_add_text(body, "hel", 3));
	ck_assert_ptr_nonnull(xml_node_add_child(body, NULL, "b"));
	ck_assert_ptr_nonnull(xml_node_add_text(body, "lo!!", 2));
	ck_assert_str_eq(xml_node_text(body), "hello");
	struct xml_node *one = xml_node_add_child(m, NULL, "one");
	xml_node_add_text(one, "only", 4);
	ck_assert_str_eq(xml_node_text(one), "only");

	ck_assert_ptr_eq(m->first_child, body);
	ck_assert_ptr_eq(body->next, st);
	ck_assert_ptr_eq(m->last_child, one);
	ck_assert_ptr_eq(st->parent, m);
	ck_assert_ptr_eq(xml_node_child(m, NULL, NULL), body);
	ck_assert_ptr_eq(xml_node_child(m, NULL, "active"), st);
	ck_assert_ptr_eq(xml_node_child(m,
					"http://jabber.org/protocol/chatstates",
					NULL),
			 st);
	ck_assert_ptr_null(xml_node_child(m, NS_CLIENT, "active"));
	ck_assert_ptr_null(xml_node_child(body, NULL, "hel")); /* text */
	ck_assert_int_eq(xml_node_is(m, NS_CLIENT, "message"), 1);
	ck_assert_int_eq(xml_node_is(m, NULL, "message"), 1);
	ck_assert_int_eq(xml_node_is(m, "jabber:server", "message"), 0);
	ck_assert_int_eq(xml_node_is(m, NS_CLIENT, "iq"), 0);
	ck_assert_int_eq(xml_node_is(body->first_child, NULL, NULL), 0);
	ck_assert_int_eq(xml_node_is(NULL, NULL, NULL), 0);
	ck_assert_int_eq(xml_node_is(one, NS_CLIENT, "one"), 0);

	errno = 0;
	ck_assert_ptr_null(xml_node_new(a, NS_CLIENT, NULL));
	ck_assert_int_eq(errno, EINVAL);
	xml_arena_free(a);
}
END_TEST

/* Every builder fails with ENOBUFS at the limit and leaves the tree
   usable; a failed set_attr leaves the attributes as they were. */
START_TEST(test_build_past_limit)
{
	struct xml_arena *a = xml_arena_new(2048);
	struct xml_node *m = xml_node_new(a, NS_CLIENT, "message");
	ck_assert_int_eq(xml_node_set_attr(m, "a", "1"), 0);
	int failed = 0;
	for (int i = 0; i < 1000 && !failed; i++) {
		errno = 0;
		if (!xml_node_add_child(m, NULL, "x"))
			failed = 1;
	}
	ck_assert_int_eq(failed, 1);
	ck_assert_int_eq(errno, ENOBUFS);
	errno = 0;
	ck_assert_ptr_null(xml_node_add_text(m, "some text", 9));
	ck_assert_int_eq(errno, ENOBUFS);
	errno = 0;
	ck_assert_int_eq(xml_node_set_attr(m, "b", "2"), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_uint_eq(m->nattrs, 1);
	ck_assert_str_eq(xml_node_attr(m, "a"), "1");
	ck_assert_int_eq(xml_node_set_attr(m, "a", NULL), 0);
	ck_assert_uint_eq(m->nattrs, 0);
	ck_assert_uint_le(xml_arena_used(a), 2048);
	xml_arena_free(a);
}
END_TEST

START_TEST(test_copy)
{
	struct xml_arena *a = xml_arena_new(65536);
	struct xml_node *iq = xml_node_new(a, NS_CLIENT, "iq");
	xml_node_set_attr(iq, "type", "result");
	struct xml_node *q =
		xml_node_add_child(iq, "jabber:iq:roster", "query");
	for (int i = 0; i < 5; i++) {
		struct xml_node *it =
			xml_node_add_child(q, "jabber:iq:roster", "item");
		xml_node_set_attr(it, "jid", "a@b");
		struct xml_node *g =
			xml_node_add_child(it, "jabber:iq:roster", "group");
		xml_node_add_text(g, "Friends", 7);
	}
	xml_node_add_text(iq, "tail", 4);
	struct xml_arena *b = xml_arena_new(65536);
	struct xml_node *c = xml_node_copy(b, iq);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->parent);
	ck_assert_ptr_eq(c->arena, b);
	ck_assert_int_eq(tree_eq(iq, c), 1);
	char expect[4096];
	strcpy(expect, ser(iq, NS_CLIENT));
	/* copying a subtree leaves its siblings behind */
	struct xml_node *it = xml_node_copy(b, q->first_child);
	ck_assert_ptr_null(it->next);
	ck_assert_ptr_null(it->parent);
	ck_assert_str_eq(ser(it, "jabber:iq:roster"),
			 "<item jid='a@b'><group>Friends</group></item>");
	xml_arena_free(a);
	ck_assert_str_eq(ser(c, NS_CLIENT), expect);
	/* a copy into a full arena fails cleanly */
	struct xml_arena *small = xml_arena_new(300);
	errno = 0;
	ck_assert_ptr_null(xml_node_copy(small, c));
	ck_assert_int_eq(errno, ENOBUFS);
	xml_arena_free(small);
	xml_arena_free(b);
}
END_TEST

/* ---- serialising */

START_TEST(test_serialize_namespaces)
{
	struct xml_arena *a = xml_arena_new(65536);
	struct xml_node *m = xml_node_new(a, NS_CLIENT, "message");
	xml_node_set_attr(m, "to", "romeo@example.net");
	ck_assert_str_eq(ser(m, NS_CLIENT),
			 "<message to='romeo@example.net'/>");
	ck_assert_str_eq(ser(m, NULL), "<message xmlns='jabber:client' "
				       "to='romeo@example.net'/>");
	ck_assert_str_eq(ser(m, "jabber:server"),
			 "<message xmlns='jabber:client' "
			 "to='romeo@example.net'/>");
	struct xml_node *body = xml_node_add_child(m, NS_CLIENT, "body");
	xml_node_add_text(body, "hi", 2);
	struct xml_node *x = xml_node_add_child(m, "jabber:x:data", "x");
	xml_node_add_child(x, "jabber:x:data", "field");
	xml_node_add_child(x, NULL, "plain");
	ck_assert_str_eq(ser(m, NS_CLIENT),
			 "<message to='romeo@example.net'><body>hi</body>"
			 "<x xmlns='jabber:x:data'><field/>"
			 "<plain xmlns=''/></x></message>");
	/* an element in no namespace, in no namespace */
	struct xml_node *p = xml_node_new(a, NULL, "plain");
	ck_assert_str_eq(ser(p, NULL), "<plain/>");
	ck_assert_str_eq(ser(p, NS_CLIENT), "<plain xmlns=''/>");
	xml_arena_free(a);
}
END_TEST

START_TEST(test_serialize_attr_namespaces)
{
	struct xml_arena *a = xml_arena_new(65536);
	struct xml_node *m = xml_arena_alloc(a, sizeof *m);
	memset(m, 0, sizeof *m);
	m->arena = a;
	m->ns = NS_CLIENT;
	m->name = "message";
	struct xml_attr at[] = {
		{NS_XML, "lang", "fr"}, {"urn:a", "x", "1"}, {NULL, "id", "i"},
		{"urn:b", "y", "2"},	{"urn:a", "z", "3"},
	};
	m->attrs = at;
	m->nattrs = 5;
	ck_assert_str_eq(ser(m, NS_CLIENT),
			 "<message xml:lang='fr' xmlns:ns2='urn:a' ns2:x='1' "
			 "id='i' xmlns:ns4='urn:b' ns4:y='2' ns2:z='3'/>");
	/* the child redeclares what it uses, the parent's prefix does not
	   leak into it */
	struct xml_node *c = xml_node_add_child(m, NS_CLIENT, "body");
	struct xml_attr cat[] = {{"urn:b", "w", "4"}};
	c->attrs = cat;
	c->nattrs = 1;
	ck_assert_str_eq(ser(c, NS_CLIENT),
			 "<body xmlns:ns1='urn:b' ns1:w='4'/>");
	xml_arena_free(a);
}
END_TEST

START_TEST(test_serialize_stream_prefix)
{
	struct xml_arena *a = xml_arena_new(65536);
	struct xml_node *f = xml_node_new(a, NS_STREAMS, "features");
	ck_assert_str_eq(ser(f, NS_CLIENT), "<stream:features xmlns:stream="
					    "'http://etherx.jabber.org/"
					    "streams'/>");
	struct xml_node *tls = xml_node_add_child(
		f, "urn:ietf:params:xml:ns:xmpp-tls", "starttls");
	xml_node_add_child(tls, "urn:ietf:params:xml:ns:xmpp-tls", "required");
	xml_node_add_child(f, NS_CLIENT, "c");
	ck_assert_str_eq(
		ser(f, NS_CLIENT),
		"<stream:features xmlns:stream='http://etherx.jabber.org/"
		"streams'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
		"<required/></starttls><c/></stream:features>");
	/* a stream: element inside a stream: element: scope passes through */
	struct xml_node *e = xml_node_new(a, NS_STREAMS, "error");
	struct xml_node *t = xml_node_add_child(e, NS_STREAMS, "text");
	xml_node_add_child(t, NS_CLIENT, "x");
	ck_assert_str_eq(ser(e, "jabber:server"),
			 "<stream:error xmlns:stream='http://etherx.jabber.org/"
			 "streams'><stream:text xmlns:stream='http://"
			 "etherx.jabber.org/streams'><x xmlns='jabber:client'/>"
			 "</stream:text></stream:error>");
	xml_arena_free(a);
}
END_TEST

START_TEST(test_escape)
{
	struct buf b;
	buf_init(&b, 1024);
	const char in[] = "a&b<c>d\"e'f\tg\nh\ri\x01j\x7f\xc3\xa9";
	ck_assert_int_eq(xml_escape_text(&b, in, sizeof in - 1), 0);
	buf_append(&b, "", 1);
	ck_assert_str_eq(buf_head(&b), "a&amp;b&lt;c&gt;d\"e'f\tg\nh&#13;ij\x7f"
				       "\xc3\xa9");
	buf_reset(&b);
	ck_assert_int_eq(xml_escape_attr(&b, in, sizeof in - 1), 0);
	buf_append(&b, "", 1);
	ck_assert_str_eq(buf_head(&b), "a&amp;b&lt;c&gt;d&quot;e&apos;f&#9;g"
				       "&#10;h&#13;ij\x7f\xc3\xa9");
	buf_reset(&b);
	ck_assert_int_eq(xml_escape_text(&b, "", 0), 0);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
	/* the output buffer's limit is an error, at any point */
	for (size_t lim = 0; lim < 12; lim++) {
		buf_init(&b, lim);
		errno = 0;
		ck_assert_int_eq(xml_escape_attr(&b, "<&>'\"", 5), -1);
		ck_assert_int_eq(errno, ENOBUFS);
		buf_free(&b);
	}
}
END_TEST

START_TEST(test_serialize_out_of_room)
{
	struct xml_arena *a = xml_arena_new(65536);
	struct xml_node *m = xml_node_new(a, NS_CLIENT, "message");
	xml_node_set_attr(m, "to", "x");
	struct xml_node *body = xml_node_add_child(m, "urn:b", "body");
	xml_node_add_text(body, "text & more", 11);
	size_t full = strlen(ser(m, NULL));
	for (size_t lim = 0; lim < full; lim++) {
		struct buf b;
		buf_init(&b, lim);
		errno = 0;
		ck_assert_int_eq(xml_serialize(&b, m, NULL), -1);
		ck_assert_int_eq(errno, ENOBUFS);
		buf_free(&b);
	}
	struct buf b;
	buf_init(&b, full);
	ck_assert_int_eq(xml_serialize(&b, m, NULL), 0);
	buf_free(&b);
	xml_arena_free(a);
}
END_TEST

/* A deep tree is copied and serialised without recursion. */
START_TEST(test_deep_tree)
{
	struct xml_arena *a = xml_arena_new(64 << 20);
	struct xml_node *root = xml_node_new(a, NS_CLIENT, "d");
	struct xml_node *n = root;
	for (int i = 0; i < 200000; i++)
		n = xml_node_add_child(n, NS_CLIENT, "d");
	ck_assert_ptr_nonnull(n);
	struct xml_arena *b = xml_arena_new(64 << 20);
	struct xml_node *c = xml_node_copy(b, root);
	ck_assert_ptr_nonnull(c);
	struct buf out;
	buf_init(&out, 16 << 20);
	ck_assert_int_eq(xml_serialize(&out, c, NS_CLIENT), 0);
	ck_assert_uint_eq(out.len, 200000 * 7 + 4);
	buf_free(&out);
	xml_arena_free(b);
	xml_arena_free(a);
}
END_TEST

/* ---- round trips through the stream parser */

struct rt {
	struct xml_node *stanza[4];
	int n;
};

static int rt_open(void *ctx, const struct xml_node *root, const char *dns)
{
	(void)ctx;
	(void)root;
	(void)dns;
	return 0;
}

static int rt_stanza(void *ctx, struct xml_node *stanza)
{
	struct rt *r = ctx;
	ck_assert_int_lt(r->n, 4);
	r->stanza[r->n++] = stanza;
	return 0;
}

static void rt_close(void *ctx)
{
	(void)ctx;
}

static void rt_error(void *ctx, enum xml_stream_error err)
{
	(void)ctx;
	ck_abort_msg("stream error %s", xml_stream_error_condition(err));
}

static const struct xml_stream_ops rt_ops = {rt_open, rt_stanza, rt_close,
					     rt_error};

/* Parses one stanza inside a client stream header. */
static struct xml_node *rt_parse(const char *xml, size_t len)
{
	static const char hdr[] =
		"<stream:stream xmlns='jabber:client' xmlns:stream='"
		"http://etherx.jabber.org/streams'>";
	struct xml_stream_limits lim = {65536, 64};
	struct rt r = {{NULL}, 0};
	struct xml_stream *s = xml_stream_new(&lim, &rt_ops, &r);
	ck_assert_int_eq(xml_stream_feed(s, hdr, sizeof hdr - 1), 0);
	ck_assert_int_eq(xml_stream_feed(s, xml, len), 0);
	xml_stream_free(s);
	ck_assert_int_eq(r.n, 1);
	return r.stanza[0];
}

static const char *const rt_samples[] = {
	"<message to='a@b/c' xml:lang='fr' type='chat' id='x&amp;y&lt;&gt;"
	"&quot;&apos;'><body>caf\xc3\xa9 &amp; &lt;3 &gt; &#x263A; \xf0\x9f\x98"
	"\x80</body><active xmlns='http://jabber.org/protocol/chatstates'/>"
	"</message>",
	"<iq type='set' id='1'><query xmlns='jabber:iq:roster'><item "
	"jid='r@e' name='tab&#9;nl&#10;cr&#13;'><group>A</group><group/>"
	"</item></query></iq>",
	"<presence>\n  <show>away</show>\n  <x xmlns='urn:x' "
	"xmlns:p='urn:p' p:attr='v' xml:lang='de'><p:el>t</p:el><inner "
	"xmlns=''/></x>\r\n<![CDATA[a<b&c]]></presence>",
	"<stream:error xmlns:stream='http://etherx.jabber.org/streams'>"
	"<not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
	"</stream:error>",
	"<body xmlns='urn:other'>  </body>",
};

START_TEST(test_round_trip)
{
	const char *xml = rt_samples[_i];
	struct xml_node *t1 = rt_parse(xml, strlen(xml));
	char s1[8192];
	strcpy(s1, ser(t1, NS_CLIENT));
	struct xml_node *t2 = rt_parse(s1, strlen(s1));
	ck_assert_msg(tree_eq(t1, t2), "trees differ: %s", s1);
	ck_assert_str_eq(ser(t2, NS_CLIENT), s1);
	xml_arena_free(t1->arena);
	xml_arena_free(t2->arena);
}
END_TEST

START_TEST(test_round_trip_details)
{
	const char *xml = rt_samples[0];
	struct xml_node *t = rt_parse(xml, strlen(xml));
	ck_assert_str_eq(t->ns, NS_CLIENT);
	ck_assert_str_eq(t->attrs[1].ns, NS_XML);
	ck_assert_str_eq(t->attrs[1].name, "lang");
	ck_assert_str_eq(xml_node_attr(t, "id"), "x&y<>\"'");
	ck_assert_ptr_null(xml_node_attr(t, "lang")); /* it has a namespace */
	ck_assert_str_eq(xml_node_text(xml_node_child(t, NS_CLIENT, "body")),
			 "caf\xc3\xa9 & <3 > \xe2\x98\xba \xf0\x9f\x98\x80");
	ck_assert_str_eq(ser(t, NS_CLIENT),
			 "<message to='a@b/c' xml:lang='fr' type='chat' "
			 "id='x&amp;y&lt;&gt;&quot;&apos;'><body>caf\xc3\xa9 "
			 "&amp; &lt;3 &gt; \xe2\x98\xba \xf0\x9f\x98\x80</body>"
			 "<active xmlns='http://jabber.org/protocol/"
			 "chatstates'/></message>");
	xml_arena_free(t->arena);
	xml = rt_samples[2];
	t = rt_parse(xml, strlen(xml));
	/* CR LF became LF in text; the CDATA section is plain text */
	ck_assert_str_eq(xml_node_text(t), "\n  \n  \na<b&c");
	xml_arena_free(t->arena);
}
END_TEST

Suite *xml_suite(void)
{
	Suite *s = suite_create("xml");
	TCase *tc = tcase_create("arena");
	tcase_add_test(tc, test_arena_limit);
	tcase_add_test(tc, test_arena_tiny_and_huge);
	tcase_add_test(tc, test_arena_strndup);
	suite_add_tcase(s, tc);
	tc = tcase_create("tree");
	tcase_add_test(tc, test_build_and_query);
	tcase_add_test(tc, test_build_past_limit);
	tcase_add_test(tc, test_copy);
	tcase_add_test(tc, test_deep_tree);
	suite_add_tcase(s, tc);
	tc = tcase_create("serialize");
	tcase_add_test(tc, test_serialize_namespaces);
	tcase_add_test(tc, test_serialize_attr_namespaces);
	tcase_add_test(tc, test_serialize_stream_prefix);
	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_serialize_out_of_room);
	tcase_add_loop_test(tc, test_round_trip, 0,
			    sizeof rt_samples / sizeof rt_samples[0]);
	tcase_add_test(tc, test_round_trip_details);
	suite_add_tcase(s, tc);
	return s;
}
