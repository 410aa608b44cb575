/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <string.h>

#include "signal-test-util.h"

guint test_timeout_ms = 10000;

/* Main loop helpers */

static gboolean
on_timeout_flag (gpointer user_data)
{
  *(gboolean *)user_data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
test_wait_for_flag (gboolean *flag, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, on_timeout_flag, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return *flag;
}

void
test_run_for (guint ms)
{
  gboolean done = FALSE;

  test_wait_for_flag (&done, ms);
}

/* Server process */

typedef struct
{
  gboolean done;
  char *line;
} LineRead;

static void
on_line_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LineRead *read = user_data;

  read->line
      = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, NULL);
  read->done = TRUE;
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

TestServer *
test_server_startv (const char *const *args)
{
  const char *binary = g_getenv ("PEERCALL_SIGNAL");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  TestServer *server = g_new0 (TestServer, 1);
  LineRead read = { 0 };
  const char *prefix = "listening on ";
  const char *colon;

  g_assert_nonnull (binary);
  g_ptr_array_add (argv, (char *)binary);
  g_ptr_array_add (argv, "--listen");
  g_ptr_array_add (argv, "127.0.0.1:0");
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *)args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* A crashed test must not leave the server behind (it holds the test log's stderr). */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server->process
      = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, &error);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, on_line_read, &read);
  g_assert_true (test_wait_for_flag (&read.done, TEST_TIMEOUT_MS));
  g_assert_nonnull (read.line);
  g_assert_true (g_str_has_prefix (read.line, prefix));

  server->url = g_strdup (read.line + strlen (prefix));
  g_free (read.line);
  g_assert_true (g_str_has_prefix (server->url, "ws://127.0.0.1:")
                 || g_str_has_prefix (server->url, "wss://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (server->url, "/ws"));
  colon = strrchr (server->url, ':');
  server->port = (guint16)g_ascii_strtoull (colon + 1, NULL, 10);
  g_assert_cmpuint (server->port, >, 0);
  server->http_url = g_strdup_printf (
      "%s://127.0.0.1:%u", g_str_has_prefix (server->url, "wss") ? "https" : "http", server->port);
  return server;
}

TestServer *
test_server_start (const char *first_arg, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *)arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return test_server_startv ((const char *const *)args->pdata);
}

static void
on_process_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *)user_data = TRUE;
}

void
test_server_stop (TestServer *server)
{
  gboolean exited = FALSE;

  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait_async (server->process, NULL, on_process_exited, &exited);
  if (!test_wait_for_flag (&exited, TEST_TIMEOUT_MS))
    {
      g_subprocess_force_exit (server->process);
      g_error ("peercall-signal did not exit within %u ms of SIGTERM", TEST_TIMEOUT_MS);
    }
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);
}

void
test_server_free (TestServer *server)
{
  if (server == NULL)
    return;
  if (g_subprocess_get_identifier (server->process) != NULL)
    g_subprocess_force_exit (server->process);
  g_clear_object (&server->process);
  g_clear_object (&server->certificate);
  g_free (server->url);
  g_free (server->http_url);
  g_free (server);
}

const char *
test_server_get_pid (TestServer *server)
{
  return g_subprocess_get_identifier (server->process);
}

/* HTTP */

static gboolean
on_accept_certificate (SoupMessage *msg,
                       GTlsCertificate *certificate,
                       GTlsCertificateFlags errors,
                       gpointer user_data)
{
  TestServer *server = user_data;

  /* Self-signed in the tests: accept exactly the server's certificate, nothing else. */
  return server->certificate != NULL
         && g_tls_certificate_is_same (certificate, server->certificate);
}

GBytes *
test_http_get (TestServer *server, const char *path, guint *out_status, char **out_type)
{
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 10, NULL);
  g_autofree char *uri = g_strconcat (server->http_url, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", uri);
  g_autoptr (GError) error = NULL;
  GBytes *body;

  g_assert_nonnull (msg);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (on_accept_certificate), server);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  if (out_status != NULL)
    *out_status = soup_message_get_status (msg);
  if (out_type != NULL)
    *out_type = g_strdup (
        soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL));
  return body;
}

