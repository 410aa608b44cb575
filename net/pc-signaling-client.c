/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-signaling-client.c: libsoup 3 WebSocket client for wire protocol v1. */
#define G_LOG_DOMAIN "peercall-signaling"

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "pc-signaling-client.h"

/* Reconnect backoff: 0.5 s doubling up to 30 s, each delay spread by ±20 % so that many
 * clients dropped at once by a server restart do not come back in lockstep. */
#define BACKOFF_INITIAL_MS 500
#define BACKOFF_MAX_MS 30000
#define BACKOFF_JITTER 0.2

/* From the start of an attempt to `welcome`. */
#define HANDSHAKE_TIMEOUT_S 10
#define KEEPALIVE_INTERVAL_S 15
/* With no frame and no pong for this many keepalive intervals the server is taken as gone
 * (suspend, network change: TCP alone would notice only after many minutes). */
#define LIVENESS_INTERVALS 3

/* After a drop the server may not have noticed our old connection yet and answers the new
 * hello with user-taken; keep trying for this many attempts (~30 s) before giving up. */
#define USER_TAKEN_RETRIES 6

/* Trust only this CA (PEM) for wss://, instead of the system store: lets tests and private
 * deployments use a self-signed certificate without turning verification off. */
#define TLS_CA_FILE_ENV "PEERCALL_TLS_CA_FILE"

struct _PcSignalingClient
{
  GObject parent_instance;

  char *url;
  char *user;
  char *name;
  char *token;
  gboolean auto_reconnect;
  guint keepalive_interval; /* seconds, 0 = no pings and no liveness check */

  PcSignalingState state;
  GMainContext *context; /* where it was created: every signal is emitted there */

  GUri *uri; /* validated ws:// or wss:// URI, NULL until the first connect */
  SoupSession *session;
  SoupWebsocketConnection *ws;
  SoupWebsocketConnection *closing_ws; /* after a local close, until its "closed" */
  GCancellable *attempt_cancellable;
  GSource *handshake_timeout;
  GSource *reconnect_timer;
  GSource *liveness_timer;
  gint64 last_rx_us; /* last frame or pong from the server */

  GTask *connect_task;         /* pending connect_async() */
  GSource *user_cancel_source; /* fires on connect_async()'s cancellable */

  PcMessage *welcome;
  gboolean reconnecting; /* dropped after registration: keep trying until registered or fatal */
  guint n_attempts;      /* consecutive failed attempts while reconnecting */
};

G_DEFINE_TYPE (PcSignalingClient, pc_signaling_client, G_TYPE_OBJECT)

/* Spelled out: clang-format would put spaces into G_DEFINE_QUARK's dashed name. */
GQuark
pc_signaling_error_quark (void)
{
  return g_quark_from_static_string ("pc-signaling-error-quark");
}

