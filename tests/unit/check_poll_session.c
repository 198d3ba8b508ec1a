/* check_poll_session.c: unit tests for the XEP-0025 session state machine
 * and its key sequence. Each rule is driven through the API with explicit
 * times (milliseconds) and checked against the exact answers (identifier
 * and body) and router actions it must produce: the key sequence with
 * the XEP's own vectors, a whole login, the client's stream split at
 * every byte, the shortest interval, inactivity, the queue limit, the
 * stream's end from either side, errors and the administrator's end. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "poll_body.h"
#include "poll_key.h"
#include "poll_session.h"
#include "suites.h"

#define SNS "xmlns:stream='http://etherx.jabber.org/streams'"
#define CHDR                                                                   \
	"<stream:stream to='example.com' xmlns='jabber:client' " SNS           \
	" version='1.0'>"
#define RHDR                                                                   \
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' " SNS       \
	" id='abc' from='example.com' version='1.0'>"
#define FEATURES                                                               \
	"<stream:features><mechanisms "                                        \
	"xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</"          \
	"mechanism></mechanisms></stream:features>"
#define AUTH                                                                   \
	"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "                      \
	"mechanism='PLAIN'>AGEAYg==</auth>"
#define SUCCESS "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
#define MSG "<message to='b@example.com' type='chat'><body>hi</body></message>"
#define MSG_IN                                                                 \
	"<message from='b@example.com/x' to='a@example.com/web' "              \
	"type='chat'><body>yo</body></message>"
#define MSG_IN_NS                                                              \
	"<message xmlns='jabber:client' from='b@example.com/x' "               \
	"to='a@example.com/web' type='chat'><body>yo</body></message>"
#define END "</stream:stream>"
#define ERR(cond)                                                              \
	"<stream:error><" cond " "                                             \
	"xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"

static const struct poll_config cfg = {
	.domain = "example.com",
	.instance = "t1",
	.inactivity = 30,
	.min_interval = 1000,
	.max_queue = 1024,
	.max_stanza = 4096,
};

/* ---- a test client: its key sequence and its requests */

#define KEYS 12

struct client {
	char keys[KEYS + 1][POLL_KEY_MAX + 1]; /* K(0) .. K(KEYS) */
	int n;				       /* the next key sent is K(n) */
	char id[POLL_ID_MAX + 1];
	uint64_t req;
	char doc[16384];
	struct poll_body body;
};

static void client_keys(struct client *c, const char *seed)
{
	snprintf(c->keys[0], sizeof c->keys[0], "%s", seed);
	for (int i = 1; i <= KEYS; i++)
		ck_assert_int_eq(poll_key_hash(c->keys[i - 1], c->keys[i]), 0);
	c->n = KEYS;
}

/* The body "id;key[;newkey],xml" (xml len bytes). */
static const struct poll_body *client_body(struct client *c, const char *id,
					   const char *key, const char *newkey,
					   const char *xml, size_t len)
{
	int n = snprintf(c->doc, sizeof c->doc, "%s;%s%s%s,", id, key,
			 newkey ? ";" : "", newkey ? newkey : "");
	ck_assert_uint_lt((size_t)n + len, sizeof c->doc);
	memcpy(c->doc + n, xml, len);
	enum poll_body_error err;
	static const struct poll_body_limits lim = {sizeof c->doc};
	ck_assert_int_eq(
		poll_body_parse(c->doc, (size_t)n + len, &lim, &c->body, &err),
		0);
	return &c->body;
}

/* The next request of the sequence, with xml. */
static const struct poll_body *next(struct client *c, const char *xml)
{
	ck_assert_int_ge(c->n, 0);
	c->req++;
	return client_body(c, c->id, c->keys[c->n--], NULL, xml, strlen(xml));
}

static void expect_answer(const struct poll_out *o, size_t i, uint64_t req,
			  const char *id, const char *body)
{
	ck_assert_uint_gt(o->nanswers, i);
	ck_assert_uint_eq(o->answers[i].req, req);
	ck_assert_str_eq(o->answers[i].id, id);
	ck_assert_str_eq(o->answers[i].body, body);
	ck_assert_uint_eq(o->answers[i].len, strlen(body));
}

