/* store_sqlite.c: the SQLite backend of the store (store.h), the default.
 *
 * One database file in WAL mode, its schema versioned in PRAGMA
 * user_version and migrated at open, one function per version step (the
 * format is specified in xmpp-routerd/STORAGE.md). Every statement is
 * prepared once at open and kept in struct sq; a use binds it, steps it
 * and resets it. Writes that read before they write (bounds, roster
 * versions, offline pops) run in one BEGIN IMMEDIATE transaction. Each
 * SQLite error is logged once, naming the store_* operation, where it
 * happens; callers only pass the -1 on. Arguments come checked by store.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"

#define SQ_APPLICATION_ID 0x50726c79 /* "Prly" */
#define SQ_BUSY_TIMEOUT_MS 5000

enum sq_id {
	SQ_BEGIN,
	SQ_BEGIN_IMMEDIATE,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_USER_INSERT,
	SQ_USER_DELETE,
	SQ_USER_EXISTS,
	SQ_USER_SET_CREDS,
	SQ_USER_CREDS_SHA1,
	SQ_USER_CREDS_SHA256,
	SQ_USER_LIST,
	SQ_USER_COUNT,
	SQ_ROSTER_VERSION,
	SQ_ROSTER_BUMP,
	SQ_ROSTER_ITEMS,
	SQ_ROSTER_ITEM,
	SQ_ROSTER_EXISTS,
	SQ_ROSTER_COUNT,
	SQ_ROSTER_UPSERT,
	SQ_ROSTER_DELETE,
	SQ_GROUPS_OF,
	SQ_GROUPS_CLEAR,
	SQ_GROUP_INSERT,
	SQ_OFFLINE_COUNT,
	SQ_OFFLINE_INSERT,
	SQ_OFFLINE_LIST,
	SQ_OFFLINE_DELETE,
	SQ_VCARD_GET,
	SQ_VCARD_SET,
	SQ_PRIVATE_GET,
	SQ_PRIVATE_SET,
	SQ_PRIVATE_EXISTS,
	SQ_PRIVATE_COUNT,
	SQ_BLOCK_LIST,
	SQ_BLOCK_ADD,
	SQ_BLOCK_REMOVE,
	SQ_BLOCK_CLEAR,
	SQ_BLOCK_HAS,
	SQ_BLOCK_COUNT,
	SQ_NSTMT
};

