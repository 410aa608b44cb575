/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-call-private.h: the setters PcCallManager and PcActiveCall use to drive a PcCall. Not for
 * the UI. */
#pragma once

#include "pc-call.h"

G_BEGIN_DECLS

PcCall *pc_call_new (const char *id,
                     const char *peer,
                     const char *peer_name,
                     PcCallDirection direction,
                     gboolean video);
void pc_call_set_peer_name (PcCall *self, const char *peer_name);
void pc_call_set_state (PcCall *self, PcCallState state);
/* Sets end-reason and ended-locally, then state ENDED. */
void pc_call_end (PcCall *self, const char *reason, gboolean locally);
void pc_call_set_video (PcCall *self, gboolean video);
void pc_call_set_remote_video (PcCall *self, gboolean remote_video);
/* Takes a reference and relays the session's media signals. */
void pc_call_set_session (PcCall *self, PcCallSession *session);

G_END_DECLS
