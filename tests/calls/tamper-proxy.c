/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tamper-proxy: a WebSocket man in the middle between Peercall peers and a real
 * peercall-signal. Every client connection to ws://127.0.0.1:PORT/ws gets its own connection to
 * the upstream server; messages pass both ways. With --mode tamper every a=fingerprint hash in
 * an `sdp` message is replaced with random bytes (what an on-path attacker or a malicious server
 * does to put its own DTLS certificate in the middle); --mode pass relays them unchanged.
 *
 * stdout: "listening on ws://127.0.0.1:PORT/ws", then "tampered N" after each rewritten
 * message (N = fingerprints replaced so far), so a test knows the attack really happened. */
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct
{
  SoupWebsocketConnection *down; /* the peer */
  SoupWebsocketConnection *up;   /* the server; NULL while connecting */
  GQueue pending;                /* of GBytes: peer messages before `up` was ready */
  GCancellable *cancellable;
  gboolean closed;
} Pair;

static char *upstream_url;
static gboolean tamper;
static guint tampered;
static SoupSession *session;

static void
pair_free (Pair *pair)
{
  g_cancellable_cancel (pair->cancellable);
  g_clear_object (&pair->cancellable);
  g_queue_clear_full (&pair->pending, (GDestroyNotify)g_bytes_unref);
  g_clear_object (&pair->down);
  g_clear_object (&pair->up);
  g_free (pair);
}

static char *
random_hex_like (const char *hex)
{
  GString *out = g_string_new (NULL);

  for (const char *p = hex; *p; p++)
    g_string_append_c (out, *p == ':' ? ':' : "0123456789ABCDEF"[g_random_int_range (0, 16)]);
  return g_string_free (out, FALSE);
}

/* One fake per real fingerprint, as an attacker presents one certificate of its own in every
 * m-line (webrtcbin itself refuses a bundle whose m-lines disagree, which would hide whether
 * the peer's certificate is checked at all). */
static const char *
fake_for (const char *hex)
{
  static GHashTable *fakes;
  const char *fake;

  if (fakes == NULL)
    fakes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  fake = g_hash_table_lookup (fakes, hex);
  if (fake == NULL)
    {
      char *made = random_hex_like (hex);

      g_hash_table_insert (fakes, g_ascii_strup (hex, -1), made);
      g_hash_table_insert (fakes, g_ascii_strdown (hex, -1), g_strdup (made));
      fake = made;
    }
  return fake;
}

static gboolean
replace_fingerprint (const GMatchInfo *info, GString *result, gpointer user_data)
{
  g_autofree char *prefix = g_match_info_fetch (info, 1);
  g_autofree char *hex = g_match_info_fetch (info, 2);
  g_autofree char *upper = g_ascii_strup (hex, -1);
  const char *fake = fake_for (upper);

  g_string_append_printf (result, "%s%s", prefix, fake);
  tampered++;
  return FALSE;
}

/* A rewritten copy of an `sdp` message, or NULL to relay @text unchanged. */
static char *
rewrite (const char *text)
{
  static GRegex *regex;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *sdp = NULL;
  JsonObject *root, *description;
  guint before = tampered;

  if (!tamper || !json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))
             ? json_node_get_object (json_parser_get_root (parser))
             : NULL;
  if (root == NULL
      || g_strcmp0 (json_object_get_string_member_with_default (root, "type", ""), "sdp") != 0)
    return NULL;
  description = json_object_get_object_member (root, "description");
  if (description == NULL || !json_object_has_member (description, "sdp"))
    return NULL;
  if (regex == NULL)
    regex
        = g_regex_new ("(a=fingerprint:[^ \\r\\n]+ +)([0-9A-Fa-f:]+)", G_REGEX_MULTILINE, 0, NULL);
  sdp = g_regex_replace_eval (regex, json_object_get_string_member (description, "sdp"), -1, 0, 0,
                              replace_fingerprint, NULL, NULL);
  if (sdp == NULL || tampered == before)
    return NULL;
  json_object_set_string_member (description, "sdp", sdp);
  printf ("tampered %u\n", tampered);
  fflush (stdout);
  return json_to_string (json_parser_get_root (parser), FALSE);
}

static void
relay (SoupWebsocketConnection *to, GBytes *message)
{
  g_autofree char *text = g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message));
  g_autofree char *changed = rewrite (text);

  if (soup_websocket_connection_get_state (to) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (to, changed ? changed : text);
}