G_DEFINE_ENUM_TYPE (PcSignalingState,
                    pc_signaling_state,
                    G_DEFINE_ENUM_VALUE (PC_SIGNALING_STATE_DISCONNECTED, "disconnected"),
                    G_DEFINE_ENUM_VALUE (PC_SIGNALING_STATE_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (PC_SIGNALING_STATE_REGISTERED, "registered"),
                    G_DEFINE_ENUM_VALUE (PC_SIGNALING_STATE_RECONNECTING, "reconnecting"))

enum
{
  PROP_0,
  PROP_URL,
  PROP_USER,
  PROP_NAME,
  PROP_TOKEN,
  PROP_STATE,
  PROP_AUTO_RECONNECT,
  PROP_KEEPALIVE_INTERVAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_REGISTERED,
  SIGNAL_PRESENCE,
  SIGNAL_MESSAGE,
  SIGNAL_SERVER_ERROR,
  SIGNAL_DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_attempt (PcSignalingClient *self);

/* Helpers */

static void
set_state (PcSignalingClient *self, PcSignalingState state)
{
  if (self->state == state)
    return;
  g_debug ("state %d -> %d", self->state, state);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static GSource *
add_timeout (PcSignalingClient *self, guint ms, GSourceFunc func)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, self, NULL);
  g_source_set_static_name (source, "[peercall] signaling client timer");
  g_source_attach (source, self->context);
  return source;
}

static gboolean
is_fatal_close_code (gushort code)
{
  return code == PC_CLOSE_AUTH_FAILED || code == PC_CLOSE_USER_TAKEN
         || code == PC_CLOSE_UNSUPPORTED_VERSION;
}

static GError *
error_from_close_code (gushort code, const char *data)
{
  const char *detail = data != NULL && data[0] != '\0' ? data : NULL;

  switch (code)
    {
    case PC_CLOSE_AUTH_FAILED:
      return g_error_new (PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_AUTH_FAILED,
                          "The server refused the sign-in token%s%s", detail ? ": " : "",
                          detail ? detail : "");
    case PC_CLOSE_USER_TAKEN:
      return g_error_new (PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_USER_TAKEN,
                          "The user name is already signed in elsewhere%s%s", detail ? ": " : "",
                          detail ? detail : "");
    case PC_CLOSE_UNSUPPORTED_VERSION:
      return g_error_new (PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_UNSUPPORTED_VERSION,
                          "The server does not support protocol version %d%s%s",
                          PC_PROTOCOL_VERSION, detail ? ": " : "", detail ? detail : "");
    case 0: /* no close frame at all */
    case SOUP_WEBSOCKET_CLOSE_ABNORMAL:
      return g_error_new (PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_CONNECTION_LOST,
                          "Lost the connection to the server");
    case SOUP_WEBSOCKET_CLOSE_TOO_BIG:
      return g_error_new (PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_CONNECTION_LOST,
                          "The server closed the connection: message too big");
    default:
      return g_error_new (PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_CONNECTION_LOST,
                          "The server closed the connection (code %u%s%s)", code,
                          detail ? ": " : "", detail ? detail : "");
    }
}

/* A server `error` message as a GError in PC_PROTOCOL_ERROR. */
static GError *
error_from_message (const PcMessage *message)
{
  PcProtocolError code;

  if (pc_protocol_error_from_code (message->code, &code))
    return g_error_new_literal (PC_PROTOCOL_ERROR, code, message->message);
  /* a code from a newer server: keep it readable */
  return g_error_new (PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE, "%s (%s)", message->message,
                      message->code);
}

static GError *
error_from_connect (const GError *error, GUri *uri)
{
  g_autofree char *where = g_uri_to_string_partial (uri, G_URI_HIDE_PASSWORD);

  if (error->domain == G_TLS_ERROR)
    return g_error_new (PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_TLS,
                        "Secure connection to %s failed: %s", where, error->message);
  if (error->domain == SOUP_WEBSOCKET_ERROR)
    return g_error_new (PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_HANDSHAKE,
                        "%s is not a Peercall signaling server: %s", where, error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return g_error_new (PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_CONNECTION_REFUSED,
                        "Connection to %s refused: is the server running?", where);
  return g_error_new (PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_CONNECTION_REFUSED,
                      "Could not connect to %s: %s", where, error->message);
}

/* ws:// and wss:// (http:// and https:// are taken to mean the same server); a URL with no
 * path gets the protocol's /ws. */
static GUri *
parse_url (const char *url, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GUri) uri = NULL;
  const char *scheme;
  const char *ws_scheme;
  const char *path;

  if (url == NULL || url[0] == '\0')
    {
      g_set_error_literal (error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_INVALID_URL,
                           "No server address given");
      return NULL;
    }

  uri = g_uri_parse (url, G_URI_FLAGS_SCHEME_NORMALIZE, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_INVALID_URL,
                   "“%s” is not a valid server address: %s", url, local_error->message);
      return NULL;
    }

  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "ws") == 0 || g_ascii_strcasecmp (scheme, "http") == 0)
    ws_scheme = "ws";
  else if (g_ascii_strcasecmp (scheme, "wss") == 0 || g_ascii_strcasecmp (scheme, "https") == 0)
    ws_scheme = "wss";
  else
    {
      g_set_error (error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_INVALID_URL,
                   "“%s” is not a valid server address: it must start with ws:// or wss://", url);
      return NULL;
    }

  if (g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    {
      g_set_error (error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_INVALID_URL,
                   "“%s” is not a valid server address: it has no host", url);
      return NULL;
    }

  path = g_uri_get_path (uri);
  if (path[0] == '\0' || g_str_equal (path, "/"))
    path = "/ws";

  return g_uri_build (G_URI_FLAGS_NONE, ws_scheme, NULL, g_uri_get_host (uri), g_uri_get_port (uri),
                      path, g_uri_get_query (uri), NULL);
}

/* Connection teardown */

