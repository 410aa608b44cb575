/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-automation.h: carries out the unattended part of the command line (--call, --auto-answer,
 * --auto-decline, --hangup-after, --exit-after-frames, --timeout) on a PcCallManager and decides
 * the exit status. Used by --headless, and by the window when such options are given. */
#pragma once

#include <glib-object.h>

#include "pc-call-manager.h"
#include "pc-event-printer.h"
#include "pc-options.h"

G_BEGIN_DECLS

/* After --exit-after-frames is reached, how long the call stays up so that a peer running with
 * the same target reaches it too, unless the peer hangs up first. */
#define PC_AUTOMATION_LINGER_MS 5000

#define PC_TYPE_AUTOMATION (pc_automation_get_type ())
G_DECLARE_FINAL_TYPE (PcAutomation, pc_automation, PC, AUTOMATION, GObject)

/* Signals:
 *   "finished" (int exit_status)   once: the run is over (PC_EXIT_DONE / PC_EXIT_FAILED)
 *
 * exit_when_idle: in headless mode a run also finishes when its call ends, or when the connection
 * fails for good; the window leaves those to the user. printer may be NULL. */
PcAutomation *pc_automation_new (PcCallManager *manager,
                                 PcOptions *options,
                                 PcEventPrinter *printer,
                                 gboolean exit_when_idle);

/* Arms --timeout and connects the manager. */
void pc_automation_start (PcAutomation *self);

/* SIGINT/SIGTERM: hangs up any call and finishes with exit_status. */
void pc_automation_stop (PcAutomation *self, int exit_status);

gboolean pc_automation_is_finished (PcAutomation *self);
int pc_automation_get_exit_status (PcAutomation *self);

G_END_DECLS
