/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Resource limits of the real peercall-signal against one abusive client: a message in endless
 * fragments (the server must close with 1009 and stay small), connection floods from one IP,
 * invite floods; and the TLS listener's oldest protocol version (1.2). Other users keep working
 * throughout. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "signal-test-util.h"

#define FLOOD_FRAGMENTS 200
#define FLOOD_FRAGMENT_SIZE (512 * 1024)
#define MAX_RSS_KB (50 * 1024)

/* VmRSS of the server in KiB. */
static guint64
server_rss_kb (TestServer *server)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", test_server_get_pid (server));
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  line = strstr (status, "VmRSS:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}

static void
test_fragment_flood (void)
{
  TestServer *server = test_server_start (NULL, NULL);
  g_autofree guint8 *fragment = g_malloc (FLOOD_FRAGMENT_SIZE);
  TestClient *alice;
  TestClient *bob;
  RawWs *raw;
  guint64 rss_before, rss_after;
  guint sent = 0;

  memset (fragment, ' ', FLOOD_FRAGMENT_SIZE);
  rss_before = server_rss_kb (server);

  /* One text message that never ends, sent before `hello`; the server may cut us off early. */
  raw = raw_ws_connect (server);
  if (raw_ws_send_frame (raw, 0x1, FALSE, "{\"type\":\"hello\",\"name\":\"", 25))
    for (sent = 0; sent < FLOOD_FRAGMENTS; sent++)
      if (!raw_ws_send_frame (raw, 0x0, FALSE, fragment, FLOOD_FRAGMENT_SIZE))
        break;
  rss_after = server_rss_kb (server);
  g_test_message (
      "fragment flood: %u of %u fragments of %u bytes written; server VmRSS %" G_GUINT64_FORMAT
      " kB before, %" G_GUINT64_FORMAT " kB after",
      sent, FLOOD_FRAGMENTS, FLOOD_FRAGMENT_SIZE, rss_before, rss_after);
  g_assert_cmpuint (raw_ws_read_until_close (raw, NULL), ==, 1009);
  raw_ws_free (raw);
  g_assert_cmpuint (rss_after, <, MAX_RSS_KB);

  /* Everyone else is unaffected: two users sign in and set up a call. */
  alice = test_client_register (server, "alice", "Alice", NULL);
  bob = test_client_register (server, "bob", "Bob", NULL);
  test_client_sendf (alice, "{\"type\":\"invite\",\"to\":\"bob\",\"call\":\"c1\",\"video\":true}");
  json_object_unref (test_client_expect (bob, "invite"));
  test_client_sendf (bob, "{\"type\":\"accept\",\"to\":\"alice\",\"call\":\"c1\"}");
  json_object_unref (test_client_expect (alice, "accept"));
  g_assert_cmpuint (server_rss_kb (server), <, MAX_RSS_KB);

  test_client_free (alice);
  test_client_free (bob);
  test_server_stop (server);
  test_server_free (server);
}

/* Opens a TCP connection from @local_ip and asks for the WebSocket upgrade; returns the HTTP
 * status of the answer, and the connection in @out_conn when it is 101 (else closes it). */
static guint
try_upgrade (TestServer *server, const char *local_ip, GSocketConnection **out_conn)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GInetAddress) local = g_inet_address_new_from_string (local_ip);
  g_autoptr (GSocketAddress) local_address = g_inet_socket_address_new (local, 0);
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) response = g_string_new (NULL);
  g_autofree char *request = NULL;
  GInputStream *in;
  guint status = 0;
  char c;

  g_socket_client_set_timeout (client, 10);
  g_socket_client_set_local_address (client, local_address);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", server->port, NULL, &error);
  g_assert_no_error (error);
  request
      = g_strdup_printf ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         "Sec-WebSocket-Version: 13\r\n\r\n",
                         server->port);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                            request, strlen (request), NULL, NULL, &error));
  in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  while (!g_str_has_suffix (response->str, "\r\n\r\n") && response->len < 4096
         && g_input_stream_read (in, &c, 1, NULL, NULL) == 1)
    g_string_append_c (response, c);
  if (g_str_has_prefix (response->str, "HTTP/1.1 "))
    status = (guint)g_ascii_strtoull (response->str + 9, NULL, 10);
  if (status == 503)
    g_assert_nonnull (strstr (response->str, "Retry-After: "));
  if (status == 101 && out_conn != NULL)
    *out_conn = g_steal_pointer (&conn);
  return status;
}

/* Retries for a while: the server learns of closed connections asynchronously. */
static guint
upgrade_eventually (TestServer *server, const char *local_ip, GSocketConnection **out_conn)
{
  guint status = 0;

  for (guint i = 0; i < 100 && status != 101; i++)
    {
      status = try_upgrade (server, local_ip, out_conn);
      if (status != 101)
        g_usleep (50 * 1000);
    }
  return status;
}

