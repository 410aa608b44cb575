/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PcSignalingClient against things that need no peercall-signal: bad URLs, a closed port, and a
 * scripted libsoup WebSocket server that misbehaves on purpose (fatal close codes, oversize
 * frames, drops) so the client's error paths and reconnect logic can be checked exactly.
 * The client against the real server is tested in tests/signaling. */
#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "pc-signaling-client.h"

#define WAIT_TIMEOUT_S 10

/* Main loop helpers */

static gboolean
on_wait_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the default context until *flag is set (or the bounded timeout fails the test). */
#define WAIT_FOR(cond)                                                                             \
  G_STMT_START                                                                                     \
  {                                                                                                \
    gboolean timed_out_ = FALSE;                                                                   \
    guint id_ = g_timeout_add_seconds (WAIT_TIMEOUT_S, on_wait_timeout, &timed_out_);              \
    while (!(cond) && !timed_out_)                                                                 \
      g_main_context_iteration (NULL, TRUE);                                                       \
    if (!timed_out_)                                                                               \
      g_source_remove (id_);                                                                       \
    if (timed_out_)                                                                                \
      g_error ("timed out waiting for %s", #cond);                                                 \
  }                                                                                                \
  G_STMT_END

/* Runs the loop for a fixed time: only to check that something does NOT happen. */
static void
run_for_ms (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_wait_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Recording client observer */

typedef struct
{
  GArray *states; /* PcSignalingState after each notify::state */
  guint n_registered;
  guint n_disconnected;
  GError *disconnect_error;
  gboolean disconnect_error_null;
  guint n_presence;
  char *presence_user;
  PcPresence presence_status;
  GPtrArray *messages;
  guint n_server_errors;
  GError *server_error;
  char *server_error_ref;
  char *server_error_call;

  gboolean connect_done;
  PcMessage *welcome;
  GError *connect_error;
} Observer;

static void
on_notify_state (PcSignalingClient *client, GParamSpec *pspec, Observer *o)
{
  PcSignalingState state = pc_signaling_client_get_state (client);

  g_array_append_val (o->states, state);
}

static void
on_registered (PcSignalingClient *client, PcMessage *welcome, Observer *o)
{
  g_assert_cmpint (welcome->type, ==, PC_MESSAGE_WELCOME);
  o->n_registered++;
}

static void
on_disconnected (PcSignalingClient *client, GError *error, Observer *o)
{
  o->n_disconnected++;
  g_clear_error (&o->disconnect_error);
  o->disconnect_error_null = error == NULL;
  if (error != NULL)
    o->disconnect_error = g_error_copy (error);
}

static void
on_presence (
    PcSignalingClient *client, const char *user, const char *name, PcPresence status, Observer *o)
{
  o->n_presence++;
  g_free (o->presence_user);
  o->presence_user = g_strdup (user);
  o->presence_status = status;
}

static void
on_message (PcSignalingClient *client, PcMessage *message, Observer *o)
{
  g_ptr_array_add (o->messages, pc_message_ref (message));
}

static void
on_server_error (
    PcSignalingClient *client, GError *error, const char *ref, const char *call, Observer *o)
{
  o->n_server_errors++;
  g_clear_error (&o->server_error);
  o->server_error = g_error_copy (error);
  g_free (o->server_error_ref);
  o->server_error_ref = g_strdup (ref);
  g_free (o->server_error_call);
  o->server_error_call = g_strdup (call);
}

static void
observer_init (Observer *o, PcSignalingClient *client)
{
  memset (o, 0, sizeof *o);
  o->states = g_array_new (FALSE, FALSE, sizeof (PcSignalingState));
  o->messages = g_ptr_array_new_with_free_func ((GDestroyNotify)pc_message_unref);
  g_signal_connect (client, "notify::state", G_CALLBACK (on_notify_state), o);
  g_signal_connect (client, "registered", G_CALLBACK (on_registered), o);
  g_signal_connect (client, "disconnected", G_CALLBACK (on_disconnected), o);
  g_signal_connect (client, "presence", G_CALLBACK (on_presence), o);
  g_signal_connect (client, "message", G_CALLBACK (on_message), o);
  g_signal_connect (client, "server-error", G_CALLBACK (on_server_error), o);
}

static void
observer_clear (Observer *o)
{
  g_array_unref (o->states);
  g_ptr_array_unref (o->messages);
  g_clear_error (&o->disconnect_error);
  g_clear_error (&o->server_error);
  g_clear_error (&o->connect_error);
  g_clear_pointer (&o->welcome, pc_message_unref);
  g_free (o->presence_user);
  g_free (o->server_error_ref);
  g_free (o->server_error_call);
}

static void
assert_no_repeated_states (Observer *o)
{
  for (guint i = 1; i < o->states->len; i++)
    g_assert_cmpint (g_array_index (o->states, PcSignalingState, i), !=,
                     g_array_index (o->states, PcSignalingState, i - 1));
}

static guint
count_state (Observer *o, PcSignalingState state)
{
  guint n = 0;

  for (guint i = 0; i < o->states->len; i++)
    if (g_array_index (o->states, PcSignalingState, i) == state)
      n++;
  return n;
}

static void
on_connect_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Observer *o = user_data;

  g_clear_pointer (&o->welcome, pc_message_unref);
  g_clear_error (&o->connect_error);
  o->welcome = pc_signaling_client_connect_finish (PC_SIGNALING_CLIENT (source), result,
                                                   &o->connect_error);
  o->connect_done = TRUE;
}

static void
connect_and_wait (PcSignalingClient *client, Observer *o)
{
  o->connect_done = FALSE;
  pc_signaling_client_connect_async (client, NULL, on_connect_done, o);
  WAIT_FOR (o->connect_done);
}

/* URL and argument checks: no I/O at all */

static void
test_invalid_url (void)
{
  static const char *const urls[] = {
    "",          "example.org",        "ftp://example.org/ws", "ws://",
    "ws:///ws",  "ws://host:99999/ws", "ws://[::1/ws",         "file:///tmp/x",
    "wss//host",
  };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autoptr (PcSignalingClient) client
          = pc_signaling_client_new (urls[i], "alice", "Alice", NULL);
      Observer o;

      g_test_message ("url: %s", urls[i]);
      observer_init (&o, client);
      connect_and_wait (client, &o);
      g_assert_error (o.connect_error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_INVALID_URL);
      g_assert_null (o.welcome);
      /* refused before any I/O: the state never moved */
      g_assert_cmpuint (o.states->len, ==, 0);
      g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_DISCONNECTED);
      g_assert_cmpuint (o.n_disconnected, ==, 0);
      observer_clear (&o);
    }

  /* NULL url too */
  {
    g_autoptr (PcSignalingClient) client = pc_signaling_client_new (NULL, "alice", "Alice", NULL);
    Observer o;

    observer_init (&o, client);
    connect_and_wait (client, &o);
    g_assert_error (o.connect_error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_INVALID_URL);
    observer_clear (&o);
  }
}

