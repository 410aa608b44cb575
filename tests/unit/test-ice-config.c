/* SPDX-License-Identifier: GPL-3.0-or-later */
/* net/pc-ice-config.c: RTCIceServer URLs as preferences and `welcome` give them, turned into
 * the GStreamer URIs webrtcbin takes; bad ones refused with an error. */
#include "config.h"

#include "pc-ice-config.h"

static char *
last_uri (GPtrArray *uris)
{
  g_assert_nonnull (uris);
  g_assert_cmpuint (uris->len, >, 0);
  return g_strdup (g_ptr_array_index (uris, uris->len - 1));
}

/* Each cases[i][0] added as a preference string must come out as cases[i][1]. */
static void
check_conversions (const char *const (*cases)[2], guint n_cases, gboolean turn)
{
  for (guint i = 0; i < n_cases; i++)
    {
      g_autoptr (PcIceConfig) config = pc_ice_config_new ();
      g_autoptr (GError) error = NULL;
      g_autofree char *uri = NULL;

      g_assert_true (pc_ice_config_add_server_uri (config, cases[i][0], &error));
      g_assert_no_error (error);
      uri = last_uri (turn ? pc_ice_config_get_turn_uris (config)
                           : pc_ice_config_get_stun_uris (config));
      g_assert_cmpstr (uri, ==, cases[i][1]);
    }
}

static void
test_stun_urls (void)
{
  static const char *const cases[][2] = {
    { "stun:127.0.0.1", "stun://127.0.0.1:3478" },
    { "stun:127.0.0.1:19302", "stun://127.0.0.1:19302" },
    { "STUN://stun.example.test", "stun://stun.example.test:3478" }, /* scheme case, "//" */
    { "stun:[::1]", "stun://[::1]:3478" },
    { "stun:[::1]:3479", "stun://[::1]:3479" },
  };

  check_conversions (cases, G_N_ELEMENTS (cases), FALSE);
}

static void
test_turn_urls (void)
{
  static const char *const cases[][2] = {
    { "turn:alice:secret@198.18.0.1", "turn://alice:secret@198.18.0.1:3478" },
    { "turn:alice:secret@198.18.0.1:3479?transport=tcp",
      "turn://alice:secret@198.18.0.1:3479?transport=tcp" },
    { "turns:alice:secret@[2001:db8::1]", "turns://alice:secret@[2001:db8::1]:5349" },
    /* a coturn REST username has its own ':' and the password an '@': escaped once */
    { "turn:1700000000%3Aalice:p%40ss@198.18.0.1",
      "turn://1700000000%3Aalice:p%40ss@198.18.0.1:3478" },
  };

  check_conversions (cases, G_N_ELEMENTS (cases), TRUE);
}

static void
test_server_credentials (void)
{
  g_autoptr (PcIceConfig) config = pc_ice_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;
  const char *urls[] = { "turn:198.18.0.1?transport=udp", NULL };
  PcIceServer server = { .urls = (char **)urls, .username = "1700000000:bob", .credential = "pw" };

  g_assert_true (pc_ice_config_add_server (config, &server, &error));
  g_assert_no_error (error);
  uri = last_uri (pc_ice_config_get_turn_uris (config));
  g_assert_cmpstr (uri, ==, "turn://1700000000%3Abob:pw@198.18.0.1:3478?transport=udp");
}

static void
test_bad_urls (void)
{
  static const char *const bad[] = {
    "",
    "127.0.0.1",                    /* no scheme */
    "http://127.0.0.1",             /* not an ICE scheme */
    "stun:127.0.0.1?transport=udp", /* transport is TURN only */
    "turn:a:b@127.0.0.1?transport=sctp",
    "stun:127.0.0.1:0",
    "stun:127.0.0.1:65536",
    "stun:[::1",
    "stun:[::1]x",
    "stun:",
    "stun:a b",
    "turn:127.0.0.1",         /* TURN without credentials */
    "turn:nocolon@127.0.0.1", /* user info without a password */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (PcIceConfig) config = pc_ice_config_new ();
      g_autoptr (GError) error = NULL;

      g_test_message ("bad URL: %s", bad[i]);
      g_assert_false (pc_ice_config_add_server_uri (config, bad[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_cmpuint (pc_ice_config_get_stun_uris (config)->len, ==, 0);
      g_assert_cmpuint (pc_ice_config_get_turn_uris (config)->len, ==, 0);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ice-config/stun-urls", test_stun_urls);
  g_test_add_func ("/ice-config/turn-urls", test_turn_urls);
  g_test_add_func ("/ice-config/server-credentials", test_server_credentials);
  g_test_add_func ("/ice-config/bad-urls", test_bad_urls);
  return g_test_run ();
}
