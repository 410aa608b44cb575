/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-call-view.h: the in-call page: remote video, self view, call controls, statistics. */
#pragma once

#include <adwaita.h>

#include "pc-call.h"

G_BEGIN_DECLS

#define PC_TYPE_CALL_VIEW (pc_call_view_get_type ())
G_DECLARE_FINAL_TYPE (PcCallView, pc_call_view, PC, CALL_VIEW, GtkWidget)

/* Properties: "call" (PcCall*, nullable), "muted", "camera-enabled", "screen-sharing" (gboolean,
 * applied to the call's session), "fullscreen" (gboolean: hides the header, set by the window),
 * "settings" (GSettings*, nullable: keeps the screen-sharing portal's restore token).
 *
 * Actions (group "call"): "call.toggle-mute", "call.toggle-camera", "call.toggle-screen-share"
 * (stateful, bound to the properties above), "call.hang-up" (emits "hang-up").
 * "call.toggle-screen-share" is enabled only while a share can start (connected call with a
 * media session) or is running; "screen-sharing" turns TRUE, and the "You are sharing your
 * screen" bar shows, only once the screen is really being sent.
 * The fullscreen button and double-clicking the video activate "window.toggle-fullscreen".
 *
 * Signal "hang-up" (): the user asked to end the call; the owner tells the call manager. */
GtkWidget *pc_call_view_new (void);

void pc_call_view_set_call (PcCallView *self, PcCall *call);
PcCall *pc_call_view_get_call (PcCallView *self);
void pc_call_view_set_fullscreen (PcCallView *self, gboolean fullscreen);
void pc_call_view_set_settings (PcCallView *self, GSettings *settings);

G_END_DECLS