static void
test_invalid_identity (void)
{
  static const char *const cases[][2] = {
    { "Alice", "Alice" },      { "", "Alice" }, { "alice", "" },
    { "alice", "two\nlines" }, { NULL, "A" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (PcSignalingClient) client
          = pc_signaling_client_new ("ws://127.0.0.1:1/ws", cases[i][0], cases[i][1], NULL);
      Observer o;

      observer_init (&o, client);
      connect_and_wait (client, &o);
      g_assert_error (o.connect_error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE);
      g_assert_cmpuint (o.states->len, ==, 0);
      observer_clear (&o);
    }
}

static guint16
closed_port (void)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;
  guint16 port;

  /* bind without listen: the port is ours and nobody accepts on it */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);
  return port;
}

static void
test_connection_refused (void)
{
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/ws", closed_port ());
  g_autoptr (PcSignalingClient) client = pc_signaling_client_new (url, "alice", "Alice", NULL);
  g_autoptr (GError) error = NULL;
  Observer o;

  observer_init (&o, client);
  connect_and_wait (client, &o);
  g_assert_error (o.connect_error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_CONNECTION_REFUSED);
  g_assert_nonnull (strstr (o.connect_error->message, "127.0.0.1"));
  g_assert_cmpstr (g_quark_to_string (PC_SIGNALING_ERROR), ==, "pc-signaling-error-quark");
  g_assert_cmpuint (o.states->len, ==, 2);
  g_assert_cmpint (g_array_index (o.states, PcSignalingState, 0), ==,
                   PC_SIGNALING_STATE_CONNECTING);
  g_assert_cmpint (g_array_index (o.states, PcSignalingState, 1), ==,
                   PC_SIGNALING_STATE_DISCONNECTED);
  /* a failed connect is reported by its callback only, and is not retried */
  g_assert_cmpuint (o.n_disconnected, ==, 0);
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_DISCONNECTED);

  g_assert_false (pc_signaling_client_send_ringing (client, "bob", "c1", &error));
  g_assert_error (error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_NOT_CONNECTED);
  observer_clear (&o);
}

