/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-signaling-server.c: registrations, presence, call membership and relaying for wire protocol
 * v1 (DESIGN.md / net/PROTOCOL.md). One SoupServer; every WebSocket is a PcConnection; a user has
 * at most one PcCall, which both parties' connections point to. */
#define G_LOG_DOMAIN "peercall-signal"

#include "config.h"

#include <libsoup/soup.h>

#include "pc-connection-limits.h"
#include "pc-credentials.h"
#include "pc-invite-cooldown.h"
#include "pc-prop-setters.h"
#include "pc-protocol.h"
#include "pc-rate-limiter.h"
#include "pc-server-http.h"
#include "pc-signaling-server.h"
#include "pc-tcp-liveness.h"
#include "pc-ws-guard.h"

#define HOUSEKEEPING_INTERVAL 1 /* seconds */
#define CLOSE_GRACE_US (5 * G_USEC_PER_SEC)
#define SHUTDOWN_FORCE_MS 1500 /* peers that don't answer our 1001 get cut after this */
#define SHUTDOWN_GIVE_UP_MS 3000
/* A client that keeps flooding while limited gets this many `rate-limited` replies, then silence
 * until its bucket refills: bounds what we queue for a client that doesn't read. */
#define MAX_RATE_LIMITED_REPLIES 1000
/* A backstop only: pc_ws_guard fails the read of any message over 64 KiB (fragmented or not)
 * as its frame header arrives, and on_ws_error answers that with 1009. */
#define SOUP_MAX_PAYLOAD (1024 * 1024)
#define LISTEN_BACKLOG 1024
/* A slow but live peer (pc_tcp_peer_is_draining) gets this many idle timeouts before it is cut. */
#define IDLE_SLOW_PEER_FACTOR 4

typedef struct _PcConnection PcConnection;

typedef struct
{
  char *id;
  PcConnection *caller;
  PcConnection *callee;
  gboolean accepted;
  gint64 start_us;
} PcCall;

struct _PcConnection
{
  PcSignalingServer *server; /* unowned: the server outlives its connections */
  guint64 id;
  SoupWebsocketConnection *ws;
  GSocket *socket;
  char *remote;
  char *user; /* NULL until registered */
  char *name;
  PcRateLimiter limiter;
  guint rate_limited_replies;
  PcCall *call; /* shared with the other party */
  gint64 last_rx_us;
  gint64 connected_us;
  gint64 close_requested_us; /* when we asked to close; 0 while open */
  guint16 close_code;        /* the code we closed with, 0 if the peer closed first */
};

struct _PcSignalingServer
{
  GObject parent_instance;

  /* configuration */
  GBytes *token_secret;
  GStrv turn_urls;
  GBytes *turn_secret;
  guint turn_ttl;
  GStrv stun_urls;
  double rate_limit;
  double rate_burst;
  char *web_root;
  GTlsCertificate *tls_certificate;
  guint keepalive_interval;
  guint idle_timeout;
  guint hello_timeout;

  SoupServer *soup;
  PcConnectionLimits *limits;
  PcInviteCooldown *invite_cooldown;
  char *url;
  GHashTable *connections; /* PcConnection* -> itself, owned */
  GHashTable *users;       /* user -> PcConnection*, unowned */
  guint64 next_id;
  guint housekeeping_id;

  /* metrics */
  guint n_pending_calls;
  guint n_active_calls;
  guint64 n_relayed;
  guint64 n_errors[PC_SERVER_N_ERROR_CODES];

  GTask *shutdown_task;
  guint shutdown_force_id;
  guint shutdown_give_up_id;
};

