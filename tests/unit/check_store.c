/* check_store.c: unit tests for the store (xmpp-routerd/store.[ch]) on its
 * SQLite backend: opening, refusing what is not a current Parley store,
 * users and credentials, rosters and their versions, offline messages,
 * vCards, private XML, blocklists, every length and count limit, and a
 * durability test where a child killed with SIGKILL before closing the
 * store has its committed writes found by the parent. Each test uses a
 * fresh file in /tmp, removed (with its -wal and -shm) afterwards. */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "suites.h"

static char t_path[64];
static struct store *t_st;

static void t_unlink_all(const char *path)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char p[96];
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
		unlink(p);
	}
}

static void t_setup(void)
{
	snprintf(t_path, sizeof t_path, "/tmp/check_store_XXXXXX");
	int fd = mkstemp(t_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	t_st = store_open_sqlite(t_path);
	ck_assert_ptr_nonnull(t_st);
}

static void t_teardown(void)
{
	store_close(t_st);
	t_st = NULL;
	t_unlink_all(t_path);
}

static void t_reopen(void)
{
	store_close(t_st);
	t_st = store_open_sqlite(t_path);
	ck_assert_ptr_nonnull(t_st);
}

/* Runs one SQL statement on the file beside the store; returns column 0
   of its first row as an integer (0 if none). */
static long long t_sql(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v = 0;
	ck_assert_int_eq(sqlite3_open(t_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	int rc = sqlite3_step(s);
	ck_assert(rc == SQLITE_ROW || rc == SQLITE_DONE);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void t_creds(enum scram_hash h, unsigned char seed,
		    struct scram_creds *c)
{
	memset(c, 0, sizeof *c);
	c->hash = h;
	c->iterations = 4096 + seed;
	c->salt_len = SCRAM_SALT_LEN;
	c->key_len = h == SCRAM_SHA1 ? 20 : 32;
	for (size_t i = 0; i < SCRAM_SALT_LEN; i++)
		c->salt[i] = (unsigned char)(seed + i);
	for (size_t i = 0; i < c->key_len; i++) {
		c->stored_key[i] = (unsigned char)(seed * 3 + i);
		c->server_key[i] = (unsigned char)(seed * 7 + i);
	}
}

static void t_user(const char *user)
{
	struct scram_creds a, b;
	t_creds(SCRAM_SHA1, 1, &a);
	t_creds(SCRAM_SHA256, 2, &b);
	ck_assert_int_eq(store_user_create(t_st, user, &a, &b), 0);
}

static void t_creds_eq(const struct scram_creds *x, const struct scram_creds *y)
{
	ck_assert_int_eq(x->hash, y->hash);
	ck_assert_uint_eq(x->iterations, y->iterations);
	ck_assert_uint_eq(x->salt_len, y->salt_len);
	ck_assert_mem_eq(x->salt, y->salt, x->salt_len);
	ck_assert_uint_eq(x->key_len, y->key_len);
	ck_assert_mem_eq(x->stored_key, y->stored_key, x->key_len);
	ck_assert_mem_eq(x->server_key, y->server_key, x->key_len);
}

/* A string of n copies of c (malloc'ed). */
static char *t_str(size_t n, char c)
{
	char *s = malloc(n + 1);
	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Collects listed strings joined by ',' into a buffer. */
struct t_list {
	char buf[4096];
	int stop_after; /* 0: never */
	int seen;
};

static int t_collect(const char *v, void *ctx)
{
	struct t_list *l = ctx;
	size_t n = strlen(l->buf);
	snprintf(l->buf + n, sizeof l->buf - n, "%s%s", n ? "," : "", v);
	l->seen++;
	return l->stop_after != 0 && l->seen >= l->stop_after;
}

/* ---- opening ------------------------------------------------------- */

START_TEST(test_open_creates)
{
	ck_assert_int_eq(t_sql("PRAGMA user_version"), STORE_SCHEMA_VERSION);
	sqlite3 *db;
	sqlite3_stmt *s;
	ck_assert_int_eq(sqlite3_open(t_path, &db), SQLITE_OK);
	ck_assert_int_eq(
		sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL),
		SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
	int64_t n = -1;
	ck_assert_int_eq(store_user_count(t_st, &n), 0);
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(test_open_new_file_and_sync_full)
{
	char p[96];
	snprintf(p, sizeof p, "%s.new", t_path);
	struct store *st = store_open_sqlite_sync(p, 1);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(store_user_create(st, "a", NULL, NULL), 0);
	store_close(st);
	st = store_open_sqlite(p);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(store_user_exists(st, "a"), 0);
	store_close(st);
	t_unlink_all(p);
}
END_TEST

START_TEST(test_reopen_keeps_data)
{
	t_user("alice");
	ck_assert_int_eq(store_vcard_set(t_st, "alice", "<vCard/>"), 0);
	t_reopen();
	ck_assert_int_eq(store_user_exists(t_st, "alice"), 0);
	char *x = NULL;
	ck_assert_int_eq(store_vcard_get(t_st, "alice", &x), 0);
	ck_assert_str_eq(x, "<vCard/>");
	free(x);
	ck_assert_int_eq(t_sql("PRAGMA user_version"), STORE_SCHEMA_VERSION);
}
END_TEST

START_TEST(test_newer_version_refused)
{
	t_user("alice");
	store_close(t_st);
	t_st = NULL;
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
		 STORE_SCHEMA_VERSION + 1);
	t_sql(sql);
	ck_assert_ptr_null(store_open_sqlite(t_path));
	/* Refusing left the file as it was. */
	ck_assert_int_eq(t_sql("PRAGMA user_version"),
			 STORE_SCHEMA_VERSION + 1);
	ck_assert_int_eq(t_sql("SELECT count(*) FROM users"), 1);
}
END_TEST

START_TEST(test_not_a_database_refused)
{
	store_close(t_st);
	t_st = NULL;
	t_unlink_all(t_path);
	FILE *f = fopen(t_path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 512; i++)
		fputs("this is not a database\n", f);
	fclose(f);
	ck_assert_ptr_null(store_open_sqlite(t_path));
	/* Nor is a foreign SQLite database. */
	t_unlink_all(t_path);
	t_sql("CREATE TABLE other (x)");
	ck_assert_ptr_null(store_open_sqlite(t_path));
}
END_TEST

START_TEST(test_bad_locations_refused)
{
	ck_assert_ptr_null(store_open_sqlite("/tmp"));
	ck_assert_ptr_null(store_open_sqlite("/proc/parley-check-store.db"));
	ck_assert_ptr_null(store_open_sqlite("/nonexistent-dir/x.db"));
	if (geteuid() != 0) {
		store_close(t_st);
		t_st = NULL;
		ck_assert_int_eq(chmod(t_path, 0444), 0);
		ck_assert_ptr_null(store_open_sqlite(t_path));
	}
}
END_TEST

/* ---- users --------------------------------------------------------- */

START_TEST(test_users)
{
	t_user("carol");
	t_user("alice");
	t_user("bob");
	ck_assert_int_eq(store_user_create(t_st, "bob", NULL, NULL), 1);
	ck_assert_int_eq(store_user_exists(t_st, "alice"), 0);
	ck_assert_int_eq(store_user_exists(t_st, "dave"), 1);
	int64_t n = 0;
	ck_assert_int_eq(store_user_count(t_st, &n), 0);
	ck_assert_int_eq(n, 3);
	struct t_list l = {.stop_after = 0};
	ck_assert_int_eq(store_user_list(t_st, t_collect, &l), 0);
	ck_assert_str_eq(l.buf, "alice,bob,carol");
	struct t_list l2 = {.stop_after = 2};
	ck_assert_int_eq(store_user_list(t_st, t_collect, &l2), 0);
	ck_assert_str_eq(l2.buf, "alice,bob");
	ck_assert_int_eq(store_user_delete(t_st, "bob"), 0);
	ck_assert_int_eq(store_user_delete(t_st, "bob"), 1);
	ck_assert_int_eq(store_user_exists(t_st, "bob"), 1);
	ck_assert_int_eq(store_user_count(t_st, &n), 0);
	ck_assert_int_eq(n, 2);
}
END_TEST

START_TEST(test_creds)
{
	struct scram_creds a, b, got;
	t_creds(SCRAM_SHA1, 10, &a);
	t_creds(SCRAM_SHA256, 20, &b);
	ck_assert_int_eq(store_user_create(t_st, "alice", &a, &b), 0);
	ck_assert_int_eq(store_user_get_creds(t_st, "alice", SCRAM_SHA1, &got),
			 0);
	t_creds_eq(&got, &a);
	ck_assert_int_eq(
		store_user_get_creds(t_st, "alice", SCRAM_SHA256, &got), 0);
	t_creds_eq(&got, &b);
	ck_assert_int_eq(store_user_get_creds(t_st, "bob", SCRAM_SHA1, &got),
			 1);

	/* Replace both; then keep only SHA-256. */
	t_creds(SCRAM_SHA1, 30, &a);
	t_creds(SCRAM_SHA256, 40, &b);
	b.salt_len = 8;
	ck_assert_int_eq(store_user_set_creds(t_st, "alice", &a, &b), 0);
	ck_assert_int_eq(store_user_get_creds(t_st, "alice", SCRAM_SHA1, &got),
			 0);
	t_creds_eq(&got, &a);
	ck_assert_int_eq(
		store_user_get_creds(t_st, "alice", SCRAM_SHA256, &got), 0);
	t_creds_eq(&got, &b);
	ck_assert_int_eq(store_user_set_creds(t_st, "alice", NULL, &b), 0);
	ck_assert_int_eq(store_user_get_creds(t_st, "alice", SCRAM_SHA1, &got),
			 1);
	ck_assert_int_eq(store_user_set_creds(t_st, "bob", &a, &b), 1);

	/* Credentials of the wrong hash or size are refused. */
	errno = 0;
	ck_assert_int_eq(store_user_create(t_st, "bob", &b, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	a.key_len = 32;
	errno = 0;
	ck_assert_int_eq(store_user_set_creds(t_st, "alice", &a, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	t_reopen();
	ck_assert_int_eq(
		store_user_get_creds(t_st, "alice", SCRAM_SHA256, &got), 0);
	t_creds_eq(&got, &b);
}
END_TEST

static int t_accept_all(const struct store_offline *m, void *ctx)
{
	(void)m;
	(void)ctx;
	return 0;
}

START_TEST(test_user_delete_cascades)
{
	t_user("alice");
	t_user("bob");
	char *groups[] = {"g1", "g2"};
	struct store_roster_item it = {
		.jid = "bob@x", .groups = groups, .ngroups = 2};
	ck_assert_int_eq(store_roster_put(t_st, "alice", &it, NULL), 0);
	ck_assert_int_eq(store_roster_put(t_st, "bob", &it, NULL), 0);
	ck_assert_int_eq(store_offline_push(t_st, "alice", "<m/>", 10), 0);
	ck_assert_int_eq(store_vcard_set(t_st, "alice", "<vCard/>"), 0);
	ck_assert_int_eq(store_private_set(t_st, "alice", "ns", "<x/>"), 0);
	ck_assert_int_eq(store_block_add(t_st, "alice", "eve@x"), 0);
	ck_assert_int_eq(store_user_delete(t_st, "alice"), 0);
	ck_assert_int_eq(t_sql("SELECT count(*) FROM roster"), 1);
	ck_assert_int_eq(t_sql("SELECT count(*) FROM roster_groups"), 2);
	ck_assert_int_eq(t_sql("SELECT count(*) FROM offline"), 0);
	ck_assert_int_eq(t_sql("SELECT count(*) FROM vcards"), 0);
	ck_assert_int_eq(t_sql("SELECT count(*) FROM private"), 0);
	ck_assert_int_eq(t_sql("SELECT count(*) FROM blocklist"), 0);

	/* A new user of the same name starts empty. */
	t_user("alice");
	struct store_roster r;
	ck_assert_int_eq(store_roster_get(t_st, "alice", &r), 0);
	ck_assert_uint_eq(r.n, 0);
	ck_assert_int_eq(r.version, 0);
	store_roster_free(&r);
	int64_t n = -1;
	ck_assert_int_eq(store_offline_count(t_st, "alice", &n), 0);
	ck_assert_int_eq(n, 0);
	char *x;
	ck_assert_int_eq(store_vcard_get(t_st, "alice", &x), 1);
	ck_assert_int_eq(store_block_has(t_st, "alice", "eve@x"), 1);
}
END_TEST

/* ---- rosters ------------------------------------------------------- */

START_TEST(test_roster)
{
	t_user("alice");
	int64_t v0 = -1, v1 = -1, v2 = -1, v3 = -1, v4 = -1;
	struct store_roster r;
	ck_assert_int_eq(store_roster_get(t_st, "alice", &r), 0);
	ck_assert_uint_eq(r.n, 0);
	v0 = r.version;
	store_roster_free(&r);

	char *g1[] = {"Friends", "Work", "Friends"};
	struct store_roster_item it = {
		.jid = "zed@example.org",
		.name = "Zed",
		.sub = STORE_SUB_FROM,
		.ask = STORE_ASK_IN | STORE_ASK_OUT,
		.groups = g1,
		.ngroups = 3,
		.pending_stanza = "<presence type='subscribe'/>",
	};
	ck_assert_int_eq(store_roster_put(t_st, "alice", &it, &v1), 0);
	ck_assert_int_gt(v1, v0);
	struct store_roster_item it2 = {.jid = "bob@example.org",
					.sub = STORE_SUB_BOTH};
	ck_assert_int_eq(store_roster_put(t_st, "alice", &it2, &v2), 0);
	ck_assert_int_gt(v2, v1);

	struct store_roster_item got;
	ck_assert_int_eq(
		store_roster_get_item(t_st, "alice", "zed@example.org", &got),
		0);
	ck_assert_str_eq(got.jid, "zed@example.org");
	ck_assert_str_eq(got.name, "Zed");
	ck_assert_int_eq(got.sub, STORE_SUB_FROM);
	ck_assert_int_eq(got.ask, STORE_ASK_IN | STORE_ASK_OUT);
	ck_assert_uint_eq(got.ngroups, 2);
	ck_assert_str_eq(got.groups[0], "Friends");
	ck_assert_str_eq(got.groups[1], "Work");
	ck_assert_str_eq(got.pending_stanza, "<presence type='subscribe'/>");
	store_roster_item_free(&got);
	ck_assert_int_eq(store_roster_get_item(t_st, "alice", "nobody@x", &got),
			 1);

	ck_assert_int_eq(store_roster_get(t_st, "alice", &r), 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_int_eq(r.version, v2);
	ck_assert_str_eq(r.items[0].jid, "bob@example.org");
	ck_assert_ptr_null(r.items[0].name);
	ck_assert_ptr_null(r.items[0].pending_stanza);
	ck_assert_uint_eq(r.items[0].ngroups, 0);
	ck_assert_int_eq(r.items[0].sub, STORE_SUB_BOTH);
	ck_assert_str_eq(r.items[1].jid, "zed@example.org");
	ck_assert_uint_eq(r.items[1].ngroups, 2);
	store_roster_free(&r);
	store_roster_free(&r);

	/* Replacing replaces every field, groups included. */
	char *g2[] = {"Family"};
	it.name = NULL;
	it.sub = STORE_SUB_BOTH;
	it.ask = 0;
	it.groups = g2;
	it.ngroups = 1;
	it.pending_stanza = NULL;
	ck_assert_int_eq(store_roster_put(t_st, "alice", &it, &v3), 0);
	ck_assert_int_gt(v3, v2);
	ck_assert_int_eq(
		store_roster_get_item(t_st, "alice", "zed@example.org", &got),
		0);
	ck_assert_ptr_null(got.name);
	ck_assert_int_eq(got.sub, STORE_SUB_BOTH);
	ck_assert_int_eq(got.ask, 0);
	ck_assert_uint_eq(got.ngroups, 1);
	ck_assert_str_eq(got.groups[0], "Family");
	ck_assert_ptr_null(got.pending_stanza);
	store_roster_item_free(&got);

	ck_assert_int_eq(
		store_roster_remove(t_st, "alice", "zed@example.org", &v4), 0);
	ck_assert_int_gt(v4, v3);
	int64_t v5 = -1;
	ck_assert_int_eq(
		store_roster_remove(t_st, "alice", "zed@example.org", &v5), 1);
	ck_assert_int_eq(t_sql("SELECT count(*) FROM roster_groups"), 0);
	ck_assert_int_eq(store_roster_get(t_st, "alice", &r), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.version, v4);
	store_roster_free(&r);
	t_reopen();
	ck_assert_int_eq(store_roster_get(t_st, "alice", &r), 0);
	ck_assert_int_eq(r.version, v4);
	store_roster_free(&r);

	/* Unknown user; bad values. */
	errno = 0;
	ck_assert_int_eq(store_roster_put(t_st, "nobody", &it2, NULL), -1);
	ck_assert_int_eq(errno, ENOENT);
	it2.sub = 4;
	errno = 0;
	ck_assert_int_eq(store_roster_put(t_st, "alice", &it2, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	it2.sub = STORE_SUB_NONE;
	it2.ask = 4;
	errno = 0;
	ck_assert_int_eq(store_roster_put(t_st, "alice", &it2, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ---- offline messages ---------------------------------------------- */

struct t_pop {
	char got[8][32];
	int n;
	const char *refuse;
	int64_t last_id;
};

static int t_pop_fn(const struct store_offline *m, void *ctx)
{
	struct t_pop *p = ctx;
	ck_assert_int_gt(m->id, p->last_id);
	ck_assert_int_gt(m->stored_at, 0);
	p->last_id = m->id;
	if (p->n < 8)
		snprintf(p->got[p->n++], sizeof p->got[0], "%s", m->stanza);
	return p->refuse && strcmp(m->stanza, p->refuse) == 0;
}

START_TEST(test_offline)
{
	t_user("alice");
	t_user("bob");
	ck_assert_int_eq(store_offline_push(t_st, "alice", "<m1/>", 3), 0);
	ck_assert_int_eq(store_offline_push(t_st, "bob", "<b1/>", 3), 0);
	ck_assert_int_eq(store_offline_push(t_st, "alice", "<m2/>", 3), 0);
	ck_assert_int_eq(store_offline_push(t_st, "alice", "<m3/>", 3), 0);
	ck_assert_int_eq(store_offline_push(t_st, "alice", "<m4/>", 3), 1);
	ck_assert_int_eq(store_offline_push(t_st, "bob", "<b2/>", 0), 1);
	int64_t n = 0;
	ck_assert_int_eq(store_offline_count(t_st, "alice", &n), 0);
	ck_assert_int_eq(n, 3);

	struct t_pop p = {.refuse = "<m2/>"};
	ck_assert_int_eq(store_offline_pop(t_st, "alice", t_pop_fn, &p), 0);
	ck_assert_int_eq(p.n, 3);
	ck_assert_str_eq(p.got[0], "<m1/>");
	ck_assert_str_eq(p.got[1], "<m2/>");
	ck_assert_str_eq(p.got[2], "<m3/>");
	ck_assert_int_eq(store_offline_count(t_st, "alice", &n), 0);
	ck_assert_int_eq(n, 1);

	ck_assert_int_eq(store_offline_push(t_st, "alice", "<m5/>", 3), 0);
	struct t_pop p2 = {.refuse = NULL};
	ck_assert_int_eq(store_offline_pop(t_st, "alice", t_pop_fn, &p2), 0);
	ck_assert_int_eq(p2.n, 2);
	ck_assert_str_eq(p2.got[0], "<m2/>");
	ck_assert_str_eq(p2.got[1], "<m5/>");
	ck_assert_int_eq(store_offline_count(t_st, "alice", &n), 0);
	ck_assert_int_eq(n, 0);
	struct t_pop p3 = {.refuse = NULL};
	ck_assert_int_eq(store_offline_pop(t_st, "alice", t_pop_fn, &p3), 0);
	ck_assert_int_eq(p3.n, 0);
	ck_assert_int_eq(store_offline_count(t_st, "bob", &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(store_offline_pop(t_st, "bob", t_accept_all, NULL), 0);
	ck_assert_int_eq(store_offline_count(t_st, "bob", &n), 0);
	ck_assert_int_eq(n, 0);

	errno = 0;
	ck_assert_int_eq(store_offline_push(t_st, "nobody", "<m/>", 3), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* ---- vCards and private XML ---------------------------------------- */

START_TEST(test_vcard_private)
{
	t_user("alice");
	char *x = NULL;
	ck_assert_int_eq(store_vcard_get(t_st, "alice", &x), 1);
	ck_assert_int_eq(store_vcard_set(t_st, "alice", "<vCard>1</vCard>"), 0);
	ck_assert_int_eq(store_vcard_get(t_st, "alice", &x), 0);
	ck_assert_str_eq(x, "<vCard>1</vCard>");
	free(x);
	ck_assert_int_eq(store_vcard_set(t_st, "alice", "<vCard>2</vCard>"), 0);
	ck_assert_int_eq(store_vcard_get(t_st, "alice", &x), 0);
	ck_assert_str_eq(x, "<vCard>2</vCard>");
	free(x);
	errno = 0;
	ck_assert_int_eq(store_vcard_set(t_st, "nobody", "<vCard/>"), -1);
	ck_assert_int_eq(errno, ENOENT);

	ck_assert_int_eq(store_private_get(t_st, "alice", "a:ns", &x), 1);
	ck_assert_int_eq(store_private_set(t_st, "alice", "a:ns", "<a/>"), 0);
	ck_assert_int_eq(store_private_set(t_st, "alice", "b:ns", "<b/>"), 0);
	ck_assert_int_eq(store_private_get(t_st, "alice", "a:ns", &x), 0);
	ck_assert_str_eq(x, "<a/>");
	free(x);
	ck_assert_int_eq(store_private_set(t_st, "alice", "a:ns", "<a2/>"), 0);
	ck_assert_int_eq(store_private_get(t_st, "alice", "a:ns", &x), 0);
	ck_assert_str_eq(x, "<a2/>");
	free(x);
	ck_assert_int_eq(store_private_get(t_st, "alice", "b:ns", &x), 0);
	ck_assert_str_eq(x, "<b/>");
	free(x);
	ck_assert_int_eq(store_private_get(t_st, "alice", "c:ns", &x), 1);
	errno = 0;
	ck_assert_int_eq(store_private_set(t_st, "nobody", "a", "<a/>"), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* ---- blocklists ---------------------------------------------------- */

START_TEST(test_blocklist)
{
	t_user("alice");
	t_user("bob");
	ck_assert_int_eq(store_block_has(t_st, "alice", "eve@x"), 1);
	ck_assert_int_eq(store_block_add(t_st, "alice", "mallory@x"), 0);
	ck_assert_int_eq(store_block_add(t_st, "alice", "eve@x"), 0);
	ck_assert_int_eq(store_block_add(t_st, "alice", "eve@x"), 0);
	ck_assert_int_eq(store_block_add(t_st, "bob", "trent@x"), 0);
	ck_assert_int_eq(store_block_has(t_st, "alice", "eve@x"), 0);
	ck_assert_int_eq(store_block_has(t_st, "bob", "eve@x"), 1);
	struct t_list l = {.stop_after = 0};
	ck_assert_int_eq(store_block_list(t_st, "alice", t_collect, &l), 0);
	ck_assert_str_eq(l.buf, "eve@x,mallory@x");
	ck_assert_int_eq(store_block_remove(t_st, "alice", "eve@x"), 0);
	ck_assert_int_eq(store_block_remove(t_st, "alice", "eve@x"), 1);
	ck_assert_int_eq(store_block_has(t_st, "alice", "eve@x"), 1);
	ck_assert_int_eq(store_block_clear(t_st, "alice"), 0);
	struct t_list l2 = {.stop_after = 0};
	ck_assert_int_eq(store_block_list(t_st, "alice", t_collect, &l2), 0);
	ck_assert_str_eq(l2.buf, "");
	ck_assert_int_eq(store_block_has(t_st, "bob", "trent@x"), 0);
	errno = 0;
	ck_assert_int_eq(store_block_add(t_st, "nobody", "eve@x"), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* ---- limits -------------------------------------------------------- */

static void t_emsgsize(int r)
{
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	errno = 0;
}

START_TEST(test_length_limits)
{
	char *u = t_str(STORE_MAX_USER, 'u');
	char *u1 = t_str(STORE_MAX_USER + 1, 'u');
	ck_assert_int_eq(store_user_create(t_st, u, NULL, NULL), 0);
	t_emsgsize(store_user_create(t_st, u1, NULL, NULL));
	t_emsgsize(store_user_exists(t_st, u1));
	t_emsgsize(store_user_delete(t_st, u1));

	char *j = t_str(STORE_MAX_JID, 'j');
	char *j1 = t_str(STORE_MAX_JID + 1, 'j');
	ck_assert_int_eq(store_block_add(t_st, u, j), 0);
	t_emsgsize(store_block_add(t_st, u, j1));
	t_emsgsize(store_block_has(t_st, u, j1));
	struct store_roster_item it = {.jid = j};
	ck_assert_int_eq(store_roster_put(t_st, u, &it, NULL), 0);
	it.jid = j1;
	t_emsgsize(store_roster_put(t_st, u, &it, NULL));
	it.jid = "a@b";
	it.name = j1;
	t_emsgsize(store_roster_put(t_st, u, &it, NULL));
	it.name = NULL;
	char *groups[STORE_MAX_GROUPS + 1];
	char gname[STORE_MAX_GROUPS + 1][16];
	for (int i = 0; i <= STORE_MAX_GROUPS; i++) {
		snprintf(gname[i], sizeof gname[i], "g%d", i);
		groups[i] = gname[i];
	}
	it.groups = groups;
	it.ngroups = STORE_MAX_GROUPS;
	ck_assert_int_eq(store_roster_put(t_st, u, &it, NULL), 0);
	struct store_roster_item got;
	ck_assert_int_eq(store_roster_get_item(t_st, u, "a@b", &got), 0);
	ck_assert_uint_eq(got.ngroups, STORE_MAX_GROUPS);
	store_roster_item_free(&got);
	it.ngroups = STORE_MAX_GROUPS + 1;
	t_emsgsize(store_roster_put(t_st, u, &it, NULL));
	it.ngroups = 1;
	groups[0] = j1;
	t_emsgsize(store_roster_put(t_st, u, &it, NULL));

	char *s = t_str(STORE_MAX_STANZA, 's');
	char *s1 = t_str(STORE_MAX_STANZA + 1, 's');
	ck_assert_int_eq(store_offline_push(t_st, u, s, 10), 0);
	t_emsgsize(store_offline_push(t_st, u, s1, 10));
	it.ngroups = 0;
	it.pending_stanza = s1;
	t_emsgsize(store_roster_put(t_st, u, &it, NULL));

	char *x = t_str(STORE_MAX_XML, 'x');
	char *x1 = t_str(STORE_MAX_XML + 1, 'x');
	ck_assert_int_eq(store_vcard_set(t_st, u, x), 0);
	t_emsgsize(store_vcard_set(t_st, u, x1));
	ck_assert_int_eq(store_private_set(t_st, u, "ns", x), 0);
	t_emsgsize(store_private_set(t_st, u, "ns", x1));
	char *n1 = t_str(STORE_MAX_NS + 1, 'n');
	t_emsgsize(store_private_set(t_st, u, n1, "<x/>"));
	char *back = NULL;
	ck_assert_int_eq(store_vcard_get(t_st, u, &back), 0);
	ck_assert_uint_eq(strlen(back), STORE_MAX_XML);
	free(back);

	errno = 0;
	ck_assert_int_eq(store_user_exists(t_st, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	free(u);
	free(u1);
	free(j);
	free(j1);
	free(s);
	free(s1);
	free(x);
	free(x1);
	free(n1);
}
END_TEST

static void t_edquot(int r)
{
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, EDQUOT);
	errno = 0;
}

START_TEST(test_count_limits)
{
	char jid[32];
	t_user("alice");
	for (int i = 0; i < STORE_MAX_PRIVATE; i++) {
		snprintf(jid, sizeof jid, "ns%d", i);
		ck_assert_int_eq(store_private_set(t_st, "alice", jid, "<x/>"),
				 0);
	}
	t_edquot(store_private_set(t_st, "alice", "one:more", "<x/>"));
	ck_assert_int_eq(store_private_set(t_st, "alice", "ns0", "<y/>"), 0);

	for (int i = 0; i < STORE_MAX_BLOCKED; i++) {
		snprintf(jid, sizeof jid, "b%d@x", i);
		ck_assert_int_eq(store_block_add(t_st, "alice", jid), 0);
	}
	t_edquot(store_block_add(t_st, "alice", "one@more"));
	ck_assert_int_eq(store_block_add(t_st, "alice", "b0@x"), 0);

	for (int i = 0; i < STORE_MAX_ROSTER_ITEMS; i++) {
		snprintf(jid, sizeof jid, "r%d@x", i);
		struct store_roster_item it = {.jid = jid};
		ck_assert_int_eq(store_roster_put(t_st, "alice", &it, NULL), 0);
	}
	struct store_roster_item more = {.jid = "one@more"};
	t_edquot(store_roster_put(t_st, "alice", &more, NULL));
	more.jid = "r0@x";
	more.sub = STORE_SUB_BOTH;
	ck_assert_int_eq(store_roster_put(t_st, "alice", &more, NULL), 0);
	struct store_roster r;
	ck_assert_int_eq(store_roster_get(t_st, "alice", &r), 0);
	ck_assert_uint_eq(r.n, STORE_MAX_ROSTER_ITEMS);
	store_roster_free(&r);
}
END_TEST

/* ---- durability ---------------------------------------------------- */

static void t_child_writes(int fd)
{
	struct store *st = store_open_sqlite(t_path);
	char ok = 'n';
	if (st != NULL && store_user_create(st, "alice", NULL, NULL) == 0 &&
	    store_offline_push(st, "alice", "<durable/>", 10) == 0)
		ok = 'y';
	if (write(fd, &ok, 1) != 1)
		_exit(1);
	for (;;)
		pause(); /* killed here, the store still open */
}

START_TEST(test_survives_sigkill)
{
	store_close(t_st);
	t_st = NULL;
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		t_child_writes(fds[1]);
	}
	close(fds[1]);
	char ok = 0;
	ck_assert_int_eq(read(fds[0], &ok, 1), 1);
	close(fds[0]);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(ok, 'y');

	t_st = store_open_sqlite(t_path);
	ck_assert_ptr_nonnull(t_st);
	ck_assert_int_eq(store_user_exists(t_st, "alice"), 0);
	struct t_pop p = {.refuse = NULL};
	ck_assert_int_eq(store_offline_pop(t_st, "alice", t_pop_fn, &p), 0);
	ck_assert_int_eq(p.n, 1);
	ck_assert_str_eq(p.got[0], "<durable/>");
}
END_TEST

Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("sqlite");
	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_open_creates);
	tcase_add_test(tc, test_open_new_file_and_sync_full);
	tcase_add_test(tc, test_reopen_keeps_data);
	tcase_add_test(tc, test_newer_version_refused);
	tcase_add_test(tc, test_not_a_database_refused);
	tcase_add_test(tc, test_bad_locations_refused);
	tcase_add_test(tc, test_users);
	tcase_add_test(tc, test_creds);
	tcase_add_test(tc, test_user_delete_cascades);
	tcase_add_test(tc, test_roster);
	tcase_add_test(tc, test_offline);
	tcase_add_test(tc, test_vcard_private);
	tcase_add_test(tc, test_blocklist);
	tcase_add_test(tc, test_length_limits);
	tcase_add_test(tc, test_count_limits);
	tcase_add_test(tc, test_survives_sigkill);
	suite_add_tcase(s, tc);
	return s;
}
