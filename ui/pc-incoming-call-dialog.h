/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-incoming-call-dialog.h: the ringing window for an incoming call, with a ring tone. */
#pragma once

#include <adwaita.h>

#include "pc-call.h"

G_BEGIN_DECLS

#define PC_TYPE_INCOMING_CALL_DIALOG (pc_incoming_call_dialog_get_type ())
G_DECLARE_FINAL_TYPE (
    PcIncomingCallDialog, pc_incoming_call_dialog, PC, INCOMING_CALL_DIALOG, AdwWindow)

/* Properties: "call" (PcCall*, construct-only), "settings" (GSettings*, construct-only: the
 * `ringtone` key turns the ring tone on or off, live).
 *
 * Signals: "accept" (gboolean video), "decline" (). Closing the window declines. The dialog
 * destroys itself, without a signal, when the call stops ringing (the caller cancelled, it timed
 * out, or it was answered elsewhere). Return accepts with video, Escape declines. */
PcIncomingCallDialog *
pc_incoming_call_dialog_new (GtkWindow *parent, PcCall *call, GSettings *settings);
PcCall *pc_incoming_call_dialog_get_call (PcIncomingCallDialog *self);
gboolean pc_incoming_call_dialog_is_ringing (PcIncomingCallDialog *self);

G_END_DECLS