G_DEFINE_TYPE (PcSignalingServer, pc_signaling_server, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_TOKEN_SECRET,
  PROP_TURN_URLS,
  PROP_TURN_SECRET,
  PROP_TURN_TTL,
  PROP_STUN_URLS,
  PROP_RATE_LIMIT,
  PROP_RATE_BURST,
  PROP_WEB_ROOT,
  PROP_TLS_CERTIFICATE,
  PROP_KEEPALIVE_INTERVAL,
  PROP_IDLE_TIMEOUT,
  PROP_HELLO_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void connection_free (PcConnection *conn);
static void maybe_finish_shutdown (PcSignalingServer *self);

/* Connection helpers */

static const char *
conn_label (PcConnection *conn)
{
  return conn->user != NULL ? conn->user : "-";
}

static gboolean
conn_is_open (PcConnection *conn)
{
  return conn->close_requested_us == 0
         && soup_websocket_connection_get_state (conn->ws) == SOUP_WEBSOCKET_STATE_OPEN;
}

static void
conn_send_text (PcConnection *conn, const char *text)
{
  if (conn_is_open (conn))
    soup_websocket_connection_send_text (conn->ws, text);
}

static void
conn_send (PcConnection *conn, const PcMessage *message)
{
  g_autofree char *text = NULL;

  if (!conn_is_open (conn))
    return;
  text = pc_message_serialize (message);
  soup_websocket_connection_send_text (conn->ws, text);
}

static void
conn_close (PcConnection *conn, gushort code, const char *reason)
{
  if (!conn_is_open (conn))
    return;
  conn->close_code = code;
  conn->close_requested_us = g_get_monotonic_time ();
  soup_websocket_connection_close (conn->ws, code, reason);
}

static void conn_send_error (PcConnection *conn,
                             PcProtocolError code,
                             const char *ref,
                             const char *call,
                             const char *format,
                             ...) G_GNUC_PRINTF (5, 6);

static void
conn_send_error (PcConnection *conn,
                 PcProtocolError code,
                 const char *ref,
                 const char *call,
                 const char *format,
                 ...)
{
  g_autoptr (PcMessage) message = pc_message_new (PC_MESSAGE_ERROR);
  va_list args;

  if ((guint)code < PC_SERVER_N_ERROR_CODES)
    conn->server->n_errors[code]++;

  message->code = g_strdup (pc_protocol_error_to_code (code));
  va_start (args, format);
  message->message = g_strdup_vprintf (format, args);
  va_end (args);
  message->ref = g_strdup (ref);
  message->call = g_strdup (call);

  g_debug ("error #%" G_GUINT64_FORMAT " (%s): %s: %s", conn->id, conn_label (conn), message->code,
           message->message);
  conn_send (conn, message);
}

static PcPresence
conn_presence (PcConnection *conn)
{
  return conn->call != NULL ? PC_PRESENCE_BUSY : PC_PRESENCE_AVAILABLE;
}

static PcConnection *
call_other_party (PcCall *call, PcConnection *conn)
{
  return call->caller == conn ? call->callee : call->caller;
}

/* Presence and calls */

static void
broadcast_presence (PcSignalingServer *self, PcConnection *conn, PcPresence status)
{
  g_autoptr (PcMessage) message = pc_message_new (PC_MESSAGE_PRESENCE);
  g_autofree char *text = NULL;
  GHashTableIter iter;
  PcConnection *other;

  message->user = g_strdup (conn->user);
  message->name = g_strdup (conn->name);
  message->status = status;
  text = pc_message_serialize (message);

  g_hash_table_iter_init (&iter, self->users);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&other))
    if (other != conn)
      conn_send_text (other, text);
}

static void
end_call (PcSignalingServer *self, PcCall *call, const char *reason)
{
  gint64 duration_ms = (g_get_monotonic_time () - call->start_us) / 1000;
  PcConnection *parties[2] = { call->caller, call->callee };

  g_info ("call end %s %s -> %s (%s, %s, %" G_GINT64_FORMAT " ms)", call->id, call->caller->user,
          call->callee->user, reason, call->accepted ? "answered" : "unanswered", duration_ms);

  if (call->accepted)
    self->n_active_calls--;
  else
    {
      self->n_pending_calls--;
      pc_invite_cooldown_charge (self->invite_cooldown, call->caller->user, call->callee->user);
    }

  for (guint i = 0; i < G_N_ELEMENTS (parties); i++)
    parties[i]->call = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (parties); i++)
    {
      /* A party that is going away announces `offline` itself. */
      if (parties[i]->user != NULL && conn_is_open (parties[i]))
        broadcast_presence (self, parties[i], PC_PRESENCE_AVAILABLE);
    }

  g_free (call->id);
  g_free (call);
}

static void
connection_drop (PcSignalingServer *self, PcConnection *conn)
{
  if (conn->call != NULL)
    {
      PcCall *call = conn->call;
      PcConnection *peer = call_other_party (call, conn);
      g_autoptr (PcMessage) hangup = pc_message_new (PC_MESSAGE_HANGUP);

      hangup->from = g_strdup (conn->user);
      hangup->call = g_strdup (call->id);
      hangup->reason = g_strdup ("peer-gone");
      conn_send (peer, hangup);
      end_call (self, call, "peer-gone");
    }

  if (conn->user != NULL)
    {
      g_hash_table_remove (self->users, conn->user);
      broadcast_presence (self, conn, PC_PRESENCE_OFFLINE);
    }
}

/* Message handlers */

static void
add_ice_servers (PcSignalingServer *self, PcMessage *welcome, const char *user)
{
  if (self->stun_urls != NULL && self->stun_urls[0] != NULL)
    g_ptr_array_add (welcome->ice_servers,
                     pc_ice_server_new ((const char *const *)self->stun_urls, NULL, NULL));

  if (self->turn_urls != NULL && self->turn_urls[0] != NULL && self->turn_secret != NULL)
    {
      g_autofree char *username = NULL;
      g_autofree char *credential = NULL;
      gint64 expiry = g_get_real_time () / G_USEC_PER_SEC + self->turn_ttl;

      pc_credentials_turn (self->turn_secret, user, expiry, &username, &credential);
      g_ptr_array_add (
          welcome->ice_servers,
          pc_ice_server_new ((const char *const *)self->turn_urls, username, credential));
    }
}