static void expect_action(const struct poll_out *o, size_t i,
			  enum poll_action_kind kind, const char *data)
{
	ck_assert_uint_gt(o->nactions, i);
	ck_assert_int_eq(o->actions[i].kind, kind);
	if (data) {
		ck_assert_ptr_nonnull(o->actions[i].data);
		ck_assert_str_eq(o->actions[i].data, data);
	} else {
		ck_assert_ptr_null(o->actions[i].data);
	}
}

/* A session made at time 0 by request 1 carrying the client's header,
   with the router's header and features queued at 10. */
static struct poll_session *open_session(struct client *c, struct poll_out *o)
{
	client_keys(c, "foo");
	c->req = 1;
	poll_out_init(o);
	const struct poll_body *b =
		client_body(c, "0", c->keys[c->n--], NULL, CHDR, strlen(CHDR));
	struct poll_session *s = poll_session_new(&cfg, b, 1, 1, 0, o);
	ck_assert_ptr_nonnull(s);
	snprintf(c->id, sizeof c->id, "%s", poll_session_id(s));
	expect_answer(o, 0, 1, c->id, "");
	expect_action(o, 0, POLL_ACT_OPEN, NULL);
	ck_assert_uint_eq(o->nactions, 1);
	poll_out_reset(o);
	poll_session_from_router(s, RHDR FEATURES, strlen(RHDR FEATURES), 10,
				 o);
	ck_assert_uint_eq(o->nanswers + o->nactions, 0);
	return s;
}

/* ---- the key sequence (XEP-0025 4) */

START_TEST(test_key_vectors)
{
	static const char *const k[] = {
		"foo",
		"C+7Hteo/D9vJXQ3UfzxbwnXaijM=",
		"6UU8CDmH3O4aHFmCqSORCn721+M=",
		"vFFYSOhGyaGUgLrldtMBX7x91Wc=",
		"ZaDxCilBVTHS9dJfbBo1NsC2b+8=",
		"moPFsvHytDGiJQOjp186AMXAeP0=",
		"VvxEk07IFy6hUmG/PPBlTLE2fiA=",
	};
	char h[POLL_KEY_HASH_LEN + 1];
	for (size_t i = 1; i < sizeof k / sizeof k[0]; i++) {
		ck_assert_int_eq(poll_key_hash(k[i - 1], h), 0);
		ck_assert_str_eq(h, k[i]);
		ck_assert_int_eq(poll_key_follows(k[i - 1], k[i]), 1);
		/* not the other way round, nor the key itself */
		ck_assert_int_eq(poll_key_follows(k[i], k[i - 1]), 0);
		ck_assert_int_eq(poll_key_follows(k[i], k[i]), 0);
	}
	/* two steps back is not one */
	ck_assert_int_eq(poll_key_follows(k[1], k[3]), 0);
}
END_TEST

/* ---- creation */

START_TEST(test_creation)
{
	struct client c;
	struct poll_out o;
	poll_out_init(&o);
	client_keys(&c, "seed");
	/* no XML yet: the session exists, the stream is not open */
	const struct poll_body *b =
		client_body(&c, "0", c.keys[KEYS], "ignored", "", 0);
	struct poll_session *s = poll_session_new(&cfg, b, 0, 7, 0, &o);
	ck_assert_ptr_nonnull(s);
	const char *id = poll_session_id(s);
	/* "<instance>-" and 32 hex digits, for http-filed's routing */
	ck_assert_uint_eq(strlen(id), 3 + 32);
	ck_assert_mem_eq(id, "t1-", 3);
	ck_assert_uint_eq(strspn(id + 3, "0123456789abcdef"), 32);
	ck_assert_uint_eq(strlen(id), strspn(id, "0123456789abcdefghijklmnopq"
						 "rstuvwxyzABCDEFGHIJKLMNOP"
						 "QRSTUVWXYZ:-"));
	ck_assert_int_eq(poll_session_is_secure(s), 0);
	ck_assert_int_eq(poll_session_is_open(s), 0);
	ck_assert_str_eq(poll_session_jid(s), "");
	expect_answer(&o, 0, 7, id, "");
	ck_assert_uint_eq(o.nactions, 0);
	ck_assert_int_eq(o.ended, 0);
	ck_assert_uint_eq(poll_session_deadline(s), 30000);
	poll_out_reset(&o);
	/* the newkey of a creation is ignored: the next key follows K(n) */
	snprintf(c.id, sizeof c.id, "%s", id);
	c.n = KEYS - 1;
	poll_session_request(s, next(&c, CHDR), 8, 1000, &o);
	expect_answer(&o, 0, 8, id, "");
	expect_action(&o, 0, POLL_ACT_OPEN, NULL);
	poll_out_reset(&o);
	poll_session_free(s);
	/* two sessions never share an identifier */
	struct poll_session *t = poll_session_new(&cfg, b, 0, 9, 0, &o);
	struct poll_session *u = poll_session_new(&cfg, b, 0, 10, 0, &o);
	ck_assert_str_ne(poll_session_id(t), poll_session_id(u));
	poll_out_reset(&o);
	poll_session_free(t);
	poll_session_free(u);
}
END_TEST