static void
close_both (Pair *pair)
{
  if (pair->closed)
    return;
  pair->closed = TRUE;
  g_cancellable_cancel (pair->cancellable);
  if (soup_websocket_connection_get_state (pair->down) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (pair->down, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  if (pair->up && soup_websocket_connection_get_state (pair->up) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (pair->up, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
}

static void
on_down_message (SoupWebsocketConnection *conn, gint type, GBytes *message, Pair *pair)
{
  if (pair->up)
    relay (pair->up, message);
  else
    g_queue_push_tail (&pair->pending, g_bytes_ref (message));
}

static void
on_up_message (SoupWebsocketConnection *conn, gint type, GBytes *message, Pair *pair)
{
  relay (pair->down, message);
}

static void
on_down_closed (SoupWebsocketConnection *conn, Pair *pair)
{
  close_both (pair);
  /* the pair lives as long as the peer's connection */
  g_signal_handlers_disconnect_by_data (conn, pair);
  if (pair->up)
    g_signal_handlers_disconnect_by_data (pair->up, pair);
  pair_free (pair);
}

static void
on_up_closed (SoupWebsocketConnection *conn, Pair *pair)
{
  close_both (pair);
}

static void
on_up_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pair *pair = user_data;
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *up
      = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  GBytes *message;

  if (up == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_printerr ("tamper-proxy: upstream: %s\n", error->message);
          close_both (pair);
        }
      return;
    }
  pair->up = up;
  soup_websocket_connection_set_max_incoming_payload_size (up, 1024 * 1024);
  g_signal_connect (up, "message", G_CALLBACK (on_up_message), pair);
  g_signal_connect (up, "closed", G_CALLBACK (on_up_closed), pair);
  if (pair->closed)
    {
      soup_websocket_connection_close (up, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
      return;
    }
  while ((message = g_queue_pop_head (&pair->pending)))
    {
      relay (up, message);
      g_bytes_unref (message);
    }
}

static void
on_websocket (SoupServer *server,
              SoupServerMessage *msg,
              const char *path,
              SoupWebsocketConnection *conn,
              gpointer user_data)
{
  Pair *pair = g_new0 (Pair, 1);
  g_autoptr (SoupMessage) up_msg = soup_message_new ("GET", upstream_url);

  pair->down = g_object_ref (conn);
  pair->cancellable = g_cancellable_new ();
  g_queue_init (&pair->pending);
  soup_websocket_connection_set_max_incoming_payload_size (conn, 1024 * 1024);
  g_signal_connect (conn, "message", G_CALLBACK (on_down_message), pair);
  g_signal_connect (conn, "closed", G_CALLBACK (on_down_closed), pair);
  soup_session_websocket_connect_async (session, up_msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        pair->cancellable, on_up_connected, pair);
}

int
main (int argc, char **argv)
{
  g_autofree char *mode = NULL;
  int port = 0;
  GOptionEntry entries[] = {
    { "upstream", 0, 0, G_OPTION_ARG_STRING, &upstream_url, "peercall-signal's ws:// URL", "URL" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode, "tamper (default) or pass", "MODE" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "port on 127.0.0.1 (0: any free one)", "PORT" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- fingerprint-rewriting proxy");
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  GSList *uris;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || upstream_url == NULL
      || (mode && g_strcmp0 (mode, "tamper") != 0 && g_strcmp0 (mode, "pass") != 0))
    {
      g_printerr ("tamper-proxy: %s\n",
                  error ? error->message : "--upstream URL required; --mode tamper|pass");
      return 2;
    }
  tamper = mode == NULL || g_strcmp0 (mode, "tamper") == 0;
  session = soup_session_new ();
  server = soup_server_new (NULL, NULL);
  soup_server_add_websocket_handler (server, "/ws", NULL, NULL, on_websocket, NULL, NULL);
  {
    g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, port);

    if (!soup_server_listen (server, addr, 0, &error))
      {
        g_printerr ("tamper-proxy: %s\n", error->message);
        return 1;
      }
  }
  uris = soup_server_get_uris (server);
  printf ("listening on ws://127.0.0.1:%d/ws\n", g_uri_get_port (uris->data));
  fflush (stdout);
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  g_main_loop_run (loop);
  return 0;
}