static void
on_closing_ws_closed (SoupWebsocketConnection *ws, PcSignalingClient *self)
{
  g_signal_handlers_disconnect_by_data (ws, self);
  if (self->closing_ws == ws)
    g_clear_object (&self->closing_ws);
}

/* Drops the current connection attempt or connection, without any state change or signal. */
static void
drop_connection (PcSignalingClient *self, gushort close_code)
{
  g_cancellable_cancel (self->attempt_cancellable);
  g_clear_object (&self->attempt_cancellable);
  clear_source (&self->handshake_timeout);
  clear_source (&self->liveness_timer);

  if (self->ws == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->ws, self);
  if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    {
      /* Close politely and keep the connection until the server answers the close. */
      if (self->closing_ws != NULL)
        {
          g_signal_handlers_disconnect_by_data (self->closing_ws, self);
          g_clear_object (&self->closing_ws);
        }
      self->closing_ws = g_steal_pointer (&self->ws);
      g_signal_connect (self->closing_ws, "closed", G_CALLBACK (on_closing_ws_closed), self);
      soup_websocket_connection_close (self->closing_ws, close_code, NULL);
    }
  g_clear_object (&self->ws);
}

static void
complete_connect_task (PcSignalingClient *self, PcMessage *welcome, GError *error)
{
  g_autoptr (GTask) task = g_steal_pointer (&self->connect_task);

  clear_source (&self->user_cancel_source);
  if (task == NULL)
    return;
  if (error != NULL)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_pointer (task, pc_message_ref (welcome), (GDestroyNotify)pc_message_unref);
}

static gboolean
on_reconnect_timer (gpointer user_data)
{
  PcSignalingClient *self = user_data;

  g_clear_pointer (&self->reconnect_timer, g_source_unref);
  start_attempt (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (PcSignalingClient *self)
{
  guint exponent = MIN (self->n_attempts, 16);
  double delay = MIN ((double)BACKOFF_INITIAL_MS * (1u << exponent), BACKOFF_MAX_MS);

  delay *= g_random_double_range (1.0 - BACKOFF_JITTER, 1.0 + BACKOFF_JITTER);
  self->n_attempts++;

  g_debug ("reconnecting in %.0f ms (attempt %u)", delay, self->n_attempts);
  clear_source (&self->reconnect_timer);
  self->reconnect_timer = add_timeout (self, (guint)delay, on_reconnect_timer);
  set_state (self, PC_SIGNALING_STATE_RECONNECTING);
}

/* Errors that no retry can cure. */
static gboolean
is_fatal (PcSignalingClient *self, const GError *error)
{
  if (g_error_matches (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_USER_TAKEN))
    return !self->reconnecting || self->n_attempts >= USER_TAKEN_RETRIES;
  if (error->domain == PC_PROTOCOL_ERROR)
    return TRUE;
  return g_error_matches (error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_INVALID_URL)
         || g_error_matches (error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_TLS);
}

/* An attempt (connect, hello, or the wait for welcome) failed. */
static void
attempt_failed (PcSignalingClient *self, GError *error)
{
  g_autoptr (PcSignalingClient) hold = g_object_ref (self);

  g_debug ("attempt failed: %s", error->message);
  drop_connection (self, SOUP_WEBSOCKET_CLOSE_NORMAL);

  if (self->reconnecting && self->auto_reconnect && !is_fatal (self, error))
    {
      schedule_reconnect (self);
      complete_connect_task (self, NULL, error);
      return;
    }

  set_state (self, PC_SIGNALING_STATE_DISCONNECTED);
  complete_connect_task (self, NULL, error);
  if (self->reconnecting)
    {
      /* giving up: the app hears about it once */
      self->reconnecting = FALSE;
      g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, error);
    }
}

/* The registered connection ended. */
static void
connection_lost (PcSignalingClient *self, GError *error)
{
  g_autoptr (PcSignalingClient) hold = g_object_ref (self);

  g_debug ("connection lost: %s", error->message);
  drop_connection (self, SOUP_WEBSOCKET_CLOSE_NORMAL);

  if (self->auto_reconnect && !is_fatal (self, error))
    {
      self->reconnecting = TRUE;
      self->n_attempts = 0;
      schedule_reconnect (self);
    }
  else
    set_state (self, PC_SIGNALING_STATE_DISCONNECTED);

  g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, error);
}

/* WebSocket callbacks */