START_TEST(test_creation_without_key)
{
	struct poll_out o;
	poll_out_init(&o);
	static const struct poll_body_limits lim = {1024};
	struct poll_body b;
	enum poll_body_error err;
	ck_assert_int_eq(
		poll_body_parse("0," CHDR, strlen("0," CHDR), &lim, &b, &err),
		0);
	ck_assert_ptr_null(poll_session_new(&cfg, &b, 0, 3, 0, &o));
	expect_answer(&o, 0, 3, POLL_ERR_BAD_REQUEST, "");
	ck_assert_uint_eq(o.nactions, 0);
	poll_out_reset(&o);
	ck_assert_int_eq(poll_reply_error(POLL_ERR_UNKNOWN, 4, &o), 0);
	expect_answer(&o, 0, 4, "0:0", "");
	poll_out_reset(&o);
	poll_session_free(NULL);
}
END_TEST

/* ---- a whole login */

START_TEST(test_login)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = open_session(&c, &o);
	ck_assert_int_eq(poll_session_is_open(s), 1);
	/* an empty poll gets the router's bytes exactly as they came */
	poll_session_request(s, next(&c, ""), 2, 1000, &o);
	expect_answer(&o, 0, 2, c.id, RHDR FEATURES);
	ck_assert_uint_eq(o.nactions, 0);
	poll_out_reset(&o);
	/* then nothing, at once */
	poll_session_request(s, next(&c, ""), 3, 2000, &o);
	expect_answer(&o, 0, 3, c.id, "");
	poll_out_reset(&o);
	/* SASL: the element goes to the router */
	poll_session_request(s, next(&c, AUTH), 4, 3000, &o);
	expect_action(&o, 0, POLL_ACT_DATA, AUTH);
	expect_answer(&o, 0, 4, c.id, "");
	poll_out_reset(&o);
	poll_session_from_router(s, SUCCESS, strlen(SUCCESS), 3010, &o);
	poll_session_request(s, next(&c, ""), 5, 4000, &o);
	expect_answer(&o, 0, 5, c.id, SUCCESS);
	poll_out_reset(&o);
	/* after success a new header restarts the stream (RFC 6120 6.4.6) */
	poll_session_request(s, next(&c, "<?xml version='1.0'?>" CHDR), 6, 5000,
			     &o);
	expect_action(&o, 0, POLL_ACT_RESTART, NULL);
	ck_assert_uint_eq(o.nactions, 1);
	poll_out_reset(&o);
	const char *bind_features = RHDR
		"<stream:features><bind "
		"xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>";
	poll_session_from_router(s, bind_features, strlen(bind_features), 5010,
				 &o);
	const char *bind =
		"<iq type='set' id='b1'><bind "
		"xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</"
		"resource></bind></iq>";
	poll_session_request(s, next(&c, bind), 7, 6000, &o);
	expect_answer(&o, 0, 7, c.id, bind_features);
	expect_action(&o, 0, POLL_ACT_DATA, bind);
	poll_out_reset(&o);
	/* the JID, from the router's bind result */
	const char *result =
		"<iq type='result' id='b1'><bind "
		"xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>a@example.com/"
		"web</jid></bind></iq>";
	poll_session_from_router(s, result, strlen(result), 6010, &o);
	ck_assert_str_eq(poll_session_jid(s), "a@example.com/web");
	/* several elements in one request: one DATA */
	poll_session_request(s, next(&c, "<presence/>\n " MSG), 8, 7000, &o);
	expect_action(&o, 0, POLL_ACT_DATA, "<presence/>" MSG);
	ck_assert_uint_eq(o.nactions, 1);
	expect_answer(&o, 0, 8, c.id, result);
	poll_out_reset(&o);
	/* an element in another namespace keeps its xmlns */
	poll_session_request(
		s, next(&c, "<x:ping xmlns:x='urn:xmpp:ping' id='p'/>"), 9,
		8000, &o);
	expect_action(&o, 0, POLL_ACT_DATA,
		      "<ping xmlns='urn:xmpp:ping' id='p'/>");
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

