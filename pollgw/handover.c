/* handover.c: pollgw's hooks for common/gw_handover.c, which hands the
 * sessions to the next pollgw on a planned restart (pollgw.8, planned
 * restarts): the tag, the sessions (sessions.c) and how they end. */
#include "gw_handover.h"
#include "pollgw.h"

static const struct gw_handover_ops pollgw_handover_ops = {
	.role = "pollgw",
	.instance = pollgw_instance,
	.take_instance = pollgw_take_instance,
	.count = pollgw_sessions_count,
	.release_all = pollgw_sessions_release_all,
	.save_all = pollgw_sessions_save,
	.forget_all = pollgw_sessions_forget_all,
	.end_all = pollgw_sessions_shutdown,
	.restore = pollgw_sessions_restore,
	.adopt_all = pollgw_sessions_adopt_all,
};

int pollgw_handover_setup(void)
{
	return gw_handover_setup(pollgw_config.state_dir, &pollgw_handover_ops);
}