/* Every statement the backend runs, by id; prepared once at open. */
static const char *const sq_sql[SQ_NSTMT] = {
	[SQ_BEGIN] = "BEGIN",
	[SQ_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[SQ_COMMIT] = "COMMIT",
	[SQ_ROLLBACK] = "ROLLBACK",
	[SQ_USER_INSERT] =
		"INSERT INTO users (username, sha1_iterations, sha1_salt,"
		" sha1_stored_key, sha1_server_key, sha256_iterations,"
		" sha256_salt, sha256_stored_key, sha256_server_key,"
		" roster_version, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10)"
		" ON CONFLICT (username) DO NOTHING",
	[SQ_USER_DELETE] = "DELETE FROM users WHERE username = ?1",
	[SQ_USER_EXISTS] = "SELECT 1 FROM users WHERE username = ?1",
	[SQ_USER_SET_CREDS] =
		"UPDATE users SET sha1_iterations = ?2, sha1_salt = ?3,"
		" sha1_stored_key = ?4, sha1_server_key = ?5,"
		" sha256_iterations = ?6, sha256_salt = ?7,"
		" sha256_stored_key = ?8, sha256_server_key = ?9"
		" WHERE username = ?1",
	[SQ_USER_CREDS_SHA1] =
		"SELECT sha1_iterations, sha1_salt, sha1_stored_key,"
		" sha1_server_key FROM users WHERE username = ?1",
	[SQ_USER_CREDS_SHA256] =
		"SELECT sha256_iterations, sha256_salt, sha256_stored_key,"
		" sha256_server_key FROM users WHERE username = ?1",
	[SQ_USER_LIST] = "SELECT username FROM users ORDER BY username",
	[SQ_USER_COUNT] = "SELECT count(*) FROM users",
	[SQ_ROSTER_VERSION] =
		"SELECT roster_version FROM users WHERE username = ?1",
	[SQ_ROSTER_BUMP] = "UPDATE users SET roster_version ="
			   " roster_version + 1 WHERE username = ?1"
			   " RETURNING roster_version",
	[SQ_ROSTER_ITEMS] =
		"SELECT jid, name, subscription, ask, pending_stanza"
		" FROM roster WHERE username = ?1 ORDER BY jid",
	[SQ_ROSTER_ITEM] = "SELECT jid, name, subscription, ask, pending_stanza"
			   " FROM roster WHERE username = ?1 AND jid = ?2",
	[SQ_ROSTER_EXISTS] =
		"SELECT 1 FROM roster WHERE username = ?1 AND jid = ?2",
	[SQ_ROSTER_COUNT] = "SELECT count(*) FROM roster WHERE username = ?1",
	[SQ_ROSTER_UPSERT] =
		"INSERT INTO roster (username, jid, name, subscription, ask,"
		" pending_stanza) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT (username, jid) DO UPDATE SET"
		" name = excluded.name, subscription = excluded.subscription,"
		" ask = excluded.ask, pending_stanza = excluded.pending_stanza",
	[SQ_ROSTER_DELETE] =
		"DELETE FROM roster WHERE username = ?1 AND jid = ?2",
	[SQ_GROUPS_OF] = "SELECT grp FROM roster_groups"
			 " WHERE username = ?1 AND jid = ?2 ORDER BY pos",
	[SQ_GROUPS_CLEAR] =
		"DELETE FROM roster_groups WHERE username = ?1 AND jid = ?2",
	[SQ_GROUP_INSERT] = "INSERT INTO roster_groups (username, jid, grp,"
			    " pos) VALUES (?1, ?2, ?3, ?4)"
			    " ON CONFLICT DO NOTHING",
	[SQ_OFFLINE_COUNT] = "SELECT count(*) FROM offline WHERE username = ?1",
	[SQ_OFFLINE_INSERT] = "INSERT INTO offline (username, stanza,"
			      " stored_at) VALUES (?1, ?2, ?3)",
	[SQ_OFFLINE_LIST] = "SELECT id, stanza, stored_at FROM offline"
			    " WHERE username = ?1 ORDER BY id",
	[SQ_OFFLINE_DELETE] = "DELETE FROM offline WHERE id = ?1",
	[SQ_VCARD_GET] = "SELECT xml FROM vcards WHERE username = ?1",
	[SQ_VCARD_SET] = "INSERT INTO vcards (username, xml) VALUES (?1, ?2)"
			 " ON CONFLICT (username) DO UPDATE SET"
			 " xml = excluded.xml",
	[SQ_PRIVATE_GET] = "SELECT xml FROM private"
			   " WHERE username = ?1 AND namespace = ?2",
	[SQ_PRIVATE_SET] = "INSERT INTO private (username, namespace, xml)"
			   " VALUES (?1, ?2, ?3)"
			   " ON CONFLICT (username, namespace) DO UPDATE SET"
			   " xml = excluded.xml",
	[SQ_PRIVATE_EXISTS] = "SELECT 1 FROM private"
			      " WHERE username = ?1 AND namespace = ?2",
	[SQ_PRIVATE_COUNT] = "SELECT count(*) FROM private WHERE username = ?1",
	[SQ_BLOCK_LIST] =
		"SELECT jid FROM blocklist WHERE username = ?1 ORDER BY jid",
	[SQ_BLOCK_ADD] = "INSERT INTO blocklist (username, jid)"
			 " VALUES (?1, ?2) ON CONFLICT DO NOTHING",
	[SQ_BLOCK_REMOVE] =
		"DELETE FROM blocklist WHERE username = ?1 AND jid = ?2",
	[SQ_BLOCK_CLEAR] = "DELETE FROM blocklist WHERE username = ?1",
	[SQ_BLOCK_HAS] =
		"SELECT 1 FROM blocklist WHERE username = ?1 AND jid = ?2",
	[SQ_BLOCK_COUNT] = "SELECT count(*) FROM blocklist WHERE username = ?1",
};

/* The backend's state: the connection and its prepared statements. */
struct sq {
	sqlite3 *db;
	sqlite3_stmt *stmt[SQ_NSTMT];
};

/* ---- schema and migrations ------------------------------------------ */

/* Version 0 (an empty file) to 1: the first schema. */
static const char sq_schema_1[] =
	"CREATE TABLE users ("
	" username TEXT PRIMARY KEY NOT NULL,"
	" sha1_iterations INTEGER, sha1_salt BLOB,"
	" sha1_stored_key BLOB, sha1_server_key BLOB,"
	" sha256_iterations INTEGER, sha256_salt BLOB,"
	" sha256_stored_key BLOB, sha256_server_key BLOB,"
	" roster_version INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL);"
	"CREATE TABLE roster ("
	" username TEXT NOT NULL"
	"  REFERENCES users (username) ON DELETE CASCADE,"
	" jid TEXT NOT NULL, name TEXT,"
	" subscription INTEGER NOT NULL CHECK (subscription BETWEEN 0 AND 3),"
	" ask INTEGER NOT NULL CHECK (ask BETWEEN 0 AND 3),"
	" pending_stanza TEXT,"
	" PRIMARY KEY (username, jid));"
	"CREATE TABLE roster_groups ("
	" username TEXT NOT NULL, jid TEXT NOT NULL, grp TEXT NOT NULL,"
	" pos INTEGER NOT NULL,"
	" PRIMARY KEY (username, jid, grp),"
	" FOREIGN KEY (username, jid) REFERENCES roster (username, jid)"
	"  ON DELETE CASCADE);"
	"CREATE TABLE offline ("
	" id INTEGER PRIMARY KEY,"
	" username TEXT NOT NULL"
	"  REFERENCES users (username) ON DELETE CASCADE,"
	" stanza TEXT NOT NULL, stored_at INTEGER NOT NULL);"
	"CREATE INDEX offline_by_user ON offline (username, id);"
	"CREATE TABLE vcards ("
	" username TEXT PRIMARY KEY NOT NULL"
	"  REFERENCES users (username) ON DELETE CASCADE,"
	" xml TEXT NOT NULL);"
	"CREATE TABLE private ("
	" username TEXT NOT NULL"
	"  REFERENCES users (username) ON DELETE CASCADE,"
	" namespace TEXT NOT NULL, xml TEXT NOT NULL,"
	" PRIMARY KEY (username, namespace));"
	"CREATE TABLE blocklist ("
	" username TEXT NOT NULL"
	"  REFERENCES users (username) ON DELETE CASCADE,"
	" jid TEXT NOT NULL,"
	" PRIMARY KEY (username, jid));";

static int sq_migrate_to_1(sqlite3 *db)
{
	return sqlite3_exec(db, sq_schema_1, NULL, NULL, NULL);
}

/* sq_migrations[v] takes the schema from version v to v + 1; it returns
   an SQLite result code. A new version appends one function here. */
static int (*const sq_migrations[STORE_SCHEMA_VERSION])(sqlite3 *db) = {
	sq_migrate_to_1,
};

/* ---- errors -------------------------------------------------------- */

static const struct {
	int code; /* primary SQLite result code */
	int err;
} sq_errnos[] = {
	{SQLITE_NOMEM, ENOMEM},	   {SQLITE_BUSY, EBUSY},
	{SQLITE_LOCKED, EBUSY},	   {SQLITE_READONLY, EROFS},
	{SQLITE_FULL, ENOSPC},	   {SQLITE_TOOBIG, EMSGSIZE},
	{SQLITE_CANTOPEN, EACCES},
};

static int sq_errno_of(int rc)
{
	for (size_t i = 0; i < sizeof sq_errnos / sizeof sq_errnos[0]; i++)
		if (sq_errnos[i].code == (rc & 0xff))
			return sq_errnos[i].err;
	return EIO;
}

/* Logs the connection's last error for operation op and sets errno. */
static int sq_fail(struct sq *q, const char *op)
{
	int rc = sqlite3_extended_errcode(q->db);
	log_msg(LOG_LEVEL_ERROR, op, "sqlite: %s", sqlite3_errmsg(q->db));
	errno = sq_errno_of(rc);
	return -1;
}

/* Logs a failure that SQLite did not report itself (e is the errno). */
static int sq_fail_errno(const char *op, const char *what, int e)
{
	errno = e;
	log_msg(LOG_LEVEL_ERROR, op, "%s: %s", what, strerror(e));
	errno = e;
	return -1;
}

/* ---- statements ---------------------------------------------------- */

static void sq_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static int sq_bind_text(struct sq *q, const char *op, sqlite3_stmt *s, int i,
			const char *v)
{
	if (sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) != SQLITE_OK)
		return sq_fail(q, op);
	return 0;
}

