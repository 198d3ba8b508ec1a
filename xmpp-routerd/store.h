/* store.h: the storage interface of xmpp-routerd.
 *
 * Everything the router keeps across restarts goes through this interface:
 * users and their SCRAM credentials, rosters, offline messages, vCards,
 * private XML storage and blocklists. The routing code never sees SQL; a
 * second backend (PostgreSQL, for a cluster) implements the same table of
 * operations (struct store_ops). The embedded default is SQLite
 * (store_sqlite.c): one file in WAL mode, a schema version with
 * migrations (documented in xmpp-routerd/STORAGE.md). A call that returns
 * 0 after a write has committed it: it survives SIGKILL of the daemon.
 *
 * Users are identified by their prepared localpart ("alice"); JIDs in
 * rosters and blocklists are prepared bare JIDs as strings. Calls are
 * synchronous; each is one short transaction. Every call returns 0 on
 * success, 1 for "not found" where noted, -1 on a storage error (logged,
 * errno EIO, ENOMEM, EBUSY, EROFS or ENOSPC).
 *
 * Refusals are -1 too, but are not logged (the caller answers the peer):
 *   EMSGSIZE  a text argument is longer than its STORE_MAX_* limit below;
 *   EINVAL    a NULL where a value is needed, a subscription or ask value
 *             out of range, credentials of the wrong hash or size;
 *   ENOENT    a write for a user that does not exist;
 *   EDQUOT    a new roster item, blocked JID or private namespace beyond
 *             the user's STORE_MAX_* count.
 * Pointers are never NULL unless a comment says so. Callbacks (fn) run
 * inside the store's transaction and must not call the store. */
#ifndef PARLEY_STORE_H
#define PARLEY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "scram.h"

#define STORE_SCHEMA_VERSION 1

/* Limits on arguments, in bytes without the NUL. */
#define STORE_MAX_USER 1023	      /* a localpart (RFC 7622) */
#define STORE_MAX_JID 3071	      /* a bare JID; also names and groups */
#define STORE_MAX_NS 1023	      /* a private XML namespace */
#define STORE_MAX_STANZA (256 * 1024) /* offline and pending stanzas */
#define STORE_MAX_XML (64 * 1024)     /* a vCard or private XML value */

/* Limits on counts, per user (offline messages: the caller's max). */
#define STORE_MAX_ROSTER_ITEMS 5000
#define STORE_MAX_GROUPS 64 /* groups of one roster item */
#define STORE_MAX_BLOCKED 5000
#define STORE_MAX_PRIVATE 256 /* private XML namespaces */

enum store_sub {
	STORE_SUB_NONE = 0,
	STORE_SUB_TO = 1,   /* the user receives the contact's presence */
	STORE_SUB_FROM = 2, /* the contact receives the user's presence */
	STORE_SUB_BOTH = 3,
};

/* RFC 6121 pending states, kept beside the subscription. */
#define STORE_ASK_OUT 1 /* the user asked to subscribe ("ask='subscribe'") */
#define STORE_ASK_IN 2	/* the contact asked; awaiting the user's answer */

/* An item owns every string it points to (freed by
   store_roster_item_free); groups come back in the order they were put,
   without duplicates. */
struct store_roster_item {
	char *jid;  /* bare JID of the contact */
	char *name; /* NULL if none */
	enum store_sub sub;
	int ask; /* STORE_ASK_* bits */
	char **groups;
	size_t ngroups;
	char *pending_stanza; /* the subscribe request kept for STORE_ASK_IN
				 (serialised presence), NULL if none */
};

/* Items in JID order; owned by the roster (store_roster_free). */
struct store_roster {
	struct store_roster_item *items;
	size_t n;
	int64_t version; /* roster versioning (XEP-0237 style), increases */
};

/* Handed to store_offline_pop's fn; the store owns it for that call. */
struct store_offline {
	int64_t id;
	char *stanza;	   /* serialised, as it will be delivered */
	int64_t stored_at; /* unix time */
};

struct store;

/* Opens (creating if needed) the SQLite store at path, migrating its schema
   to STORE_SCHEMA_VERSION. NULL on error (logged): a directory, a file that
   is not a Parley store, a read-only file or location, a schema newer than
   this program. Commits survive SIGKILL of the process (synchronous=NORMAL
   in WAL mode). */
struct store *store_open_sqlite(const char *path);
/* The same; full != 0 also makes commits survive power loss
   (synchronous=FULL: one fsync per commit). */
struct store *store_open_sqlite_sync(const char *path, int full);
/* Closes the store; NULL does nothing. */
void store_close(struct store *st);

/* Users. Either credential may be NULL (that mechanism is then not
   offered: store_user_get_creds returns 1 for it). */
int store_user_create(struct store *st, const char *user,
		      const struct scram_creds *sha1,
		      const struct scram_creds *sha256);   /* 1 if exists */
int store_user_delete(struct store *st, const char *user); /* 1 if none;
	also deletes the user's roster, offline messages, vcard, private data,
	blocklist (in the same transaction) */
int store_user_exists(struct store *st, const char *user); /* 0 yes, 1 no */
/* Replaces both credentials (a NULL one is removed). */
int store_user_set_creds(struct store *st, const char *user,
			 const struct scram_creds *sha1,
			 const struct scram_creds *sha256); /* 1 if none */
/* 1 if the user does not exist or has no credentials for h. */
int store_user_get_creds(struct store *st, const char *user, enum scram_hash h,
			 struct scram_creds *out);
/* Calls fn(user, ctx) for each user in name order; fn returns 0 to go on,
   anything else to stop (store_user_list still returns 0). */
