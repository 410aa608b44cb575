/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-share-token.h: the screen-sharing portal's restore token, kept in GSettings
 * ("screencast-restore-token") by the UI, so a repeat share reuses the last choice where the
 * portal allows it. media/ never sees GSettings: the UI hands the token to PcScreencast. */
#pragma once

#include <gio/gio.h>

#include "pc-screencast.h"

G_BEGIN_DECLS

#define PC_SHARE_TOKEN_KEY "screencast-restore-token"

/* A capture for one share: the portal is asked to remember the choice until the user revokes
 * it, and is given the token stored in @settings (if any). @settings may be NULL. */
PcScreencast *pc_share_token_new_screencast (PcScreencastBackend backend, GSettings *settings);

/* Call with the outcome of pc_screencast_start_finish() (@error NULL on success). Portal only
 * (X11 has no token): a started session stores the token the portal handed back, or clears the
 * stored one when it handed back none (tokens are single-use); a failed start clears it, so a
 * token the portal rejected is never offered again. Returns TRUE when @settings changed. */
gboolean pc_share_token_update (GSettings *settings, PcScreencast *screencast, const GError *error);

G_END_DECLS
