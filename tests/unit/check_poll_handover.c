/* check_poll_handover.c: unit tests for a polling session handed over to
 * another process (pollgw/poll_handover.c): a session saved and restored
 * into a fresh one continues its key sequence, keeps its queue and the
 * stanzas it would hand back, and parses the client's and the router's
 * next elements; the client's stream cut at every byte moves exactly when
 * it is between two elements; a session with a request waiting, inside
 * an element, or over refuses to be saved; a closing session moves with
 * its stream's end; restoring refuses inconsistent records. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "handover.h"
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
#define MSG "<message to='b@example.com' type='chat'><body>hi</body></message>"
#define MSG_IN                                                                 \
	"<message from='b@example.com/x' to='a@example.com/web' "              \
	"type='chat'><body>yo</body></message>"
#define MSG_IN_NS                                                              \
	"<message xmlns='jabber:client' from='b@example.com/x' "               \
	"to='a@example.com/web' type='chat'><body>yo</body></message>"
#define MSG_IN2                                                                \
	"<message from='b@example.com/x' to='a@example.com/web' "              \
	"type='chat'><body>again</body></message>"

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

/* The body "id;key,xml" (xml len bytes). */
static const struct poll_body *client_body(struct client *c, const char *id,
					   const char *key, const char *xml,
					   size_t len)
{
	int n = snprintf(c->doc, sizeof c->doc, "%s;%s,", id, key);
	ck_assert_uint_lt((size_t)n + len, sizeof c->doc);
	memcpy(c->doc + n, xml, len);
	enum poll_body_error err;
	static const struct poll_body_limits lim = {sizeof c->doc};
	ck_assert_int_eq(
		poll_body_parse(c->doc, (size_t)n + len, &lim, &c->body, &err),
		0);
	return &c->body;
}

/* The next request of the sequence, with len bytes of xml. */
static const struct poll_body *next_n(struct client *c, const char *xml,
				      size_t len)
{
	ck_assert_int_ge(c->n, 0);
	c->req++;
	return client_body(c, c->id, c->keys[c->n--], xml, len);
}

/* Sends the next request (len bytes of xml) at now; its handle. */
static uint64_t ask_n(struct poll_session *s, struct client *c, const char *xml,
		      size_t len, uint64_t now, struct poll_out *o)
{
	const struct poll_body *b = next_n(c, xml, len);
	poll_session_request(s, b, c->req, now, o);
	return c->req;
}

static uint64_t ask(struct poll_session *s, struct client *c, const char *xml,
		    uint64_t now, struct poll_out *o)
{
	return ask_n(s, c, xml, strlen(xml), now, o);
}

