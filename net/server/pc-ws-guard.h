/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-ws-guard.h: the WebSocket upgrade, done by hand so that the connection's input can be
 * watched frame by frame. libsoup 3.2 limits each frame but reassembles a fragmented message
 * without a total limit; the guard counts every data frame's payload as its header arrives and
 * fails the read once a message (all its fragments) is over the limit, before libsoup has
 * buffered it. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Answers @msg's upgrade request (with no extensions and no subprotocol; libsoup sets a 4xx on
 * a bad request). Once the 101 is written, wraps the connection and calls @callback like a
 * soup_server_add_websocket_handler() callback. A read that brings a message over
 * @max_message bytes fails with SOUP_WEBSOCKET_ERROR / SOUP_WEBSOCKET_CLOSE_TOO_BIG: the
 * connection's "error" signal sees it just before libsoup drops the socket. Returns FALSE
 * when the request was refused. */
gboolean pc_ws_guard_upgrade (SoupServer *soup,
                              SoupServerMessage *msg,
                              guint64 max_message,
                              SoupServerWebsocketCallback callback,
                              gpointer user_data);

G_END_DECLS