/* The client's stream split at every byte across two requests: the same
   actions as in one piece. */
START_TEST(test_split_everywhere)
{
	const char *stream = CHDR AUTH "<presence/>";
	size_t n = strlen(stream);
	for (size_t cut = 0; cut <= n; cut++) {
		struct client c;
		struct poll_out o;
		client_keys(&c, "split");
		poll_out_init(&o);
		const struct poll_body *b =
			client_body(&c, "0", c.keys[c.n--], NULL, stream, cut);
		struct poll_session *s = poll_session_new(&cfg, b, 0, 1, 0, &o);
		ck_assert_ptr_nonnull(s);
		snprintf(c.id, sizeof c.id, "%s", poll_session_id(s));
		c.req = 2;
		b = client_body(&c, c.id, c.keys[c.n--], NULL, stream + cut,
				n - cut);
		poll_session_request(s, b, 2, 1000, &o);
		ck_assert_uint_eq(o.nanswers, 2);
		expect_action(&o, 0, POLL_ACT_OPEN, NULL);
		/* the elements complete in the first or in the second */
		char data[512] = "";
		for (size_t i = 1; i < o.nactions; i++) {
			ck_assert_int_eq(o.actions[i].kind, POLL_ACT_DATA);
			strncat(data, o.actions[i].data,
				sizeof data - strlen(data) - 1);
		}
		ck_assert_str_eq(data, AUTH "<presence/>");
		ck_assert_int_eq(o.ended, 0);
		poll_out_reset(&o);
		poll_session_free(s);
	}
}
END_TEST

/* ---- keys on requests */

START_TEST(test_key_errors)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = open_session(&c, &o);
	struct poll_session_info info;
	/* a wrong key: -3:0, nothing processed, the session not kept alive */
	poll_session_request(
		s, client_body(&c, c.id, "wrong", NULL, MSG, strlen(MSG)), 2,
		5000, &o);
	expect_answer(&o, 0, 2, POLL_ERR_KEY, "");
	ck_assert_uint_eq(o.nactions, 0);
	ck_assert_int_eq(o.ended, 0);
	poll_session_get_info(s, &info);
	ck_assert_uint_eq(info.last_request, 0);
	ck_assert_uint_eq(info.queued, strlen(RHDR FEATURES));
	ck_assert_uint_eq(poll_session_deadline(s), 30000);
	poll_out_reset(&o);
	/* no key at all */
	static const struct poll_body_limits lim = {1024};
	struct poll_body nokey;
	enum poll_body_error err;
	char doc[128];
	snprintf(doc, sizeof doc, "%s,<presence/>", c.id);
	ck_assert_int_eq(poll_body_parse(doc, strlen(doc), &lim, &nokey, &err),
			 0);
	poll_session_request(s, &nokey, 3, 5000, &o);
	expect_answer(&o, 0, 3, POLL_ERR_KEY, "");
	ck_assert_uint_eq(o.nactions, 0);
	poll_out_reset(&o);
	/* the right key still works, and gets what was queued */
	int used = c.n;
	poll_session_request(s, next(&c, MSG), 4, 6000, &o);
	expect_answer(&o, 0, 4, c.id, RHDR FEATURES);
	expect_action(&o, 0, POLL_ACT_DATA, MSG);
	ck_assert_uint_eq(poll_session_deadline(s), 36000);
	poll_out_reset(&o);
	/* a key used before: -3:0 */
	poll_session_request(
		s, client_body(&c, c.id, c.keys[used], NULL, MSG, strlen(MSG)),
		5, 7000, &o);
	expect_answer(&o, 0, 5, POLL_ERR_KEY, "");
	ck_assert_uint_eq(o.nactions, 0);
	poll_out_reset(&o);
	/* K(n-2) instead of K(n-1): -3:0 */
	poll_session_request(
		s, client_body(&c, c.id, c.keys[c.n - 1], NULL, "", 0), 6, 7000,
		&o);
	expect_answer(&o, 0, 6, POLL_ERR_KEY, "");
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