static void expect_answer(const struct poll_out *o, size_t i, uint64_t req,
			  const char *id, const char *body)
{
	ck_assert_uint_gt(o->nanswers, i);
	ck_assert_uint_eq(o->answers[i].req, req);
	ck_assert_str_eq(o->answers[i].id, id);
	ck_assert_str_eq(o->answers[i].body, body);
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

/* A session made at time 0 by request 1 with len bytes of the client's
   stream. */
static struct poll_session *open_n(struct client *c, const char *xml,
				   size_t len, struct poll_out *o)
{
	client_keys(c, "handover");
	c->req = 1;
	poll_out_init(o);
	const struct poll_body *b =
		client_body(c, "0", c->keys[c->n--], xml, len);
	struct poll_session *s = poll_session_new(&cfg, b, 1, 1, 0, o);
	ck_assert_ptr_nonnull(s);
	snprintf(c->id, sizeof c->id, "%s", poll_session_id(s));
	return s;
}

/* ---- saving and restoring */

/* Saves s into a new buffer b (0), or -1 if it refuses. */
static int save(struct poll_session *s, struct buf *b)
{
	buf_init(b, HANDOVER_FILE_MAX);
	int rc = poll_session_save(s, b);
	if (rc < 0)
		buf_free(b);
	return rc;
}

/* The record in b read back into a fresh session; NULL if it refuses. */
static struct poll_session *restore(const struct buf *b)
{
	struct handover_reader r = {buf_head(b), buf_head(b) + b->len};
	struct handover_field f;
	struct poll_session *t = poll_session_restore_new(&cfg);
	ck_assert_ptr_nonnull(t);
	int rc;
	while ((rc = handover_next(&r, &f)) == 1)
		if (poll_session_restore_field(t, &f) != 1)
			break;
	if (rc != 0 || poll_session_restore_done(t, UINT64_MAX) < 0) {
		poll_session_free(t);
		return NULL;
	}
	return t;
}

/* s saved, freed, and restored. */
static struct poll_session *move(struct poll_session *s)
{
	struct buf b;
	ck_assert_int_eq(save(s, &b), 0);
	poll_session_free(s);
	struct poll_session *t = restore(&b);
	buf_free(&b);
	ck_assert_ptr_nonnull(t);
	return t;
}

/* A logged-in-like session: the router's header and features fetched,
   a message from the router queued (request 2 at 1000 ms). */
static struct poll_session *busy_session(struct client *c, struct poll_out *o)
{
	struct poll_session *s = open_n(c, CHDR, strlen(CHDR), o);
	poll_out_reset(o);
	poll_session_from_router(s, RHDR FEATURES, strlen(RHDR FEATURES), 10,
				 o);
	ask(s, c, "", 1000, o);
	expect_answer(o, 0, c->req, c->id, RHDR FEATURES);
	poll_out_reset(o);
	poll_session_from_router(s, MSG_IN, strlen(MSG_IN), 1500, o);
	ck_assert_uint_eq(o->nanswers + o->nactions, 0);
	return s;
}

START_TEST(test_moves_and_continues)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = busy_session(&c, &o);
	struct poll_session_info before, after;
	poll_session_get_info(s, &before);
	uint64_t deadline = poll_session_deadline(s);
	s = move(s);
	/* the same identifier, security, state and clock */
	ck_assert_str_eq(poll_session_id(s), c.id);
	ck_assert_int_eq(poll_session_is_secure(s), 1);
	ck_assert_int_eq(poll_session_is_open(s), 1);
	ck_assert_int_eq(poll_session_router_open(s), 1);
	ck_assert_str_eq(poll_session_why(s), "");
	poll_session_get_info(s, &after);
	ck_assert_uint_eq(after.queued, before.queued);
	ck_assert_uint_eq(after.last_request, before.last_request);
	ck_assert_uint_eq(poll_session_deadline(s), deadline);
	/* the key already used is refused; the next one of the sequence is
	   taken */
	char used[POLL_KEY_MAX + 1];
	snprintf(used, sizeof used, "%s", c.keys[c.n + 1]);
	poll_session_request(s, client_body(&c, c.id, used, "", 0), 50, 3000,
			     &o);
	expect_answer(&o, 0, 50, POLL_ERR_KEY, "");
	poll_out_reset(&o);
	/* the queue comes whole, the client's next element is parsed */
	ask(s, &c, MSG, 3000, &o);
	expect_action(&o, 0, POLL_ACT_DATA, MSG);
	ck_assert_uint_eq(o.nactions, 1);
	expect_answer(&o, 0, c.req, c.id, MSG_IN);
	ck_assert_uint_eq(o.nanswers, 1);
	poll_out_reset(&o);
	/* the router's next stanza is parsed as part of its stream: it is
	   kept for UNDELIVERED, as the first was before the move */
	poll_session_from_router(s, MSG_IN, strlen(MSG_IN), 3500, &o);
	poll_session_end(s, "system-shutdown", "test", 3600, &o);
	expect_action(&o, 0, POLL_ACT_CLOSE, MSG_IN_NS);
	ck_assert_int_eq(o.ended, 1);
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

/* What was not yet given to the client goes back to the router from the
   new process if the session ends there. */
START_TEST(test_undelivered_moves)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = move(busy_session(&c, &o));
	poll_session_end(s, "system-shutdown", "test", 2000, &o);
	expect_action(&o, 0, POLL_ACT_CLOSE, MSG_IN_NS);
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

/* After SASL success both streams restart: a session moved then parses
   the client's new header as a restart. */
START_TEST(test_moves_after_sasl)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = open_n(&c, CHDR AUTH, strlen(CHDR AUTH), &o);
	poll_out_reset(&o);
	const char *success = RHDR FEATURES
		"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>";
	poll_session_from_router(s, success, strlen(success), 10, &o);
	s = move(s);
	ask(s, &c, CHDR, 2000, &o);
	expect_action(&o, 0, POLL_ACT_RESTART, NULL);
	expect_answer(&o, 0, c.req, c.id, success);
	poll_out_reset(&o);
	/* the router's new header, then an element: both parsed */
	poll_session_from_router(s, RHDR MSG_IN2, strlen(RHDR MSG_IN2), 2100,
				 &o);
	ck_assert_uint_eq(o.nanswers + o.nactions, 0);
	s = move(s);
	poll_session_end(s, NULL, "test", 2200, &o);
	expect_action(&o, 0, POLL_ACT_CLOSE,
		      "<message xmlns='jabber:client' from='b@example.com/x' "
		      "to='a@example.com/web' type='chat'><body>again</body>"
		      "</message>");
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

/* The client's stream cut at every byte: the session moves exactly when
   the cut is between two elements, and the rest then gives the same
   elements to the router. */
START_TEST(test_client_cut_everywhere)
{
	const char *stream = CHDR AUTH "<presence/>";
	size_t n = strlen(stream), h = strlen(CHDR), a = strlen(AUTH);
	for (size_t cut = 0; cut <= n; cut++) {
		struct client c;
		struct poll_out o;
		struct poll_session *s = open_n(&c, stream, cut, &o);
		int boundary = cut == 0 || cut == h || cut == h + a || cut == n;
		struct buf b;
		if (save(s, &b) < 0) {
			ck_assert_msg(!boundary, "refused at %zu", cut);
			poll_out_reset(&o);
			poll_session_free(s);
			continue;
		}
		ck_assert_msg(boundary, "moved at %zu", cut);
		poll_session_free(s);
		s = restore(&b);
		buf_free(&b);
		ck_assert_ptr_nonnull(s);
		ask_n(s, &c, stream + cut, n - cut, 2000, &o);
		/* every action of both processes, in order */
		struct buf all;
		buf_init(&all, 4096);
		for (size_t i = 0; i < o.nactions; i++) {
			const struct poll_action *x = &o.actions[i];
			ck_assert_int_eq(
				buf_append_str(&all, x->kind == POLL_ACT_OPEN
							     ? "[open]"
							     : ""),
				0);
			if (x->data)
				ck_assert_int_eq(
					buf_append(&all, x->data, x->len), 0);
		}
		ck_assert_int_eq(buf_append(&all, "", 1), 0);
		ck_assert_str_eq(buf_head(&all), "[open]" AUTH "<presence/>");
		buf_free(&all);
		poll_out_reset(&o);
		poll_session_free(s);
	}
}
END_TEST

/* A client inside an element cannot move; once the element is whole it
   can. */
START_TEST(test_inside_client_element_refuses)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = busy_session(&c, &o);
	ask(s, &c, "<message to='b@example.com'><bo", 2000, &o);
	poll_out_reset(&o);
	struct buf b;
	ck_assert_int_eq(save(s, &b), -1);
	ask(s, &c, "dy>x</body></message>", 3000, &o);
	expect_action(&o, 0, POLL_ACT_DATA,
		      "<message to='b@example.com'><body>x</body></message>");
	poll_out_reset(&o);
	ck_assert_int_eq(save(s, &b), 0);
	buf_free(&b);
	poll_session_free(s);
}
END_TEST