static void
handle_welcome (PcSignalingClient *self, PcMessage *welcome)
{
  if (self->state == PC_SIGNALING_STATE_REGISTERED)
    {
      g_warning ("Ignoring a second welcome from the server");
      return;
    }

  clear_source (&self->handshake_timeout);
  g_clear_pointer (&self->welcome, pc_message_unref);
  self->welcome = pc_message_ref (welcome);
  self->reconnecting = FALSE;
  self->n_attempts = 0;

  set_state (self, PC_SIGNALING_STATE_REGISTERED);
  g_signal_emit (self, signals[SIGNAL_REGISTERED], 0, welcome);
  complete_connect_task (self, welcome, NULL);
}

static void
handle_message (PcSignalingClient *self, PcMessage *message)
{
  gboolean registered = self->state == PC_SIGNALING_STATE_REGISTERED;

  switch (message->type)
    {
    case PC_MESSAGE_WELCOME:
      handle_welcome (self, message);
      break;

    case PC_MESSAGE_ERROR:
      {
        g_autoptr (GError) error = error_from_message (message);

        if (!registered)
          {
            /* the server refused our hello; it closes the socket right after */
            attempt_failed (self, error);
            break;
          }
        g_signal_emit (self, signals[SIGNAL_SERVER_ERROR], 0, error, message->ref, message->call);
      }
      break;

    case PC_MESSAGE_PRESENCE:
      if (registered)
        g_signal_emit (self, signals[SIGNAL_PRESENCE], 0, message->user, message->name,
                       message->status);
      break;

    case PC_MESSAGE_INVITE:
    case PC_MESSAGE_RINGING:
    case PC_MESSAGE_ACCEPT:
    case PC_MESSAGE_DECLINE:
    case PC_MESSAGE_HANGUP:
    case PC_MESSAGE_SDP:
    case PC_MESSAGE_ICE:
      if (registered)
        g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, message);
      else
        g_debug ("ignoring %s before welcome", pc_message_type_to_string (message->type));
      break;

    case PC_MESSAGE_HELLO:
    case PC_MESSAGE_UNKNOWN:
    default:
      g_assert_not_reached ();
    }
}

static void
on_ws_message (SoupWebsocketConnection *ws,
               SoupWebsocketDataType type,
               GBytes *data,
               PcSignalingClient *self)
{
  g_autoptr (PcSignalingClient) hold = g_object_ref (self);
  g_autoptr (GError) error = NULL;
  g_autoptr (PcMessage) message = NULL;
  g_autofree char *ref = NULL;
  gsize length;
  const char *text;

  self->last_rx_us = g_get_monotonic_time ();
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      g_warning ("Ignoring a binary frame from the signaling server");
      return;
    }

  text = g_bytes_get_data (data, &length);
  message = pc_message_parse (text, length, PC_MESSAGE_FROM_SERVER, &ref, &error);
  if (message == NULL)
    {
      /* A newer server may send types we do not know; anything else is a server bug. Either
       * way the connection itself is fine. */
      g_warning ("Ignoring a message from the signaling server (%s): %s", ref ? ref : "?",
                 error->message);
      return;
    }

  handle_message (self, message);
}

static void
on_ws_closed (SoupWebsocketConnection *ws, PcSignalingClient *self)
{
  g_autoptr (PcSignalingClient) hold = g_object_ref (self);
  g_autoptr (GError) error = NULL;
  gushort code = soup_websocket_connection_get_close_code (ws);

  if (is_fatal_close_code (code))
    error = error_from_close_code (code, soup_websocket_connection_get_close_data (ws));
  else if (self->state != PC_SIGNALING_STATE_REGISTERED)
    error = g_error_new (PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_HANDSHAKE,
                         "The server closed the connection before accepting the sign-in "
                         "(code %u)",
                         code);
  else
    error = error_from_close_code (code, soup_websocket_connection_get_close_data (ws));

  if (self->state == PC_SIGNALING_STATE_REGISTERED)
    connection_lost (self, error);
  else
    attempt_failed (self, error);
}

static void
on_ws_pong (SoupWebsocketConnection *ws, GBytes *message, PcSignalingClient *self)
{
  self->last_rx_us = g_get_monotonic_time ();
}

