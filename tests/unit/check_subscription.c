/* check_subscription.c: unit tests for subscription.c's pure parts.
 *
 * The state machine against RFC 6121 Appendix A, written here a second
 * time in the RFC's own words ("None + Pending Out") so that a slip in
 * either transcription shows; then a property over two rosters: whatever
 * alice and bob send each other, starting from nothing, alice's 'to' and
 * pending-out always mirror bob's 'from' and pending-in. Also the type
 * names and which items a roster get shows. */
#include <errno.h>
#include <string.h>

#include "subscription.h"
#include "suites.h"

/* The RFC's nine states, in the order of its tables. */
static const struct {
	const char *name;
	enum store_sub sub;
	int ask;
} states[] = {
	{"None", STORE_SUB_NONE, 0},
	{"None + Pending Out", STORE_SUB_NONE, STORE_ASK_OUT},
	{"None + Pending In", STORE_SUB_NONE, STORE_ASK_IN},
	{"None + Pending Out/In", STORE_SUB_NONE, STORE_ASK_OUT | STORE_ASK_IN},
	{"To", STORE_SUB_TO, 0},
	{"To + Pending In", STORE_SUB_TO, STORE_ASK_IN},
	{"From", STORE_SUB_FROM, 0},
	{"From + Pending Out", STORE_SUB_FROM, STORE_ASK_OUT},
	{"Both", STORE_SUB_BOTH, 0},
};
#define NSTATES (sizeof states / sizeof states[0])

static size_t state_index(const char *name)
{
	for (size_t i = 0; i < NSTATES; i++)
		if (strcmp(states[i].name, name) == 0)
			return i;
	ck_abort_msg("no state %s", name);
	return 0;
}

/* One line of a table: existing state, yes/no/reply, new state ("" for
   no state change). */
struct row {
	const char *from, *action, *to;
};

static const struct row out_subscribe[] = {
	/* A.2.1 */
	{"None", "yes", "None + Pending Out"},
	{"None + Pending Out", "yes", ""},
	{"None + Pending In", "yes", "None + Pending Out/In"},
	{"None + Pending Out/In", "yes", ""},
	{"To", "yes", ""},
	{"To + Pending In", "yes", ""},
	{"From", "yes", "From + Pending Out"},
	{"From + Pending Out", "yes", ""},
	{"Both", "yes", ""},
};
static const struct row out_subscribed[] = {
	/* A.2.2 */
	{"None", "no", ""},
	{"None + Pending Out", "no", ""},
	{"None + Pending In", "yes", "From"},
	{"None + Pending Out/In", "yes", "From + Pending Out"},
	{"To", "no", ""},
	{"To + Pending In", "yes", "Both"},
	{"From", "no", ""},
	{"From + Pending Out", "no", ""},
	{"Both", "no", ""},
};
static const struct row out_unsubscribe[] = {
	/* A.2.3 */
	{"None", "yes", ""},
	{"None + Pending Out", "yes", "None"},
	{"None + Pending In", "yes", ""},
	{"None + Pending Out/In", "yes", "None + Pending In"},
	{"To", "yes", "None"},
	{"To + Pending In", "yes", "None + Pending In"},
	{"From", "yes", ""},
	{"From + Pending Out", "yes", "From"},
	{"Both", "yes", "From"},
};
static const struct row out_unsubscribed[] = {
	/* A.2.4 */
	{"None", "no", ""},
	{"None + Pending Out", "no", ""},
	{"None + Pending In", "yes", "None"},
	{"None + Pending Out/In", "yes", "None + Pending Out"},
	{"To", "no", ""},
	{"To + Pending In", "yes", "To"},
	{"From", "yes", "None"},
	{"From + Pending Out", "yes", "None + Pending Out"},
	{"Both", "yes", "To"},
};
static const struct row in_subscribe[] = {
	/* A.3.1 */
	{"None", "yes", "None + Pending In"},
	{"None + Pending Out", "yes", "None + Pending Out/In"},
	{"None + Pending In", "no", ""},
	{"None + Pending Out/In", "no", ""},
	{"To", "yes", "To + Pending In"},
	{"To + Pending In", "no", ""},
	{"From", "reply", ""},
	{"From + Pending Out", "reply", ""},
	{"Both", "reply", ""},
};
static const struct row in_subscribed[] = {
	/* A.3.2 */
	{"None", "no", ""},
	{"None + Pending Out", "yes", "To"},
	{"None + Pending In", "no", ""},
	{"None + Pending Out/In", "yes", "To + Pending In"},
	{"To", "no", ""},
	{"To + Pending In", "no", ""},
	{"From", "no", ""},
	{"From + Pending Out", "yes", "Both"},
	{"Both", "no", ""},
};
static const struct row in_unsubscribe[] = {
	/* A.3.3 */
	{"None", "no", ""},
	{"None + Pending Out", "no", ""},
	{"None + Pending In", "yes", "None"},
	{"None + Pending Out/In", "yes", "None + Pending Out"},
	{"To", "no", ""},
	{"To + Pending In", "yes", "To"},
	{"From", "yes", "None"},
	{"From + Pending Out", "yes", "None + Pending Out"},
	{"Both", "yes", "To"},
};
static const struct row in_unsubscribed[] = {
	/* A.3.4 */
	{"None", "no", ""},
	{"None + Pending Out", "yes", "None"},
	{"None + Pending In", "no", ""},
	{"None + Pending Out/In", "yes", "None + Pending In"},
	{"To", "yes", "None"},
	{"To + Pending In", "yes", "None + Pending In"},
	{"From", "no", ""},
	{"From + Pending Out", "yes", "From"},
	{"Both", "yes", "From"},
};

