/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-tcp-liveness.h: tells a slow peer from a dead one, for the server's idle timeout. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A peer that hasn't sent a frame or pong for @idle_us may just be slow: its pong is queued
 * behind everything we sent before the ping. TRUE if bytes from it are waiting to be read, or
 * (Linux) if its TCP stack acknowledged data we have in flight within the last @idle_us.
 * FALSE for a NULL @socket. */
gboolean pc_tcp_peer_is_draining (GSocket *socket, gint64 idle_us);

G_END_DECLS