/* libsoup WebSocket client */

static void
on_client_message (SoupWebsocketConnection *ws, gint type, GBytes *bytes, TestClient *client)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  JsonNode *root;
  JsonObject *object;

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  json_parser_load_from_data (parser, data, len, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  object = json_node_get_object (root);
  g_assert_true (json_object_has_member (object, "type"));

  if (g_strcmp0 (json_object_get_string_member (object, "type"), "presence") == 0)
    g_queue_push_tail (&client->presences, json_object_ref (object));
  else
    g_queue_push_tail (&client->messages, json_object_ref (object));
}

static void
on_client_closed (SoupWebsocketConnection *ws, TestClient *client)
{
  client->closed = TRUE;
  client->close_code = soup_websocket_connection_get_close_code (ws);
}

typedef struct
{
  gboolean done;
  SoupWebsocketConnection *ws;
  GError *error;
} ConnectData;

static void
on_ws_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ConnectData *data = user_data;

  data->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &data->error);
  data->done = TRUE;
}

TestClient *
test_client_connect (TestServer *server)
{
  TestClient *client = g_new0 (TestClient, 1);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", server->url);
  ConnectData data = { 0 };

  g_queue_init (&client->messages);
  g_queue_init (&client->presences);
  client->session = soup_session_new_with_options ("timeout", 10, NULL);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (on_accept_certificate), server);
  soup_session_websocket_connect_async (client->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        on_ws_connected, &data);
  g_assert_true (test_wait_for_flag (&data.done, TEST_TIMEOUT_MS));
  g_assert_no_error (data.error);
  client->ws = data.ws;
  /* The server allows 64 KiB; our own client must not refuse what it legitimately sends. */
  soup_websocket_connection_set_max_incoming_payload_size (client->ws, 1024 * 1024);
  g_signal_connect (client->ws, "message", G_CALLBACK (on_client_message), client);
  g_signal_connect (client->ws, "closed", G_CALLBACK (on_client_closed), client);
  return client;
}

TestClient *
test_client_register (TestServer *server,
                      const char *user,
                      const char *name,
                      JsonObject **out_welcome)
{
  TestClient *client = test_client_connect (server);
  g_autoptr (JsonObject) welcome = NULL;

  client->user = g_strdup (user);
  test_client_sendf (client, "{\"type\":\"hello\",\"version\":1,\"user\":\"%s\",\"name\":\"%s\"}",
                     user, name);
  welcome = test_client_expect (client, "welcome");
  g_assert_cmpstr (json_object_get_string_member (welcome, "user"), ==, user);
  g_assert_cmpint (json_object_get_int_member (welcome, "version"), ==, 1);
  if (out_welcome != NULL)
    *out_welcome = g_steal_pointer (&welcome);
  return client;
}