static int sq_bind_int(struct sq *q, const char *op, sqlite3_stmt *s, int i,
		       int64_t v)
{
	if (sqlite3_bind_int64(s, i, v) != SQLITE_OK)
		return sq_fail(q, op);
	return 0;
}

/* Statement id with the non-NULL texts a, b, c bound to ?1, ?2, ?3 (the
   rest stay NULL). NULL on error (logged); else release with sq_done. */
static sqlite3_stmt *sq_use(struct sq *q, const char *op, enum sq_id id,
			    const char *a, const char *b, const char *c)
{
	sqlite3_stmt *s = q->stmt[id];
	const char *v[3] = {a, b, c};
	for (int i = 0; i < 3; i++) {
		if (v[i] != NULL && sq_bind_text(q, op, s, i + 1, v[i]) < 0) {
			sq_done(s);
			return NULL;
		}
	}
	return s;
}

/* Steps s: 1 a row, 0 done, -1 error (logged). A foreign key violation
   is the caller's "no such user": -1 with ENOENT, not logged. */
static int sq_step(struct sq *q, const char *op, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	if (sqlite3_extended_errcode(q->db) == SQLITE_CONSTRAINT_FOREIGNKEY) {
		errno = ENOENT;
		return -1;
	}
	return sq_fail(q, op);
}

/* Runs statement id (texts a, b, c) to its end: the number of rows it
   changed, or -1. */
static int sq_run(struct sq *q, const char *op, enum sq_id id, const char *a,
		  const char *b, const char *c)
{
	sqlite3_stmt *s = sq_use(q, op, id, a, b, c);
	if (s == NULL)
		return -1;
	int r = sq_step(q, op, s);
	sq_done(s);
	if (r < 0)
		return -1;
	return sqlite3_changes(q->db);
}

/* Reads column 0 of the first row of statement id as an integer: 1 and
 *out set, 0 if no row, -1 on error. */
static int sq_int(struct sq *q, const char *op, enum sq_id id, const char *a,
		  const char *b, int64_t *out)
{
	sqlite3_stmt *s = sq_use(q, op, id, a, b, NULL);
	if (s == NULL)
		return -1;
	int r = sq_step(q, op, s);
	if (r == 1)
		*out = sqlite3_column_int64(s, 0);
	sq_done(s);
	return r;
}

/* A malloc'ed copy of text column i of s, NULL for an SQL NULL. 0 or -1
   (logged). */
static int sq_column_dup(const char *op, sqlite3_stmt *s, int i, char **out)
{
	*out = NULL;
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return 0;
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t n = (size_t)sqlite3_column_bytes(s, i);
	char *c = t ? malloc(n + 1) : NULL;
	if (c == NULL)
		return sq_fail_errno(op, "reading a text column", ENOMEM);
	memcpy(c, t, n);
	c[n] = '\0';
	*out = c;
	return 0;
}

/* Reads column 0 of the first row of statement id as a copied text: 1
   with *out set, 0 if no row, -1 on error. */
static int sq_text(struct sq *q, const char *op, enum sq_id id, const char *a,
		   const char *b, char **out)
{
	sqlite3_stmt *s = sq_use(q, op, id, a, b, NULL);
	if (s == NULL)
		return -1;
	int r = sq_step(q, op, s);
	if (r == 1 && sq_column_dup(op, s, 0, out) < 0)
		r = -1;
	sq_done(s);
	return r;
}

/* Calls fn on column 0 of each row of statement id (text a) until fn
   returns non-zero. 0 or -1. */
static int sq_each(struct sq *q, const char *op, enum sq_id id, const char *a,
		   int (*fn)(const char *v, void *ctx), void *ctx)
{
	sqlite3_stmt *s = sq_use(q, op, id, a, NULL, NULL);
	if (s == NULL)
		return -1;
	int r;
	while ((r = sq_step(q, op, s)) == 1) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		if (v == NULL) {
			r = sq_fail_errno(op, "reading a row", ENOMEM);
			break;
		}
		if (fn(v, ctx) != 0) {
			r = 0;
			break;
		}
	}
	sq_done(s);
	return r < 0 ? -1 : 0;
}

/* ---- transactions -------------------------------------------------- */

static int sq_begin(struct sq *q, const char *op, enum sq_id which)
{
	return sq_run(q, op, which, NULL, NULL, NULL) < 0 ? -1 : 0;
}

/* Ends the transaction: commits if r >= 0 and returns r (or -1 if the
   commit fails), rolls back if r < 0 keeping errno. */
