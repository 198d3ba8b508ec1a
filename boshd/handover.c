/* handover.c: boshd's side of a planned restart without loss
 * (PROTOCOL.md 8.7 and 9.7, common/HANDOVER.md). On SIGTERM with
 * --state-dir, common/gw_stop.c drains http-filed and asks the router to
 * keep the streams; here the sessions are written to
 * <state-dir>/boshd.handover with the instance tag, so that the next
 * boshd takes the same tag (http-filed sends it the same sids), reads the
 * sessions back and adopts their streams from the router. */
#include <errno.h>
#include <stdlib.h>

#include "boshd.h"
#include "gw_stop.h"
#include "handover.h"
#include "log.h"

#define HANDOVER_ROLE "boshd"

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
			    boshd_take_instance(tag) < 0)
				return -1;
		} else if (handover_field_is(&f, "token")) {
			if (handover_field_str(&f, handover_token,
					       sizeof handover_token) < 0)
				return -1;
		} else if (handover_field_is(&f, "session")) {
			if (handover_field_u64(&f, &channel) < 0 ||
			    channel > UINT32_MAX ||
			    sessions_restore(r, (uint32_t)channel) < 0)
				return -1;
			++*restored;
		} else {
			return -1;
		}
	}
	return rc;
}

void handover_restore(void)
{
	if (!boshd_config.state_dir)
		return;
	struct handover_reader r;
	char *data = handover_load(boshd_config.state_dir, HANDOVER_ROLE, &r);
	if (!data) {
		if (errno != ENOENT)
			log_warn("%s/%s.handover: %m: not used",
				 boshd_config.state_dir, HANDOVER_ROLE);
		return;
	}
	size_t restored = 0;
	if (handover_read(&r, &restored) < 0)
		log_warn("%s/%s.handover: malformed after %zu sessions",
			 boshd_config.state_dir, HANDOVER_ROLE, restored);
	if (!handover_token[0] && restored)
		log_warn("hand-over without a token: its sessions will end");
	log_info("took %zu sessions over as instance %s", restored,
		 boshd_config.bosh.instance);
	free(data);
}

void handover_adopt(void)
{
	if (sessions_count())
		sessions_adopt_all(handover_token);
}

static void handover_release(void)
{
	sessions_release_all();
}

static int handover_save_all(const char *token)
{
	struct buf b;
	buf_init(&b, HANDOVER_FILE_MAX);
	size_t n = 0;
	int rc = -1;
	if (handover_put_str(&b, "instance", boshd_config.bosh.instance) == 0 &&
	    handover_put_str(&b, "token", token) == 0) {
		n = sessions_save(&b);
		rc = handover_save(boshd_config.state_dir, HANDOVER_ROLE, &b);
	}
	if (rc < 0)
		log_error("%s/%s.handover: %m: %zu sessions lost",
			  boshd_config.state_dir, HANDOVER_ROLE, n);
	else
		log_info("handed %zu sessions over in %s/%s.handover", n,
			 boshd_config.state_dir, HANDOVER_ROLE);
	buf_free(&b);
	return rc;
}

static const struct gw_stop_ops handover_stop_ops = {
	.release = handover_release,
	.save = handover_save_all,
	.end_all = sessions_shutdown,
};

void handover_stop(struct ev_loop *loop)
{
	gw_stop_begin(loop, &handover_stop_ops, boshd_config.state_dir != NULL);
}