START_TEST(test_newkey)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = open_session(&c, &o);
	poll_out_reset(&o);
	/* run the sequence down to K(1), then switch with a new one */
	uint64_t t = 1000;
	while (c.n > 1) {
		poll_session_request(s, next(&c, ""), ++c.req, t += 1000, &o);
		ck_assert_str_eq(o.answers[o.nanswers - 1].id, c.id);
	}
	struct client d;
	client_keys(&d, "bar");
	poll_session_request(
		s, client_body(&c, c.id, c.keys[1], d.keys[KEYS], "", 0), 100,
		t += 1000, &o);
	ck_assert_str_eq(o.answers[o.nanswers - 1].id, c.id);
	/* K(0) of the old sequence no longer follows */
	poll_session_request(s, client_body(&c, c.id, c.keys[0], NULL, "", 0),
			     101, t += 1000, &o);
	ck_assert_str_eq(o.answers[o.nanswers - 1].id, POLL_ERR_KEY);
	/* the new sequence does */
	poll_session_request(
		s, client_body(&c, c.id, d.keys[KEYS - 1], NULL, "", 0), 102,
		t += 1000, &o);
	ck_assert_str_eq(o.answers[o.nanswers - 1].id, c.id);
	/* K(0) sent without a new key ends the sequence: nothing follows */
	strcpy(d.id, c.id);
	d.n = KEYS - 2;
	while (d.n >= 0)
		poll_session_request(s, next(&d, ""), 200, t += 1000, &o);
	ck_assert_str_eq(o.answers[o.nanswers - 1].id, c.id);
	poll_session_request(s, client_body(&c, c.id, "foo", NULL, "", 0), 201,
			     t += 1000, &o);
	ck_assert_str_eq(o.answers[o.nanswers - 1].id, POLL_ERR_KEY);
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

/* ---- timing */

START_TEST(test_min_interval)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = open_session(&c, &o);
	/* answered at 0: a request at 400 waits until 1000 */
	poll_session_request(s, next(&c, MSG), 2, 400, &o);
	expect_action(&o, 0, POLL_ACT_DATA, MSG); /* sent on at once */
	ck_assert_uint_eq(o.nanswers, 0);
	ck_assert_uint_eq(poll_session_deadline(s), 1000);
	struct poll_session_info info;
	poll_session_get_info(s, &info);
	ck_assert_int_eq(info.waiting, 1);
	ck_assert_uint_eq(info.inactivity_deadline, UINT64_MAX);
	poll_out_reset(&o);
	poll_session_from_router(s, MSG_IN, strlen(MSG_IN), 500, &o);
	ck_assert_uint_eq(o.nanswers, 0);
	poll_session_timeout(s, 999, &o);
	ck_assert_uint_eq(o.nanswers, 0);
	poll_session_timeout(s, 1000, &o);
	expect_answer(&o, 0, 2, c.id, RHDR FEATURES MSG_IN);
	/* inactivity counts from the request's arrival */
	ck_assert_uint_eq(poll_session_deadline(s), 400 + 30000);
	poll_out_reset(&o);
	/* a second request while one waits: the first is answered at once,
	   the second waits in its place */
	poll_session_request(s, next(&c, ""), 3, 1500, &o);
	ck_assert_uint_eq(o.nanswers, 0);
	poll_session_request(s, next(&c, ""), 4, 1600, &o);
	expect_answer(&o, 0, 3, c.id, "");
	ck_assert_uint_eq(o.nanswers, 1);
	ck_assert_uint_eq(poll_session_deadline(s), 2600);
	poll_out_reset(&o);
	/* the client went away: the waiting request is forgotten */
	poll_session_abort(s, 99);
	poll_session_abort(s, 4);
	poll_session_timeout(s, 2600, &o);
	ck_assert_uint_eq(o.nanswers, 0);
	ck_assert_uint_eq(poll_session_deadline(s), 1600 + 30000);
	/* a request on time is answered at once */
	poll_session_request(s, next(&c, ""), 5, 2600, &o);
	expect_answer(&o, 0, 5, c.id, "");
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