static int sq_end(struct sq *q, const char *op, int r)
{
	if (r >= 0 && sq_run(q, op, SQ_COMMIT, NULL, NULL, NULL) >= 0)
		return r;
	int e = errno;
	if (sqlite3_get_autocommit(q->db) == 0) {
		sqlite3_step(q->stmt[SQ_ROLLBACK]);
		sq_done(q->stmt[SQ_ROLLBACK]);
	}
	errno = e;
	return -1;
}

/* Inside a write transaction: 0 if key (in the table that count_id and
   exists_id read) may be written for user under max, -1 EDQUOT if it is
   new and the user has max already, -1 on error. */
static int sq_quota(struct sq *q, const char *op, enum sq_id count_id,
		    enum sq_id exists_id, const char *user, const char *key,
		    int64_t max)
{
	int64_t n = 0;
	if (sq_int(q, op, count_id, user, NULL, &n) < 0)
		return -1;
	if (n < max)
		return 0;
	int64_t one;
	int r = sq_int(q, op, exists_id, user, key, &one);
	if (r < 0)
		return -1;
	if (r == 0) {
		errno = EDQUOT;
		return -1;
	}
	return 0;
}

/* Makes room for element n of *arr (elements of size bytes), refusing
   n >= max. 0 or -1 (logged). */
static int sq_grow(const char *op, void **arr, size_t *cap, size_t n,
		   size_t size, size_t max)
{
	if (n < *cap)
		return 0;
	if (n >= max)
		return sq_fail_errno(op, "more rows than the limit", EIO);
	size_t ncap = *cap ? *cap * 2 : 8;
	if (ncap > max)
		ncap = max;
	void *p = reallocarray(*arr, ncap, size);
	if (p == NULL)
		return sq_fail_errno(op, "growing an array", ENOMEM);
	*arr = p;
	*cap = ncap;
	return 0;
}

/* ---- users --------------------------------------------------------- */

/* The statement that reads the credentials of each hash. */
static const enum sq_id sq_creds_stmt[] = {
	[SCRAM_SHA1] = SQ_USER_CREDS_SHA1,
	[SCRAM_SHA256] = SQ_USER_CREDS_SHA256,
};

static const size_t sq_key_len[] = {
	[SCRAM_SHA1] = 20,
	[SCRAM_SHA256] = 32,
};

/* Binds c to ?first .. ?first+3 (iterations, salt, stored, server key),
   or leaves them NULL if c is NULL. */