void
test_client_free (TestClient *client)
{
  if (client == NULL)
    return;
  if (soup_websocket_connection_get_state (client->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    {
      soup_websocket_connection_close (client->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      test_wait_for_flag (&client->closed, TEST_TIMEOUT_MS);
    }
  g_signal_handlers_disconnect_by_data (client->ws, client);
  g_clear_object (&client->ws);
  g_clear_object (&client->session);
  g_queue_clear_full (&client->messages, (GDestroyNotify)json_object_unref);
  g_queue_clear_full (&client->presences, (GDestroyNotify)json_object_unref);
  g_free (client->user);
  g_free (client);
}

void
test_client_send_text (TestClient *client, const char *text)
{
  g_assert_cmpint (soup_websocket_connection_get_state (client->ws), ==, SOUP_WEBSOCKET_STATE_OPEN);
  soup_websocket_connection_send_text (client->ws, text);
}

void
test_client_sendf (TestClient *client, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  test_client_send_text (client, text);
}

static gboolean
queue_nonempty_or_closed (TestClient *client, GQueue *queue)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (TEST_TIMEOUT_MS, on_timeout_flag, &timed_out);

  while (g_queue_is_empty (queue) && !client->closed && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return !g_queue_is_empty (queue);
}

JsonObject *
test_client_expect (TestClient *client, const char *type)
{
  JsonObject *object;

  if (!queue_nonempty_or_closed (client, &client->messages))
    g_error ("%s: expected '%s', got %s", client->user != NULL ? client->user : "client", type,
             client->closed ? "a close" : "nothing");
  object = g_queue_pop_head (&client->messages);
  if (g_strcmp0 (json_object_get_string_member (object, "type"), type) != 0)
    {
      g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), object);
      g_autofree char *text = json_to_string (node, FALSE);

      g_error ("%s: expected '%s', got %s", client->user != NULL ? client->user : "client", type,
               text);
    }
  return object;
}

JsonObject *
test_client_expect_error (TestClient *client, const char *code, const char *ref)
{
  JsonObject *error = test_client_expect (client, "error");

  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, code);
  g_assert_true (json_object_has_member (error, "message"));
  g_assert_cmpuint (strlen (json_object_get_string_member (error, "message")), >, 0);
  if (ref != NULL)
    g_assert_cmpstr (json_object_get_string_member_with_default (error, "ref", NULL), ==, ref);
  return error;
}

static gint
find_presence (gconstpointer a, gconstpointer b)
{
  JsonObject *presence = (JsonObject *)a;
  const char *const *wanted = b;

  return !(g_strcmp0 (json_object_get_string_member (presence, "user"), wanted[0]) == 0
           && g_strcmp0 (json_object_get_string_member (presence, "status"), wanted[1]) == 0);
}

void
test_client_expect_presence (TestClient *client, const char *user, const char *status)
{
  const char *wanted[] = { user, status };
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (TEST_TIMEOUT_MS, on_timeout_flag, &timed_out);
  GList *link;

  /* Takes the first matching presence, leaving the others queued: several users' updates may
   * arrive in any order. */
  while ((link = g_queue_find_custom (&client->presences, wanted, find_presence)) == NULL
         && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  if (link == NULL)
    g_error ("%s: no presence %s %s", client->user, user, status);
  g_assert_true (json_object_has_member (link->data, "name"));
  json_object_unref (link->data);
  g_queue_delete_link (&client->presences, link);
}

void
test_client_expect_nothing (TestClient *client, guint ms)
{
  test_run_for (ms);
  if (!g_queue_is_empty (&client->messages))
    {
      JsonObject *object = g_queue_peek_head (&client->messages);

      g_error ("%s: unexpected '%s'", client->user, json_object_get_string_member (object, "type"));
    }
}

gushort
test_client_wait_closed (TestClient *client)
{
  g_assert_true (test_wait_for_flag (&client->closed, TEST_TIMEOUT_MS));
  return client->close_code;
}

/* Raw WebSocket */

static gboolean
write_all (RawWs *raw, const void *data, gsize len)
{
  return g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (raw->connection)),
                                    data, len, NULL, NULL, NULL);
}

static gboolean
read_all (RawWs *raw, void *data, gsize len)
{
  gsize n = 0;

  return g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (raw->connection)),
                                  data, len, &n, NULL, NULL)
         && n == len;
}

RawWs *
raw_ws_connect (TestServer *server)
{
  g_autoptr (GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) response = g_string_new (NULL);
  RawWs *raw = g_new0 (RawWs, 1);
  g_autofree char *request = NULL;
  char c;

  g_socket_client_set_timeout (socket_client, 10);
  raw->connection
      = g_socket_client_connect_to_host (socket_client, "127.0.0.1", server->port, NULL, &error);
  g_assert_no_error (error);
  raw->socket = g_socket_connection_get_socket (raw->connection);
  g_socket_set_timeout (raw->socket, MAX (10, TEST_TIMEOUT_MS / 1000));

  request = g_strdup_printf ("GET /ws HTTP/1.1\r\n"
                             "Host: 127.0.0.1:%u\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n",
                             server->port);
  g_assert_true (write_all (raw, request, strlen (request)));
  while (!g_str_has_suffix (response->str, "\r\n\r\n"))
    {
      g_assert_true (read_all (raw, &c, 1));
      g_string_append_c (response, c);
      g_assert_cmpuint (response->len, <, 4096);
    }
  g_assert_true (g_str_has_prefix (response->str, "HTTP/1.1 101"));
  return raw;
}