static void
test_cancel_connect (void)
{
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/ws", closed_port ());
  g_autoptr (PcSignalingClient) client = pc_signaling_client_new (url, "alice", "Alice", NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Observer o;

  observer_init (&o, client);
  g_cancellable_cancel (cancellable);
  pc_signaling_client_connect_async (client, cancellable, on_connect_done, &o);
  WAIT_FOR (o.connect_done);
  g_assert_error (o.connect_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_DISCONNECTED);
  observer_clear (&o);
}

/* Scripted server */

typedef enum
{
  SCRIPT_WELCOME,          /* answer hello with welcome */
  SCRIPT_AUTH_FAILED,      /* error auth-failed + close 4001, like peercall-signal */
  SCRIPT_USER_TAKEN_CLOSE, /* close 4002 without an error message */
  SCRIPT_BAD_VERSION,      /* error unsupported-version + close 4003 */
  SCRIPT_CLOSE_1011,       /* close 1011 before welcome */
} Script;

typedef struct
{
  SoupServer *server;
  char *url;
  Script script;
  guint n_connections;
  GPtrArray *connections;  /* open SoupWebsocketConnection */
  GPtrArray *received;     /* PcMessage from clients */
  gushort last_close_code; /* as seen by the server */
  guint n_closed;
} FakeServer;

static void
send_json (SoupWebsocketConnection *ws, const char *json)
{
  soup_websocket_connection_send_text (ws, json);
}

static void
on_server_ws_message (SoupWebsocketConnection *ws,
                      SoupWebsocketDataType type,
                      GBytes *data,
                      FakeServer *fs)
{
  g_autoptr (GError) error = NULL;
  gsize length;
  const char *text = g_bytes_get_data (data, &length);
  PcMessage *message = pc_message_parse (text, length, PC_MESSAGE_FROM_CLIENT, NULL, &error);

  g_assert_no_error (error);
  g_ptr_array_add (fs->received, message);

  if (message->type != PC_MESSAGE_HELLO)
    return;

  g_assert_cmpstr (message->user, ==, "alice");
  switch (fs->script)
    {
    case SCRIPT_WELCOME:
      send_json (ws, "{\"type\":\"welcome\",\"version\":1,\"user\":\"alice\",\"ice_servers\":"
                     "[{\"urls\":[\"stun:127.0.0.1:3478\"]}],\"peers\":[{\"user\":\"bob\","
                     "\"name\":\"Bob\",\"status\":\"available\"}]}");
      break;
    case SCRIPT_AUTH_FAILED:
      send_json (ws, "{\"type\":\"error\",\"code\":\"auth-failed\",\"message\":\"bad token\","
                     "\"ref\":\"hello\"}");
      soup_websocket_connection_close (ws, PC_CLOSE_AUTH_FAILED, "auth-failed");
      break;
    case SCRIPT_USER_TAKEN_CLOSE:
      soup_websocket_connection_close (ws, PC_CLOSE_USER_TAKEN, NULL);
      break;
    case SCRIPT_BAD_VERSION:
      send_json (ws, "{\"type\":\"error\",\"code\":\"unsupported-version\",\"message\":\"v\"}");
      soup_websocket_connection_close (ws, PC_CLOSE_UNSUPPORTED_VERSION, NULL);
      break;
    case SCRIPT_CLOSE_1011:
      soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, NULL);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
on_server_ws_closed (SoupWebsocketConnection *ws, FakeServer *fs)
{
  fs->last_close_code = soup_websocket_connection_get_close_code (ws);
  fs->n_closed++;
  g_ptr_array_remove (fs->connections, ws);
}

static void
on_server_ws (SoupServer *server,
              SoupServerMessage *msg,
              const char *path,
              SoupWebsocketConnection *ws,
              gpointer user_data)
{
  FakeServer *fs = user_data;

  fs->n_connections++;
  g_ptr_array_add (fs->connections, g_object_ref (ws));
  g_signal_connect (ws, "message", G_CALLBACK (on_server_ws_message), fs);
  g_signal_connect (ws, "closed", G_CALLBACK (on_server_ws_closed), fs);
}

static FakeServer *
fake_server_new_full (Script script, GTlsCertificate *certificate)
{
  FakeServer *fs = g_new0 (FakeServer, 1);
  g_autoptr (GError) error = NULL;
  SoupServerListenOptions options = SOUP_SERVER_LISTEN_IPV4_ONLY;
  GSList *uris;

  fs->script = script;
  fs->connections = g_ptr_array_new_with_free_func (g_object_unref);
  fs->received = g_ptr_array_new_with_free_func ((GDestroyNotify)pc_message_unref);
  fs->server = soup_server_new ("tls-certificate", certificate, NULL);
  if (certificate != NULL)
    options |= SOUP_SERVER_LISTEN_HTTPS;
  soup_server_add_websocket_handler (fs->server, "/ws", NULL, NULL, on_server_ws, fs, NULL);
  g_assert_true (soup_server_listen_local (fs->server, 0, options, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (fs->server);
  fs->url = g_strdup_printf ("%s://127.0.0.1:%d/ws", certificate != NULL ? "wss" : "ws",
                             g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  return fs;
}

static FakeServer *
fake_server_new (Script script)
{
  return fake_server_new_full (script, NULL);
}

static void
fake_server_free (FakeServer *fs)
{
  for (guint i = 0; i < fs->connections->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (fs->connections, i), fs);
  g_ptr_array_unref (fs->connections);
  g_ptr_array_unref (fs->received);
  soup_server_disconnect (fs->server);
  g_object_unref (fs->server);
  g_free (fs->url);
  g_free (fs);
}

static SoupWebsocketConnection *
fake_server_connection (FakeServer *fs)
{
  g_assert_cmpuint (fs->connections->len, ==, 1);
  return g_ptr_array_index (fs->connections, 0);
}

static void
test_register_and_messages (void)
{
  FakeServer *fs = fake_server_new (SCRIPT_WELCOME);
  PcSignalingClient *client = pc_signaling_client_new (fs->url, "alice", "Alice", "tok");
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws;
  PcMessage *m;
  Observer o;

  observer_init (&o, client);
  connect_and_wait (client, &o);
  g_assert_no_error (o.connect_error);
  g_assert_nonnull (o.welcome);
  g_assert_cmpuint (o.welcome->peers->len, ==, 1);
  g_assert_true (pc_signaling_client_get_welcome (client) == o.welcome);
  g_assert_cmpuint (o.n_registered, ==, 1);
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_REGISTERED);
  g_assert_cmpuint (o.states->len, ==, 2); /* CONNECTING, REGISTERED */

  /* the hello the server saw */
  m = g_ptr_array_index (fs->received, 0);
  g_assert_cmpint (m->type, ==, PC_MESSAGE_HELLO);
  g_assert_cmpstr (m->name, ==, "Alice");
  g_assert_cmpstr (m->token, ==, "tok");

  /* connecting again while registered just returns the welcome */
  connect_and_wait (client, &o);
  g_assert_no_error (o.connect_error);
  g_assert_true (o.welcome == pc_signaling_client_get_welcome (client));

  /* server -> client: presence, relayed call messages, errors; junk is ignored */
  ws = fake_server_connection (fs);
  g_test_expect_message ("peercall-signaling", G_LOG_LEVEL_WARNING, "*Ignoring a message*");
  send_json (ws, "{\"type\":\"invite\",\"to\":\"alice\",\"call\":\"c1\",\"video\":true}");
  send_json (ws, "{\"type\":\"presence\",\"user\":\"bob\",\"name\":\"Bob\",\"status\":\"busy\"}");
  send_json (ws, "{\"type\":\"invite\",\"from\":\"bob\",\"call\":\"c1\",\"video\":true,"
                 "\"name\":\"Bob\",\"future\":1}");
  send_json (ws, "{\"type\":\"error\",\"code\":\"no-such-call\",\"message\":\"gone\","
                 "\"ref\":\"sdp\",\"call\":\"c9\"}");
  WAIT_FOR (o.n_server_errors == 1);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (o.n_presence, ==, 1);
  g_assert_cmpstr (o.presence_user, ==, "bob");
  g_assert_cmpint (o.presence_status, ==, PC_PRESENCE_BUSY);
  g_assert_cmpuint (o.messages->len, ==, 1);
  m = g_ptr_array_index (o.messages, 0);
  g_assert_cmpint (m->type, ==, PC_MESSAGE_INVITE);
  g_assert_cmpstr (m->from, ==, "bob");
  g_assert_cmpstr (m->name, ==, "Bob");
  g_assert_error (o.server_error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_NO_SUCH_CALL);
  g_assert_cmpstr (o.server_error->message, ==, "gone");
  g_assert_cmpstr (o.server_error_ref, ==, "sdp");
  g_assert_cmpstr (o.server_error_call, ==, "c9");
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_REGISTERED);

  /* client -> server: every sender */
  g_assert_true (pc_signaling_client_send_invite (client, "bob", "c2", TRUE, &error));
  g_assert_true (pc_signaling_client_send_ringing (client, "bob", "c2", &error));
  g_assert_true (pc_signaling_client_send_accept (client, "bob", "c2", &error));
  g_assert_true (pc_signaling_client_send_sdp (client, "bob", "c2", "offer", "v=0\r\n", &error));
  g_assert_true (pc_signaling_client_send_ice (client, "bob", "c2",
                                               "candidate:1 1 UDP 1 "
                                               "127.0.0.1 9 typ host",
                                               "0", 0, &error));
  g_assert_true (pc_signaling_client_send_ice (client, "bob", "c2", NULL, NULL, -1, &error));
  g_assert_true (pc_signaling_client_send_decline (client, "bob", "c2", "busy", &error));
  g_assert_true (pc_signaling_client_send_hangup (client, "bob", "c2", "normal", &error));
  g_assert_no_error (error);
  WAIT_FOR (fs->received->len == 9);
  for (guint i = 1; i < 9; i++)
    {
      m = g_ptr_array_index (fs->received, i);
      g_assert_cmpstr (m->to, ==, "bob");
      g_assert_cmpstr (m->call, ==, "c2");
    }
  m = g_ptr_array_index (fs->received, 5);
  g_assert_cmpint (m->type, ==, PC_MESSAGE_ICE);
  g_assert_cmpint (m->sdp_mline_index, ==, 0);
  m = g_ptr_array_index (fs->received, 6);
  g_assert_null (m->candidate);

  /* invalid messages are refused locally and nothing is sent */
  g_assert_false (pc_signaling_client_send_hangup (client, "bob", "c2", "peer-gone", &error));
  g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_false (pc_signaling_client_send_invite (client, "Bob!", "c2", TRUE, &error));
  g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  {
    g_autoptr (GString) big = g_string_new ("v=0\r\n");

    while (big->len <= PC_PROTOCOL_MAX_MESSAGE_SIZE)
      g_string_append (big, "a=x-filler:0123456789012345678901234567890123456789\r\n");
    g_assert_false (pc_signaling_client_send_sdp (client, "bob", "c2", "offer", big->str, &error));
    g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE);
    g_clear_error (&error);
  }

  /* local disconnect: disconnected (NULL), no reconnect, the server sees a normal close */
  pc_signaling_client_disconnect (client);
  g_assert_cmpuint (o.n_disconnected, ==, 1);
  g_assert_true (o.disconnect_error_null);
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_DISCONNECTED);
  g_assert_nonnull (pc_signaling_client_get_welcome (client)); /* the last one is kept */
  WAIT_FOR (fs->n_closed == 1);
  g_assert_cmpuint (fs->last_close_code, ==, SOUP_WEBSOCKET_CLOSE_NORMAL);
  g_assert_false (pc_signaling_client_send_ringing (client, "bob", "c2", &error));
  g_assert_error (error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_NOT_CONNECTED);
  run_for_ms (800);
  g_assert_cmpuint (fs->n_connections, ==, 1);
  assert_no_repeated_states (&o);

  g_object_unref (client);
  observer_clear (&o);
  fake_server_free (fs);
}

static void
check_fatal_hello (Script script, PcProtocolError expected)
{
  FakeServer *fs = fake_server_new (script);
  PcSignalingClient *client = pc_signaling_client_new (fs->url, "alice", "Alice", NULL);
  Observer o;

  observer_init (&o, client);
  connect_and_wait (client, &o);
  g_assert_error (o.connect_error, PC_PROTOCOL_ERROR, (gint)expected);
  g_assert_null (o.welcome);
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_DISCONNECTED);
  g_assert_cmpuint (o.n_registered, ==, 0);
  g_assert_cmpuint (o.n_disconnected, ==, 0);
  g_assert_cmpuint (o.n_server_errors, ==, 0);
  run_for_ms (800); /* no retry */
  g_assert_cmpuint (fs->n_connections, ==, 1);

  g_object_unref (client);
  observer_clear (&o);
  fake_server_free (fs);
}