static void
handle_hello (PcSignalingServer *self, PcConnection *conn, PcMessage *hello)
{
  g_autoptr (PcMessage) welcome = NULL;
  GHashTableIter iter;
  PcConnection *other;

  if (hello->version != PC_PROTOCOL_VERSION)
    {
      conn_send_error (conn, PC_PROTOCOL_ERROR_UNSUPPORTED_VERSION, "hello", NULL,
                       "Protocol version %" G_GINT64_FORMAT " is not supported; this server "
                       "speaks version %d",
                       hello->version, PC_PROTOCOL_VERSION);
      conn_close (conn, PC_CLOSE_UNSUPPORTED_VERSION, "unsupported-version");
      return;
    }

  if (self->token_secret != NULL)
    {
      g_autoptr (GError) error = NULL;

      if (!pc_credentials_verify_token (self->token_secret, hello->user, hello->token,
                                        g_get_real_time () / G_USEC_PER_SEC, &error))
        {
          g_info ("auth failed #%" G_GUINT64_FORMAT " user=%s: %s", conn->id, hello->user,
                  error->message);
          conn_send_error (conn, PC_PROTOCOL_ERROR_AUTH_FAILED, "hello", NULL,
                           "Sign-in refused: %s", error->message);
          conn_close (conn, PC_CLOSE_AUTH_FAILED, "auth-failed");
          return;
        }
    }

  if (g_hash_table_contains (self->users, hello->user))
    {
      g_info ("user taken #%" G_GUINT64_FORMAT " user=%s", conn->id, hello->user);
      conn_send_error (conn, PC_PROTOCOL_ERROR_USER_TAKEN, "hello", NULL,
                       "User name %s is already signed in", hello->user);
      conn_close (conn, PC_CLOSE_USER_TAKEN, "user-taken");
      return;
    }

  conn->user = g_strdup (hello->user);
  conn->name = g_strdup (hello->name);
  g_hash_table_insert (self->users, conn->user, conn);
  g_info ("register #%" G_GUINT64_FORMAT " user=%s", conn->id, conn->user);

  welcome = pc_message_new (PC_MESSAGE_WELCOME);
  welcome->version = PC_PROTOCOL_VERSION;
  welcome->user = g_strdup (conn->user);
  if (welcome->ice_servers == NULL)
    welcome->ice_servers = g_ptr_array_new_with_free_func ((GDestroyNotify)pc_ice_server_free);
  if (welcome->peers == NULL)
    welcome->peers = g_ptr_array_new_with_free_func ((GDestroyNotify)pc_peer_info_free);
  add_ice_servers (self, welcome, conn->user);

  g_hash_table_iter_init (&iter, self->users);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&other))
    if (other != conn)
      g_ptr_array_add (welcome->peers,
                       pc_peer_info_new (other->user, other->name, conn_presence (other)));
  conn_send (conn, welcome);

  broadcast_presence (self, conn, PC_PRESENCE_AVAILABLE);
}

static void
relay (PcSignalingServer *self, PcConnection *from, PcConnection *to, PcMessage *message)
{
  /* The sender never chooses its `from`: it is its session's user. */
  g_free (message->from);
  message->from = g_strdup (from->user);
  g_clear_pointer (&message->to, g_free);

  g_debug ("relay %s %s -> %s call=%s", pc_message_type_to_string (message->type), from->user,
           to->user, message->call);
  conn_send (to, message);
  self->n_relayed++;
}

static void
handle_invite (PcSignalingServer *self, PcConnection *conn, PcMessage *invite)
{
  PcConnection *callee;
  PcCall *call;
  guint wait_s;

  if (g_strcmp0 (invite->to, conn->user) == 0)
    {
      conn_send_error (conn, PC_PROTOCOL_ERROR_UNKNOWN_PEER, "invite", invite->call,
                       "You cannot call yourself");
      return;
    }

  callee = g_hash_table_lookup (self->users, invite->to);
  if (callee == NULL || !conn_is_open (callee))
    {
      conn_send_error (conn, PC_PROTOCOL_ERROR_UNKNOWN_PEER, "invite", invite->call,
                       "%s is not signed in", invite->to);
      return;
    }

  if (conn->call != NULL)
    {
      /* Not in DESIGN.md's list of cases; no code fits better than bad-message. */
      conn_send_error (conn, PC_PROTOCOL_ERROR_BAD_MESSAGE, "invite", invite->call,
                       "You already have a call (%s); hang up first", conn->call->id);
      return;
    }

  if (callee->call != NULL)
    {
      g_autoptr (PcMessage) decline = pc_message_new (PC_MESSAGE_DECLINE);

      g_info ("call busy %s %s -> %s", invite->call, conn->user, callee->user);
      decline->from = g_strdup (callee->user);
      decline->call = g_strdup (invite->call);
      decline->reason = g_strdup ("busy");
      conn_send (conn, decline);
      return;
    }

  if (!pc_invite_cooldown_allow (self->invite_cooldown, conn->user, callee->user, &wait_s))
    {
      conn_send_error (conn, PC_PROTOCOL_ERROR_RATE_LIMITED, "invite", invite->call,
                       "Too many unanswered calls to %s; try again in %u s", callee->user, wait_s);
      return;
    }

  call = g_new0 (PcCall, 1);
  call->id = g_strdup (invite->call);
  call->caller = conn;
  call->callee = callee;
  call->start_us = g_get_monotonic_time ();
  conn->call = call;
  callee->call = call;
  self->n_pending_calls++;
  g_info ("call start %s %s -> %s (%s)", call->id, conn->user, callee->user,
          invite->video ? "video" : "audio");

  /* A relayed invite carries the caller's display name. */
  g_free (invite->name);
  invite->name = g_strdup (conn->name);
  relay (self, conn, callee, invite);

  broadcast_presence (self, conn, PC_PRESENCE_BUSY);
  broadcast_presence (self, callee, PC_PRESENCE_BUSY);
}