START_TEST(test_inactivity)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = open_session(&c, &o);
	poll_session_request(s, next(&c, ""), 2, 1000, &o);
	poll_out_reset(&o);
	/* stanzas queued for a client that never comes back go to the
	   router with the close, each with its xmlns; other output does not */
	const char *more = MSG_IN "<stream:features/>";
	poll_session_from_router(s, more, strlen(more), 2000, &o);
	/* requests with a wrong key do not keep it alive */
	poll_session_request(s, client_body(&c, c.id, "x", NULL, "", 0), 3,
			     20000, &o);
	expect_answer(&o, 0, 3, POLL_ERR_KEY, "");
	poll_out_reset(&o);
	ck_assert_uint_eq(poll_session_deadline(s), 31000);
	poll_session_timeout(s, 30999, &o);
	ck_assert_uint_eq(o.nactions + o.nanswers, 0);
	ck_assert_int_eq(o.ended, 0);
	ck_assert_str_eq(poll_session_why(s), "");
	poll_session_timeout(s, 31000, &o);
	ck_assert_str_eq(poll_session_why(s), "inactivity");
	expect_action(&o, 0, POLL_ACT_CLOSE, MSG_IN_NS);
	ck_assert_uint_eq(o.nanswers, 0);
	ck_assert_int_eq(o.ended, 1);
	ck_assert_int_eq(poll_session_is_open(s), 0);
	ck_assert_uint_eq(poll_session_deadline(s), UINT64_MAX);
	poll_out_reset(&o);
	/* a request afterwards (the daemon would have freed it): 0:0 */
	poll_session_request(s, next(&c, ""), 4, 32000, &o);
	expect_answer(&o, 0, 4, POLL_ERR_UNKNOWN, "");
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

START_TEST(test_delivered_not_undelivered)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = open_session(&c, &o);
	poll_session_from_router(s, MSG_IN, strlen(MSG_IN), 20, &o);
	poll_session_request(s, next(&c, ""), 2, 1000, &o);
	expect_answer(&o, 0, 2, c.id, RHDR FEATURES MSG_IN);
	poll_out_reset(&o);
	poll_session_timeout(s, 31000, &o);
	expect_action(&o, 0, POLL_ACT_CLOSE, NULL);
	ck_assert_int_eq(o.ended, 1);
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

/* ---- the end of the stream */

START_TEST(test_queue_limit)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = open_session(&c, &o);
	poll_session_request(s, next(&c, ""), 2, 1000, &o);
	poll_out_reset(&o);
	/* as many messages as fit in max_queue, then one more */
	size_t n = strlen(MSG_IN), fit = cfg.max_queue / n;
	for (size_t i = 0; i < fit; i++) {
		poll_session_from_router(s, MSG_IN, n, 1100, &o);
		ck_assert_uint_eq(o.nactions, 0);
	}
	struct poll_session_info info;
	poll_session_get_info(s, &info);
	ck_assert_uint_eq(info.queued, fit * n);
	poll_session_from_router(s, MSG_IN, n, 1100, &o);
	ck_assert_str_eq(poll_session_why(s), "queue limit");
	/* all of them go back to the router, the last one too */
	ck_assert_uint_eq(o.nactions, 1);
	ck_assert_int_eq(o.actions[0].kind, POLL_ACT_CLOSE);
	ck_assert_uint_eq(o.actions[0].len, (fit + 1) * strlen(MSG_IN_NS));
	ck_assert_mem_eq(o.actions[0].data, MSG_IN_NS, strlen(MSG_IN_NS));
	ck_assert_int_eq(o.ended, 0);
	poll_out_reset(&o);
	/* the client's next poll gets the end of the stream, and it is over */
	poll_session_get_info(s, &info);
	ck_assert_uint_lt(info.queued, 200);
	poll_session_request(s, next(&c, MSG), 3, 2000, &o);
	expect_answer(&o, 0, 3, c.id, ERR("policy-violation") END);
	ck_assert_uint_eq(o.nactions, 0); /* its message is not sent */
	ck_assert_int_eq(o.ended, 1);
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

START_TEST(test_client_close)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = open_session(&c, &o);
	poll_session_request(s, next(&c, ""), 2, 1000, &o);
	poll_session_from_router(s, MSG_IN, strlen(MSG_IN), 1100, &o);
	poll_out_reset(&o);
	/* a last stanza and the end, even too soon: answered at once */
	poll_session_request(s, next(&c, "<presence type='unavailable'/>" END),
			     3, 1200, &o);
	expect_action(&o, 0, POLL_ACT_DATA, "<presence type='unavailable'/>");
	expect_action(&o, 1, POLL_ACT_CLOSE, MSG_IN_NS);
	expect_answer(&o, 0, 3, c.id, END);
	ck_assert_int_eq(o.ended, 1);
	ck_assert_str_eq(poll_session_why(s), "the client ended its stream");
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