/* The router's stream inside an element, or ended, cannot move. */
START_TEST(test_inside_router_element_refuses)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = busy_session(&c, &o);
	poll_session_from_router(s, "<message><bo", 12, 2000, &o);
	struct buf b;
	ck_assert_int_eq(save(s, &b), -1);
	poll_session_from_router(s, "dy>z</body></message>", 21, 2001, &o);
	ck_assert_int_eq(save(s, &b), 0);
	buf_free(&b);
	poll_session_from_router(s, "</stream:stream>", 16, 2002, &o);
	ck_assert_int_eq(save(s, &b), -1);
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

/* A request waiting for the shortest interval must be answered first
   (poll_session_release); then the session moves. */
START_TEST(test_waiting_request_released)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = busy_session(&c, &o);
	ask(s, &c, "", 1200, &o);
	ck_assert_uint_eq(o.nanswers, 0); /* waits: 200 ms after 1000 */
	uint64_t waiting = c.req;
	struct buf b;
	ck_assert_int_eq(save(s, &b), -1);
	poll_session_release(s, 1300, &o);
	expect_answer(&o, 0, waiting, c.id, MSG_IN);
	ck_assert_int_eq(o.ended, 0);
	poll_out_reset(&o);
	/* nothing waits: release does nothing */
	poll_session_release(s, 1400, &o);
	ck_assert_uint_eq(o.nanswers + o.nactions, 0);
	s = move(s);
	/* the shortest interval counts from that answer */
	ask(s, &c, "", 1500, &o);
	ck_assert_uint_eq(o.nanswers, 0);
	ck_assert_uint_eq(poll_session_deadline(s), 2300);
	poll_session_timeout(s, 2300, &o);
	expect_answer(&o, 0, c.req, c.id, "");
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

/* A session whose stream is over moves with its end, which the next
   poll gets; an ended session does not move. */