static void
handle_call_message (PcSignalingServer *self, PcConnection *conn, PcMessage *message)
{
  PcCall *call = conn->call;
  const char *type = pc_message_type_to_string (message->type);
  PcConnection *peer;

  if (call == NULL || g_strcmp0 (call->id, message->call) != 0
      || g_strcmp0 (call_other_party (call, conn)->user, message->to) != 0)
    {
      conn_send_error (conn, PC_PROTOCOL_ERROR_NO_SUCH_CALL, type, message->call,
                       "No call %s between you and %s", message->call, message->to);
      return;
    }

  peer = call_other_party (call, conn);
  if (message->type == PC_MESSAGE_ACCEPT && conn == call->callee && !call->accepted)
    {
      call->accepted = TRUE;
      self->n_pending_calls--;
      self->n_active_calls++;
      g_info ("call accepted %s %s -> %s", call->id, call->caller->user, call->callee->user);
    }

  relay (self, conn, peer, message);

  if (message->type == PC_MESSAGE_DECLINE || message->type == PC_MESSAGE_HANGUP)
    end_call (self, call, message->reason != NULL ? message->reason : type);
}

static void
handle_text (PcSignalingServer *self, PcConnection *conn, const char *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ref = NULL;
  g_autoptr (PcMessage) message = NULL;

  message = pc_message_parse (data, len, PC_MESSAGE_FROM_CLIENT, &ref, &error);
  if (message == NULL)
    {
      PcProtocolError code = PC_PROTOCOL_ERROR_BAD_MESSAGE;

      if (error != NULL && error->domain == PC_PROTOCOL_ERROR)
        code = error->code;

      if (g_strcmp0 (ref, "hello") == 0 && conn->user != NULL)
        conn_send_error (conn, PC_PROTOCOL_ERROR_ALREADY_REGISTERED, ref, NULL,
                         "Already signed in as %s", conn->user);
      else if (code == PC_PROTOCOL_ERROR_UNSUPPORTED_VERSION)
        {
          conn_send_error (conn, code, ref, NULL, "%s",
                           error != NULL ? error->message : "Unsupported protocol version");
          conn_close (conn, PC_CLOSE_UNSUPPORTED_VERSION, "unsupported-version");
        }
      else
        conn_send_error (conn, code, ref, NULL, "%s",
                         error != NULL ? error->message : "Malformed message");
      return;
    }

  if (conn->user == NULL)
    {
      if (message->type == PC_MESSAGE_HELLO)
        handle_hello (self, conn, message);
      else
        conn_send_error (conn, PC_PROTOCOL_ERROR_NOT_REGISTERED,
                         pc_message_type_to_string (message->type), message->call,
                         "Send hello first");
      return;
    }

  switch (message->type)
    {
    case PC_MESSAGE_HELLO:
      conn_send_error (conn, PC_PROTOCOL_ERROR_ALREADY_REGISTERED, "hello", NULL,
                       "Already signed in as %s", conn->user);
      break;
    case PC_MESSAGE_INVITE:
      handle_invite (self, conn, message);
      break;
    case PC_MESSAGE_RINGING:
    case PC_MESSAGE_ACCEPT:
    case PC_MESSAGE_DECLINE:
    case PC_MESSAGE_HANGUP:
    case PC_MESSAGE_SDP:
    case PC_MESSAGE_ICE:
      handle_call_message (self, conn, message);
      break;
    case PC_MESSAGE_UNKNOWN:
    case PC_MESSAGE_WELCOME:
    case PC_MESSAGE_PRESENCE:
    case PC_MESSAGE_ERROR:
    default:
      /* The parser refuses these from a client; kept for safety. */
      conn_send_error (conn, PC_PROTOCOL_ERROR_BAD_MESSAGE,
                       pc_message_type_to_string (message->type), NULL,
                       "Clients can't send this message type");
      break;
    }
}

/* WebSocket callbacks */