static gboolean
on_liveness_timer (gpointer user_data)
{
  PcSignalingClient *self = user_data;
  g_autoptr (GError) error = NULL;
  gint64 silent_us = g_get_monotonic_time () - self->last_rx_us;

  if (silent_us <= (gint64)self->keepalive_interval * LIVENESS_INTERVALS * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&self->liveness_timer, g_source_unref);
  error = g_error_new (PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_CONNECTION_LOST,
                       "The server stopped answering (nothing received for %" G_GINT64_FORMAT " s)",
                       silent_us / G_USEC_PER_SEC);
  if (self->state == PC_SIGNALING_STATE_REGISTERED)
    connection_lost (self, error);
  else
    attempt_failed (self, error);
  return G_SOURCE_REMOVE;
}

static void
on_ws_error (SoupWebsocketConnection *ws, GError *error, PcSignalingClient *self)
{
  /* "closed" follows and decides what to do */
  g_debug ("WebSocket error: %s", error->message);
}

static gboolean
on_handshake_timeout (gpointer user_data)
{
  PcSignalingClient *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *where = g_uri_to_string_partial (self->uri, G_URI_HIDE_PASSWORD);

  g_clear_pointer (&self->handshake_timeout, g_source_unref);
  error = g_error_new (PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_HANDSHAKE,
                       "%s did not answer within %d seconds", where, HANDSHAKE_TIMEOUT_S);
  attempt_failed (self, error);
  return G_SOURCE_REMOVE;
}

static gboolean
send_message (PcSignalingClient *self, const PcMessage *message, GError **error)
{
  g_autofree char *text = NULL;
  gsize length;

  if (!pc_message_validate (message, PC_MESSAGE_FROM_CLIENT, error))
    return FALSE;

  text = pc_message_serialize (message);
  length = strlen (text);
  if (length > PC_PROTOCOL_MAX_MESSAGE_SIZE)
    {
      g_set_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE,
                   "%s message is too large (%" G_GSIZE_FORMAT " bytes, at most %d)",
                   pc_message_type_to_string (message->type), length, PC_PROTOCOL_MAX_MESSAGE_SIZE);
      return FALSE;
    }
  if (!g_utf8_validate_len (text, length, NULL))
    {
      g_set_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE,
                   "%s message is not valid UTF-8", pc_message_type_to_string (message->type));
      return FALSE;
    }

  soup_websocket_connection_send_text (self->ws, text);
  return TRUE;
}

/* GWeakRef holder: a connect callback may run after the client is gone. */
static GWeakRef *
weak_ref_new (gpointer object)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, object);
  return ref;
}

static void
weak_ref_free (GWeakRef *ref)
{
  g_weak_ref_clear (ref);
  g_free (ref);
}

static void
on_ws_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr (PcSignalingClient) self = g_weak_ref_get (weak);
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupWebsocketConnection) ws = NULL;
  g_autoptr (PcMessage) hello = NULL;

  weak_ref_free (weak);
  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->attempt_cancellable);
  if (ws == NULL)
    {
      g_autoptr (GError) mapped = error_from_connect (error, self->uri);

      attempt_failed (self, mapped);
      return;
    }

  self->ws = g_steal_pointer (&ws);
  soup_websocket_connection_set_max_incoming_payload_size (self->ws, PC_PROTOCOL_MAX_MESSAGE_SIZE);
  soup_websocket_connection_set_keepalive_interval (self->ws, self->keepalive_interval);
  self->last_rx_us = g_get_monotonic_time ();
  if (self->keepalive_interval > 0)
    self->liveness_timer = add_timeout (self, self->keepalive_interval * 1000, on_liveness_timer);
  g_signal_connect (self->ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (self->ws, "pong", G_CALLBACK (on_ws_pong), self);
  g_signal_connect (self->ws, "closed", G_CALLBACK (on_ws_closed), self);
  g_signal_connect (self->ws, "error", G_CALLBACK (on_ws_error), self);

  hello = pc_message_new (PC_MESSAGE_HELLO);
  hello->user = g_strdup (self->user);
  hello->name = g_strdup (self->name);
  hello->token = g_strdup (self->token);
  if (!send_message (self, hello, &error))
    attempt_failed (self, error); /* checked in connect_async already; defensive */
}