static void
test_auth_failed (void)
{
  check_fatal_hello (SCRIPT_AUTH_FAILED, PC_PROTOCOL_ERROR_AUTH_FAILED);
}

static void
test_user_taken_close_code (void)
{
  check_fatal_hello (SCRIPT_USER_TAKEN_CLOSE, PC_PROTOCOL_ERROR_USER_TAKEN);
}

static void
test_unsupported_version (void)
{
  check_fatal_hello (SCRIPT_BAD_VERSION, PC_PROTOCOL_ERROR_UNSUPPORTED_VERSION);
}

static void
test_closed_before_welcome (void)
{
  FakeServer *fs = fake_server_new (SCRIPT_CLOSE_1011);
  PcSignalingClient *client = pc_signaling_client_new (fs->url, "alice", "Alice", NULL);
  Observer o;

  observer_init (&o, client);
  connect_and_wait (client, &o);
  g_assert_error (o.connect_error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_HANDSHAKE);
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_DISCONNECTED);

  g_object_unref (client);
  observer_clear (&o);
  fake_server_free (fs);
}

static void
test_not_a_websocket (void)
{
  FakeServer *fs = fake_server_new (SCRIPT_WELCOME);
  g_autoptr (GUri) uri = g_uri_parse (fs->url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%d/nothing-here", g_uri_get_port (uri));
  PcSignalingClient *client = pc_signaling_client_new (url, "alice", "Alice", NULL);
  Observer o;

  observer_init (&o, client);
  connect_and_wait (client, &o);
  g_assert_error (o.connect_error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_HANDSHAKE);

  g_object_unref (client);
  observer_clear (&o);
  fake_server_free (fs);
}

/* wss:// with a self-signed certificate: refused by default (no retry), accepted when
 * PEERCALL_TLS_CA_FILE names it. */
static void
test_wss (void)
{
  const char *root = g_getenv ("PEERCALL_SOURCE_ROOT");
  g_autofree char *cert_file = NULL;
  g_autofree char *key_file = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (GError) error = NULL;
  PcSignalingClient *client;
  FakeServer *fs;
  Observer o;

  if (root == NULL)
    {
      g_test_skip ("PEERCALL_SOURCE_ROOT not set (run through meson test)");
      return;
    }
  cert_file = g_build_filename (root, "tests", "unit", "test-tls-cert.pem", NULL);
  key_file = g_build_filename (root, "tests", "unit", "test-tls-key.pem", NULL);
  certificate = g_tls_certificate_new_from_files (cert_file, key_file, &error);
  g_assert_no_error (error);
  fs = fake_server_new_full (SCRIPT_WELCOME, certificate);
  g_assert_true (g_str_has_prefix (fs->url, "wss://"));

  g_unsetenv ("PEERCALL_TLS_CA_FILE");
  client = pc_signaling_client_new (fs->url, "alice", "Alice", NULL);
  observer_init (&o, client);
  connect_and_wait (client, &o);
  g_assert_error (o.connect_error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_TLS);
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_DISCONNECTED);
  g_object_unref (client);
  observer_clear (&o);

  g_setenv ("PEERCALL_TLS_CA_FILE", cert_file, TRUE);
  client = pc_signaling_client_new (fs->url, "alice", "Alice", NULL);
  observer_init (&o, client);
  connect_and_wait (client, &o);
  g_unsetenv ("PEERCALL_TLS_CA_FILE");
  g_assert_no_error (o.connect_error);
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_REGISTERED);
  g_assert_cmpuint (fs->received->len, ==, 1); /* the hello went through TLS */
  g_object_unref (client);
  observer_clear (&o);
  /* let both TLS streams finish closing before the process exits */
  WAIT_FOR (fs->n_closed == 1);

  fake_server_free (fs);
}

