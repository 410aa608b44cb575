/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-application.h: the GTK application: command line, GSettings, the window, and the call
 * manager made from them. `--headless` never gets here (see main.c). */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PC_TYPE_APPLICATION (pc_application_get_type ())
G_DECLARE_FINAL_TYPE (PcApplication, pc_application, PC, APPLICATION, AdwApplication)

PcApplication *pc_application_new (void);

/* What main () returns after g_application_run (): the run's status when the command line
 * asked for an unattended call (--call ... --hangup-after ...), else g_application_run's. */
int pc_application_get_exit_status (PcApplication *self, int run_status);

G_END_DECLS
