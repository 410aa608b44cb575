/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-invite-cooldown.h: how often one user may ring another without being answered. Each
 * (caller, callee) pair has a token bucket; only a call that rang and ended unanswered
 * (declined, cancelled, timed out, dropped) takes a token, so answered calls, busy replies and
 * the restore `invite` of a connected call never count. Keyed by user name: reconnecting does
 * not reset it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PC_INVITE_COOLDOWN_BURST 5    /* unanswered calls in a row */
#define PC_INVITE_COOLDOWN_INTERVAL 6 /* then one every this many seconds */

typedef struct _PcInviteCooldown PcInviteCooldown;

PcInviteCooldown *pc_invite_cooldown_new (void);
void pc_invite_cooldown_free (PcInviteCooldown *cooldown);

/* FALSE while @caller may not ring @callee; then *out_wait_s says for how long (at least 1). */
gboolean pc_invite_cooldown_allow (PcInviteCooldown *cooldown,
                                   const char *caller,
                                   const char *callee,
                                   guint *out_wait_s);

/* A call from @caller rang @callee and ended unanswered. */
void pc_invite_cooldown_charge (PcInviteCooldown *cooldown, const char *caller, const char *callee);

G_END_DECLS