static const struct row *const tables[SUB_EVENT_COUNT] = {
	[SUB_OUT_SUBSCRIBE] = out_subscribe,
	[SUB_OUT_SUBSCRIBED] = out_subscribed,
	[SUB_OUT_UNSUBSCRIBE] = out_unsubscribe,
	[SUB_OUT_UNSUBSCRIBED] = out_unsubscribed,
	[SUB_IN_SUBSCRIBE] = in_subscribe,
	[SUB_IN_SUBSCRIBED] = in_subscribed,
	[SUB_IN_UNSUBSCRIBE] = in_unsubscribe,
	[SUB_IN_UNSUBSCRIBED] = in_unsubscribed,
};

START_TEST(test_rfc_tables)
{
	const struct row *t = tables[_i];
	for (size_t i = 0; i < NSTATES; i++) {
		const struct row *r = &t[i];
		size_t from = state_index(r->from);
		size_t to = *r->to ? state_index(r->to) : from;
		struct subscription_result res;
		ck_assert_int_eq(
			subscription_step(states[from].sub, states[from].ask,
					  (enum subscription_event)_i, &res),
			0);
		ck_assert_msg(res.sub == states[to].sub &&
				      res.ask == states[to].ask,
			      "event %d in %s: got sub %d ask %d, want %s", _i,
			      r->from, res.sub, res.ask, r->to);
		ck_assert_int_eq(res.deliver, strcmp(r->action, "yes") == 0);
		ck_assert_int_eq(res.auto_reply,
				 strcmp(r->action, "reply") == 0);
	}
}
END_TEST

START_TEST(test_contradictory_bits)
{
	struct subscription_result a, b;
	for (int ev = 0; ev < SUB_EVENT_COUNT; ev++) {
		/* ask out means nothing with 'to', ask in nothing with 'from'
		 */
		subscription_step(STORE_SUB_TO, STORE_ASK_OUT, ev, &a);
		subscription_step(STORE_SUB_TO, 0, ev, &b);
		ck_assert(memcmp(&a, &b, sizeof a) == 0);
		subscription_step(STORE_SUB_FROM, STORE_ASK_IN, ev, &a);
		subscription_step(STORE_SUB_FROM, 0, ev, &b);
		ck_assert(memcmp(&a, &b, sizeof a) == 0);
		subscription_step(STORE_SUB_BOTH, 3, ev, &a);
		subscription_step(STORE_SUB_BOTH, 0, ev, &b);
		ck_assert(memcmp(&a, &b, sizeof a) == 0);
	}
}
END_TEST

