/* poll_out.c: the answers and actions of a polling session's call
 * (poll_out.h): growable arrays, each element holding its own copy of
 * the bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "poll_out.h"

void poll_out_init(struct poll_out *o)
{
	memset(o, 0, sizeof *o);
}

void poll_out_reset(struct poll_out *o)
{
	for (size_t i = 0; i < o->nanswers; i++)
		free(o->answers[i].body);
	for (size_t i = 0; i < o->nactions; i++)
		free(o->actions[i].data);
	free(o->answers);
	free(o->actions);
	poll_out_init(o);
}

int poll_out_answer(struct poll_out *o, uint64_t req, const char *id,
		    const char *body, size_t len)
{
	if (mem_grow((void **)&o->answers, &o->ancap, o->nanswers,
		      sizeof *o->answers) < 0)
		return -1;
	char *copy = mem_dup(body, len);
	if (!copy)
		return -1;
	struct poll_answer *a = &o->answers[o->nanswers++];
	a->req = req;
	snprintf(a->id, sizeof a->id, "%s", id);
	a->body = copy;
	a->len = len;
	return 0;
}

int poll_out_action(struct poll_out *o, enum poll_action_kind kind,
		    const char *data, size_t len)
{
	if (mem_grow((void **)&o->actions, &o->acap, o->nactions,
		      sizeof *o->actions) < 0)
		return -1;
	char *copy = NULL;
	if (len && !(copy = mem_dup(data, len)))
		return -1;
	o->actions[o->nactions++] = (struct poll_action){kind, copy, len};
	return 0;
}

int poll_reply_error(const char *id, uint64_t req, struct poll_out *out)
{
	return poll_out_answer(out, req, id, "", 0);
}
