/* handover.c: boshd's hooks for common/gw_handover.c, which hands the
 * sessions to the next boshd on a planned restart (boshd.8, PLANNED
 * RESTARTS): the tag, the sessions (sessions.c) and how they end. */
#include "boshd.h"
#include "gw_handover.h"

static const char *handover_instance(void)
{
	return boshd_config.bosh.instance;
}

static const struct gw_handover_ops handover_ops = {
	.role = "boshd",
	.instance = handover_instance,
	.take_instance = boshd_take_instance,
	.count = sessions_count,
	.release_all = sessions_release_all,
	.save_all = sessions_save,
	.forget_all = sessions_forget_all,
	.end_all = sessions_shutdown,
	.restore = sessions_restore,
	.adopt_all = sessions_adopt_all,
};

int handover_setup(void)
{
	return gw_handover_setup(boshd_config.state_dir, &handover_ops);
}