int store_user_list(struct store *st, int (*fn)(const char *user, void *ctx),
		    void *ctx);
int store_user_count(struct store *st, int64_t *count);

/* Rosters. */
/* Fills *out (items in JID order and the version; an unknown user has an
   empty roster at version 0). Free it with store_roster_free. */
int store_roster_get(struct store *st, const char *user,
		     struct store_roster *out);
/* Frees what r owns and empties it; NULL does nothing. */
void store_roster_free(struct store_roster *r);
/* Reads one item; 1 if the contact is not in the roster. Free it with
   store_roster_item_free. */
int store_roster_get_item(struct store *st, const char *user, const char *jid,
			  struct store_roster_item *out);
/* Frees what it owns and empties it; NULL does nothing. */
void store_roster_item_free(struct store_roster_item *it);
/* Inserts or replaces the item (all fields); bumps the roster version and
   returns it in *version if non-NULL. ENOENT for an unknown user, EDQUOT
   for a new item beyond STORE_MAX_ROSTER_ITEMS, EMSGSIZE beyond
   STORE_MAX_GROUPS groups. */
int store_roster_put(struct store *st, const char *user,
		     const struct store_roster_item *it, int64_t *version);
/* Removes the item and bumps the version (into *version if non-NULL). */
int store_roster_remove(struct store *st, const char *user, const char *jid,
			int64_t *version); /* 1 if absent (no bump) */

/* Offline messages: bounded per user by max (the oldest is kept, a new
   one beyond max is refused with 1, so the sender gets an error). */
int store_offline_push(struct store *st, const char *user, const char *stanza,
		       size_t max);
/* Hands every stored message to fn in arrival order, then deletes those
   fn accepted (fn returns 0) in the same transaction; a message fn
   refuses stays for the next pop. A crash before the commit hands the
   messages over again (delivery is at least once). */
int store_offline_pop(struct store *st, const char *user,
		      int (*fn)(const struct store_offline *m, void *ctx),
		      void *ctx);
int store_offline_count(struct store *st, const char *user, int64_t *count);

/* vCard (XEP-0054) and private XML (XEP-0049): serialised XML values.
   The getters give a malloc'ed copy the caller frees. The setters insert
   or replace. */
int store_vcard_get(struct store *st, const char *user, char **xml); /* 1 */
int store_vcard_set(struct store *st, const char *user, const char *xml);
int store_private_get(struct store *st, const char *user, const char *ns,
		      char **xml); /* 1 if none */
int store_private_set(struct store *st, const char *user, const char *ns,
		      const char *xml);

/* Blocklists (XEP-0191). The list is in JID order; fn as store_user_list.
   Adding a JID already blocked succeeds. */
int store_block_list(struct store *st, const char *user,
		     int (*fn)(const char *jid, void *ctx), void *ctx);
int store_block_add(struct store *st, const char *user, const char *jid);
int store_block_remove(struct store *st, const char *user,
		       const char *jid); /* 1 if absent */
int store_block_clear(struct store *st, const char *user);
/* 0 if jid is blocked, 1 if not. */
int store_block_has(struct store *st, const char *user, const char *jid);

/* For backends only. Every operation takes the backend's state and gets
   arguments already checked by store.c (lengths, NULLs, ranges). */
struct store_ops {
	const char *name; /* "sqlite" */
	void (*close)(void *be);
	int (*user_create)(void *be, const char *user,
			   const struct scram_creds *sha1,
			   const struct scram_creds *sha256);
	int (*user_delete)(void *be, const char *user);
	int (*user_exists)(void *be, const char *user);
	int (*user_set_creds)(void *be, const char *user,
			      const struct scram_creds *sha1,
			      const struct scram_creds *sha256);
	int (*user_get_creds)(void *be, const char *user, enum scram_hash h,
			      struct scram_creds *out);
	int (*user_list)(void *be, int (*fn)(const char *user, void *ctx),
			 void *ctx);
	int (*user_count)(void *be, int64_t *count);
	int (*roster_get)(void *be, const char *user, struct store_roster *out);
	int (*roster_get_item)(void *be, const char *user, const char *jid,
			       struct store_roster_item *out);
	int (*roster_put)(void *be, const char *user,
			  const struct store_roster_item *it, int64_t *version);
	int (*roster_remove)(void *be, const char *user, const char *jid,
			     int64_t *version);
	int (*offline_push)(void *be, const char *user, const char *stanza,
			    size_t max);
	int (*offline_pop)(void *be, const char *user,
			   int (*fn)(const struct store_offline *m, void *ctx),
			   void *ctx);
	int (*offline_count)(void *be, const char *user, int64_t *count);
	int (*vcard_get)(void *be, const char *user, char **xml);
	int (*vcard_set)(void *be, const char *user, const char *xml);
	int (*private_get)(void *be, const char *user, const char *ns,
			   char **xml);
	int (*private_set)(void *be, const char *user, const char *ns,
			   const char *xml);
	int (*block_list)(void *be, const char *user,
			  int (*fn)(const char *jid, void *ctx), void *ctx);
	int (*block_add)(void *be, const char *user, const char *jid);
	int (*block_remove)(void *be, const char *user, const char *jid);
	int (*block_clear)(void *be, const char *user);
	int (*block_has)(void *be, const char *user, const char *jid);
};

/* Wraps a backend's state be (owned from now on: store_close, or a failure
   here, calls ops->close(be)). NULL with errno ENOMEM on failure. */
struct store *store_new(const struct store_ops *ops, void *be);

#endif