#define PER_IP_CAP 64 /* the default */
#define EXTRA 36

static void
test_connection_caps (void)
{
  TestServer *server = test_server_start (NULL, NULL);
  GPtrArray *open = g_ptr_array_new_with_free_func (g_object_unref);
  GSocketConnection *conn = NULL;
  guint n_refused = 0;
  TestClient *alice;

  /* From one address: the first 64 get in, the rest are refused with 503. */
  for (guint i = 0; i < PER_IP_CAP + EXTRA; i++)
    {
      guint status = try_upgrade (server, "127.0.0.1", &conn);

      if (status == 101)
        g_ptr_array_add (open, g_steal_pointer (&conn));
      else
        {
          g_assert_cmpuint (status, ==, 503);
          n_refused++;
        }
    }
  g_assert_cmpuint (open->len, ==, PER_IP_CAP);
  g_assert_cmpuint (n_refused, ==, EXTRA);

  /* Another address is not affected. */
  g_assert_cmpuint (try_upgrade (server, "127.0.0.2", NULL), ==, 101);

  /* Closing some makes room for as many new ones, and no more. */
  g_ptr_array_remove_range (open, 0, 4);
  for (guint i = 0; i < 4; i++)
    {
      g_assert_cmpuint (upgrade_eventually (server, "127.0.0.1", &conn), ==, 101);
      g_ptr_array_add (open, g_steal_pointer (&conn));
    }
  g_assert_cmpuint (try_upgrade (server, "127.0.0.1", NULL), ==, 503);
  g_ptr_array_unref (open);

  /* All closed: a user from that address signs in as usual. */
  g_assert_cmpuint (upgrade_eventually (server, "127.0.0.1", NULL), ==, 101);
  alice = test_client_register (server, "alice", "Alice", NULL);
  test_client_free (alice);
  test_server_stop (server);
  test_server_free (server);
}

static void
test_global_cap (void)
{
  TestServer *server = test_server_start ("--max-connections", "5", NULL);
  GPtrArray *open = g_ptr_array_new_with_free_func (g_object_unref);
  GSocketConnection *conn = NULL;
  const char *from[] = { "127.0.0.1", "127.0.0.2", "127.0.0.3" };

  /* Five from three addresses fill the server; the sixth is refused whatever its address. */
  for (guint i = 0; i < 5; i++)
    {
      g_assert_cmpuint (try_upgrade (server, from[i % 3], &conn), ==, 101);
      g_ptr_array_add (open, g_steal_pointer (&conn));
    }
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (try_upgrade (server, from[i], NULL), ==, 503);

  g_ptr_array_remove_index (open, 0);
  g_assert_cmpuint (upgrade_eventually (server, "127.0.0.3", &conn), ==, 101);
  g_ptr_array_add (open, conn);
  g_ptr_array_unref (open);
  test_server_stop (server);
  test_server_free (server);
}

/* @caller rings @callee with call id @call; the callee sees the invite. */
static void
ring (TestClient *caller, TestClient *callee, const char *call)
{
  test_client_sendf (caller, "{\"type\":\"invite\",\"to\":\"%s\",\"call\":\"%s\",\"video\":false}",
                     callee->user, call);
  json_object_unref (test_client_expect (callee, "invite"));
}

#define COOLDOWN_BURST 5 /* PC_INVITE_COOLDOWN_BURST */