START_TEST(test_out_of_range)
{
	struct subscription_result r;
	errno = 0;
	ck_assert_int_eq(subscription_step(4, 0, SUB_OUT_SUBSCRIBE, &r), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(
		subscription_step(STORE_SUB_NONE, 4, SUB_OUT_SUBSCRIBE, &r),
		-1);
	ck_assert_int_eq(
		subscription_step(STORE_SUB_NONE, -1, SUB_OUT_SUBSCRIBE, &r),
		-1);
	ck_assert_int_eq(
		subscription_step(STORE_SUB_NONE, 0, SUB_EVENT_COUNT, &r), -1);
}
END_TEST

/* Two rosters: alice's item about bob and bob's about alice. */
struct pair {
	struct subscription_result item[2];
};

/* party sends type to the other: its OUT event, then, if routed, the
   other's IN event, then an automatic answer if there is one. */
static void pair_send(struct pair *p, int party, int type)
{
	struct subscription_result *me = &p->item[party],
				   *peer = &p->item[!party], r;
	ck_assert_int_eq(subscription_step(me->sub, me->ask,
					   (enum subscription_event)type, &r),
			 0);
	*me = r;
	if (!r.deliver)
		return;
	ck_assert_int_eq(subscription_step(peer->sub, peer->ask,
					   (enum subscription_event)(type + 4),
					   &r),
			 0);
	*peer = r;
	if (r.auto_reply) {
		ck_assert_int_eq(subscription_step(me->sub, me->ask,
						   SUB_IN_SUBSCRIBED, &r),
				 0);
		*me = r;
	}
}

static int pair_is_consistent(const struct pair *p)
{
	for (int a = 0; a < 2; a++) {
		const struct subscription_result *x = &p->item[a],
						 *y = &p->item[!a];
		if (!!(x->sub & STORE_SUB_TO) != !!(y->sub & STORE_SUB_FROM) ||
		    !!(x->ask & STORE_ASK_OUT) != !!(y->ask & STORE_ASK_IN))
			return 0;
	}
	return 1;
}

static int pair_index(const struct pair *p)
{
	return (p->item[0].sub * 4 + p->item[0].ask) * 16 + p->item[1].sub * 4 +
	       p->item[1].ask;
}

START_TEST(test_two_rosters_agree)
{
	struct pair queue[256];
	char seen[256] = {0};
	size_t head = 0, tail = 0;
	memset(&queue[tail++], 0, sizeof queue[0]);
	seen[0] = 1;
	while (head < tail) {
		struct pair cur = queue[head++];
		for (int party = 0; party < 2; party++)
			for (int type = 0; type < 4; type++) {
				struct pair next = cur;
				pair_send(&next, party, type);
				ck_assert_msg(pair_is_consistent(&next),
					      "state %d, party %d sends %d",
					      pair_index(&cur), party, type);
				if (!seen[pair_index(&next)]) {
					seen[pair_index(&next)] = 1;
					queue[tail++] = next;
				}
			}
	}
	/* every pair of consistent states is reachable: 3 choices per
	   direction (none, pending, subscribed), two directions */
	ck_assert_int_eq(tail, 9);
}
END_TEST

START_TEST(test_event_names)
{
	ck_assert_int_eq(subscription_event_of("subscribe", 0),
			 SUB_OUT_SUBSCRIBE);
	ck_assert_int_eq(subscription_event_of("unsubscribed", 0),
			 SUB_OUT_UNSUBSCRIBED);
	ck_assert_int_eq(subscription_event_of("subscribed", 1),
			 SUB_IN_SUBSCRIBED);
	ck_assert_int_eq(subscription_event_of("unsubscribe", 1),
			 SUB_IN_UNSUBSCRIBE);
	ck_assert_int_eq(subscription_event_of("probe", 0), -1);
	ck_assert_int_eq(subscription_event_of("available", 1), -1);
	ck_assert_int_eq(subscription_event_of("Subscribe", 0), -1);
	ck_assert_int_eq(subscription_event_of(NULL, 0), -1);
}
END_TEST

START_TEST(test_visibility)
{
	char name[] = "Bob", group[] = "Friends", *groups[] = {group};
	struct store_roster_item it = {.jid = "bob@localhost",
				       .ask = STORE_ASK_IN};
	ck_assert_int_eq(subscription_item_is_visible(&it), 0);
	it.name = name;
	ck_assert_int_eq(subscription_item_is_visible(&it), 1);
	it.name = NULL;
	it.groups = groups;
	it.ngroups = 1;
	ck_assert_int_eq(subscription_item_is_visible(&it), 1);
	it.ngroups = 0;
	it.ask = STORE_ASK_IN | STORE_ASK_OUT;
	ck_assert_int_eq(subscription_item_is_visible(&it), 1);
	it.ask = STORE_ASK_IN;
	it.sub = STORE_SUB_TO;
	ck_assert_int_eq(subscription_item_is_visible(&it), 1);
	it.sub = STORE_SUB_NONE;
	it.ask = 0;
	ck_assert_int_eq(subscription_item_is_visible(&it), 1);
}
END_TEST

Suite *subscription_suite(void)
{
	Suite *s = suite_create("subscription");
	TCase *tc = tcase_create("states");
	tcase_add_loop_test(tc, test_rfc_tables, 0, SUB_EVENT_COUNT);
	tcase_add_test(tc, test_contradictory_bits);
	tcase_add_test(tc, test_out_of_range);
	tcase_add_test(tc, test_two_rosters_agree);
	tcase_add_test(tc, test_event_names);
	tcase_add_test(tc, test_visibility);
	suite_add_tcase(s, tc);
	return s;
}
