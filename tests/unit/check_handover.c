/* check_handover.c: unit tests for a gateway's hand-over to its successor:
 * the file format (common/handover.c: fields written and read back, every
 * malformed field refused, save and load through a directory, a foreign
 * file refused and used once), a stream parser suspended and resumed in
 * another xml_stream (common/xml_stream.c), and a BOSH session saved and
 * restored (boshd/bosh_handover.c) that goes on where it stopped. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bosh_body.h"
#include "bosh_session.h"
#include "handover.h"
#include "suites.h"
#include "xml.h"
#include "xml_stream.h"

/* ---- the file format */

static int read_all(const char *data, size_t len, struct handover_field *f,
		    size_t max, size_t *n)
{
	struct handover_reader r = {data, data + len};
	int rc;
	*n = 0;
	while (*n < max && (rc = handover_next(&r, &f[*n])) == 1)
		++*n;
	return rc;
}

START_TEST(test_fields_round_trip)
{
	struct buf b;
	buf_init(&b, 4096);
	ck_assert_int_eq(handover_put_str(&b, "sid", "t1-abc"), 0);
	ck_assert_int_eq(handover_put(&b, "queue", "a\nb\0c", 5), 0);
	ck_assert_int_eq(handover_put(&b, "empty", "", 0), 0);
	ck_assert_int_eq(handover_put_u64(&b, "rid", UINT64_MAX), 0);
	struct handover_field f[8];
	size_t n;
	ck_assert_int_eq(read_all(buf_head(&b), b.len, f, 8, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert(handover_field_is(&f[0], "sid"));
	char s[16];
	ck_assert_int_eq(handover_field_str(&f[0], s, sizeof s), 0);
	ck_assert_str_eq(s, "t1-abc");
	ck_assert_uint_eq(f[1].len, 5);
	ck_assert_mem_eq(f[1].value, "a\nb\0c", 5);
	ck_assert_int_eq(handover_field_str(&f[1], s, sizeof s), -1); /* NUL */
	ck_assert_uint_eq(f[2].len, 0);
	uint64_t v;
	ck_assert_int_eq(handover_field_u64(&f[3], &v), 0);
	ck_assert(v == UINT64_MAX);
	buf_free(&b);
}
END_TEST

START_TEST(test_malformed_fields)
{
	static const char *const bad[] = {
		"sid 3\nabc",		/* no newline after the value */
		"sid 3\nabcd\n",	/* value longer than said */
		"sid 30\nabc\n",	/* length past the end */
		"sid\nabc\n",		/* no length */
		"sid x\nabc\n",		/* length not a number */
		"sid 3",		/* no newline after the head */
		" 3\nabc\n",		/* no name */
		"sid 99999999999999999999999\nabc\n", /* huge length */
		"a_name_longer_than_thirty_two_bytes 1\nx\n",
		"s\001d 1\nx\n", /* a control byte in the name */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct handover_field f[4];
		size_t n;
		ck_assert_msg(read_all(bad[i], strlen(bad[i]), f, 4, &n) == -1,
			      "accepted: %s", bad[i]);
	}
	struct handover_field f = {"n", "18446744073709551616", 20};
	uint64_t v;
	ck_assert_int_eq(handover_field_u64(&f, &v), -1); /* 2^64 */
	f.value = "12a";
	f.len = 3;
	ck_assert_int_eq(handover_field_u64(&f, &v), -1);
	f.len = 0;
	ck_assert_int_eq(handover_field_u64(&f, &v), -1);
}
END_TEST

START_TEST(test_save_and_load)
{
	char dir[] = "/tmp/check-handover.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct handover_reader r;
	errno = 0;
	ck_assert_ptr_null(handover_load(dir, "boshd", &r));
	ck_assert_int_eq(errno, ENOENT);
	struct buf b;
	buf_init(&b, 4096);
	ck_assert_int_eq(handover_put_str(&b, "token", "t0k3n"), 0);
	ck_assert_int_eq(handover_save(dir, "boshd", &b), 0);
	errno = 0;
	ck_assert_ptr_null(handover_load(dir, "pollgw", &r)); /* not its */
	ck_assert_int_eq(errno, ENOENT);
	char *data = handover_load(dir, "boshd", &r);
	ck_assert_ptr_nonnull(data);
	struct handover_field f;
	ck_assert_int_eq(handover_next(&r, &f), 1);
	ck_assert(handover_field_is(&f, "token"));
	ck_assert_int_eq(handover_next(&r, &f), 0);
	free(data);
	/* used once: it is gone */
	ck_assert_ptr_null(handover_load(dir, "boshd", &r));
	/* another version's file is refused, and removed too */
	char path[256];
	snprintf(path, sizeof path, "%s/boshd.handover", dir);
	FILE *fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("parley-handover 2 boshd\n", fp);
	fclose(fp);
	errno = 0;
	ck_assert_ptr_null(handover_load(dir, "boshd", &r));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* a FIFO in its place neither blocks the reader nor is used */
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	errno = 0;
	ck_assert_ptr_null(handover_load(dir, "boshd", &r));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* a symbolic link in place of the temporary file is not followed */
	char tmp[256], target[256];
	snprintf(tmp, sizeof tmp, "%s/boshd.handover.tmp", dir);
	snprintf(target, sizeof target, "%s/elsewhere", dir);
	ck_assert_int_eq(symlink(target, tmp), 0);
	ck_assert_int_eq(handover_save(dir, "boshd", &b), 0);
	ck_assert_int_eq(access(target, F_OK), -1);
	data = handover_load(dir, "boshd", &r);
	ck_assert_ptr_nonnull(data);
	free(data);
	buf_free(&b);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_tokens_differ)
{
	char a[HANDOVER_TOKEN_LEN + 1], b[HANDOVER_TOKEN_LEN + 1];
	ck_assert_int_eq(handover_token_make(a), 0);
	ck_assert_int_eq(handover_token_make(b), 0);
	ck_assert_uint_eq(strlen(a), HANDOVER_TOKEN_LEN);
	ck_assert_str_ne(a, b);
}
END_TEST

/* ---- a stream parser moved to another process */

#define HDR                                                                    \
	"<stream:stream xmlns='jabber:client' "                                \
	"xmlns:stream='http://etherx.jabber.org/streams' id='x'>"

struct events {
	int opens, stanzas, errors;
	char last[256];
};

static int ev_open(void *ctx, const struct xml_node *root, const char *dns)
{
	(void)root;
	(void)dns;
	((struct events *)ctx)->opens++;
	return 0;
}

static int ev_stanza(void *ctx, struct xml_node *stanza)
{
	struct events *e = ctx;
	struct buf b;
	buf_init(&b, sizeof e->last - 1);
	e->stanzas++;
	ck_assert_int_eq(xml_serialize(&b, stanza, NULL), 0);
	snprintf(e->last, sizeof e->last, "%.*s", (int)b.len, buf_head(&b));
	buf_free(&b);
	xml_arena_free(stanza->arena); /* the stanza is ours */
	return 0;
}

static void ev_close(void *ctx)
{
	(void)ctx;
}

static void ev_error(void *ctx, enum xml_stream_error err)
{
	(void)err;
	((struct events *)ctx)->errors++;
}

static const struct xml_stream_ops ev_ops = {ev_open, ev_stanza, ev_close,
					     ev_error};

START_TEST(test_stream_suspend_resume)
{
	struct xml_stream_limits lim = {65536, 16};
	struct events e1 = {0}, e2 = {0};
	struct xml_stream *a = xml_stream_new(&lim, &ev_ops, &e1);
	const char *hdr;
	size_t len;
	ck_assert_int_eq(xml_stream_suspend(a, &hdr, &len), 0);
	ck_assert_uint_eq(len, 0); /* nothing fed yet */
	const char *in = HDR "<message to='a@b'><body>one</body></message><mess";
	ck_assert_int_eq(xml_stream_feed(a, in, strlen(in)), 0);
	ck_assert_int_eq(e1.stanzas, 1);
	ck_assert_int_eq(xml_stream_suspend(a, &hdr, &len), -1); /* inside */
	ck_assert_int_eq(xml_stream_feed(a, "age/>", 5), 0);
	ck_assert_int_eq(xml_stream_suspend(a, &hdr, &len), 0);
	ck_assert_uint_gt(len, 0);
	struct xml_stream *b = xml_stream_new(&lim, &ev_ops, &e2);
	ck_assert_int_eq(xml_stream_resume(b, hdr, len), 0);
	xml_stream_free(a);
	const char *more = "<message><body>two</body></message>";
	ck_assert_int_eq(xml_stream_feed(b, more, strlen(more)), 0);
	ck_assert_int_eq(e2.opens, 0); /* the header is not reported again */
	ck_assert_int_eq(e2.stanzas, 1);
	ck_assert_int_eq(e2.errors, 0);
	/* the stream's default namespace still applies */
	ck_assert_msg(strstr(e2.last, "jabber:client") != NULL, "%s", e2.last);
	ck_assert_msg(strstr(e2.last, "two") != NULL, "%s", e2.last);
	/* resume only on a fresh stream */
	ck_assert_int_eq(xml_stream_resume(b, hdr, 3), -1);
	xml_stream_free(b);
}
END_TEST

/* ---- a BOSH session moved to another process */

#define NS "xmlns='http://jabber.org/protocol/httpbind'"
#define SNS "xmlns:stream='http://etherx.jabber.org/streams'"
#define RHDR                                                                   \
	"<stream:stream xmlns='jabber:client' " SNS                            \
	" id='abc' from='example.com' version='1.0'>"
#define FEATURES                                                               \
	"<stream:features><bind "                                              \
	"xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
#define MSG "<message xmlns='jabber:client' to='a@example.com'><body>hi</body></message>"

static const struct bosh_config cfg = {
	.domain = "example.com",
	.max_wait = 60,
	.max_hold = 1,
	.polling = 5,
	.inactivity = 30,
	.maxpause = 120,
	.max_queue = 4096,
	.instance = "t1",
};

static struct bosh_body *parse(const char *doc)
{
	static const struct bosh_body_limits lim = {65536, 64, 32};
	struct bosh_body *b;
	enum bosh_body_error err;
	ck_assert_int_eq(bosh_body_parse(doc, strlen(doc), &lim, &b, &err), 0);
	return b;
}

/* A session created by request 1 (rid 100) at time 0, its creation
   answered with the router's header and features at time 10. */
static struct bosh_session *open_session(void)
{
	struct bosh_out o;
	bosh_out_init(&o);
	struct bosh_session *s = bosh_session_new(
		&cfg,
		parse("<body rid='100' to='example.com' hold='1' wait='60' "
		      "ver='1.6' " NS "/>"),
		0, 1, 0, &o);
	ck_assert_ptr_nonnull(s);
	bosh_out_reset(&o);
	ck_assert_int_eq(bosh_session_from_router(s, RHDR FEATURES,
						  strlen(RHDR FEATURES), 10,
						  &o),
			 0);
	ck_assert_uint_eq(o.nresponses, 1);
	bosh_out_reset(&o);
	return s;
}

/* Saves s and restores it in a new session; frees s. */
static struct bosh_session *move(struct bosh_session *s)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	ck_assert_int_eq(bosh_session_save(s, &b), 0);
	struct bosh_session *t = bosh_session_restore_new(&cfg);
	ck_assert_ptr_nonnull(t);
	struct handover_reader r = {buf_head(&b), buf_head(&b) + b.len};
	struct handover_field f;
	int rc;
	while ((rc = handover_next(&r, &f)) == 1)
		ck_assert_int_eq(bosh_session_restore_field(t, &f), 1);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(bosh_session_restore_done(t, 1000), 0);
	ck_assert_str_eq(bosh_session_sid(t), bosh_session_sid(s));
	bosh_session_free(s);
	buf_free(&b);
	return t;
}

START_TEST(test_bosh_session_moves)
{
	struct bosh_session *s = open_session();
	struct bosh_out o;
	bosh_out_init(&o);
	/* a request held, released before the move: answered, not ended */
	char doc[512];
	snprintf(doc, sizeof doc, "<body rid='101' sid='%s' " NS "/>",
		 bosh_session_sid(s));
	ck_assert_int_eq(bosh_session_request(s, parse(doc), 2, 20, &o), 0);
	ck_assert_uint_eq(o.nresponses, 0); /* held */
	struct buf b;
	buf_init(&b, 1 << 20);
	ck_assert_int_eq(bosh_session_save(s, &b), -1); /* held: cannot */
	bosh_session_release(s, 30, &o);
	ck_assert_uint_eq(o.nresponses, 1);
	ck_assert_uint_eq(o.responses[0].req, 2);
	ck_assert_ptr_null(strstr(o.responses[0].body, "terminate"));
	bosh_out_reset(&o);
	/* router output while nothing is held: queued, and it moves */
	ck_assert_int_eq(bosh_session_from_router(s, MSG, strlen(MSG), 40, &o),
			 0);
	ck_assert_uint_eq(o.nresponses, 0);
	/* half a stanza from the router: it cannot move */
	ck_assert_int_eq(bosh_session_from_router(s, "<mess", 5, 41, &o), 0);
	ck_assert_int_eq(bosh_session_save(s, &b), -1);
	ck_assert_int_eq(bosh_session_from_router(s, "age xmlns='jabber:client'/>",
						  27, 42, &o),
			 0);
	buf_free(&b);
	struct bosh_session *t = move(s);
	/* the next rid on the restored session gets what was queued */
	snprintf(doc, sizeof doc, "<body rid='102' sid='%s' " NS "/>",
		 bosh_session_sid(t));
	ck_assert_int_eq(bosh_session_request(t, parse(doc), 3, 50, &o), 0);
	ck_assert_uint_eq(o.nresponses, 1);
	ck_assert_ptr_nonnull(strstr(o.responses[0].body, "<body>hi</body>"));
	ck_assert_ptr_nonnull(strstr(o.responses[0].body, "<message"));
	bosh_out_reset(&o);
	/* a repeated rid gets the kept response back */
	ck_assert_int_eq(bosh_session_request(t, parse(doc), 4, 60, &o), 0);
	ck_assert_uint_eq(o.nresponses, 1);
	ck_assert_ptr_nonnull(strstr(o.responses[0].body, "<body>hi</body>"));
	bosh_out_reset(&o);
	/* router output goes on being parsed in the stream */
	snprintf(doc, sizeof doc, "<body rid='103' sid='%s' " NS "/>",
		 bosh_session_sid(t));
	ck_assert_int_eq(bosh_session_request(t, parse(doc), 5, 70, &o), 0);
	ck_assert_int_eq(bosh_session_from_router(t, MSG, strlen(MSG), 80, &o),
			 0);
	ck_assert_uint_eq(o.nresponses, 1);
	ck_assert_ptr_nonnull(strstr(o.responses[0].body, "<body>hi</body>"));
	bosh_out_reset(&o);
	/* an rid out of the window is still refused */
	snprintf(doc, sizeof doc, "<body rid='900' sid='%s' " NS "/>",
		 bosh_session_sid(t));
	bosh_session_request(t, parse(doc), 6, 90, &o);
	ck_assert_uint_eq(o.nresponses, 1);
	ck_assert_ptr_nonnull(strstr(o.responses[0].body, "terminate"));
	bosh_out_reset(&o);
	bosh_session_free(t);
}
END_TEST

START_TEST(test_bosh_restore_refuses_bad_fields)
{
	struct bosh_session *t = bosh_session_restore_new(&cfg);
	struct handover_field f = {"hold", "99999999999", 11};
	ck_assert_int_eq(bosh_session_restore_field(t, &f), -1);
	struct handover_field g = {"has_ver", "2", 1};
	ck_assert_int_eq(bosh_session_restore_field(t, &g), -1);
	struct handover_field h = {"kept_body", "x", 1}; /* no kept_rid */
	ck_assert_int_eq(bosh_session_restore_field(t, &h), -1);
	struct handover_field u = {"unknown", "x", 1};
	ck_assert_int_eq(bosh_session_restore_field(t, &u), 0);
	ck_assert_int_eq(bosh_session_restore_done(t, 1000), -1); /* no sid */
	bosh_session_free(t);
}
END_TEST

Suite *handover_suite(void)
{
	Suite *s = suite_create("handover");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_fields_round_trip);
	tcase_add_test(tc, test_malformed_fields);
	tcase_add_test(tc, test_save_and_load);
	tcase_add_test(tc, test_tokens_differ);
	tcase_add_test(tc, test_stream_suspend_resume);
	tcase_add_test(tc, test_bosh_session_moves);
	tcase_add_test(tc, test_bosh_restore_refuses_bad_fields);
	suite_add_tcase(s, tc);
	return s;
}