static int sq_bind_creds(struct sq *q, const char *op, sqlite3_stmt *s,
			 int first, const struct scram_creds *c)
{
	if (c == NULL)
		return 0;
	if (sq_bind_int(q, op, s, first, c->iterations) < 0 ||
	    sqlite3_bind_blob(s, first + 1, c->salt, (int)c->salt_len,
			      SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(s, first + 2, c->stored_key, (int)c->key_len,
			      SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(s, first + 3, c->server_key, (int)c->key_len,
			      SQLITE_STATIC) != SQLITE_OK)
		return sq_fail(q, op);
	return 0;
}

/* Runs SQ_USER_INSERT or SQ_USER_SET_CREDS: the number of rows changed. */
static int sq_write_user(struct sq *q, const char *op, enum sq_id id,
			 const char *user, const struct scram_creds *sha1,
			 const struct scram_creds *sha256)
{
	sqlite3_stmt *s = sq_use(q, op, id, user, NULL, NULL);
	if (s == NULL)
		return -1;
	int r = sq_bind_creds(q, op, s, 2, sha1);
	if (r == 0)
		r = sq_bind_creds(q, op, s, 6, sha256);
	if (r == 0 && id == SQ_USER_INSERT)
		r = sq_bind_int(q, op, s, 10, (int64_t)time(NULL));
	if (r == 0)
		r = sq_step(q, op, s);
	sq_done(s);
	return r < 0 ? -1 : sqlite3_changes(q->db);
}

static int sq_user_create(void *be, const char *user,
			  const struct scram_creds *sha1,
			  const struct scram_creds *sha256)
{
	int n = sq_write_user(be, "store_user_create", SQ_USER_INSERT, user,
			      sha1, sha256);
	return n < 0 ? -1 : n == 0;
}

static int sq_user_set_creds(void *be, const char *user,
			     const struct scram_creds *sha1,
			     const struct scram_creds *sha256)
{
	int n = sq_write_user(be, "store_user_set_creds", SQ_USER_SET_CREDS,
			      user, sha1, sha256);
	return n < 0 ? -1 : n == 0;
}

static int sq_user_delete(void *be, const char *user)
{
	int n = sq_run(be, "store_user_delete", SQ_USER_DELETE, user, NULL,
		       NULL);
	return n < 0 ? -1 : n == 0;
}

static int sq_user_exists(void *be, const char *user)
{
	int64_t one;
	int r = sq_int(be, "store_user_exists", SQ_USER_EXISTS, user, NULL,
		       &one);
	return r < 0 ? -1 : r == 0;
}

/* Copies a blob column of exactly want bytes (or at most want if !exact)
   into dst; -1 if it does not fit. */
static int sq_column_blob(sqlite3_stmt *s, int i, unsigned char *dst,
			  size_t want, int exact, size_t *got)
{
	const void *p = sqlite3_column_blob(s, i);
	size_t n = (size_t)sqlite3_column_bytes(s, i);
	if (p == NULL || n == 0 || n > want || (exact && n != want))
		return -1;
	memcpy(dst, p, n);
	if (got != NULL)
		*got = n;
	return 0;
}

static int sq_user_get_creds(void *be, const char *user, enum scram_hash h,
			     struct scram_creds *out)
{
	static const char op[] = "store_user_get_creds";
	struct sq *q = be;
	sqlite3_stmt *s = sq_use(q, op, sq_creds_stmt[h], user, NULL, NULL);
	if (s == NULL)
		return -1;
	int r = sq_step(q, op, s);
	if (r == 1 && sqlite3_column_type(s, 0) == SQLITE_NULL)
		r = 0; /* no credentials for this mechanism */
	if (r == 1) {
		memset(out, 0, sizeof *out);
		out->hash = h;
		out->key_len = sq_key_len[h];
		int64_t it = sqlite3_column_int64(s, 0);
		if (it <= 0 || it > SCRAM_MAX_ITERATIONS ||
		    sq_column_blob(s, 1, out->salt, SCRAM_SALT_LEN, 0,
				   &out->salt_len) < 0 ||
		    sq_column_blob(s, 2, out->stored_key, out->key_len, 1,
				   NULL) < 0 ||
		    sq_column_blob(s, 3, out->server_key, out->key_len, 1,
				   NULL) < 0) {
			log_msg(LOG_LEVEL_ERROR, op,
				"corrupt credentials for user %s", user);
			errno = EIO;
			r = -1;
		}
		out->iterations = (unsigned)it;
	}
	sq_done(s);
	return r < 0 ? -1 : r == 0;
}

static int sq_user_list(void *be, int (*fn)(const char *user, void *ctx),
			void *ctx)
{
	return sq_each(be, "store_user_list", SQ_USER_LIST, NULL, fn, ctx);
}

static int sq_user_count(void *be, int64_t *count)
{
	int r = sq_int(be, "store_user_count", SQ_USER_COUNT, NULL, NULL,
		       count);
	return r < 0 ? -1 : 0;
}

/* ---- rosters ------------------------------------------------------- */

/* Reads the groups of it->jid into it (bounded by STORE_MAX_GROUPS). */
static int sq_read_groups(struct sq *q, const char *op, const char *user,
			  struct store_roster_item *it)
{
	sqlite3_stmt *g = sq_use(q, op, SQ_GROUPS_OF, user, it->jid, NULL);
	if (g == NULL)
		return -1;
	size_t cap = 0;
	int r;
	while ((r = sq_step(q, op, g)) == 1) {
		if (sq_grow(op, (void **)&it->groups, &cap, it->ngroups,
			    sizeof *it->groups, STORE_MAX_GROUPS) < 0 ||
		    sq_column_dup(op, g, 0, &it->groups[it->ngroups]) < 0) {
			r = -1;
			break;
		}
		if (it->groups[it->ngroups] != NULL)
			it->ngroups++;
	}
	sq_done(g);
	return r < 0 ? -1 : 0;
}

/* Reads the item at the current row of s (SQ_ROSTER_ITEM or ITEMS) and
   its groups into *it (emptied first). 0 or -1 (logged; *it freed). */
static int sq_read_item(struct sq *q, const char *op, const char *user,
			sqlite3_stmt *s, struct store_roster_item *it)
{
	memset(it, 0, sizeof *it);
	int64_t sub = sqlite3_column_int64(s, 2);
	it->ask = (int)sqlite3_column_int64(s, 3);
	if (sub < STORE_SUB_NONE || sub > STORE_SUB_BOTH ||
	    (it->ask & ~(STORE_ASK_OUT | STORE_ASK_IN)) != 0 ||
	    sqlite3_column_type(s, 0) == SQLITE_NULL)
		return sq_fail_errno(op, "corrupt roster item", EIO);
	it->sub = (enum store_sub)sub;
	if (sq_column_dup(op, s, 0, &it->jid) < 0 ||
	    sq_column_dup(op, s, 1, &it->name) < 0 ||
	    sq_column_dup(op, s, 4, &it->pending_stanza) < 0 ||
	    sq_read_groups(q, op, user, it) < 0) {
		store_roster_item_free(it);
		return -1;
	}
	return 0;
}

static int sq_roster_read(struct sq *q, const char *op, const char *user,
			  struct store_roster *out)
{
	if (sq_int(q, op, SQ_ROSTER_VERSION, user, NULL, &out->version) < 0)
		return -1;
	sqlite3_stmt *s = sq_use(q, op, SQ_ROSTER_ITEMS, user, NULL, NULL);
	if (s == NULL)
		return -1;
	size_t cap = 0;
	int r;
	while ((r = sq_step(q, op, s)) == 1) {
		if (sq_grow(op, (void **)&out->items, &cap, out->n,
			    sizeof *out->items, STORE_MAX_ROSTER_ITEMS) < 0 ||
		    sq_read_item(q, op, user, s, &out->items[out->n]) < 0) {
			r = -1;
			break;
		}
		out->n++;
	}
	sq_done(s);
	return r < 0 ? -1 : 0;
}

static int sq_roster_get(void *be, const char *user, struct store_roster *out)
{
	static const char op[] = "store_roster_get";
	struct sq *q = be;
	memset(out, 0, sizeof *out);
	if (sq_begin(q, op, SQ_BEGIN) < 0)
		return -1;
	int r = sq_end(q, op, sq_roster_read(q, op, user, out));
	if (r < 0)
		store_roster_free(out);
	return r;
}

static int sq_roster_get_item(void *be, const char *user, const char *jid,
			      struct store_roster_item *out)
{
	static const char op[] = "store_roster_get_item";
	struct sq *q = be;
	if (sq_begin(q, op, SQ_BEGIN) < 0)
		return -1;
	sqlite3_stmt *s = sq_use(q, op, SQ_ROSTER_ITEM, user, jid, NULL);
	int r = s ? sq_step(q, op, s) : -1;
	if (r == 1 && sq_read_item(q, op, user, s, out) < 0)
		r = -1;
	if (s != NULL)
		sq_done(s);
	return sq_end(q, op, r < 0 ? -1 : r == 0);
}

/* Bumps the user's roster version into *version: 0, or -1 (ENOENT for
   an unknown user). */
static int sq_roster_bump(struct sq *q, const char *op, const char *user,
			  int64_t *version)
{
	int64_t v = 0;
	int r = sq_int(q, op, SQ_ROSTER_BUMP, user, NULL, &v);
	if (r == 0)
		errno = ENOENT;
	if (r <= 0)
		return -1;
	if (version != NULL)
		*version = v;
	return 0;
}

static int sq_roster_write(struct sq *q, const char *op, const char *user,
			   const struct store_roster_item *it)
{
	sqlite3_stmt *s =
		sq_use(q, op, SQ_ROSTER_UPSERT, user, it->jid, it->name);
	if (s == NULL)
		return -1;
	int r = sq_bind_int(q, op, s, 4, it->sub);
	if (r == 0)
		r = sq_bind_int(q, op, s, 5, it->ask);
	if (r == 0 && it->pending_stanza != NULL)
		r = sq_bind_text(q, op, s, 6, it->pending_stanza);
	if (r == 0)
		r = sq_step(q, op, s);
	sq_done(s);
	if (r < 0 || sq_run(q, op, SQ_GROUPS_CLEAR, user, it->jid, NULL) < 0)
		return -1;
	for (size_t i = 0; i < it->ngroups; i++) {
		s = sq_use(q, op, SQ_GROUP_INSERT, user, it->jid,
			   it->groups[i]);
		if (s == NULL)
			return -1;
		r = sq_bind_int(q, op, s, 4, (int64_t)i);
		if (r == 0)
			r = sq_step(q, op, s);
		sq_done(s);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int sq_roster_put(void *be, const char *user,
			 const struct store_roster_item *it, int64_t *version)
{
	static const char op[] = "store_roster_put";
	struct sq *q = be;
	if (sq_begin(q, op, SQ_BEGIN_IMMEDIATE) < 0)
		return -1;
	int r = sq_roster_bump(q, op, user, version);
	if (r == 0)
		r = sq_quota(q, op, SQ_ROSTER_COUNT, SQ_ROSTER_EXISTS, user,
			     it->jid, STORE_MAX_ROSTER_ITEMS);
	if (r == 0)
		r = sq_roster_write(q, op, user, it);
	return sq_end(q, op, r);
}

static int sq_roster_remove(void *be, const char *user, const char *jid,
			    int64_t *version)
{
	static const char op[] = "store_roster_remove";
	struct sq *q = be;
	if (sq_begin(q, op, SQ_BEGIN_IMMEDIATE) < 0)
		return -1;
	int r = sq_run(q, op, SQ_ROSTER_DELETE, user, jid, NULL);
	if (r > 0)
		r = sq_roster_bump(q, op, user, version);
	else if (r == 0)
		r = 1;
	return sq_end(q, op, r);
}

/* ---- offline messages ---------------------------------------------- */

static int sq_offline_add(struct sq *q, const char *op, const char *user,
			  const char *stanza, size_t max)
{
	int64_t n = 0;
	if (sq_int(q, op, SQ_OFFLINE_COUNT, user, NULL, &n) < 0)
		return -1;
	if ((uint64_t)n >= (uint64_t)max)
		return 1;
	sqlite3_stmt *s = sq_use(q, op, SQ_OFFLINE_INSERT, user, stanza, NULL);
	if (s == NULL)
		return -1;
	int r = sq_bind_int(q, op, s, 3, (int64_t)time(NULL));
	if (r == 0)
		r = sq_step(q, op, s);
	sq_done(s);
	return r < 0 ? -1 : 0;
}

static int sq_offline_push(void *be, const char *user, const char *stanza,
			   size_t max)
{
	static const char op[] = "store_offline_push";
	struct sq *q = be;
	if (sq_begin(q, op, SQ_BEGIN_IMMEDIATE) < 0)
		return -1;
	return sq_end(q, op, sq_offline_add(q, op, user, stanza, max));
}

/* Hands each message to fn and collects the ids fn accepted into *ids
   (malloc'ed, *n of them). 0 or -1. */
static int sq_offline_hand(struct sq *q, const char *op, const char *user,
			   int (*fn)(const struct store_offline *m, void *ctx),
			   void *ctx, int64_t **ids, size_t *n)
{
	sqlite3_stmt *s = sq_use(q, op, SQ_OFFLINE_LIST, user, NULL, NULL);
	if (s == NULL)
		return -1;
	size_t cap = 0;
	int r;
	while ((r = sq_step(q, op, s)) == 1) {
		struct store_offline m = {
			.id = sqlite3_column_int64(s, 0),
			.stanza = (char *)sqlite3_column_text(s, 1),
			.stored_at = sqlite3_column_int64(s, 2),
		};
		if (m.stanza == NULL) {
			r = sq_fail_errno(op, "reading a message", ENOMEM);
			break;
		}
		if (fn(&m, ctx) != 0)
			continue;
		/* Bounded by the rows there are: the pushes' max. */
		if (sq_grow(op, (void **)ids, &cap, *n, sizeof **ids,
			    SIZE_MAX / sizeof **ids) < 0) {
			r = -1;
			break;
		}
		(*ids)[(*n)++] = m.id;
	}
	sq_done(s);
	return r < 0 ? -1 : 0;
}

static int sq_offline_delete(struct sq *q, const char *op, const int64_t *ids,
			     size_t n)
{
	sqlite3_stmt *s = q->stmt[SQ_OFFLINE_DELETE];
	for (size_t i = 0; i < n; i++) {
		int r = sq_bind_int(q, op, s, 1, ids[i]);
		if (r == 0)
			r = sq_step(q, op, s);
		sq_done(s);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int sq_offline_pop(void *be, const char *user,
			  int (*fn)(const struct store_offline *m, void *ctx),
			  void *ctx)
{
	static const char op[] = "store_offline_pop";
	struct sq *q = be;
	int64_t *ids = NULL;
	size_t n = 0;
	if (sq_begin(q, op, SQ_BEGIN_IMMEDIATE) < 0)
		return -1;
	int r = sq_offline_hand(q, op, user, fn, ctx, &ids, &n);
	if (r == 0)
		r = sq_offline_delete(q, op, ids, n);
	free(ids);
	return sq_end(q, op, r);
}

static int sq_offline_count(void *be, const char *user, int64_t *count)
{
	int r = sq_int(be, "store_offline_count", SQ_OFFLINE_COUNT, user, NULL,
		       count);
	return r < 0 ? -1 : 0;
}

/* ---- vCards and private XML ---------------------------------------- */

static int sq_vcard_get(void *be, const char *user, char **xml)
{
	int r = sq_text(be, "store_vcard_get", SQ_VCARD_GET, user, NULL, xml);
	return r < 0 ? -1 : r == 0;
}

static int sq_vcard_set(void *be, const char *user, const char *xml)
{
	int n = sq_run(be, "store_vcard_set", SQ_VCARD_SET, user, xml, NULL);
	return n < 0 ? -1 : 0;
}

static int sq_private_get(void *be, const char *user, const char *ns,
			  char **xml)
{
	int r = sq_text(be, "store_private_get", SQ_PRIVATE_GET, user, ns, xml);
	return r < 0 ? -1 : r == 0;
}

static int sq_private_set(void *be, const char *user, const char *ns,
			  const char *xml)
{
	static const char op[] = "store_private_set";
	struct sq *q = be;
	if (sq_begin(q, op, SQ_BEGIN_IMMEDIATE) < 0)
		return -1;
	int r = sq_quota(q, op, SQ_PRIVATE_COUNT, SQ_PRIVATE_EXISTS, user, ns,
			 STORE_MAX_PRIVATE);
	if (r == 0 && sq_run(q, op, SQ_PRIVATE_SET, user, ns, xml) < 0)
		r = -1;
	return sq_end(q, op, r);
}

/* ---- blocklists ---------------------------------------------------- */

static int sq_block_list(void *be, const char *user,
			 int (*fn)(const char *jid, void *ctx), void *ctx)
{
	return sq_each(be, "store_block_list", SQ_BLOCK_LIST, user, fn, ctx);
}

static int sq_block_add(void *be, const char *user, const char *jid)
{
	static const char op[] = "store_block_add";
	struct sq *q = be;
	if (sq_begin(q, op, SQ_BEGIN_IMMEDIATE) < 0)
		return -1;
	int r = sq_quota(q, op, SQ_BLOCK_COUNT, SQ_BLOCK_HAS, user, jid,
			 STORE_MAX_BLOCKED);
	if (r == 0 && sq_run(q, op, SQ_BLOCK_ADD, user, jid, NULL) < 0)
		r = -1;
	return sq_end(q, op, r);
}

static int sq_block_remove(void *be, const char *user, const char *jid)
{
	int n = sq_run(be, "store_block_remove", SQ_BLOCK_REMOVE, user, jid,
		       NULL);
	return n < 0 ? -1 : n == 0;
}

static int sq_block_clear(void *be, const char *user)
{
	int n = sq_run(be, "store_block_clear", SQ_BLOCK_CLEAR, user, NULL,
		       NULL);
	return n < 0 ? -1 : 0;
}

static int sq_block_has(void *be, const char *user, const char *jid)
{
	int64_t one;
	int r = sq_int(be, "store_block_has", SQ_BLOCK_HAS, user, jid, &one);
	return r < 0 ? -1 : r == 0;
}

/* ---- open and close ------------------------------------------------ */

static void sq_close(void *be)
{
	struct sq *q = be;
	if (q == NULL)
		return;
	for (int i = 0; i < SQ_NSTMT; i++)
		sqlite3_finalize(q->stmt[i]);
	if (q->db != NULL && sqlite3_close(q->db) != SQLITE_OK)
		log_msg(LOG_LEVEL_ERROR, "store_close", "sqlite: %s",
			sqlite3_errmsg(q->db));
	free(q);
}

static const struct store_ops sq_ops = {
	.name = "sqlite",
	.close = sq_close,
	.user_create = sq_user_create,
	.user_delete = sq_user_delete,
	.user_exists = sq_user_exists,
	.user_set_creds = sq_user_set_creds,
	.user_get_creds = sq_user_get_creds,
	.user_list = sq_user_list,
	.user_count = sq_user_count,
	.roster_get = sq_roster_get,
	.roster_get_item = sq_roster_get_item,
	.roster_put = sq_roster_put,
	.roster_remove = sq_roster_remove,
	.offline_push = sq_offline_push,
	.offline_pop = sq_offline_pop,
	.offline_count = sq_offline_count,
	.vcard_get = sq_vcard_get,
	.vcard_set = sq_vcard_set,
	.private_get = sq_private_get,
	.private_set = sq_private_set,
	.block_list = sq_block_list,
	.block_add = sq_block_add,
	.block_remove = sq_block_remove,
	.block_clear = sq_block_clear,
	.block_has = sq_block_has,
};

/* Runs one statement of SQL text (a PRAGMA) and reads column 0 of its
   first row as text into buf (empty if none). 0 or -1 (logged). */
static int sq_pragma(struct sq *q, const char *path, const char *sql, char *buf,
		     size_t bufsz)
{
	sqlite3_stmt *s = NULL;
	buf[0] = '\0';
	int rc = sqlite3_prepare_v2(q->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		snprintf(buf, bufsz, "%s", t ? t : "");
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_msg(LOG_LEVEL_ERROR, "store_open_sqlite", "%s: %s: %s",
			path, sql, sqlite3_errmsg(q->db));
		errno = sq_errno_of(rc);
		return -1;
	}
	return 0;
}

/* The settings every connection needs, and what each must answer
   (NULL: anything). */
static const struct {
	const char *sql;
	const char *want;
} sq_settings[] = {
	{"PRAGMA journal_mode = WAL", "wal"},
	{"PRAGMA foreign_keys = ON", NULL},
	{"PRAGMA foreign_keys", "1"},
};

static int sq_configure(struct sq *q, const char *path, int full)
{
	char got[64];
	sqlite3_busy_timeout(q->db, SQ_BUSY_TIMEOUT_MS);
	for (size_t i = 0; i < sizeof sq_settings / sizeof sq_settings[0];
	     i++) {
		if (sq_pragma(q, path, sq_settings[i].sql, got, sizeof got) < 0)
			return -1;
		if (sq_settings[i].want != NULL &&
		    strcmp(got, sq_settings[i].want) != 0) {
			log_msg(LOG_LEVEL_ERROR, "store_open_sqlite",
				"%s: %s gave \"%s\", not \"%s\"", path,
				sq_settings[i].sql, got, sq_settings[i].want);
			errno = EIO;
			return -1;
		}
	}
	return sq_pragma(q, path,
			 full ? "PRAGMA synchronous = FULL"
			      : "PRAGMA synchronous = NORMAL",
			 got, sizeof got);
}

/* Reads an integer PRAGMA or query into *v. 0 or -1 (logged). */
static int sq_pragma_int(struct sq *q, const char *path, const char *sql,
			 long long *v)
{
	char got[64];
	if (sq_pragma(q, path, sql, got, sizeof got) < 0)
		return -1;
	*v = strtoll(got, NULL, 10);
	return 0;
}

/* Checks that the open file is a Parley store (or empty) no newer than
   this program; *version is its schema version. 0 or -1 (logged). */
static int sq_check_identity(struct sq *q, const char *path, long long *version)
{
	long long app, tables;
	if (sq_pragma_int(q, path, "PRAGMA application_id", &app) < 0 ||
	    sq_pragma_int(q, path, "PRAGMA user_version", version) < 0 ||
	    sq_pragma_int(q, path, "SELECT count(*) FROM sqlite_schema",
			  &tables) < 0)
		return -1;
	if (app != SQ_APPLICATION_ID && (app != 0 || tables != 0)) {
		log_msg(LOG_LEVEL_ERROR, "store_open_sqlite",
			"%s: not a Parley store (application_id %lld,"
			" %lld tables)",
			path, app, tables);
		errno = EINVAL;
		return -1;
	}
	if (*version > STORE_SCHEMA_VERSION || *version < 0) {
		log_msg(LOG_LEVEL_ERROR, "store_open_sqlite",
			"%s: schema version %lld is newer than this program's"
			" %d: refusing to open it (upgrade xmpp-routerd)",
			path, *version, STORE_SCHEMA_VERSION);
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* Brings the schema to STORE_SCHEMA_VERSION in one transaction. */
static int sq_migrate(struct sq *q, const char *path)
{
	long long v;
	char sql[96], got[64];
	if (sq_pragma(q, path, "BEGIN IMMEDIATE", got, sizeof got) < 0)
		return -1;
	int r = sq_check_identity(q, path, &v);
	long long from = v;
	for (; r == 0 && v < STORE_SCHEMA_VERSION; v++) {
		if (sq_migrations[v](q->db) != SQLITE_OK) {
			log_msg(LOG_LEVEL_ERROR, "store_open_sqlite",
				"%s: migration to version %lld: %s", path,
				v + 1, sqlite3_errmsg(q->db));
			errno = sq_errno_of(sqlite3_extended_errcode(q->db));
			r = -1;
		}
	}
	if (r == 0 && from != STORE_SCHEMA_VERSION) {
		snprintf(sql, sizeof sql,
			 "PRAGMA user_version = %d; PRAGMA application_id = %d",
			 STORE_SCHEMA_VERSION, SQ_APPLICATION_ID);
		if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			r = sq_fail(q, "store_open_sqlite");
	}
	if (r == 0)
		r = sq_pragma(q, path, "COMMIT", got, sizeof got);
	if (r < 0) {
		int e = errno;
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		errno = e;
		return -1;
	}
	if (from != STORE_SCHEMA_VERSION)
		log_msg(LOG_LEVEL_INFO, "store_open_sqlite",
			"%s: schema version %lld -> %d", path, from,
			STORE_SCHEMA_VERSION);
	return 0;
}

static int sq_prepare_all(struct sq *q, const char *path)
{
	for (int i = 0; i < SQ_NSTMT; i++) {
		if (sqlite3_prepare_v3(q->db, sq_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &q->stmt[i],
				       NULL) != SQLITE_OK) {
			log_msg(LOG_LEVEL_ERROR, "store_open_sqlite",
				"%s: preparing \"%s\": %s", path, sq_sql[i],
				sqlite3_errmsg(q->db));
			errno = EIO;
			return -1;
		}
	}
	return 0;
}

/* Opens the connection; refuses what is not a writable regular file (or
   a name to create). 0 or -1 (logged). */
static int sq_connect(struct sq *q, const char *path)
{
	struct stat sb;
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		log_msg(LOG_LEVEL_ERROR, "store_open_sqlite",
			"%s: not a regular file", path);
		errno = EISDIR;
		return -1;
	}
	int rc = sqlite3_open_v2(path, &q->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					 SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		log_msg(LOG_LEVEL_ERROR, "store_open_sqlite", "%s: %s", path,
			q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		errno = sq_errno_of(rc);
		return -1;
	}
	if (sqlite3_db_readonly(q->db, "main") != 0) {
		log_msg(LOG_LEVEL_ERROR, "store_open_sqlite",
			"%s: read-only, the store needs to write", path);
		errno = EROFS;
		return -1;
	}
	return 0;
}

struct store *store_open_sqlite_sync(const char *path, int full)
{
	struct sq *q = calloc(1, sizeof *q);
	if (q == NULL) {
		sq_fail_errno("store_open_sqlite", path, ENOMEM);
		return NULL;
	}
	if (sq_connect(q, path) < 0 || sq_configure(q, path, full) < 0 ||
	    sq_migrate(q, path) < 0 || sq_prepare_all(q, path) < 0) {
		int e = errno;
		sq_close(q);
		errno = e;
		return NULL;
	}
	return store_new(&sq_ops, q);
}

struct store *store_open_sqlite(const char *path)
{
	return store_open_sqlite_sync(path, 0);
}
