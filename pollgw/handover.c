/* handover.c: pollgw's side of a planned restart without loss
 * (PROTOCOL.md 8.7 and 9.7, common/HANDOVER.md). On SIGTERM with
 * --state-dir, common/gw_stop.c drains http-filed and asks the router to
 * keep the streams; here the sessions are written to
 * <state-dir>/pollgw.handover with the instance tag, so that the next
 * pollgw takes the same tag (http-filed sends it the same identifiers),
 * reads the sessions back and adopts their streams from the router. A
 * file that cannot be read, or is malformed, is logged and left: the
 * sessions read before the fault are kept, the others are lost. */
#include <errno.h>
#include <stdlib.h>

#include "gw_stop.h"
#include "handover.h"
#include "log.h"
#include "pollgw.h"

#define HANDOVER_ROLE "pollgw"

static char handover_token[HANDOVER_TOKEN_LEN + 1]; /* "": nothing came */

/* The header fields, then one record per session. */
static int handover_read(struct handover_reader *r, size_t *restored)
{
	struct handover_field f;
	int rc;
	while ((rc = handover_next(r, &f)) == 1) {
		uint64_t channel;
		char tag[64];
		if (handover_field_is(&f, "instance")) {
			if (handover_field_str(&f, tag, sizeof tag) < 0 ||
			    pollgw_take_instance(tag) < 0)
				return -1;
		} else if (handover_field_is(&f, "token")) {
			if (handover_field_str(&f, handover_token,
					       sizeof handover_token) < 0)
				return -1;
		} else if (handover_field_is(&f, "session")) {
			if (handover_field_u64(&f, &channel) < 0 ||
			    channel > UINT32_MAX ||
			    pollgw_sessions_restore(r, (uint32_t)channel) < 0)
				return -1;
			++*restored;
		} else {
			return -1;
		}
	}
	return rc;
}

void pollgw_handover_restore(void)
{
	const char *dir = pollgw_config.state_dir;
	if (!dir)
		return;
	struct handover_reader r;
	char *data = handover_load(dir, HANDOVER_ROLE, &r);
	if (!data) {
		if (errno != ENOENT)
			log_warn("%s/%s.handover: %m: not used", dir,
				 HANDOVER_ROLE);
		return;
	}
	size_t restored = 0;
	if (handover_read(&r, &restored) < 0)
		log_warn("%s/%s.handover: malformed after %zu sessions: the "
			 "rest is not used",
			 dir, HANDOVER_ROLE, restored);
	if (!handover_token[0] && restored)
		log_warn("hand-over without a token: its sessions will end");
	log_info("took %zu sessions over as instance %s", restored,
		 pollgw_instance());
	free(data);
}

void pollgw_handover_adopt(void)
{
	if (pollgw_sessions_count())
		pollgw_sessions_adopt_all(handover_token);
}

static void handover_release(void)
{
	pollgw_sessions_release_all();
}

static int handover_save_all(const char *token)
{
	const char *dir = pollgw_config.state_dir;
	struct buf b;
	buf_init(&b, HANDOVER_FILE_MAX);
	size_t n = 0;
	int rc = -1;
	if (handover_put_str(&b, "instance", pollgw_instance()) == 0 &&
	    handover_put_str(&b, "token", token) == 0) {
		n = pollgw_sessions_save(&b);
		rc = handover_save(dir, HANDOVER_ROLE, &b);
	}
	if (rc < 0)
		log_error("%s/%s.handover: %m: %zu sessions lost", dir,
			  HANDOVER_ROLE, n);
	else
		log_info("handed %zu sessions over in %s/%s.handover", n, dir,
			 HANDOVER_ROLE);
	buf_free(&b);
	return rc;
}

static const struct gw_stop_ops handover_stop_ops = {
	.release = handover_release,
	.save = handover_save_all,
	.end_all = pollgw_sessions_shutdown,
};

void pollgw_handover_stop(struct ev_loop *loop)
{
	gw_stop_begin(loop, &handover_stop_ops,
		      pollgw_config.state_dir != NULL);
}
