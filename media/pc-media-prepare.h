/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-media-prepare.h: start-up work done in worker threads before the first call. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Generates the process-wide DTLS certificate and warms up the codecs in worker threads so the
 * first call does not pay for them. Call once at start-up. */
void pc_call_session_prepare (void);

/* Waits for the work pc_call_session_prepare () started: call before the process exits (a quick
 * run must not exit under a running warm-up or a half-made certificate). */
void pc_call_session_wait_prepared (void);

/* Tells the warm-up a call has started in this process: it is skipped then (it would only
 * take CPU from the call). Any thread. */
void pc_media_prepare_note_call_started (void);

G_END_DECLS