/* Liveness: pongs keep a quiet connection alive; a server that stops answering entirely (here:
 * its thread blocks right after welcome) is detected after 3 keepalive intervals. */
typedef struct
{
  GMutex lock;
  GCond cond;
  GMainContext *context;
  GThread *thread;
  char *url;
  gboolean frozen;
  gboolean release;
  GPtrArray *connections;
} FrozenServer;

static void
on_frozen_message (SoupWebsocketConnection *ws,
                   SoupWebsocketDataType type,
                   GBytes *data,
                   FrozenServer *fz)
{
  send_json (ws, "{\"type\":\"welcome\",\"version\":1,\"user\":\"alice\",\"ice_servers\":[],"
                 "\"peers\":[]}");
  g_mutex_lock (&fz->lock);
  fz->frozen = TRUE;
  g_cond_broadcast (&fz->cond);
  while (!fz->release)
    g_cond_wait (&fz->cond, &fz->lock);
  g_mutex_unlock (&fz->lock);
}

static void
on_frozen_ws (SoupServer *server,
              SoupServerMessage *msg,
              const char *path,
              SoupWebsocketConnection *ws,
              gpointer user_data)
{
  FrozenServer *fz = user_data;

  g_ptr_array_add (fz->connections, g_object_ref (ws));
  g_signal_connect (ws, "message", G_CALLBACK (on_frozen_message), fz);
}

