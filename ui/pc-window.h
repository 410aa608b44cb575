/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-window.h: the main window: sign-in page, contact list, call view, toasts. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* Defined by app/pc-call-manager.h; the window only holds a reference and talks to it through
 * its public API. */
typedef struct _PcCallManager PcCallManager;

#define PC_TYPE_WINDOW (pc_window_get_type ())
G_DECLARE_FINAL_TYPE (PcWindow, pc_window, PC, WINDOW, AdwApplicationWindow)

/* Properties: "manager" (PcCallManager*, nullable, read-write), "settings" (GSettings* for schema
 * io.github.peercall.Peercall, construct-only). The window restores and saves its size from
 * `settings`. Without a manager (no `user` set yet) it shows the sign-in page; with one, the
 * contact list, the call view while a call is current, and the incoming-call dialog.
 *
 * Signal "sign-in" (): the user submitted the sign-in page, or changed the account in the
 * preferences. The window has already written the keys server-url, user, display-name and token;
 * the application creates a new PcCallManager from them, calls pc_window_set_manager () and
 * connects it (pc_call_manager_connect). The window never creates managers itself.
 *
 * The window also adds the application actions "app.accept-call(s)", "app.accept-audio-call(s)"
 * and "app.decline-call(s)" (target: call id) used by the incoming-call notification. */
PcWindow *pc_window_new (AdwApplication *app, PcCallManager *manager, GSettings *settings);

void pc_window_set_manager (PcWindow *self, PcCallManager *manager);
PcCallManager *pc_window_get_manager (PcWindow *self);
GSettings *pc_window_get_settings (PcWindow *self);

/* Shows a toast; with `retry_action` (a detailed action name such as "win.reconnect") the toast
 * gets a Retry button. */
void pc_window_show_toast (PcWindow *self, const char *message, const char *retry_action);

/* Opens the preferences window (also bound to Ctrl+,). */
void pc_window_show_preferences (PcWindow *self);

G_END_DECLS
