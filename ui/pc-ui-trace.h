/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-ui-trace.h: test hook. With PEERCALL_UI_TRACE=FILE set, the widgets append one JSON object a
 * line to FILE for things the app's --events do not cover (page shown, toast, dialog shown). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean pc_ui_trace_enabled (void);

/* `what` is the "ui" member; the rest are string key/value pairs, NULL-terminated. */
void pc_ui_trace (const char *what, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