START_TEST(test_client_errors)
{
	struct client c;
	struct poll_out o;
	/* malformed XML after the stream is open */
	struct poll_session *s = open_session(&c, &o);
	poll_session_request(s, next(&c, ""), 2, 1000, &o);
	poll_out_reset(&o);
	poll_session_request(s, next(&c, "<message><body></message>"), 3, 2000,
			     &o);
	expect_action(&o, 0, POLL_ACT_CLOSE, NULL);
	expect_answer(&o, 0, 3, c.id, ERR("not-well-formed") END);
	ck_assert_str_eq(poll_session_why(s), "not-well-formed");
	ck_assert_int_eq(o.ended, 1);
	poll_out_reset(&o);
	poll_session_free(s);

	/* before any header: pollgw writes one, and no stream is opened */
	client_keys(&c, "k");
	const struct poll_body *b =
		client_body(&c, "0", c.keys[KEYS], NULL, "<!DOCTYPE x>", 12);
	s = poll_session_new(&cfg, b, 0, 1, 0, &o);
	ck_assert_ptr_nonnull(s);
	char want[512];
	snprintf(
		want, sizeof want,
		"<?xml version='1.0'?><stream:stream xmlns='jabber:client' " SNS
		" id='%s' from='example.com' version='1.0'>" ERR(
			"restricted-xml") END,
		poll_session_id(s));
	expect_answer(&o, 0, 1, poll_session_id(s), want);
	ck_assert_uint_eq(o.nactions, 0);
	ck_assert_int_eq(o.ended, 1);
	poll_out_reset(&o);
	poll_session_free(s);

	/* another domain */
	const char *other = "<stream:stream to='other.org' "
			    "xmlns='jabber:client' " SNS ">";
	b = client_body(&c, "0", c.keys[KEYS], NULL, other, strlen(other));
	s = poll_session_new(&cfg, b, 0, 1, 0, &o);
	ck_assert_uint_eq(o.nactions, 0);
	ck_assert_ptr_nonnull(
		strstr(o.answers[0].body, ERR("host-unknown") END));
	ck_assert_int_eq(o.ended, 1);
	poll_out_reset(&o);
	poll_session_free(s);

	/* another content namespace */
	const char *ns = "<stream:stream to='example.com' "
			 "xmlns='jabber:server' " SNS ">";
	b = client_body(&c, "0", c.keys[KEYS], NULL, ns, strlen(ns));
	s = poll_session_new(&cfg, b, 0, 1, 0, &o);
	ck_assert_ptr_nonnull(
		strstr(o.answers[0].body, ERR("invalid-namespace") END));
	poll_out_reset(&o);
	poll_session_free(s);

	/* an element larger than max_stanza (4096) */
	s = open_session(&c, &o);
	static char big[5000];
	memset(big, 'x', sizeof big - 1);
	memcpy(big, "<message><body>", 15);
	poll_session_request(s, next(&c, big), 2, 1000, &o);
	expect_action(&o, 0, POLL_ACT_CLOSE, NULL);
	/* the router's header and features went back with the close (they
	   are no stanzas: dropped there): the client gets pollgw's header */
	snprintf(
		want, sizeof want,
		"<?xml version='1.0'?><stream:stream xmlns='jabber:client' " SNS
		" id='%s' from='example.com' version='1.0'>" ERR(
			"policy-violation") END,
		c.id);
	expect_answer(&o, 0, 2, c.id, want);
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

START_TEST(test_router_gone)
{
	struct client c;
	struct poll_out o;
	/* the router ends the stream itself: the client gets its error */
	struct poll_session *s = open_session(&c, &o);
	const char *bye = ERR("conflict") END;
	poll_session_from_router(s, bye, strlen(bye), 100, &o);
	poll_session_router_gone(s, 100, &o);
	ck_assert_uint_eq(o.nactions + o.nanswers, 0);
	ck_assert_int_eq(o.ended, 0);
	ck_assert_int_eq(poll_session_is_open(s), 0);
	/* its next poll, even too soon, gets it all, and it is over */
	poll_session_request(s, next(&c, MSG), 2, 200, &o);
	ck_assert_uint_eq(o.nactions, 0);
	expect_answer(&o, 0, 2, c.id, RHDR FEATURES ERR("conflict") END);
	ck_assert_int_eq(o.ended, 1);
	poll_out_reset(&o);
	poll_session_free(s);

	/* the router's connection breaks: remote-connection-failed, also
	   for a request that waits */
	s = open_session(&c, &o);
	poll_session_request(s, next(&c, ""), 2, 1000, &o);
	poll_session_request(s, next(&c, ""), 3, 1500, &o);
	poll_out_reset(&o);
	poll_session_router_gone(s, 1600, &o);
	expect_answer(&o, 0, 3, c.id, ERR("remote-connection-failed") END);
	ck_assert_uint_eq(o.nactions, 0);
	ck_assert_int_eq(o.ended, 1);
	poll_out_reset(&o);
	poll_session_free(s);

	/* a session whose stream never opened is not the router's */
	client_keys(&c, "k");
	s = poll_session_new(&cfg,
			     client_body(&c, "0", c.keys[KEYS], NULL, "", 0), 0,
			     1, 0, &o);
	poll_out_reset(&o);
	poll_session_router_gone(s, 10, &o);
	ck_assert_int_eq(o.ended, 0);
	poll_session_free(s);
}
END_TEST

START_TEST(test_end_by_admin)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = open_session(&c, &o);
	poll_session_request(s, next(&c, ""), 2, 1000, &o);
	poll_session_from_router(s, MSG_IN, strlen(MSG_IN), 1100, &o);
	poll_session_request(s, next(&c, ""), 3, 1200, &o); /* waits */
	poll_out_reset(&o);
	poll_session_end(s, "undefined-condition", "admin", 1300, &o);
	ck_assert_str_eq(poll_session_why(s), "admin");
	/* the message goes back; the waiting request gets the error */
	expect_action(&o, 0, POLL_ACT_CLOSE, MSG_IN_NS);
	expect_answer(&o, 0, 3, c.id, ERR("undefined-condition") END);
	ck_assert_int_eq(o.ended, 1);
	poll_out_reset(&o);
	poll_session_free(s);

	/* nothing waiting, stream not open: just over */
	client_keys(&c, "k");
	s = poll_session_new(&cfg,
			     client_body(&c, "0", c.keys[KEYS], NULL, "", 0), 0,
			     1, 0, &o);
	poll_out_reset(&o);
	poll_session_end(s, "system-shutdown", "shutdown", 10, &o);
	ck_assert_uint_eq(o.nactions + o.nanswers, 0);
	ck_assert_int_eq(o.ended, 1);
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

START_TEST(test_jid_only_from_bind_result)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = open_session(&c, &o);
	const char *set = "<iq type='set' id='x'><bind "
			  "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>no@"
			  "example.com/x</jid></bind></iq>";
	poll_session_from_router(s, set, strlen(set), 20, &o);
	ck_assert_str_eq(poll_session_jid(s), "");
	const char *res = "<iq type='result' id='b'><bind "
			  "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>a&amp;"
			  "b@example.com/r</jid></bind></iq>";
	poll_session_from_router(s, res, strlen(res), 30, &o);
	ck_assert_str_eq(poll_session_jid(s), "a&b@example.com/r");
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

Suite *poll_session_suite(void)
{
	Suite *s = suite_create("poll_session");
	TCase *keys = tcase_create("keys");
	tcase_add_test(keys, test_key_vectors);
	suite_add_tcase(s, keys);
	TCase *tc = tcase_create("rules");
	tcase_add_test(tc, test_creation);
	tcase_add_test(tc, test_creation_without_key);
	tcase_add_test(tc, test_login);
	tcase_add_test(tc, test_split_everywhere);
	tcase_add_test(tc, test_key_errors);
	tcase_add_test(tc, test_newkey);
	tcase_add_test(tc, test_min_interval);
	tcase_add_test(tc, test_inactivity);
	tcase_add_test(tc, test_delivered_not_undelivered);
	tcase_add_test(tc, test_queue_limit);
	tcase_add_test(tc, test_client_close);
	tcase_add_test(tc, test_client_errors);
	tcase_add_test(tc, test_router_gone);
	tcase_add_test(tc, test_end_by_admin);
	tcase_add_test(tc, test_jid_only_from_bind_result);
	suite_add_tcase(s, tc);
	return s;
}