START_TEST(test_closing_moves)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = busy_session(&c, &o);
	poll_session_router_gone(s, 2000, &o);
	ck_assert_int_eq(o.ended, 0);
	poll_out_reset(&o);
	s = move(s);
	ck_assert_int_eq(poll_session_is_open(s), 0);
	ck_assert_str_eq(poll_session_why(s), "the router closed the stream");
	ask(s, &c, "", 3000, &o);
	expect_answer(&o, 0, c.req, c.id,
		      MSG_IN "<stream:error><remote-connection-failed "
			     "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
			     "</stream:error></stream:stream>");
	ck_assert_int_eq(o.ended, 1);
	ck_assert_uint_eq(o.nactions, 0);
	poll_out_reset(&o);
	struct buf b;
	ck_assert_int_eq(save(s, &b), -1);
	poll_session_free(s);
}
END_TEST

/* A session made without XML yet (no stream): it moves, and the client's
   header then opens the router's stream. */
START_TEST(test_unopened_moves)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = open_n(&c, "", 0, &o);
	poll_out_reset(&o);
	s = move(s);
	ck_assert_int_eq(poll_session_is_open(s), 0);
	ask(s, &c, CHDR, 2000, &o);
	expect_action(&o, 0, POLL_ACT_OPEN, NULL);
	poll_out_reset(&o);
	poll_session_free(s);
}
END_TEST

/* Records a saved session with one field replaced (or added). */
static struct poll_session *restore_with(const char *name, const char *value)
{
	struct client c;
	struct poll_out o;
	struct poll_session *s = busy_session(&c, &o);
	struct buf b, edited;
	ck_assert_int_eq(save(s, &b), 0);
	poll_session_free(s);
	buf_init(&edited, HANDOVER_FILE_MAX);
	struct handover_reader r = {buf_head(&b), buf_head(&b) + b.len};
	struct handover_field f;
	while (handover_next(&r, &f) == 1)
		if (!handover_field_is(&f, name))
			ck_assert_int_eq(
				handover_put(&edited, f.name, f.value, f.len),
				0);
	if (value)
		ck_assert_int_eq(handover_put_str(&edited, name, value), 0);
	buf_free(&b);
	struct poll_session *t = restore(&edited);
	buf_free(&edited);
	return t;
}

START_TEST(test_restore_refuses_bad_records)
{
	struct poll_session *t;
	/* unchanged: fine */
	t = restore_with("jid", "a@example.com/web");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(poll_session_jid(t), "a@example.com/web");
	poll_session_free(t);
	ck_assert_ptr_null(restore_with("id", NULL));
	ck_assert_ptr_null(restore_with("id", "t1-ab\r\nX: y"));
	ck_assert_ptr_null(restore_with("key", NULL));
	ck_assert_ptr_null(restore_with("state", NULL));
	ck_assert_ptr_null(restore_with("state", "ended"));
	ck_assert_ptr_null(restore_with("secure", "2"));
	ck_assert_ptr_null(restore_with("last_request", "-1"));
	ck_assert_ptr_null(restore_with("opened", "0")); /* yet router_open */
	ck_assert_ptr_null(restore_with("state", "closing")); /* the same */
	ck_assert_ptr_null(restore_with("jid", ""));
	/* larger than this process's --max-queue */
	char big[10000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_ptr_null(restore_with("queue", big));
	/* a header too long for a parser */
	ck_assert_ptr_null(restore_with("client_header", big));
	/* an unknown field is not the session's */
	struct client c;
	struct poll_out o;
	struct poll_session *s = busy_session(&c, &o);
	struct handover_field f = {"colour", "red", 3};
	ck_assert_int_eq(poll_session_restore_field(s, &f), 0);
	poll_session_free(s);
}
END_TEST

Suite *poll_handover_suite(void)
{
	Suite *s = suite_create("poll_handover");
	TCase *tc = tcase_create("handover");
	tcase_add_test(tc, test_moves_and_continues);
	tcase_add_test(tc, test_undelivered_moves);
	tcase_add_test(tc, test_moves_after_sasl);
	tcase_add_test(tc, test_client_cut_everywhere);
	tcase_add_test(tc, test_inside_client_element_refuses);
	tcase_add_test(tc, test_inside_router_element_refuses);
	tcase_add_test(tc, test_waiting_request_released);
	tcase_add_test(tc, test_closing_moves);
	tcase_add_test(tc, test_unopened_moves);
	tcase_add_test(tc, test_restore_refuses_bad_records);
	suite_add_tcase(s, tc);
	return s;
}