static gpointer
frozen_server_thread (gpointer data)
{
  FrozenServer *fz = data;
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (fz->context);
  server = soup_server_new (NULL, NULL);
  soup_server_add_websocket_handler (server, "/ws", NULL, NULL, on_frozen_ws, fz, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (server);

  g_mutex_lock (&fz->lock);
  fz->url = g_strdup_printf ("ws://127.0.0.1:%d/ws", g_uri_get_port (uris->data));
  g_cond_broadcast (&fz->cond);
  g_mutex_unlock (&fz->lock);
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  while (!g_atomic_int_get (&fz->release))
    g_main_context_iteration (fz->context, TRUE);

  for (guint i = 0; i < fz->connections->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (fz->connections, i), fz);
  g_ptr_array_set_size (fz->connections, 0);
  soup_server_disconnect (server);
  g_clear_object (&server);
  g_main_context_pop_thread_default (fz->context);
  return NULL;
}

static void
test_liveness (void)
{
  FakeServer *fs = fake_server_new (SCRIPT_WELCOME);
  FrozenServer fz = { 0 };
  PcSignalingClient *client;
  gint64 frozen_at, lost_at;
  Observer o;

  /* 1. a healthy quiet connection stays up: pongs count */
  client = g_object_new (PC_TYPE_SIGNALING_CLIENT, "url", fs->url, "user", "alice", "name", "Alice",
                         "keepalive-interval", 1, NULL);
  observer_init (&o, client);
  connect_and_wait (client, &o);
  g_assert_no_error (o.connect_error);
  run_for_ms (4500);
  g_assert_cmpuint (o.n_disconnected, ==, 0);
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_REGISTERED);
  g_object_unref (client);
  observer_clear (&o);
  fake_server_free (fs);

  /* 2. a server that stops answering */
  g_mutex_init (&fz.lock);
  g_cond_init (&fz.cond);
  fz.context = g_main_context_new ();
  fz.connections = g_ptr_array_new_with_free_func (g_object_unref);
  fz.thread = g_thread_new ("frozen-server", frozen_server_thread, &fz);
  g_mutex_lock (&fz.lock);
  while (fz.url == NULL)
    g_cond_wait (&fz.cond, &fz.lock);
  g_mutex_unlock (&fz.lock);

  client = g_object_new (PC_TYPE_SIGNALING_CLIENT, "url", fz.url, "user", "alice", "name", "Alice",
                         "keepalive-interval", 1, NULL);
  observer_init (&o, client);
  connect_and_wait (client, &o);
  g_assert_no_error (o.connect_error);
  frozen_at = g_get_monotonic_time ();
  WAIT_FOR (o.n_disconnected == 1);
  lost_at = g_get_monotonic_time ();
  g_assert_error (o.disconnect_error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_CONNECTION_LOST);
  g_assert_nonnull (strstr (o.disconnect_error->message, "stopped answering"));
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_RECONNECTING);
  g_assert_cmpint (lost_at - frozen_at, >=, 2 * G_USEC_PER_SEC); /* not at the first check */
  g_test_message ("silent server detected after %" G_GINT64_FORMAT " ms",
                  (lost_at - frozen_at) / 1000);
  g_object_unref (client);
  observer_clear (&o);

  g_mutex_lock (&fz.lock);
  g_atomic_int_set (&fz.release, TRUE);
  g_cond_broadcast (&fz.cond);
  g_mutex_unlock (&fz.lock);
  g_main_context_wakeup (fz.context);
  g_thread_join (fz.thread);
  g_ptr_array_unref (fz.connections);
  g_main_context_unref (fz.context);
  g_free (fz.url);
  g_mutex_clear (&fz.lock);
  g_cond_clear (&fz.cond);
}