void
raw_ws_free (RawWs *raw)
{
  if (raw == NULL)
    return;
  g_io_stream_close (G_IO_STREAM (raw->connection), NULL, NULL);
  g_clear_object (&raw->connection);
  g_free (raw);
}

gboolean
raw_ws_send_frame (RawWs *raw, guint8 opcode, gboolean fin, const void *data, gsize len)
{
  guint8 header[14];
  gsize n = 0;
  guint32 mask_value = g_random_int ();
  guint8 mask[4];
  g_autofree guint8 *masked = g_malloc (len + 1);

  memcpy (mask, &mask_value, 4);
  header[n++] = (fin ? 0x80 : 0) | (opcode & 0x0f);
  if (len < 126)
    header[n++] = 0x80 | (guint8)len;
  else if (len <= G_MAXUINT16)
    {
      header[n++] = 0x80 | 126;
      header[n++] = (len >> 8) & 0xff;
      header[n++] = len & 0xff;
    }
  else
    {
      header[n++] = 0x80 | 127;
      for (int shift = 56; shift >= 0; shift -= 8)
        header[n++] = ((guint64)len >> shift) & 0xff;
    }
  memcpy (header + n, mask, 4);
  n += 4;
  for (gsize i = 0; i < len; i++)
    masked[i] = ((const guint8 *)data)[i] ^ mask[i % 4];

  return write_all (raw, header, n) && (len == 0 || write_all (raw, masked, len));
}

gboolean
raw_ws_send_text (RawWs *raw, const char *text)
{
  return raw_ws_send_frame (raw, 0x1, TRUE, text, strlen (text));
}

gboolean
raw_ws_read_frame (RawWs *raw, guint8 *out_opcode, GBytes **out_payload)
{
  guint8 header[2];
  guint64 len;
  guint8 *payload;

  if (!read_all (raw, header, 2))
    return FALSE;
  g_assert_cmpint (header[1] & 0x80, ==, 0); /* servers don't mask */
  len = header[1] & 0x7f;
  if (len == 126)
    {
      guint8 ext[2];

      if (!read_all (raw, ext, 2))
        return FALSE;
      len = ((guint64)ext[0] << 8) | ext[1];
    }
  else if (len == 127)
    {
      guint8 ext[8];

      if (!read_all (raw, ext, 8))
        return FALSE;
      len = 0;
      for (int i = 0; i < 8; i++)
        len = (len << 8) | ext[i];
    }
  g_assert_cmpuint (len, <, 16 * 1024 * 1024);
  payload = g_malloc (len + 1);
  if (len > 0 && !read_all (raw, payload, len))
    {
      g_free (payload);
      return FALSE;
    }
  payload[len] = 0;
  *out_opcode = header[0] & 0x0f;
  *out_payload = g_bytes_new_take (payload, len);
  return TRUE;
}

gushort
raw_ws_read_until_close (RawWs *raw, guint *out_n_errors)
{
  guint8 opcode;
  GBytes *payload;

  if (out_n_errors != NULL)
    *out_n_errors = 0;
  while (raw_ws_read_frame (raw, &opcode, &payload))
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (payload, &len);

      if (opcode == 0x8)
        {
          gushort code = len >= 2 ? (gushort)((data[0] << 8) | data[1]) : 1005;

          g_bytes_unref (payload);
          return code;
        }
      if (opcode == 0x1 && out_n_errors != NULL
          && strstr ((const char *)data, "\"type\":\"error\"") != NULL)
        (*out_n_errors)++;
      g_bytes_unref (payload);
    }
  return 0;
}
