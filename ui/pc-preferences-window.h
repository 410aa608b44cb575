/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-preferences-window.h: account, devices and network preferences, stored in GSettings. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PC_TYPE_PREFERENCES_WINDOW (pc_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (
    PcPreferencesWindow, pc_preferences_window, PC, PREFERENCES_WINDOW, AdwPreferencesWindow)

/* Property "settings" (GSettings* for io.github.peercall.Peercall, construct-only). Every row
 * writes its key at once; the camera/microphone/speaker lists follow hot-plugged devices. */
GtkWidget *pc_preferences_window_new (GtkWindow *parent, GSettings *settings);

G_END_DECLS