/* After a drop the client reconnects on its own, and a fatal close stops it. */
static void
test_reconnect (void)
{
  FakeServer *fs = fake_server_new (SCRIPT_WELCOME);
  PcSignalingClient *client = pc_signaling_client_new (fs->url, "alice", "Alice", NULL);
  gint64 dropped_at, back_at;
  Observer o;

  observer_init (&o, client);
  connect_and_wait (client, &o);
  g_assert_no_error (o.connect_error);

  /* 1. the server goes away politely (restart) */
  dropped_at = g_get_monotonic_time ();
  soup_websocket_connection_close (fake_server_connection (fs), SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                   NULL);
  WAIT_FOR (o.n_disconnected == 1);
  g_assert_error (o.disconnect_error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_CONNECTION_LOST);
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_RECONNECTING);
  WAIT_FOR (o.n_registered == 2);
  back_at = g_get_monotonic_time ();
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_REGISTERED);
  g_assert_cmpuint (fs->n_connections, ==, 2);
  /* first backoff is 0.5 s ± 20 % (loose bound: the point is that it waited) */
  g_assert_cmpint (back_at - dropped_at, >=, 300 * 1000); /* waited for the backoff */
  g_test_message ("reconnected after %" G_GINT64_FORMAT " ms", (back_at - dropped_at) / 1000);

  /* 2. an oversize frame: libsoup closes with 1009 and the client comes back */
  {
    g_autoptr (GString) big = g_string_new ("{\"type\":\"presence\",\"user\":\"bob\",\"name\":\"");

    while (big->len <= PC_PROTOCOL_MAX_MESSAGE_SIZE)
      g_string_append (big, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    g_string_append (big, "\",\"status\":\"busy\"}");
    send_json (fake_server_connection (fs), big->str);
  }
  WAIT_FOR (o.n_disconnected == 2);
  WAIT_FOR (fs->n_closed == 2);
  /* libsoup 3.2 cuts the connection on an oversize frame (the close frame with 1009 does not
   * always reach the peer), so only the client's side is checked */
  g_test_message ("server saw close code %u", fs->last_close_code);
  g_assert_cmpuint (o.n_presence, ==, 0);
  WAIT_FOR (o.n_registered == 3);

  /* 3. a fatal close code after registration: no more attempts */
  soup_websocket_connection_close (fake_server_connection (fs), PC_CLOSE_AUTH_FAILED, NULL);
  WAIT_FOR (o.n_disconnected == 3);
  g_assert_error (o.disconnect_error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_AUTH_FAILED);
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_DISCONNECTED);
  run_for_ms (800);
  g_assert_cmpuint (fs->n_connections, ==, 3);
  assert_no_repeated_states (&o);

  g_object_unref (client);
  observer_clear (&o);
  fake_server_free (fs);
}