static void
on_ws_message (SoupWebsocketConnection *ws, gint type, GBytes *bytes, PcConnection *conn)
{
  PcSignalingServer *self = conn->server;
  gint64 now = g_get_monotonic_time ();
  gsize len;
  const char *data;

  conn->last_rx_us = now;
  if (!conn_is_open (conn))
    return;

  if (!pc_rate_limiter_take (&conn->limiter, now))
    {
      if (conn->rate_limited_replies++ < MAX_RATE_LIMITED_REPLIES)
        conn_send_error (conn, PC_PROTOCOL_ERROR_RATE_LIMITED, NULL, NULL,
                         "Too many messages: at most %g per second (burst %g); message dropped",
                         self->rate_limit, self->rate_burst);
      return;
    }
  conn->rate_limited_replies = 0;

  data = g_bytes_get_data (bytes, &len);
  if (len > PC_PROTOCOL_MAX_MESSAGE_SIZE)
    {
      /* pc_ws_guard stops these before libsoup buffers them; kept as a second check. */
      g_info ("message too big #%" G_GUINT64_FORMAT " (%s): %" G_GSIZE_FORMAT " bytes", conn->id,
              conn_label (conn), len);
      conn_close (conn, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "message too big");
      return;
    }

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      conn_send_error (conn, PC_PROTOCOL_ERROR_BAD_MESSAGE, NULL, NULL,
                       "Binary frames are not supported; send JSON text");
      return;
    }

  handle_text (self, conn, data, len);
}

static void
on_ws_pong (SoupWebsocketConnection *ws, GBytes *message, PcConnection *conn)
{
  conn->last_rx_us = g_get_monotonic_time ();
}

static void
on_ws_error (SoupWebsocketConnection *ws, GError *error, PcConnection *conn)
{
  /* libsoup cuts the socket right after this signal for a message pc_ws_guard found too big
   * (or a frame over SOUP_MAX_PAYLOAD); queue the 1009 close frame first (it is written at once
   * when the socket is writable). */
  if (g_error_matches (error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_CLOSE_TOO_BIG))
    conn_close (conn, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "message too big");
  /* libsoup closes the socket itself after protocol errors; remember the code for the log. */
  if (error->domain == SOUP_WEBSOCKET_ERROR && conn->close_code == 0)
    conn->close_code = error->code;
  g_debug ("websocket error #%" G_GUINT64_FORMAT " (%s): %s", conn->id, conn_label (conn),
           error->message);
}

static void
on_ws_closed (SoupWebsocketConnection *ws, PcConnection *conn)
{
  PcSignalingServer *self = conn->server;
  gushort peer_code = soup_websocket_connection_get_close_code (ws);

  if (conn->close_code != 0)
    g_info ("close #%" G_GUINT64_FORMAT " (%s) code=%u by server", conn->id, conn_label (conn),
            conn->close_code);
  else if (peer_code == 0)
    g_info ("close #%" G_GUINT64_FORMAT " (%s) without a close frame (1006)", conn->id,
            conn_label (conn));
  else
    g_info ("close #%" G_GUINT64_FORMAT " (%s) code=%u by peer", conn->id, conn_label (conn),
            peer_code);

  /* From here on nothing may be sent on this connection. */
  if (conn->close_requested_us == 0)
    conn->close_requested_us = g_get_monotonic_time ();
  connection_drop (self, conn);
  g_hash_table_remove (self->connections, conn);
  maybe_finish_shutdown (self);
}

static void
on_websocket (SoupServer *soup,
              SoupServerMessage *msg,
              const char *path,
              SoupWebsocketConnection *ws,
              gpointer user_data)
{
  PcSignalingServer *self = PC_SIGNALING_SERVER (user_data);
  PcConnection *conn;
  GSocket *socket = soup_server_message_get_socket (msg);
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  conn = g_new0 (PcConnection, 1);
  conn->server = self;
  conn->id = ++self->next_id;
  conn->ws = g_object_ref (ws);
  conn->socket = socket != NULL ? g_object_ref (socket) : NULL;
  if (G_IS_INET_SOCKET_ADDRESS (remote))
    {
      g_autofree char *ip = g_inet_address_to_string (
          g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
      conn->remote = g_strdup_printf (
          "%s:%u", ip, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)));
    }
  else
    conn->remote = g_strdup (soup_server_message_get_remote_host (msg));
  conn->last_rx_us = g_get_monotonic_time ();
  conn->connected_us = conn->last_rx_us;
  pc_rate_limiter_init (&conn->limiter, self->rate_limit, self->rate_burst, conn->last_rx_us);

  soup_websocket_connection_set_max_incoming_payload_size (ws, SOUP_MAX_PAYLOAD);
  soup_websocket_connection_set_keepalive_interval (ws, self->keepalive_interval);
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), conn);
  g_signal_connect (ws, "pong", G_CALLBACK (on_ws_pong), conn);
  g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), conn);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), conn);
  g_hash_table_add (self->connections, conn);
  pc_connection_limits_track (self->limits, msg, ws);

  g_info ("connect #%" G_GUINT64_FORMAT " from %s", conn->id, conn->remote);

  if (self->shutdown_task != NULL)
    conn_close (conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server shutting down");
}

static void
on_ws_request (SoupServer *soup,
               SoupServerMessage *msg,
               const char *path,
               GHashTable *query,
               gpointer user_data)
{
  PcSignalingServer *self = PC_SIGNALING_SERVER (user_data);

  if (!pc_connection_limits_refuse (self->limits, msg))
    pc_ws_guard_upgrade (soup, msg, PC_PROTOCOL_MAX_MESSAGE_SIZE, on_websocket, self);
}