static void
start_attempt (PcSignalingClient *self)
{
  g_autoptr (SoupMessage) msg = NULL;

  g_assert (self->ws == NULL);
  g_assert (self->attempt_cancellable == NULL);

  set_state (self, PC_SIGNALING_STATE_CONNECTING);

  self->attempt_cancellable = g_cancellable_new ();
  clear_source (&self->handshake_timeout);
  self->handshake_timeout = add_timeout (self, HANDSHAKE_TIMEOUT_S * 1000, on_handshake_timeout);

  msg = soup_message_new_from_uri (SOUP_METHOD_GET, self->uri);
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->attempt_cancellable, on_ws_connected,
                                        weak_ref_new (self));
}

static SoupSession *
create_session (void)
{
  g_autofree char *user_agent = g_strdup_printf ("Peercall/%s", PACKAGE_VERSION);
  SoupSession *session = soup_session_new_with_options ("user-agent", user_agent, NULL);
  const char *ca_file = g_getenv (TLS_CA_FILE_ENV);

  if (ca_file != NULL && ca_file[0] != '\0')
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GTlsDatabase) database = g_tls_file_database_new (ca_file, &error);

      if (database != NULL)
        soup_session_set_tls_database (session, database);
      else
        g_warning ("Cannot use %s=%s: %s", TLS_CA_FILE_ENV, ca_file, error->message);
    }
  return session;
}

static gboolean
on_user_cancelled (GCancellable *cancellable, gpointer user_data)
{
  PcSignalingClient *self = user_data;

  g_clear_pointer (&self->user_cancel_source, g_source_unref);
  /* from the pending connect_async(): give up this connection */
  pc_signaling_client_disconnect (self);
  return G_SOURCE_REMOVE;
}

/* GObject */

static void
pc_signaling_client_dispose (GObject *object)
{
  PcSignalingClient *self = PC_SIGNALING_CLIENT (object);

  clear_source (&self->reconnect_timer);
  clear_source (&self->user_cancel_source);
  drop_connection (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  if (self->closing_ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->closing_ws, self);
      g_clear_object (&self->closing_ws);
    }
  g_clear_object (&self->session);
  g_clear_pointer (&self->welcome, pc_message_unref);

  G_OBJECT_CLASS (pc_signaling_client_parent_class)->dispose (object);
}