/* With the server gone for good the client keeps trying with growing delays, and a local
 * disconnect during that stops it with disconnected (NULL). */
static void
test_reconnect_backoff_and_disconnect (void)
{
  FakeServer *fs = fake_server_new (SCRIPT_WELCOME);
  PcSignalingClient *client = pc_signaling_client_new (fs->url, "alice", "Alice", NULL);
  Observer o;

  observer_init (&o, client);
  connect_and_wait (client, &o);
  g_assert_no_error (o.connect_error);

  /* stop listening and drop the connection: every attempt is refused now */
  soup_server_disconnect (fs->server);
  soup_websocket_connection_close (fake_server_connection (fs), SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                   NULL);
  WAIT_FOR (o.n_disconnected == 1);
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_RECONNECTING);

  /* wait for three refused attempts (0.5 + 1 + 2 s, ±20 %) */
  WAIT_FOR (count_state (&o, PC_SIGNALING_STATE_RECONNECTING) >= 4);
  g_assert_cmpuint (count_state (&o, PC_SIGNALING_STATE_CONNECTING), >=, 4);
  g_assert_cmpuint (o.n_disconnected, ==, 1); /* refused attempts are not new disconnects */

  pc_signaling_client_disconnect (client);
  g_assert_cmpuint (o.n_disconnected, ==, 2);
  g_assert_true (o.disconnect_error_null);
  g_assert_cmpint (pc_signaling_client_get_state (client), ==, PC_SIGNALING_STATE_DISCONNECTED);
  assert_no_repeated_states (&o);

  g_object_unref (client);
  observer_clear (&o);
  fake_server_free (fs);
}

/* Dropping the last reference while connected or mid-attempt is clean (ASan/LSan check it). */
static void
test_dispose_while_active (void)
{
  FakeServer *fs = fake_server_new (SCRIPT_WELCOME);
  PcSignalingClient *client = pc_signaling_client_new (fs->url, "alice", "Alice", NULL);
  Observer o;

  observer_init (&o, client);
  connect_and_wait (client, &o);
  g_assert_no_error (o.connect_error);
  g_object_unref (client);
  WAIT_FOR (fs->n_closed == 1);
  observer_clear (&o);

  /* mid-reconnect, with the timer pending */
  client = pc_signaling_client_new (fs->url, "alice", "Alice", NULL);
  observer_init (&o, client);
  connect_and_wait (client, &o);
  soup_websocket_connection_close (fake_server_connection (fs), SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                   NULL);
  WAIT_FOR (o.n_disconnected == 1);
  g_object_unref (client);
  observer_clear (&o);
  run_for_ms (100);

  fake_server_free (fs);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/signaling-client/invalid-url", test_invalid_url);
  g_test_add_func ("/signaling-client/invalid-identity", test_invalid_identity);
  g_test_add_func ("/signaling-client/connection-refused", test_connection_refused);
  g_test_add_func ("/signaling-client/cancel-connect", test_cancel_connect);
  g_test_add_func ("/signaling-client/register-and-messages", test_register_and_messages);
  g_test_add_func ("/signaling-client/auth-failed", test_auth_failed);
  g_test_add_func ("/signaling-client/user-taken-close-code", test_user_taken_close_code);
  g_test_add_func ("/signaling-client/unsupported-version", test_unsupported_version);
  g_test_add_func ("/signaling-client/closed-before-welcome", test_closed_before_welcome);
  g_test_add_func ("/signaling-client/not-a-websocket", test_not_a_websocket);
  g_test_add_func ("/signaling-client/liveness", test_liveness);
  g_test_add_func ("/signaling-client/reconnect", test_reconnect);
  g_test_add_func ("/signaling-client/reconnect-backoff-and-disconnect",
                   test_reconnect_backoff_and_disconnect);
  g_test_add_func ("/signaling-client/dispose-while-active", test_dispose_while_active);
  /* Last: glib-networking's TLS handshake threads idle out of GLib's pool 15 s later; a thread
   * exiting while LeakSanitizer stops the world at exit can crash the leak checker. */
  g_test_add_func ("/signaling-client/wss", test_wss);

  return g_test_run ();
}