static void
connection_free (PcConnection *conn)
{
  if (conn->call != NULL)
    {
      /* Only reached when the server is finalized with calls still up. */
      PcCall *call = conn->call;

      call_other_party (call, conn)->call = NULL;
      g_free (call->id);
      g_free (call);
    }
  g_signal_handlers_disconnect_by_data (conn->ws, conn);
  g_clear_object (&conn->ws);
  g_clear_object (&conn->socket);
  g_free (conn->remote);
  g_free (conn->user);
  g_free (conn->name);
  g_free (conn);
}

/* Cuts a connection at the TCP level: libsoup then sees EOF/EPIPE and emits "closed". */
static void
connection_force_close (PcConnection *conn)
{
  if (conn->socket != NULL)
    g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
}

static gboolean
on_housekeeping (gpointer user_data)
{
  PcSignalingServer *self = PC_SIGNALING_SERVER (user_data);
  gint64 now = g_get_monotonic_time ();
  gint64 idle_us = (gint64)self->idle_timeout * G_USEC_PER_SEC;
  GHashTableIter iter;
  PcConnection *conn;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, (gpointer *)&conn, NULL))
    {
      if (conn->close_requested_us != 0)
        {
          if (now - conn->close_requested_us > CLOSE_GRACE_US)
            connection_force_close (conn);
        }
      else if (conn->user == NULL && self->hello_timeout > 0
               && now - conn->connected_us > (gint64)self->hello_timeout * G_USEC_PER_SEC)
        {
          /* an open socket that never signs in only holds a file descriptor */
          g_info ("no hello #%" G_GUINT64_FORMAT " from %s within %u s", conn->id, conn->remote,
                  self->hello_timeout);
          conn_close (conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "no hello");
        }
      else if (self->idle_timeout > 0 && now - conn->last_rx_us > idle_us
               && !(pc_tcp_peer_is_draining (conn->socket, idle_us)
                    && now - conn->last_rx_us < IDLE_SLOW_PEER_FACTOR * idle_us))
        {
          g_info ("idle #%" G_GUINT64_FORMAT " (%s): nothing received for %u s", conn->id,
                  conn_label (conn), self->idle_timeout);
          conn_close (conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "idle timeout");
        }
    }
  return G_SOURCE_CONTINUE;
}

/* HTTP */

static void
on_http_request (SoupServer *soup,
                 SoupServerMessage *msg,
                 const char *path,
                 GHashTable *query,
                 gpointer user_data)
{
  PcSignalingServer *self = PC_SIGNALING_SERVER (user_data);
  const PcServerMetrics metrics = {
    .connections = g_hash_table_size (self->connections),
    .registered_users = g_hash_table_size (self->users),
    .active_calls = self->n_active_calls,
    .pending_calls = self->n_pending_calls,
    .messages_relayed = self->n_relayed,
    .errors = self->n_errors,
  };

  pc_server_http_handle (msg, path, self->web_root, &metrics);
}

/* Shutdown */

static void
finish_shutdown (PcSignalingServer *self)
{
  g_autoptr (GTask) task = g_steal_pointer (&self->shutdown_task);

  g_clear_handle_id (&self->shutdown_force_id, g_source_remove);
  g_clear_handle_id (&self->shutdown_give_up_id, g_source_remove);
  if (task != NULL)
    g_task_return_boolean (task, TRUE);
}

static void
maybe_finish_shutdown (PcSignalingServer *self)
{
  if (self->shutdown_task != NULL && g_hash_table_size (self->connections) == 0)
    finish_shutdown (self);
}

static gboolean
on_shutdown_force (gpointer user_data)
{
  PcSignalingServer *self = PC_SIGNALING_SERVER (user_data);
  GHashTableIter iter;
  PcConnection *conn;

  self->shutdown_force_id = 0;
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, (gpointer *)&conn, NULL))
    connection_force_close (conn);
  return G_SOURCE_REMOVE;
}

static gboolean
on_shutdown_give_up (gpointer user_data)
{
  PcSignalingServer *self = PC_SIGNALING_SERVER (user_data);

  self->shutdown_give_up_id = 0;
  g_warning ("%u connections did not close in time", g_hash_table_size (self->connections));
  finish_shutdown (self);
  return G_SOURCE_REMOVE;
}

/* GObject */