static void
test_invite_flood (void)
{
  TestServer *server = test_server_start (NULL, NULL);
  TestClient *alice = test_client_register (server, "alice", "Alice", NULL);
  TestClient *bob = test_client_register (server, "bob", "Bob", NULL);
  TestClient *carol = test_client_register (server, "carol", "Carol", NULL);
  JsonObject *error;

  /* Answered calls never count. */
  for (guint i = 0; i < 2 * COOLDOWN_BURST; i++)
    {
      g_autofree char *call = g_strdup_printf ("answered-%u", i);

      ring (alice, bob, call);
      test_client_sendf (bob, "{\"type\":\"accept\",\"to\":\"alice\",\"call\":\"%s\"}", call);
      json_object_unref (test_client_expect (alice, "accept"));
      test_client_sendf (
          alice, "{\"type\":\"hangup\",\"to\":\"bob\",\"call\":\"%s\",\"reason\":\"normal\"}",
          call);
      json_object_unref (test_client_expect (bob, "hangup"));
    }

  /* Unanswered ones do: declined or cancelled, a few in a row go through. */
  for (guint i = 0; i < COOLDOWN_BURST; i++)
    {
      g_autofree char *call = g_strdup_printf ("ring-%u", i);

      ring (alice, bob, call);
      if (i % 2 == 0)
        {
          test_client_sendf (
              bob,
              "{\"type\":\"decline\",\"to\":\"alice\",\"call\":\"%s\",\"reason\":\"declined\"}",
              call);
          json_object_unref (test_client_expect (alice, "decline"));
        }
      else
        {
          test_client_sendf (
              alice,
              "{\"type\":\"hangup\",\"to\":\"bob\",\"call\":\"%s\",\"reason\":\"cancelled\"}",
              call);
          json_object_unref (test_client_expect (bob, "hangup"));
        }
    }

  /* The flood: every further invite is refused and Bob hears nothing. */
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *call = g_strdup_printf ("flood-%u", i);

      test_client_sendf (
          alice, "{\"type\":\"invite\",\"to\":\"bob\",\"call\":\"flood-%u\",\"video\":false}", i);
      error = test_client_expect_error (alice, "rate-limited", "invite");
      g_assert_cmpstr (json_object_get_string_member (error, "call"), ==, call);
      json_object_unref (error);
    }
  test_client_expect_nothing (bob, 200);

  /* Only that pair: Carol may ring Bob, Bob may ring Alice. */
  ring (carol, bob, "carol-1");
  test_client_sendf (
      carol, "{\"type\":\"hangup\",\"to\":\"bob\",\"call\":\"carol-1\",\"reason\":\"cancelled\"}");
  json_object_unref (test_client_expect (bob, "hangup"));
  ring (bob, alice, "bob-1");
  test_client_sendf (
      bob, "{\"type\":\"hangup\",\"to\":\"alice\",\"call\":\"bob-1\",\"reason\":\"cancelled\"}");
  json_object_unref (test_client_expect (alice, "hangup"));

  test_client_free (alice);
  test_client_free (bob);
  test_client_free (carol);
  test_server_stop (server);
  test_server_free (server);
}

/* Runs openssl s_client against the server with only @version (e.g. "-tls1_1") enabled;
 * returns the negotiated protocol, or NULL when the handshake failed. */
static char *
tls_handshake (TestServer *server, const char *version)
{
  g_autofree char *connect = g_strdup_printf ("127.0.0.1:%u", server->port);
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  /* SECLEVEL=0: OpenSSL 3 would refuse TLS 1.0/1.1 on the client side by itself */
  const char *argv[]
      = { "openssl", "s_client", "-connect", connect, version, "-cipher", "DEFAULT:@SECLEVEL=0",
          NULL };
  const char *line;
  int status;

  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  line = strstr (out, "New, ");
  if (!g_spawn_check_wait_status (status, NULL) || line == NULL
      || g_str_has_prefix (line, "New, (NONE)"))
    return NULL;
  return g_strndup (line + 5, strcspn (line + 5, ","));
}

static void
test_tls_versions (void)
{
  g_autofree char *dir = g_dir_make_tmp ("peercall-signal-test-XXXXXX", NULL);
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  g_autofree char *lsan_options = g_strdup (g_getenv ("LSAN_OPTIONS"));
  g_autofree char *tls12 = NULL;
  g_autofree char *tls13 = NULL;
  const char *argv[] = { "openssl",
                         "req",
                         "-x509",
                         "-newkey",
                         "ec",
                         "-pkeyopt",
                         "ec_paramgen_curve:prime256v1",
                         "-nodes",
                         "-days",
                         "1",
                         "-subj",
                         "/CN=127.0.0.1",
                         "-keyout",
                         key,
                         "-out",
                         cert,
                         NULL };
  g_autoptr (GError) error = NULL;
  TestServer *server;
  int status;

  g_assert_nonnull (dir);
  g_spawn_sync (NULL, (char **)argv, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  /* The server's own default, not an inherited one. LeakSanitizer off for this server: see
   * test-signal-server's /signal/tls. */
  g_unsetenv ("G_TLS_GNUTLS_PRIORITY");
  g_setenv ("LSAN_OPTIONS", "detect_leaks=0", TRUE);
  server = test_server_start ("--tls-cert", cert, "--tls-key", key, NULL);
  if (lsan_options != NULL)
    g_setenv ("LSAN_OPTIONS", lsan_options, TRUE);
  else
    g_unsetenv ("LSAN_OPTIONS");

  g_assert_null (tls_handshake (server, "-tls1"));
  g_assert_null (tls_handshake (server, "-tls1_1"));
  tls12 = tls_handshake (server, "-tls1_2");
  tls13 = tls_handshake (server, "-tls1_3");
  g_assert_cmpstr (tls12, ==, "TLSv1.2");
  g_assert_cmpstr (tls13, ==, "TLSv1.3");

  test_server_stop (server);
  test_server_free (server);
  g_remove (cert);
  g_remove (key);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/signal/limits/fragment-flood", test_fragment_flood);
  g_test_add_func ("/signal/limits/connections-per-ip", test_connection_caps);
  g_test_add_func ("/signal/limits/connections", test_global_cap);
  g_test_add_func ("/signal/limits/invite-flood", test_invite_flood);
  g_test_add_func ("/signal/limits/tls-versions", test_tls_versions);
  return g_test_run ();
}