static void
pc_signaling_client_finalize (GObject *object)
{
  PcSignalingClient *self = PC_SIGNALING_CLIENT (object);

  g_assert (self->connect_task == NULL);
  g_free (self->url);
  g_free (self->user);
  g_free (self->name);
  g_free (self->token);
  g_clear_pointer (&self->uri, g_uri_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (pc_signaling_client_parent_class)->finalize (object);
}

static void
pc_signaling_client_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PcSignalingClient *self = PC_SIGNALING_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_USER:
      g_value_set_string (value, self->user);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_TOKEN:
      g_value_set_string (value, self->token);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_AUTO_RECONNECT:
      g_value_set_boolean (value, self->auto_reconnect);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      g_value_set_uint (value, self->keepalive_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_signaling_client_set_property (GObject *object,
                                  guint prop_id,
                                  const GValue *value,
                                  GParamSpec *pspec)
{
  PcSignalingClient *self = PC_SIGNALING_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      self->url = g_value_dup_string (value);
      break;
    case PROP_USER:
      self->user = g_value_dup_string (value);
      break;
    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;
    case PROP_TOKEN:
      self->token = g_value_dup_string (value);
      break;
    case PROP_AUTO_RECONNECT:
      if (self->auto_reconnect != g_value_get_boolean (value))
        {
          self->auto_reconnect = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_KEEPALIVE_INTERVAL:
      /* applies from the next connection */
      if (self->keepalive_interval != g_value_get_uint (value))
        {
          self->keepalive_interval = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_signaling_client_class_init (PcSignalingClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pc_signaling_client_dispose;
  object_class->finalize = pc_signaling_client_finalize;
  object_class->get_property = pc_signaling_client_get_property;
  object_class->set_property = pc_signaling_client_set_property;

  properties[PROP_URL] = g_param_spec_string (
      "url", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER]
      = g_param_spec_string ("user", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME]
      = g_param_spec_string ("name", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKEN]
      = g_param_spec_string ("token", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] = g_param_spec_enum (
      "state", NULL, NULL, PC_TYPE_SIGNALING_STATE, PC_SIGNALING_STATE_DISCONNECTED,
      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUTO_RECONNECT] = g_param_spec_boolean (
      "auto-reconnect", NULL, NULL, TRUE,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KEEPALIVE_INTERVAL] = g_param_spec_uint (
      "keepalive-interval", NULL, NULL, 0, 3600, KEEPALIVE_INTERVAL_S,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_REGISTERED]
      = g_signal_new ("registered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, PC_TYPE_MESSAGE);
  signals[SIGNAL_PRESENCE]
      = g_signal_new ("presence", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT);
  signals[SIGNAL_MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, PC_TYPE_MESSAGE);
  signals[SIGNAL_SERVER_ERROR]
      = g_signal_new ("server-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 3, G_TYPE_ERROR, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_DISCONNECTED]
      = g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
pc_signaling_client_init (PcSignalingClient *self)
{
  self->state = PC_SIGNALING_STATE_DISCONNECTED;
  self->auto_reconnect = TRUE;
  self->keepalive_interval = KEEPALIVE_INTERVAL_S;
  self->context = g_main_context_ref_thread_default ();
}

/* Public API */

PcSignalingClient *
pc_signaling_client_new (const char *url, const char *user, const char *name, const char *token)
{
  return g_object_new (PC_TYPE_SIGNALING_CLIENT, "url", url, "user", user, "name", name, "token",
                       token, NULL);
}

void
pc_signaling_client_connect_async (PcSignalingClient *self,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (PcMessage) hello = NULL;

  g_return_if_fail (PC_IS_SIGNALING_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pc_signaling_client_connect_async);

  if (self->connect_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "Already connecting to the signaling server");
      return;
    }
  if (self->state == PC_SIGNALING_STATE_REGISTERED)
    {
      g_task_return_pointer (task, pc_message_ref (self->welcome),
                             (GDestroyNotify)pc_message_unref);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  /* Everything that can be checked without I/O, so that mistakes fail at once. */
  if (self->uri == NULL)
    {
      self->uri = parse_url (self->url, &error);
      if (self->uri == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  hello = pc_message_new (PC_MESSAGE_HELLO);
  hello->user = g_strdup (self->user);
  hello->name = g_strdup (self->name);
  hello->token = g_strdup (self->token);
  if (!pc_message_validate (hello, PC_MESSAGE_FROM_CLIENT, &error))
    {
      if (!pc_protocol_is_valid_user (self->user))
        g_task_return_new_error (task, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE,
                                 "“%s” is not a valid user name: use 1 to 64 lower-case letters, "
                                 "digits, “.”, “_” or “-”, starting with a letter or digit",
                                 self->user ? self->user : "");
      else if (!pc_protocol_is_valid_name (self->name))
        g_task_return_new_error (task, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE,
                                 "The display name must be 1 to 128 characters on one line");
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (self->session == NULL)
    self->session = create_session ();

  self->connect_task = g_steal_pointer (&task);
  if (cancellable != NULL)
    {
      self->user_cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->user_cancel_source, G_SOURCE_FUNC (on_user_cancelled), self,
                             NULL);
      g_source_attach (self->user_cancel_source, self->context);
    }

  /* While reconnecting, try now instead of waiting for the timer. */
  if (self->state == PC_SIGNALING_STATE_RECONNECTING)
    clear_source (&self->reconnect_timer);
  if (self->ws == NULL && self->attempt_cancellable == NULL)
    start_attempt (self);
}

PcMessage *
pc_signaling_client_connect_finish (PcSignalingClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (PC_IS_SIGNALING_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
pc_signaling_client_disconnect (PcSignalingClient *self)
{
  g_autoptr (PcSignalingClient) hold = NULL;
  gboolean had_task;
  gboolean was_active;

  g_return_if_fail (PC_IS_SIGNALING_CLIENT (self));

  hold = g_object_ref (self);
  had_task = self->connect_task != NULL;
  was_active = self->state == PC_SIGNALING_STATE_REGISTERED || self->reconnecting;

  clear_source (&self->reconnect_timer);
  drop_connection (self, SOUP_WEBSOCKET_CLOSE_NORMAL);
  self->reconnecting = FALSE;
  self->n_attempts = 0;
  set_state (self, PC_SIGNALING_STATE_DISCONNECTED);

  if (had_task)
    {
      g_autoptr (GError) error
          = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Connection cancelled");

      complete_connect_task (self, NULL, error);
    }
  if (was_active)
    g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, NULL);
}

PcSignalingState
pc_signaling_client_get_state (PcSignalingClient *self)
{
  g_return_val_if_fail (PC_IS_SIGNALING_CLIENT (self), PC_SIGNALING_STATE_DISCONNECTED);
  return self->state;
}

const char *
pc_signaling_client_get_user (PcSignalingClient *self)
{
  g_return_val_if_fail (PC_IS_SIGNALING_CLIENT (self), NULL);
  return self->user;
}

PcMessage *
pc_signaling_client_get_welcome (PcSignalingClient *self)
{
  g_return_val_if_fail (PC_IS_SIGNALING_CLIENT (self), NULL);
  return self->welcome;
}

gboolean
pc_signaling_client_send (PcSignalingClient *self, PcMessage *message, GError **error)
{
  g_return_val_if_fail (PC_IS_SIGNALING_CLIENT (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  if (message->type == PC_MESSAGE_HELLO)
    {
      g_set_error_literal (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_ALREADY_REGISTERED,
                           "hello is sent by the client itself");
      return FALSE;
    }
  if (self->state != PC_SIGNALING_STATE_REGISTERED || self->ws == NULL
      || soup_websocket_connection_get_state (self->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    {
      g_set_error (error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_NOT_CONNECTED,
                   "Not connected to the signaling server (cannot send %s)",
                   pc_message_type_to_string (message->type));
      return FALSE;
    }
  return send_message (self, message, error);
}

static PcMessage *
new_call_message (PcMessageType type, const char *to, const char *call)
{
  PcMessage *message = pc_message_new (type);

  message->to = g_strdup (to);
  message->call = g_strdup (call);
  return message;
}

gboolean
pc_signaling_client_send_invite (
    PcSignalingClient *self, const char *to, const char *call, gboolean video, GError **error)
{
  g_autoptr (PcMessage) message = new_call_message (PC_MESSAGE_INVITE, to, call);

  message->video = !!video;
  return pc_signaling_client_send (self, message, error);
}

gboolean
pc_signaling_client_send_ringing (PcSignalingClient *self,
                                  const char *to,
                                  const char *call,
                                  GError **error)
{
  g_autoptr (PcMessage) message = new_call_message (PC_MESSAGE_RINGING, to, call);

  return pc_signaling_client_send (self, message, error);
}

gboolean
pc_signaling_client_send_accept (PcSignalingClient *self,
                                 const char *to,
                                 const char *call,
                                 GError **error)
{
  g_autoptr (PcMessage) message = new_call_message (PC_MESSAGE_ACCEPT, to, call);

  return pc_signaling_client_send (self, message, error);
}

gboolean
pc_signaling_client_send_decline (
    PcSignalingClient *self, const char *to, const char *call, const char *reason, GError **error)
{
  g_autoptr (PcMessage) message = new_call_message (PC_MESSAGE_DECLINE, to, call);

  message->reason = g_strdup (reason);
  return pc_signaling_client_send (self, message, error);
}

gboolean
pc_signaling_client_send_hangup (
    PcSignalingClient *self, const char *to, const char *call, const char *reason, GError **error)
{
  g_autoptr (PcMessage) message = new_call_message (PC_MESSAGE_HANGUP, to, call);

  message->reason = g_strdup (reason);
  return pc_signaling_client_send (self, message, error);
}

gboolean
pc_signaling_client_send_sdp (PcSignalingClient *self,
                              const char *to,
                              const char *call,
                              const char *sdp_type,
                              const char *sdp,
                              GError **error)
{
  g_autoptr (PcMessage) message = new_call_message (PC_MESSAGE_SDP, to, call);

  message->sdp_type = g_strdup (sdp_type);
  message->sdp = g_strdup (sdp);
  return pc_signaling_client_send (self, message, error);
}

gboolean
pc_signaling_client_send_ice (PcSignalingClient *self,
                              const char *to,
                              const char *call,
                              const char *candidate,
                              const char *sdp_mid,
                              gint sdp_mline_index,
                              GError **error)
{
  g_autoptr (PcMessage) message = new_call_message (PC_MESSAGE_ICE, to, call);

  /* An empty candidate is end-of-candidates too, as in WebRTC. */
  if (candidate != NULL && candidate[0] != '\0')
    {
      message->candidate = g_strdup (candidate);
      message->sdp_mid = g_strdup (sdp_mid);
      message->sdp_mline_index = sdp_mline_index < 0 ? -1 : sdp_mline_index;
    }
  return pc_signaling_client_send (self, message, error);
}
