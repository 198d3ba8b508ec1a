/* check_iq_server.c: unit tests for iq_server.c and roster.c.
 *
 * The pure helpers first: XEP-0082 time formatting, reserved private
 * namespaces, roster items written as text and roster sets parsed with
 * every refusal of RFC 6121 2.3.3. Then the handlers end to end: a store
 * in a fresh /tmp file, two bound sessions of alice on fake transports
 * that collect what is sent, and IQs parsed from text, checking replies,
 * errors and pushes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iq_server.h"
#include "roster.h"
#include "suites.h"
#include "xmppd.h"


/* ---- pure helpers -------------------------------------------------------- */

START_TEST(test_time_utc)
{
	char out[32];
	ck_assert_int_eq(iq_server_time_utc(0, out, sizeof out), 0);
	ck_assert_str_eq(out, "1970-01-01T00:00:00Z");
	ck_assert_int_eq(iq_server_time_utc(1166551115, out, sizeof out), 0);
	ck_assert_str_eq(out, "2006-12-19T17:58:35Z");
	ck_assert_int_eq(iq_server_time_utc(0, out, 21), 0);
	errno = 0;
	ck_assert_int_eq(iq_server_time_utc(0, out, 20), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_time_tzo)
{
	static const struct {
		long off;
		const char *tzo;
	} cases[] = {
		{0, "+00:00"},	    {-21600, "-06:00"}, {19800, "+05:30"},
		{-12600, "-03:30"}, {50400, "+14:00"},	{-43200, "-12:00"},
		{3599, "+00:59"},
	};
	char out[8];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(
			iq_server_time_tzo(cases[i].off, out, sizeof out), 0);
		ck_assert_str_eq(out, cases[i].tzo);
	}
	ck_assert_int_eq(iq_server_time_tzo(24 * 3600, out, sizeof out), -1);
	ck_assert_int_eq(iq_server_time_tzo(-24 * 3600, out, sizeof out), -1);
	ck_assert_int_eq(iq_server_time_tzo(0, out, 6), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_private_reserved)
{
	ck_assert_int_eq(iq_server_private_ns_is_reserved(NULL), 1);
	ck_assert_int_eq(iq_server_private_ns_is_reserved(""), 1);
	ck_assert_int_eq(iq_server_private_ns_is_reserved("jabber:client"), 1);
	ck_assert_int_eq(iq_server_private_ns_is_reserved("jabber:server"), 1);
	ck_assert_int_eq(iq_server_private_ns_is_reserved("jabber:iq:private"),
			 1);
	ck_assert_int_eq(iq_server_private_ns_is_reserved("storage:bookmarks"),
			 0);
	ck_assert_int_eq(iq_server_private_ns_is_reserved("exodus:prefs"), 0);
}
END_TEST

static void t_check_item(const struct store_roster_item *it, int removed,
			 const char *want)
{
	struct buf b;
	buf_init(&b, 4096);
	ck_assert_int_eq(roster_item_write(&b, it, removed), 0);
	ck_assert_int_eq(buf_append(&b, "", 1), 0);
	ck_assert_str_eq(buf_head(&b), want);
	buf_free(&b);
}

START_TEST(test_roster_item_write)
{
	char *groups[] = {"Friends", "a<b&c"};
	struct store_roster_item it = {
		.jid = "romeo@example.net",
		.name = "R'o\"meo",
		.sub = STORE_SUB_BOTH,
		.ask = STORE_ASK_OUT | STORE_ASK_IN,
		.groups = groups,
		.ngroups = 2,
	};
	t_check_item(
		&it, 0,
		"<item jid='romeo@example.net' name='R&apos;o&quot;meo' "
		"subscription='both' ask='subscribe'><group>Friends</group>"
		"<group>a&lt;b&amp;c</group></item>");
	t_check_item(&it, 1,
		     "<item jid='romeo@example.net' subscription='remove'/>");
	struct store_roster_item plain = {
		.jid = "x@y", .sub = STORE_SUB_TO, .ask = STORE_ASK_IN};
	t_check_item(&plain, 0, "<item jid='x@y' subscription='to'/>");
	plain.sub = STORE_SUB_FROM;
	t_check_item(&plain, 0, "<item jid='x@y' subscription='from'/>");
	plain.sub = STORE_SUB_NONE;
	plain.ask = STORE_ASK_OUT;
	t_check_item(&plain, 0,
		     "<item jid='x@y' subscription='none' ask='subscribe'/>");
	/* a buffer too small fails with ENOBUFS */
	struct buf b;
	buf_init(&b, 10);
	ck_assert_int_eq(roster_item_write(&b, &it, 0), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	buf_free(&b);
}
END_TEST

/* ---- parsing stanzas from text ------------------------------------------- */

static struct xml_node *t_parsed;

static int t_on_open(void *ctx, const struct xml_node *root, const char *ns)
{
	(void)ctx;
	(void)root;
	(void)ns;
	return 0;
}

static int t_on_stanza(void *ctx, struct xml_node *st)
{
	(void)ctx;
	xml_arena_free(t_parsed ? t_parsed->arena : NULL);
	t_parsed = st;
	return 0;
}

static void t_on_close(void *ctx)
{
	(void)ctx;
}

static void t_on_error(void *ctx, enum xml_stream_error err)
{
	(void)ctx;
	ck_abort_msg("parse error %d", (int)err);
}

/* The tree of one stanza (or of a top-level element) given as text. */
static struct xml_node *t_parse(const char *text)
{
	static const struct xml_stream_ops ops = {t_on_open, t_on_stanza,
						  t_on_close, t_on_error};
	struct xml_stream_limits lim = {1024 * 1024, 64};
	struct xml_stream *p = xml_stream_new(&lim, &ops, NULL);
	ck_assert_ptr_nonnull(p);
	static const char header[] = "<stream:stream xmlns='jabber:client' "
				     "xmlns:stream='http://etherx.jabber.org/"
				     "streams' to='localhost' "
				     "version='1.0'>";
	t_parsed = NULL;
	ck_assert_int_eq(xml_stream_feed(p, header, strlen(header)), 0);
	ck_assert_int_eq(xml_stream_feed(p, text, strlen(text)), 0);
	xml_stream_free(p);
	ck_assert_ptr_nonnull(t_parsed);
	return t_parsed;
}

/* ---- roster set parsing -------------------------------------------------- */

struct t_update_case {
	const char *query; /* inside <iq type='set'> */
	const char *condition;
};

static const struct t_update_case t_update_cases[] = {
	{"<query xmlns='jabber:iq:roster'><item jid='romeo@example.net' "
	 "name='Romeo'><group>Friends</group><group>Lovers</group></item>"
	 "</query>",
	 NULL},
	{"<query xmlns='jabber:iq:roster'><item jid='Romeo@Example.NET'/>"
	 "</query>",
	 NULL},
	{"<query xmlns='jabber:iq:roster'><item jid='a@b'/><item jid='c@d'/>"
	 "</query>",
	 "bad-request"},
	{"<query xmlns='jabber:iq:roster'/>", "bad-request"},
	{"<query xmlns='jabber:iq:roster'><foo jid='a@b'/></query>",
	 "bad-request"},
	{"<query xmlns='jabber:iq:roster'><item name='x'/></query>",
	 "bad-request"},
	{"<query xmlns='jabber:iq:roster'><item jid='@b'/></query>",
	 "bad-request"},
	{"<query xmlns='jabber:iq:roster'><item jid='a@b/r'/></query>",
	 "bad-request"},
	{"<query xmlns='jabber:iq:roster'><item jid='Alice@LocalHost'/>"
	 "</query>",
	 "bad-request"},
	{"<query xmlns='jabber:iq:roster'><item jid='a@b'><group/></item>"
	 "</query>",
	 "not-acceptable"},
	{"<query xmlns='jabber:iq:roster'><item jid='a@b'><group>x</group>"
	 "<group>y</group><group>x</group></item></query>",
	 "bad-request"},
	{"<query xmlns='jabber:iq:roster'><item jid='a@b' "
	 "subscription='remove'><group/></item></query>",
	 NULL},
	{"<query xmlns='jabber:iq:roster'><item jid='a@b' "
	 "subscription='both' ask='subscribe'/></query>",
	 NULL},
};

static const struct roster_error *
t_update(const char *query, struct roster_update *up, struct xml_node **iq)
{
	struct buf b;
	buf_init(&b, 1024 * 1024);
	ck_assert_int_eq(buf_printf(&b, "<iq type='set' id='s'>%s</iq>", query),
			 0);
	ck_assert_int_eq(buf_append(&b, "", 1), 0);
	*iq = t_parse(buf_head(&b));
	buf_free(&b);
	struct jid self;
	ck_assert_int_eq(jid_parse(&self, "alice@localhost/a", 17), 0);
	const struct roster_error *e =
		roster_update_parse(xml_node_child(*iq, NULL, NULL), &self, up);
	jid_free(&self);
	return e;
}

START_TEST(test_roster_update_cases)
{
	const struct t_update_case *c = &t_update_cases[_i];
	struct roster_update up;
	struct xml_node *iq;
	const struct roster_error *e = t_update(c->query, &up, &iq);
	if (!c->condition) {
		ck_assert_msg(!e, "%s: %s", c->query, e ? e->condition : "");
		jid_free(&up.jid);
	} else {
		ck_assert_msg(e != NULL, "%s accepted", c->query);
		ck_assert_str_eq(e->condition, c->condition);
		ck_assert_str_eq(e->type, "modify");
	}
	xml_arena_free(iq->arena);
}
END_TEST

START_TEST(test_roster_update_fields)
{
	struct roster_update up;
	struct xml_node *iq;
	ck_assert_ptr_null(t_update(t_update_cases[0].query, &up, &iq));
	ck_assert_str_eq(up.jid.full, "romeo@example.net");
	ck_assert_str_eq(up.name, "Romeo");
	ck_assert_int_eq(up.remove, 0);
	ck_assert_uint_eq(up.ngroups, 2);
	ck_assert_str_eq(up.groups[0], "Friends");
	ck_assert_str_eq(up.groups[1], "Lovers");
	jid_free(&up.jid);
	xml_arena_free(iq->arena);

	ck_assert_ptr_null(t_update(t_update_cases[1].query, &up, &iq));
	ck_assert_str_eq(up.jid.full, "romeo@example.net");
	ck_assert_ptr_null(up.name);
	ck_assert_uint_eq(up.ngroups, 0);
	jid_free(&up.jid);
	xml_arena_free(iq->arena);

	ck_assert_ptr_null(t_update(t_update_cases[11].query, &up, &iq));
	ck_assert_int_eq(up.remove, 1);
	jid_free(&up.jid);
	xml_arena_free(iq->arena);
}
END_TEST

/* Builds a roster set with ngroups groups of glen bytes each (or a name of
   nlen bytes) and returns the condition, NULL if accepted. */
static const char *t_update_sized(size_t ngroups, size_t glen, size_t nlen)
{
	struct buf q;
	buf_init(&q, 1024 * 1024);
	ck_assert_int_eq(buf_append_str(&q, "<query xmlns='jabber:iq:roster'>"
					    "<item jid='a@b' name='"),
			 0);
	for (size_t i = 0; i < nlen; i++)
		ck_assert_int_eq(buf_append(&q, "n", 1), 0);
	ck_assert_int_eq(buf_append_str(&q, "'>"), 0);
	for (size_t g = 0; g < ngroups; g++) {
		ck_assert_int_eq(buf_printf(&q, "<group>%05zu", g), 0);
		for (size_t i = 5; i < glen; i++)
			ck_assert_int_eq(buf_append(&q, "g", 1), 0);
		ck_assert_int_eq(buf_append_str(&q, "</group>"), 0);
	}
	ck_assert_int_eq(buf_append(&q, "</item></query>", 16), 0);
	struct roster_update up;
	struct xml_node *iq;
	const struct roster_error *e = t_update(buf_head(&q), &up, &iq);
	buf_free(&q);
	if (!e)
		jid_free(&up.jid);
	xml_arena_free(iq->arena);
	return e ? e->condition : NULL;
}

START_TEST(test_roster_update_limits)
{
	ck_assert_ptr_null(t_update_sized(STORE_MAX_GROUPS, 8, 1));
	ck_assert_str_eq(t_update_sized(STORE_MAX_GROUPS + 1, 8, 1),
			 "not-acceptable");
	ck_assert_ptr_null(t_update_sized(1, STORE_MAX_JID, 1));
	ck_assert_str_eq(t_update_sized(1, STORE_MAX_JID + 1, 1),
			 "not-acceptable");
	ck_assert_ptr_null(t_update_sized(0, 0, STORE_MAX_JID));
	ck_assert_str_eq(t_update_sized(0, 0, STORE_MAX_JID + 1),
			 "not-acceptable");
}
END_TEST

/* ---- handlers end to end ------------------------------------------------- */

struct t_client {
	struct xstream xs;
	struct buf out;
};

static char t_path[64];
static struct t_client t_a, t_b; /* alice/a and alice/b */

static int t_send(struct xstream *xs, const char *data, size_t len)
{
	struct t_client *c = xs->owner;
	return buf_append(&c->out, data, len);
}

static void t_close(struct xstream *xs)
{
	(void)xs;
}

static const struct xstream_transport t_transport = {"test", t_send, t_close,
						     NULL};

static void t_client_bind(struct t_client *c, const char *resource)
{
	memset(c, 0, sizeof *c);
	buf_init(&c->out, 16 * 1024 * 1024);
	c->xs.transport = &t_transport;
	c->xs.owner = c;
	c->xs.state = XS_ACTIVE;
	c->xs.user = "alice";
	snprintf(c->xs.peer, sizeof c->xs.peer, "test-%s", resource);
	ck_assert_int_eq(session_bind(&c->xs, resource), 0);
}

static void t_setup(void)
{
	snprintf(t_path, sizeof t_path, "/tmp/check_iq_server_XXXXXX");
	int fd = mkstemp(t_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	xmppd_config.store = store_open_sqlite(t_path);
	ck_assert_ptr_nonnull(xmppd_config.store);
	xmppd_config.domain = "localhost";
	xmppd_config.registration = 0;
	ck_assert_int_eq(
		store_user_create(xmppd_config.store, "alice", NULL, NULL), 0);
	ck_assert_int_eq(
		store_user_create(xmppd_config.store, "bob", NULL, NULL), 0);
	t_client_bind(&t_a, "a");
	t_client_bind(&t_b, "b");
}

static void t_teardown(void)
{
	session_unbind(t_a.xs.session);
	session_unbind(t_b.xs.session);
	buf_free(&t_a.out);
	buf_free(&t_b.out);
	store_close(xmppd_config.store);
	xmppd_config.store = NULL;
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char p[96];
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(p, sizeof p, "%s%s", t_path, suffixes[i]);
		unlink(p);
	}
}

/* What c received since the last call, as a string (static storage). */
static const char *t_out(struct t_client *c)
{
	static char text[1024 * 1024];
	size_t n = c->out.len < sizeof text - 1 ? c->out.len : sizeof text - 1;
	if (n)
		memcpy(text, buf_head(&c->out), n);
	text[n] = '\0';
	buf_reset(&c->out);
	return text;
}

/* Sends an IQ from alice/a to the server and returns the reply to a. */
static const char *t_iq(const char *text)
{
	iq_server_handle(t_a.xs.session, t_parse(text));
	return t_out(&t_a);
}

static const char *t_iq_for(const char *user, const char *text)
{
	iq_server_handle_for_user(t_a.xs.session, t_parse(text), user);
	return t_out(&t_a);
}

#define T_HAS(hay, needle)                                                     \
	ck_assert_msg(strstr((hay), (needle)) != NULL, "%s\nlacks %s", (hay),  \
		      (needle))
#define T_LACKS(hay, needle)                                                   \
	ck_assert_msg(strstr((hay), (needle)) == NULL, "%s\nhas %s", (hay),    \
		      (needle))

START_TEST(test_ping_and_errors)
{
	ck_assert_str_eq(t_iq("<iq type='get' id='p1'>"
			      "<ping xmlns='urn:xmpp:ping'/></iq>"),
			 "<iq type='result' id='p1' to='alice@localhost/a' "
			 "from='localhost'></iq>");
	ck_assert_str_eq(
		t_iq("<iq type='get' id='p&amp;2' to='alice@localhost'>"
		     "<ping xmlns='urn:xmpp:ping'/></iq>"),
		"<iq type='result' id='p&amp;2' to='alice@localhost/a' "
		"from='alice@localhost'></iq>");
	const char *r = t_iq("<iq type='get' id='u'><foo xmlns='urn:x'/></iq>");
	T_HAS(r, "type='error'");
	T_HAS(r, "<service-unavailable");
	r = t_iq("<iq type='set' id='u'><ping xmlns='urn:xmpp:ping'/></iq>");
	T_HAS(r, "<service-unavailable");
	r = t_iq("<iq type='get' id='u'><ping xmlns='urn:xmpp:ping'/>"
		 "<ping xmlns='urn:xmpp:ping'/></iq>");
	T_HAS(r, "<bad-request");
	r = t_iq("<iq type='get' id='u'/>");
	T_HAS(r, "<bad-request");
	r = t_iq("<iq type='foo' id='u'><ping xmlns='urn:xmpp:ping'/></iq>");
	T_HAS(r, "<bad-request");
	ck_assert_str_eq(t_iq("<iq type='result' id='push1'/>"), "");
	ck_assert_str_eq(t_iq("<iq type='error' id='x'><ping "
			      "xmlns='urn:xmpp:ping'/></iq>"),
			 "");
}
END_TEST

START_TEST(test_disco)
{
	const char *r = t_iq("<iq type='get' id='d' to='localhost'><query "
			     "xmlns='http://jabber.org/protocol/disco#info'/>"
			     "</iq>");
	T_HAS(r, "<identity category='server' type='im' name='Parley'/>");
	static const char *const features[] = {
		"http://jabber.org/protocol/disco#info",
		"http://jabber.org/protocol/disco#items",
		"urn:xmpp:ping",
		"jabber:iq:version",
		"urn:xmpp:time",
		"vcard-temp",
		"jabber:iq:private",
		"urn:xmpp:blocking",
		"jabber:iq:roster",
	};
	char want[128];
	for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
		snprintf(want, sizeof want, "<feature var='%s'/>", features[i]);
		T_HAS(r, want);
	}
	T_LACKS(r, "jabber:iq:register");
	xmppd_config.registration = 1;
	r = t_iq("<iq type='get' id='d' to='localhost'><query "
		 "xmlns='http://jabber.org/protocol/disco#info'/></iq>");
	T_HAS(r, "<feature var='jabber:iq:register'/>");

	r = t_iq("<iq type='get' id='d' to='alice@localhost'><query "
		 "xmlns='http://jabber.org/protocol/disco#info'/></iq>");
	T_HAS(r, "<identity category='account' type='registered'/>");
	r = t_iq_for("bob", "<iq type='get' id='d' to='bob@localhost'><query "
			    "xmlns='http://jabber.org/protocol/disco#info'/>"
			    "</iq>");
	T_HAS(r, "from='bob@localhost'");
	T_HAS(r, "<identity category='account' type='registered'/>");
	r = t_iq("<iq type='get' id='d' to='localhost'><query "
		 "xmlns='http://jabber.org/protocol/disco#info' node='x'/>"
		 "</iq>");
	T_HAS(r, "<item-not-found");
	r = t_iq("<iq type='get' id='i' to='localhost'><query "
		 "xmlns='http://jabber.org/protocol/disco#items'/></iq>");
	T_HAS(r, "type='result'");
	T_HAS(r,
	      "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
}
END_TEST

START_TEST(test_version_time)
{
	const char *r = t_iq("<iq type='get' id='v'><query "
			     "xmlns='jabber:iq:version'/></iq>");
	T_HAS(r, "<query xmlns='jabber:iq:version'><name>Parley</name>"
		 "<version>" PARLEY_VERSION "</version></query>");
	T_LACKS(r, "<os>");
	r = t_iq("<iq type='get' id='t'><time xmlns='urn:xmpp:time'/></iq>");
	T_HAS(r, "<time xmlns='urn:xmpp:time'><tzo>");
	T_HAS(r, "Z</utc></time>");
}
END_TEST

START_TEST(test_vcard)
{
	static const char get[] =
		"<iq type='get' id='v'><vCard xmlns='vcard-temp'/></iq>";
	const char *r = t_iq(get);
	T_HAS(r, "type='result'");
	T_HAS(r, "<vCard xmlns='vcard-temp'/>");
	r = t_iq("<iq type='set' id='s'><vCard xmlns='vcard-temp'>"
		 "<FN>Alice &amp; co</FN><x xmlns='urn:other'/></vCard></iq>");
	ck_assert_str_eq(r, "<iq type='result' id='s' to='alice@localhost/a' "
			    "from='localhost'></iq>");
	r = t_iq(get);
	T_HAS(r, "<vCard xmlns='vcard-temp'><FN>Alice &amp; co</FN>"
		 "<x xmlns='urn:other'/></vCard></iq>");
	/* the server's own vCard is empty */
	r = t_iq("<iq type='get' id='v' to='localhost'>"
		 "<vCard xmlns='vcard-temp'/></iq>");
	T_HAS(r, "<vCard xmlns='vcard-temp'/>");
	/* setting it is not allowed, nor another user's */
	r = t_iq("<iq type='set' id='v' to='localhost'>"
		 "<vCard xmlns='vcard-temp'/></iq>");
	T_HAS(r, "<service-unavailable");
	r = t_iq_for("bob", "<iq type='set' id='v' to='bob@localhost'>"
			    "<vCard xmlns='vcard-temp'/></iq>");
	T_HAS(r, "<service-unavailable");
	/* bob's, read by alice */
	ck_assert_int_eq(store_vcard_set(xmppd_config.store, "bob",
					 "<vCard xmlns='vcard-temp'><FN>Bob"
					 "</FN></vCard>"),
			 0);
	r = t_iq_for("bob", "<iq type='get' id='v' to='bob@localhost'>"
			    "<vCard xmlns='vcard-temp'/></iq>");
	T_HAS(r, "from='bob@localhost'");
	T_HAS(r, "<FN>Bob</FN>");
	r = t_iq_for("carol", "<iq type='get' id='v' to='carol@localhost'>"
			      "<vCard xmlns='vcard-temp'/></iq>");
	T_HAS(r, "<service-unavailable");
	r = t_iq_for("bob", "<iq type='get' id='v' to='bob@localhost'>"
			    "<ping xmlns='urn:xmpp:ping'/></iq>");
	T_HAS(r, "<service-unavailable");
}
END_TEST

START_TEST(test_vcard_too_large)
{
	struct buf b;
	buf_init(&b, 2 * STORE_MAX_XML);
	ck_assert_int_eq(buf_append_str(&b, "<iq type='set' id='big'><vCard "
					    "xmlns='vcard-temp'><DESC>"),
			 0);
	for (size_t i = 0; i < STORE_MAX_XML; i++)
		ck_assert_int_eq(buf_append(&b, "x", 1), 0);
	ck_assert_int_eq(buf_append(&b, "</DESC></vCard></iq>", 21), 0);
	const char *r = t_iq(buf_head(&b));
	buf_free(&b);
	T_HAS(r, "<error type='modify'><not-acceptable");
}
END_TEST

START_TEST(test_private)
{
	const char *r = t_iq("<iq type='get' id='g'><query xmlns='jabber:iq:"
			     "private'><exodus xmlns='exodus:prefs'/></query>"
			     "</iq>");
	T_HAS(r, "type='result'");
	T_HAS(r, "<query xmlns='jabber:iq:private'><exodus "
		 "xmlns='exodus:prefs'/></query></iq>");
	r = t_iq("<iq type='set' id='s'><query xmlns='jabber:iq:private'>"
		 "<exodus xmlns='exodus:prefs'><defaultnick>Hamlet&lt;"
		 "</defaultnick></exodus></query></iq>");
	T_HAS(r, "type='result'");
	r = t_iq("<iq type='get' id='g'><query xmlns='jabber:iq:private'>"
		 "<exodus xmlns='exodus:prefs'/></query></iq>");
	T_HAS(r,
	      "<query xmlns='jabber:iq:private'><exodus xmlns='exodus:"
	      "prefs'><defaultnick>Hamlet&lt;</defaultnick></exodus></query>");
	r = t_iq("<iq type='set' id='s'><query xmlns='jabber:iq:private'>"
		 "<x xmlns='jabber:client'/></query></iq>");
	T_HAS(r, "<not-acceptable");
	r = t_iq("<iq type='get' id='s'><query xmlns='jabber:iq:private'>"
		 "<x/></query></iq>");
	T_HAS(r, "<not-acceptable");
	r = t_iq("<iq type='get' id='s'><query xmlns='jabber:iq:private'/>"
		 "</iq>");
	T_HAS(r, "<not-acceptable");
	r = t_iq("<iq type='get' id='s'><query xmlns='jabber:iq:private'>"
		 "<a xmlns='a:a'/><b xmlns='b:b'/></query></iq>");
	T_HAS(r, "<bad-request");
	r = t_iq_for("bob", "<iq type='get' id='s' to='bob@localhost'><query "
			    "xmlns='jabber:iq:private'><a xmlns='a:a'/>"
			    "</query></iq>");
	T_HAS(r, "<service-unavailable");
}
END_TEST

START_TEST(test_blocking)
{
	const char *r = t_iq("<iq type='get' id='l'><blocklist "
			     "xmlns='urn:xmpp:blocking'/></iq>");
	T_HAS(r, "<blocklist xmlns='urn:xmpp:blocking'></blocklist>");
	r = t_iq("<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'/>"
		 "</iq>");
	T_HAS(r, "<bad-request");
	r = t_iq("<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'>"
		 "<item jid='a@b'/><item jid='@x'/></block></iq>");
	T_HAS(r, "<jid-malformed");
	ck_assert_str_eq(t_out(&t_b), "");
	r = t_iq("<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'>"
		 "<item jid='Romeo@Montague.net'/><item jid='example.org'/>"
		 "</block></iq>");
	T_HAS(r, "<iq type='result' id='b' to='alice@localhost/a' "
		 "from='localhost'></iq>");
	/* every session gets the push, the requester too */
	T_HAS(r, "<block xmlns='urn:xmpp:blocking'><item "
		 "jid='romeo@montague.net'/><item jid='example.org'/></block>");
	r = t_out(&t_b);
	T_HAS(r, "type='set'");
	T_HAS(r, "to='alice@localhost/b'");
	T_HAS(r, "<item jid='romeo@montague.net'/>");
	ck_assert_int_eq(store_block_has(xmppd_config.store, "alice",
					 "romeo@montague.net"),
			 0);
	r = t_iq("<iq type='get' id='l'><blocklist "
		 "xmlns='urn:xmpp:blocking'/></iq>");
	T_HAS(r, "<item jid='example.org'/><item jid='romeo@montague.net'/>");
	r = t_iq("<iq type='set' id='u'><unblock xmlns='urn:xmpp:blocking'>"
		 "<item jid='example.org'/></unblock></iq>");
	T_HAS(r, "type='result'");
	T_HAS(r, "<unblock xmlns='urn:xmpp:blocking'><item "
		 "jid='example.org'/></unblock>");
	T_HAS(t_out(&t_b), "<unblock xmlns='urn:xmpp:blocking'>");
	r = t_iq("<iq type='set' id='u'><unblock xmlns='urn:xmpp:blocking'/>"
		 "</iq>");
	T_HAS(r, "type='result'");
	T_HAS(t_out(&t_b), "<unblock xmlns='urn:xmpp:blocking'></unblock>");
	ck_assert_int_eq(store_block_has(xmppd_config.store, "alice",
					 "romeo@montague.net"),
			 1);
}
END_TEST

START_TEST(test_roster)
{
	const char *r = t_iq("<iq type='get' id='r1'><query "
			     "xmlns='jabber:iq:roster' ver=''/></iq>");
	ck_assert_str_eq(r, "<iq type='result' id='r1' to='alice@localhost/a' "
			    "from='localhost'><query xmlns='jabber:iq:roster' "
			    "ver='0'></query></iq>");
	ck_assert_int_eq(t_a.xs.session->interested, 1);
	ck_assert_int_eq(t_b.xs.session->interested, 0);
	r = t_iq("<iq type='get' id='r2'><query xmlns='jabber:iq:roster' "
		 "ver='0'/></iq>");
	ck_assert_str_eq(r, "<iq type='result' id='r2' to='alice@localhost/a' "
			    "from='localhost'></iq>");

	r = t_iq("<iq type='set' id='s1'><query xmlns='jabber:iq:roster'>"
		 "<item jid='Romeo@Example.net' name='Romeo'><group>Friends"
		 "</group></item></query></iq>");
	T_HAS(r, "<iq type='result' id='s1' to='alice@localhost/a' "
		 "from='localhost'></iq>");
	T_HAS(r, "<iq type='set' id='push");
	T_HAS(r, "<query xmlns='jabber:iq:roster' ver='1'><item "
		 "jid='romeo@example.net' name='Romeo' subscription='none'>"
		 "<group>Friends</group></item></query>");
	/* b never asked for the roster: no push */
	ck_assert_str_eq(t_out(&t_b), "");

	/* the subscription state survives a rename */
	struct store_roster_item it;
	ck_assert_int_eq(store_roster_get_item(xmppd_config.store, "alice",
					       "romeo@example.net", &it),
			 0);
	it.sub = STORE_SUB_BOTH;
	it.ask = STORE_ASK_OUT;
	ck_assert_int_eq(
		store_roster_put(xmppd_config.store, "alice", &it, NULL), 0);
	store_roster_item_free(&it);
	r = t_iq("<iq type='set' id='s2'><query xmlns='jabber:iq:roster'>"
		 "<item jid='romeo@example.net' subscription='none'/></query>"
		 "</iq>");
	T_HAS(r, "<item jid='romeo@example.net' subscription='both' "
		 "ask='subscribe'/>");
	r = t_iq("<iq type='get' id='r3'><query xmlns='jabber:iq:roster'/>"
		 "</iq>");
	T_HAS(r, "<query xmlns='jabber:iq:roster'><item "
		 "jid='romeo@example.net' subscription='both' "
		 "ask='subscribe'/></query>");

	r = t_iq("<iq type='set' id='s3'><query xmlns='jabber:iq:roster'>"
		 "<item jid='romeo@example.net' subscription='remove'/>"
		 "</query></iq>");
	T_HAS(r, "type='result' id='s3'");
	T_HAS(r, "<item jid='romeo@example.net' subscription='remove'/>");
	r = t_iq("<iq type='set' id='s4'><query xmlns='jabber:iq:roster'>"
		 "<item jid='romeo@example.net' subscription='remove'/>"
		 "</query></iq>");
	T_HAS(r, "<item-not-found");
	r = t_iq("<iq type='set' id='s5'><query xmlns='jabber:iq:roster'>"
		 "<item jid='a@b'/><item jid='c@d'/></query></iq>");
	T_HAS(r, "<bad-request");
	r = t_iq_for("bob", "<iq type='get' id='r' to='bob@localhost'><query "
			    "xmlns='jabber:iq:roster'/></iq>");
	T_HAS(r, "<service-unavailable");
}
END_TEST

Suite *iq_server_suite(void)
{
	Suite *s = suite_create("iq_server");
	TCase *tc = tcase_create("helpers");
	tcase_add_test(tc, test_time_utc);
	tcase_add_test(tc, test_time_tzo);
	tcase_add_test(tc, test_private_reserved);
	tcase_add_test(tc, test_roster_item_write);
	tcase_add_loop_test(
		tc, test_roster_update_cases, 0,
		(int)(sizeof t_update_cases / sizeof t_update_cases[0]));
	tcase_add_test(tc, test_roster_update_fields);
	tcase_add_test(tc, test_roster_update_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("handlers");
	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	tcase_add_test(tc, test_ping_and_errors);
	tcase_add_test(tc, test_disco);
	tcase_add_test(tc, test_version_time);
	tcase_add_test(tc, test_vcard);
	tcase_add_test(tc, test_vcard_too_large);
	tcase_add_test(tc, test_private);
	tcase_add_test(tc, test_blocking);
	tcase_add_test(tc, test_roster);
	suite_add_tcase(s, tc);
	return s;
}