static void
pc_signaling_server_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PcSignalingServer *self = PC_SIGNALING_SERVER (object);

  switch (prop_id)
    {
    case PROP_TOKEN_SECRET:
      g_value_set_boxed (value, self->token_secret);
      break;
    case PROP_TURN_URLS:
      g_value_set_boxed (value, self->turn_urls);
      break;
    case PROP_TURN_SECRET:
      g_value_set_boxed (value, self->turn_secret);
      break;
    case PROP_TURN_TTL:
      g_value_set_uint (value, self->turn_ttl);
      break;
    case PROP_STUN_URLS:
      g_value_set_boxed (value, self->stun_urls);
      break;
    case PROP_RATE_LIMIT:
      g_value_set_double (value, self->rate_limit);
      break;
    case PROP_RATE_BURST:
      g_value_set_double (value, self->rate_burst);
      break;
    case PROP_WEB_ROOT:
      g_value_set_string (value, self->web_root);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, self->tls_certificate);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      g_value_set_uint (value, self->keepalive_interval);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, self->idle_timeout);
      break;
    case PROP_HELLO_TIMEOUT:
      g_value_set_uint (value, self->hello_timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_signaling_server_set_property (GObject *object,
                                  guint prop_id,
                                  const GValue *value,
                                  GParamSpec *pspec)
{
  PcSignalingServer *self = PC_SIGNALING_SERVER (object);

  switch (prop_id)
    {
    case PROP_TOKEN_SECRET:
      pc_prop_set_bytes (self, &self->token_secret, value, pspec);
      break;
    case PROP_TURN_URLS:
      pc_prop_set_strv (self, &self->turn_urls, value, pspec);
      break;
    case PROP_TURN_SECRET:
      pc_prop_set_bytes (self, &self->turn_secret, value, pspec);
      break;
    case PROP_TURN_TTL:
      pc_prop_set_uint (self, &self->turn_ttl, value, pspec);
      break;
    case PROP_STUN_URLS:
      pc_prop_set_strv (self, &self->stun_urls, value, pspec);
      break;
    case PROP_RATE_LIMIT:
      pc_prop_set_double (self, &self->rate_limit, value, pspec);
      break;
    case PROP_RATE_BURST:
      pc_prop_set_double (self, &self->rate_burst, value, pspec);
      break;
    case PROP_WEB_ROOT:
      if (g_strcmp0 (self->web_root, g_value_get_string (value)) != 0)
        {
          g_free (self->web_root);
          self->web_root = g_value_dup_string (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_TLS_CERTIFICATE:
      if (g_set_object (&self->tls_certificate, g_value_get_object (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      pc_prop_set_uint (self, &self->keepalive_interval, value, pspec);
      break;
    case PROP_IDLE_TIMEOUT:
      pc_prop_set_uint (self, &self->idle_timeout, value, pspec);
      break;
    case PROP_HELLO_TIMEOUT:
      pc_prop_set_uint (self, &self->hello_timeout, value, pspec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_signaling_server_dispose (GObject *object)
{
  PcSignalingServer *self = PC_SIGNALING_SERVER (object);

  g_clear_handle_id (&self->housekeeping_id, g_source_remove);
  g_clear_handle_id (&self->shutdown_force_id, g_source_remove);
  g_clear_handle_id (&self->shutdown_give_up_id, g_source_remove);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  /* Connections still here were cut by the shutdown timeout; libsoup closes their streams. */
  g_hash_table_remove_all (self->users);
  g_hash_table_remove_all (self->connections);
  g_clear_object (&self->tls_certificate);

  G_OBJECT_CLASS (pc_signaling_server_parent_class)->dispose (object);
}

static void
pc_signaling_server_finalize (GObject *object)
{
  PcSignalingServer *self = PC_SIGNALING_SERVER (object);

  g_clear_pointer (&self->token_secret, g_bytes_unref);
  g_clear_pointer (&self->turn_urls, g_strfreev);
  g_clear_pointer (&self->turn_secret, g_bytes_unref);
  g_clear_pointer (&self->stun_urls, g_strfreev);
  g_free (self->web_root);
  g_free (self->url);
  g_hash_table_unref (self->users);
  g_hash_table_unref (self->connections);
  pc_connection_limits_unref (self->limits);
  pc_invite_cooldown_free (self->invite_cooldown);

  G_OBJECT_CLASS (pc_signaling_server_parent_class)->finalize (object);
}

static void
pc_signaling_server_class_init (PcSignalingServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = pc_signaling_server_get_property;
  object_class->set_property = pc_signaling_server_set_property;
  object_class->dispose = pc_signaling_server_dispose;
  object_class->finalize = pc_signaling_server_finalize;

  properties[PROP_TOKEN_SECRET]
      = g_param_spec_boxed ("token-secret", NULL, NULL, G_TYPE_BYTES, flags);
  properties[PROP_TURN_URLS] = g_param_spec_boxed ("turn-urls", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_TURN_SECRET]
      = g_param_spec_boxed ("turn-secret", NULL, NULL, G_TYPE_BYTES, flags);
  properties[PROP_TURN_TTL]
      = g_param_spec_uint ("turn-ttl", NULL, NULL, 1, G_MAXINT32, 86400, flags);
  properties[PROP_STUN_URLS] = g_param_spec_boxed ("stun-urls", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_RATE_LIMIT]
      = g_param_spec_double ("rate-limit", NULL, NULL, 0.001, G_MAXDOUBLE, 50.0, flags);
  properties[PROP_RATE_BURST]
      = g_param_spec_double ("rate-burst", NULL, NULL, 1.0, G_MAXDOUBLE, 200.0, flags);
  properties[PROP_WEB_ROOT] = g_param_spec_string ("web-root", NULL, NULL, NULL, flags);
  properties[PROP_TLS_CERTIFICATE]
      = g_param_spec_object ("tls-certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE, flags);
  properties[PROP_KEEPALIVE_INTERVAL]
      = g_param_spec_uint ("keepalive-interval", NULL, NULL, 0, 3600, 10, flags);
  properties[PROP_IDLE_TIMEOUT]
      = g_param_spec_uint ("idle-timeout", NULL, NULL, 0, 86400, 25, flags);
  properties[PROP_HELLO_TIMEOUT]
      = g_param_spec_uint ("hello-timeout", NULL, NULL, 0, 3600, 30, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pc_signaling_server_init (PcSignalingServer *self)
{
  self->turn_ttl = 86400;
  self->rate_limit = 50.0;
  self->rate_burst = 200.0;
  self->keepalive_interval = 10;
  self->idle_timeout = 25;
  self->hello_timeout = 30;
  self->connections = g_hash_table_new_full (NULL, NULL, (GDestroyNotify)connection_free, NULL);
  self->limits = pc_connection_limits_new ();
  self->invite_cooldown = pc_invite_cooldown_new ();
  self->users = g_hash_table_new (g_str_hash, g_str_equal);
}

PcSignalingServer *
pc_signaling_server_new (void)
{
  return g_object_new (PC_TYPE_SIGNALING_SERVER, NULL);
}

gboolean
pc_signaling_server_listen (PcSignalingServer *self,
                            GInetAddress *address,
                            guint16 port,
                            GError **error)
{
  g_autoptr (GSocketAddress) socket_address = NULL;
  g_autoptr (GSocket) listen_socket = NULL;
  g_autofree char *host = NULL;
  SoupServerListenOptions options = 0;
  GSList *uris;
  guint actual_port;

  g_return_val_if_fail (PC_IS_SIGNALING_SERVER (self), FALSE);
  g_return_val_if_fail (G_IS_INET_ADDRESS (address), FALSE);
  g_return_val_if_fail (self->soup == NULL, FALSE);

  self->soup = soup_server_new ("server-header", "peercall-signal/" PACKAGE_VERSION,
                                "tls-certificate", self->tls_certificate, NULL);
  /* permessage-deflate would let a small frame inflate past the 64 KiB limit; signaling
   * messages are small anyway. */
  soup_server_remove_websocket_extension (self->soup, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  soup_server_add_handler (self->soup, "/ws", on_ws_request, self, NULL);
  soup_server_add_handler (self->soup, NULL, on_http_request, self, NULL);

  if (self->tls_certificate != NULL)
    options |= SOUP_SERVER_LISTEN_HTTPS;
  /* Our own socket for a deep accept queue: after a restart every client reconnects at once,
   * and GLib's default backlog of 10 would drop most of those handshakes. */
  socket_address = g_inet_socket_address_new (address, port);
  listen_socket = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_STREAM,
                                G_SOCKET_PROTOCOL_TCP, error);
  if (listen_socket == NULL)
    goto failed;
  g_socket_set_listen_backlog (listen_socket, LISTEN_BACKLOG);
  if (!g_socket_bind (listen_socket, socket_address, TRUE, error)
      || !g_socket_listen (listen_socket, error)
      || !soup_server_listen_socket (self->soup, listen_socket, options, error))
    goto failed;

  uris = soup_server_get_uris (self->soup);
  actual_port = uris != NULL ? (guint)g_uri_get_port (uris->data) : port;
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  host = g_inet_address_to_string (address);
  self->url = g_strdup_printf (
      "%s://%s%s%s:%u/ws", self->tls_certificate != NULL ? "wss" : "ws",
      g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 ? "[" : "", host,
      g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 ? "]" : "", actual_port);

  self->housekeeping_id = g_timeout_add_seconds (HOUSEKEEPING_INTERVAL, on_housekeeping, self);
  return TRUE;

failed:
  g_clear_object (&self->soup);
  return FALSE;
}

PcConnectionLimits *
pc_signaling_server_get_connection_limits (PcSignalingServer *self)
{
  return self->limits;
}

const char *
pc_signaling_server_get_url (PcSignalingServer *self)
{
  g_return_val_if_fail (PC_IS_SIGNALING_SERVER (self), NULL);

  return self->url;
}

guint
pc_signaling_server_get_n_connections (PcSignalingServer *self)
{
  g_return_val_if_fail (PC_IS_SIGNALING_SERVER (self), 0);

  return g_hash_table_size (self->connections);
}

void
pc_signaling_server_shutdown_async (PcSignalingServer *self,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  GHashTableIter iter;
  PcConnection *conn;

  g_return_if_fail (PC_IS_SIGNALING_SERVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pc_signaling_server_shutdown_async);
  if (self->shutdown_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, "Already shutting down");
      return;
    }
  self->shutdown_task = g_steal_pointer (&task);

  g_info ("shutting down: closing %u connections", g_hash_table_size (self->connections));
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, (gpointer *)&conn, NULL))
    conn_close (conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server shutting down");

  self->shutdown_force_id = g_timeout_add (SHUTDOWN_FORCE_MS, on_shutdown_force, self);
  self->shutdown_give_up_id = g_timeout_add (SHUTDOWN_GIVE_UP_MS, on_shutdown_give_up, self);
  maybe_finish_shutdown (self);
}

gboolean
pc_signaling_server_shutdown_finish (PcSignalingServer *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
