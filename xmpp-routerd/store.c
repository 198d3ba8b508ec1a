/* store.c: the backend-independent half of the store (see store.h).
 *
 * A struct store is a backend's table of operations plus its state. Every
 * public call checks its arguments here (NULLs, lengths, ranges,
 * credential sizes) and only then dispatches to the backend, so a backend
 * sees valid input only and every limit is enforced once, in one place.
 * The free functions for what getters return live here too: they do not
 * depend on the backend. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct store {
	const struct store_ops *ops;
	void *be; /* owned; released by ops->close */
};

/* Key length of each enum scram_hash, by value. */
static const size_t store_key_len[] = {
	[SCRAM_SHA1] = 20,
	[SCRAM_SHA256] = 32,
};

struct store *store_new(const struct store_ops *ops, void *be)
{
	struct store *st = calloc(1, sizeof *st);
	if (st == NULL) {
		ops->close(be);
		errno = ENOMEM;
		return NULL;
	}
	st->ops = ops;
	st->be = be;
	return st;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	st->ops->close(st->be);
	free(st);
}

/* 0 if s is a string of at most max bytes; -1 with EINVAL or EMSGSIZE. */
static int store_check_text(const char *s, size_t max)
{
	if (s == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (strnlen(s, max + 1) > max) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* As store_check_text, and NULL is allowed. */
static int store_check_opt_text(const char *s, size_t max)
{
	return s == NULL ? 0 : store_check_text(s, max);
}

static int store_check_user(const char *user)
{
	return store_check_text(user, STORE_MAX_USER);
}

static int store_check_user_jid(const char *user, const char *jid)
{
	if (store_check_user(user) < 0)
		return -1;
	return store_check_text(jid, STORE_MAX_JID);
}

/* 0 if c is NULL or well-formed credentials for h; -1 EINVAL if not. */
static int store_check_creds(const struct scram_creds *c, enum scram_hash h)
{
	if (c == NULL)
		return 0;
	if (c->hash != h || c->key_len != store_key_len[h] ||
	    c->salt_len == 0 || c->salt_len > SCRAM_SALT_LEN ||
	    c->iterations == 0 || c->iterations > SCRAM_MAX_ITERATIONS) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int store_check_both_creds(const struct scram_creds *sha1,
				  const struct scram_creds *sha256)
{
	if (store_check_creds(sha1, SCRAM_SHA1) < 0)
		return -1;
	return store_check_creds(sha256, SCRAM_SHA256);
}

static int store_check_item(const struct store_roster_item *it)
{
	if (it == NULL || store_check_text(it->jid, STORE_MAX_JID) < 0)
		return -1;
	if (store_check_opt_text(it->name, STORE_MAX_JID) < 0 ||
	    store_check_opt_text(it->pending_stanza, STORE_MAX_STANZA) < 0)
		return -1;
	if (it->sub < STORE_SUB_NONE || it->sub > STORE_SUB_BOTH ||
	    (it->ask & ~(STORE_ASK_OUT | STORE_ASK_IN)) != 0 ||
	    (it->ngroups > 0 && it->groups == NULL)) {
		errno = EINVAL;
		return -1;
	}
	if (it->ngroups > STORE_MAX_GROUPS) {
		errno = EMSGSIZE;
		return -1;
	}
	for (size_t i = 0; i < it->ngroups; i++)
		if (store_check_text(it->groups[i], STORE_MAX_JID) < 0)
			return -1;
	return 0;
}

static int store_check_ptr(const void *p)
{
	if (p == NULL) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int store_user_create(struct store *st, const char *user,
		      const struct scram_creds *sha1,
		      const struct scram_creds *sha256)
{
	if (store_check_user(user) < 0 ||
	    store_check_both_creds(sha1, sha256) < 0)
		return -1;
	return st->ops->user_create(st->be, user, sha1, sha256);
}

int store_user_delete(struct store *st, const char *user)
{
	if (store_check_user(user) < 0)
		return -1;
	return st->ops->user_delete(st->be, user);
}

int store_user_exists(struct store *st, const char *user)
{
	if (store_check_user(user) < 0)
		return -1;
	return st->ops->user_exists(st->be, user);
}

int store_user_set_creds(struct store *st, const char *user,
			 const struct scram_creds *sha1,
			 const struct scram_creds *sha256)
{
	if (store_check_user(user) < 0 ||
	    store_check_both_creds(sha1, sha256) < 0)
		return -1;
	return st->ops->user_set_creds(st->be, user, sha1, sha256);
}

int store_user_get_creds(struct store *st, const char *user, enum scram_hash h,
			 struct scram_creds *out)
{
	if (store_check_user(user) < 0 || store_check_ptr(out) < 0)
		return -1;
	if (h != SCRAM_SHA1 && h != SCRAM_SHA256) {
		errno = EINVAL;
		return -1;
	}
	return st->ops->user_get_creds(st->be, user, h, out);
}

int store_user_list(struct store *st, int (*fn)(const char *user, void *ctx),
		    void *ctx)
{
	if (fn == NULL) {
		errno = EINVAL;
		return -1;
	}
	return st->ops->user_list(st->be, fn, ctx);
}

int store_user_count(struct store *st, int64_t *count)
{
	if (store_check_ptr(count) < 0)
		return -1;
	return st->ops->user_count(st->be, count);
}

int store_roster_get(struct store *st, const char *user,
		     struct store_roster *out)
{
	if (store_check_user(user) < 0 || store_check_ptr(out) < 0)
		return -1;
	return st->ops->roster_get(st->be, user, out);
}

void store_roster_item_free(struct store_roster_item *it)
{
	if (it == NULL)
		return;
	free(it->jid);
	free(it->name);
	for (size_t i = 0; i < it->ngroups; i++)
		free(it->groups[i]);
	free(it->groups);
	free(it->pending_stanza);
	memset(it, 0, sizeof *it);
}

void store_roster_free(struct store_roster *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		store_roster_item_free(&r->items[i]);
	free(r->items);
	memset(r, 0, sizeof *r);
}

int store_roster_get_item(struct store *st, const char *user, const char *jid,
			  struct store_roster_item *out)
{
	if (store_check_user_jid(user, jid) < 0 || store_check_ptr(out) < 0)
		return -1;
	return st->ops->roster_get_item(st->be, user, jid, out);
}

int store_roster_put(struct store *st, const char *user,
		     const struct store_roster_item *it, int64_t *version)
{
	if (store_check_user(user) < 0 || store_check_item(it) < 0)
		return -1;
	return st->ops->roster_put(st->be, user, it, version);
}

int store_roster_remove(struct store *st, const char *user, const char *jid,
			int64_t *version)
{
	if (store_check_user_jid(user, jid) < 0)
		return -1;
	return st->ops->roster_remove(st->be, user, jid, version);
}

int store_offline_push(struct store *st, const char *user, const char *stanza,
		       size_t max)
{
	if (store_check_user(user) < 0 ||
	    store_check_text(stanza, STORE_MAX_STANZA) < 0)
		return -1;
	return st->ops->offline_push(st->be, user, stanza, max);
}

int store_offline_pop(struct store *st, const char *user,
		      int (*fn)(const struct store_offline *m, void *ctx),
		      void *ctx)
{
	if (store_check_user(user) < 0)
		return -1;
	if (fn == NULL) {
		errno = EINVAL;
		return -1;
	}
	return st->ops->offline_pop(st->be, user, fn, ctx);
}

int store_offline_count(struct store *st, const char *user, int64_t *count)
{
	if (store_check_user(user) < 0 || store_check_ptr(count) < 0)
		return -1;
	return st->ops->offline_count(st->be, user, count);
}

int store_vcard_get(struct store *st, const char *user, char **xml)
{
	if (store_check_user(user) < 0 || store_check_ptr(xml) < 0)
		return -1;
	return st->ops->vcard_get(st->be, user, xml);
}

int store_vcard_set(struct store *st, const char *user, const char *xml)
{
	if (store_check_user(user) < 0 ||
	    store_check_text(xml, STORE_MAX_XML) < 0)
		return -1;
	return st->ops->vcard_set(st->be, user, xml);
}

int store_private_get(struct store *st, const char *user, const char *ns,
		      char **xml)
{
	if (store_check_user(user) < 0 ||
	    store_check_text(ns, STORE_MAX_NS) < 0 || store_check_ptr(xml) < 0)
		return -1;
	return st->ops->private_get(st->be, user, ns, xml);
}

int store_private_set(struct store *st, const char *user, const char *ns,
		      const char *xml)
{
	if (store_check_user(user) < 0 ||
	    store_check_text(ns, STORE_MAX_NS) < 0 ||
	    store_check_text(xml, STORE_MAX_XML) < 0)
		return -1;
	return st->ops->private_set(st->be, user, ns, xml);
}

int store_block_list(struct store *st, const char *user,
		     int (*fn)(const char *jid, void *ctx), void *ctx)
{
	if (store_check_user(user) < 0)
		return -1;
	if (fn == NULL) {
		errno = EINVAL;
		return -1;
	}
	return st->ops->block_list(st->be, user, fn, ctx);
}

int store_block_add(struct store *st, const char *user, const char *jid)
{
	if (store_check_user_jid(user, jid) < 0)
		return -1;
	return st->ops->block_add(st->be, user, jid);
}

int store_block_remove(struct store *st, const char *user, const char *jid)
{
	if (store_check_user_jid(user, jid) < 0)
		return -1;
	return st->ops->block_remove(st->be, user, jid);
}

int store_block_clear(struct store *st, const char *user)
{
	if (store_check_user(user) < 0)
		return -1;
	return st->ops->block_clear(st->be, user);
}

int store_block_has(struct store *st, const char *user, const char *jid)
{
	if (store_check_user_jid(user, jid) < 0)
		return -1;
	return st->ops->block_has(st->be, user, jid);
}
