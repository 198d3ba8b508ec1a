/* session.c: the table of bound sessions (RFC 6120 7).
 *
 * Sessions are grouped by user (prepared localpart) in a hash table of
 * struct session_user; each user's sessions form a short list (at most
 * SESSION_MAX_RESOURCES). Binding a full JID that is already bound replaces
 * the older session, which gets a <conflict/> stream error. Unbinding tells
 * the router first, so that contacts see the resource go offline. */
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmppd.h"

#define SESSION_BUCKETS 4096
#define SESSION_MAX_RESOURCES 16

struct session_user {
	struct session_user *next;
	struct session *sessions;
	size_t n;
	char user[]; /* prepared localpart */
};

static struct session_user *session_table[SESSION_BUCKETS];
static size_t session_total;

static size_t session_bucket(const char *user)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)user; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % SESSION_BUCKETS;
}

static struct session_user **session_user_slot(const char *user)
{
	struct session_user **p = &session_table[session_bucket(user)];
	while (*p && strcmp((*p)->user, user) != 0)
		p = &(*p)->next;
	return p;
}

struct session *session_find_user(const char *user)
{
	struct session_user *u = *session_user_slot(user);
	return u ? u->sessions : NULL;
}

struct session *session_find_full(const struct jid *full)
{
	char user[JID_PART_MAX + 1];
	if (!full->local_len || !jid_has_resource(full))
		return NULL;
	memcpy(user, full->full, full->local_len);
	user[full->local_len] = '\0';
	for (struct session *s = session_find_user(user); s; s = s->next_of_user)
		if (jid_equal(&s->jid, full))
			return s;
	return NULL;
}

size_t session_count(void)
{
	return session_total;
}

void session_foreach(int (*fn)(struct session *s, void *ctx), void *ctx)
{
	for (size_t i = 0; i < SESSION_BUCKETS; i++)
		for (struct session_user *u = session_table[i]; u; u = u->next)
			for (struct session *s = u->sessions; s;
			     s = s->next_of_user)
				if (fn(s, ctx) != 0)
					return;
}

static int session_make_resource(char *out, size_t outsz)
{
	unsigned char rnd[XMPPD_RESOURCE_GEN_LEN / 2];
	if (outsz < XMPPD_RESOURCE_GEN_LEN + 1 || RAND_bytes(rnd, sizeof rnd) != 1)
		return -1;
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(out + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

/* Removes s from its user's list; frees the user entry when empty. */
static void session_unlink(struct session *s)
{
	char user[JID_PART_MAX + 1];
	memcpy(user, s->jid.full, s->jid.local_len);
	user[s->jid.local_len] = '\0';
	struct session_user **slot = session_user_slot(user);
	struct session_user *u = *slot;
	if (!u)
		return;
	struct session **p = &u->sessions;
	while (*p && *p != s)
		p = &(*p)->next_of_user;
	if (*p) {
		*p = s->next_of_user;
		u->n--;
		session_total--;
	}
	if (!u->sessions) {
		*slot = u->next;
		free(u);
	}
}

static struct session_user *session_user_get(const char *user)
{
	struct session_user **slot = session_user_slot(user);
	if (*slot)
		return *slot;
	size_t len = strlen(user);
	struct session_user *u = calloc(1, sizeof *u + len + 1);
	if (!u)
		return NULL;
	memcpy(u->user, user, len + 1);
	*slot = u;
	return u;
}

int session_bind(struct xstream *xs, const char *resource)
{
	char generated[XMPPD_RESOURCE_GEN_LEN + 1];
	if (!resource || !*resource) {
		if (session_make_resource(generated, sizeof generated) < 0)
			return -1;
		resource = generated;
	}
	struct session *s = calloc(1, sizeof *s);
	if (!s)
		return -1;
	if (jid_from_parts(&s->jid, xs->user, xmppd_config.domain, resource) < 0) {
		free(s);
		errno = EINVAL;
		return -1;
	}
	struct session *old = session_find_full(&s->jid);
	if (old) {
		log_info("%s: replaces the session of %s", xs->peer,
			 old->jid.full);
		old->xs->session = NULL;
		struct xstream *old_xs = old->xs;
		session_unbind(old);
		xstream_fail(old_xs, "conflict", "replaced by a new connection");
	}
	struct session_user *u = session_user_get(xs->user);
	if (!u || u->n >= SESSION_MAX_RESOURCES) {
		jid_free(&s->jid);
		free(s);
		errno = u ? EMFILE : ENOMEM;
		return -1;
	}
	s->xs = xs;
	s->next_of_user = u->sessions;
	u->sessions = s;
	u->n++;
	session_total++;
	xs->session = s;
	return 0;
}

void session_unbind(struct session *s)
{
	router_session_ended(s);
	session_unlink(s);
	if (s->xs && s->xs->session == s)
		s->xs->session = NULL;
	jid_free(&s->jid);
	free(s->presence);
	free(s);
}
