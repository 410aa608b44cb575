/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Bad input: several connections throw thousands of malformed frames at the real peercall-signal
 * while two users complete full calls on other connections. The server must answer every bad
 * frame with an error (or close with the right code for frames that break the WebSocket
 * itself), never disturb the call, stay up, and exit cleanly (status 0: under ASan, no leaks). */
#include "config.h"

#include <string.h>

#include "signal-test-util.h"

#define N_ATTACKERS 4
#define FRAMES_PER_CONN 600
#define MAX_MESSAGE (64 * 1024)

typedef struct
{
  TestServer *server;
  guint index;
  guint32 seed;
  RawWs *conns[2];
  guint frames_sent;
  guint replies;
  gint done;
} Attacker;

/* Frames that are bad but keep the connection open: each one gets exactly one `error`. */
static GBytes *
make_bad_frame (GRand *rand, guint8 *out_opcode, gboolean registered)
{
  GString *s = g_string_new (NULL);
  guint kind = g_rand_int_range (rand, 0, 100);

  *out_opcode = 0x1;
  if (kind < 15)
    {
      /* random bytes in a binary frame */
      guint len = g_rand_int_range (rand, 0, 2048);

      *out_opcode = 0x2;
      for (guint i = 0; i < len; i++)
        g_string_append_c (s, (char)g_rand_int_range (rand, 0, 256));
    }
  else if (kind < 30)
    {
      /* printable garbage (never a JSON object) */
      guint len = g_rand_int_range (rand, 1, 512);

      g_string_append_c (s, '#');
      for (guint i = 0; i < len; i++)
        g_string_append_c (s, (char)g_rand_int_range (rand, 0x20, 0x7f));
    }
  else if (kind < 45)
    {
      /* truncated JSON */
      const char *full = "{\"type\":\"sdp\",\"to\":\"victim\",\"call\":\"c1\",\"description\":"
                         "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}}";

      g_string_append_len (s, full, g_rand_int_range (rand, 1, strlen (full) - 1));
    }
  else if (kind < 47)
    {
      /* deep nesting just under the size limit */
      guint depth = g_rand_boolean (rand) ? 32000 : 10000;
      gboolean objects = depth == 10000;

      for (guint i = 0; i < depth; i++)
        g_string_append (s, objects ? "{\"a\":" : "[");
      g_string_append (s, "1");
      for (guint i = 0; i < depth; i++)
        g_string_append_c (s, objects ? '}' : ']');
      g_assert_cmpuint (s->len, <=, MAX_MESSAGE);
    }
  else if (kind < 50)
    {
      /* huge strings just under the limit: a name far over 128 characters, an sdp type that
       * isn't one */
      guint len = MAX_MESSAGE - 100 - g_rand_int_range (rand, 0, 64);

      if (g_rand_boolean (rand))
        g_string_append (s, "{\"type\":\"hello\",\"version\":1,\"user\":\"u\",\"name\":\"");
      else
        g_string_append (s, "{\"type\":\"sdp\",\"to\":\"victim\",\"call\":\"c1\","
                            "\"description\":{\"type\":\"");
      for (guint i = 0; i < len; i++)
        g_string_append_c (s, 'A' + (i % 26));
      g_string_append (s, g_str_has_prefix (s->str, "{\"type\":\"hello") ? "\"}" : "\"}}");
      g_assert_cmpuint (s->len, <=, MAX_MESSAGE);
    }
  else
    {
      /* well-formed JSON with a wrong-typed or missing member */
      const char *const templates[] = {
        "{\"type\":\"hello\",\"version\":\"1\",\"user\":\"u\",\"name\":\"n\"}",
        "{\"type\":\"hello\",\"version\":1,\"user\":7,\"name\":\"n\"}",
        "{\"type\":\"hello\",\"version\":1,\"user\":\"U P\",\"name\":\"n\"}",
        "{\"type\":\"hello\",\"version\":1,\"user\":\"u\",\"name\":[]}",
        "{\"type\":\"hello\",\"version\":1,\"user\":\"u\",\"name\":\"\"}",
        "{\"type\":\"hello\",\"version\":1.5,\"user\":\"u\",\"name\":\"n\"}",
        "{\"type\":\"invite\",\"to\":null,\"call\":\"c1\",\"video\":true}",
        "{\"type\":\"invite\",\"to\":\"victim\",\"call\":{},\"video\":true}",
        "{\"type\":\"invite\",\"to\":\"victim\",\"call\":\"c1\",\"video\":1}",
        "{\"type\":\"ice\",\"to\":\"victim\",\"call\":\"c1\",\"candidate\":\"str\"}",
        "{\"type\":\"ice\",\"to\":\"victim\",\"call\":\"c1\",\"candidate\":{\"candidate\":5}}",
        "{\"type\":\"sdp\",\"to\":\"victim\",\"call\":\"c1\",\"description\":[]}",
        "{\"type\":\"sdp\",\"to\":\"victim\",\"call\":\"c1\",\"description\":{\"type\":"
        "\"pranswer\","
        "\"sdp\":\"x\"}}",
        "{\"type\":\"hangup\",\"to\":\"victim\",\"call\":\"c1\",\"reason\":false}",
        "{\"type\":\"decline\",\"to\":\"victim\",\"call\":\"c1\",\"reason\":\"meh\"}",
        "{\"type\":[\"hello\"]}",
        "{\"type\":null}",
        "{\"type\":\"error\",\"code\":\"bad-message\",\"message\":\"x\"}",
        "{\"type\":\"presence\",\"user\":\"victim\",\"name\":\"V\",\"status\":\"offline\"}",
        "{\"type\":\"hello\",\"type\":\"invite\"}",
        "\"just a string\"",
        "null",
        "[]",
        "{}",
        "",
        "{\"type\":\"ice\",\"to\":\"victim\",\"call\":\"c1\",\"candidate\":null,\"x\":\"\\ud800\"}",
      };

      g_string_append (s, templates[g_rand_int_range (rand, 0, G_N_ELEMENTS (templates))]);
    }
  return g_string_free_to_bytes (s);
}

/* Two connections per attacker, opened before any flood starts; the second one is signed in,
 * so the parser's errors meet the registered paths too. */
static void
attacker_connect (Attacker *attacker)
{
  g_autofree char *hello = g_strdup_printf ("{\"type\":\"hello\",\"version\":1,\"user\":"
                                            "\"attacker-%u\",\"name\":\"Attacker\"}",
                                            attacker->index);
  guint8 opcode;
  GBytes *payload;

  attacker->conns[0] = raw_ws_connect (attacker->server);
  attacker->conns[1] = raw_ws_connect (attacker->server);
  g_assert_true (raw_ws_send_text (attacker->conns[1], hello));
  g_assert_true (raw_ws_read_frame (attacker->conns[1], &opcode, &payload));
  g_assert_nonnull (strstr (g_bytes_get_data (payload, NULL), "\"welcome\""));
  g_bytes_unref (payload);
}

static gpointer
attacker_thread (gpointer user_data)
{
  Attacker *attacker = user_data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (attacker->seed);
  RawWs **conns = attacker->conns;
  guint sent[2] = { 0 };

  for (guint i = 0; i < 2 * FRAMES_PER_CONN; i++)
    {
      guint which = i % 2;
      guint8 opcode;
      g_autoptr (GBytes) frame = make_bad_frame (rand, &opcode, which == 1);
      gsize len;
      const void *data = g_bytes_get_data (frame, &len);

      g_assert_true (raw_ws_send_frame (conns[which], opcode, TRUE, data, len));
      sent[which]++;
    }

  /* Close our side and count the replies: one error for every frame. */
  for (guint c = 0; c < 2; c++)
    {
      guint8 close_payload[2] = { 0x03, 0xe8 }; /* 1000 */
      guint n_errors = 0;
      gushort code;

      g_assert_true (raw_ws_send_frame (conns[c], 0x8, TRUE, close_payload, 2));
      code = raw_ws_read_until_close (conns[c], &n_errors);
      g_assert_cmpuint (code, ==, 1000);
      g_assert_cmpuint (n_errors, ==, sent[c]);
      attacker->replies += n_errors;
      attacker->frames_sent += sent[c];
      raw_ws_free (conns[c]);
    }

  g_atomic_int_set (&attacker->done, 1);
  return NULL;
}

/* Frames that break the WebSocket layer itself: the server must close with the right code. */
static void
check_fatal_frame (TestServer *server,
                   guint8 first_byte,
                   gboolean masked,
                   const char *payload,
                   gsize len,
                   gushort expected_code)
{
  RawWs *raw = raw_ws_connect (server);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (raw->connection));

  if (masked)
    raw_ws_send_frame (raw, first_byte & 0x0f, (first_byte & 0x80) != 0, payload, len);
  else
    {
      guint8 header[2] = { first_byte, (guint8)len };

      g_assert_cmpuint (len, <, 126);
      g_output_stream_write_all (out, header, 2, NULL, NULL, NULL);
      g_output_stream_write_all (out, payload, len, NULL, NULL, NULL);
    }
  g_assert_cmpuint (raw_ws_read_until_close (raw, NULL), ==, expected_code);
  raw_ws_free (raw);
}

static void
fatal_frames (TestServer *server, GRand *rand)
{
  GString *deep = g_string_new (NULL);
  GString *big = g_string_new ("{\"type\":\"hello\",\"version\":1,\"user\":\"u\",\"name\":\"");
  const char invalid_utf8[] = "{\"type\":\"\xc3\x28\xff\"}";

  /* 100k deep: over the size limit */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, ']');
  check_fatal_frame (server, 0x81, TRUE, deep->str, deep->len, 1009);
  /* a string just over the limit */
  while (big->len < MAX_MESSAGE + 10)
    g_string_append_c (big, 'x');
  g_string_append (big, "\"}");
  check_fatal_frame (server, 0x81, TRUE, big->str, big->len, 1009);
  /* invalid UTF-8 in a text frame */
  check_fatal_frame (server, 0x81, TRUE, invalid_utf8, sizeof invalid_utf8 - 1, 1007);
  /* reserved opcode, unmasked client frame, continuation with nothing to continue */
  check_fatal_frame (server, 0x83, TRUE, "{}", 2, 1002);
  check_fatal_frame (server, 0x81, FALSE, "{}", 2, 1002);
  check_fatal_frame (server, 0x80, TRUE, "{}", 2, 1002);

  /* pure garbage after the handshake: whatever the server makes of it, it must survive */
  for (guint i = 0; i < 20; i++)
    {
      RawWs *raw = raw_ws_connect (server);
      guint8 junk[256];

      for (guint j = 0; j < sizeof junk; j++)
        junk[j] = (guint8)g_rand_int_range (rand, 0, 256);
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (raw->connection)),
                                 junk, g_rand_int_range (rand, 1, sizeof junk), NULL, NULL, NULL);
      raw_ws_free (raw);
    }

  g_string_free (deep, TRUE);
  g_string_free (big, TRUE);
}

/* One complete call between alice and bob; everything must arrive intact. */
static void
call_flow (TestClient *alice, TestClient *bob, guint round)
{
  g_autofree char *call = g_strdup_printf ("round-%u", round);
  JsonObject *msg;

  test_client_sendf (alice, "{\"type\":\"invite\",\"to\":\"bob\",\"call\":\"%s\",\"video\":true}",
                     call);
  msg = test_client_expect (bob, "invite");
  g_assert_cmpstr (json_object_get_string_member (msg, "from"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (msg, "call"), ==, call);
  json_object_unref (msg);
  test_client_sendf (bob, "{\"type\":\"ringing\",\"to\":\"alice\",\"call\":\"%s\"}", call);
  json_object_unref (test_client_expect (alice, "ringing"));
  test_client_sendf (bob, "{\"type\":\"accept\",\"to\":\"alice\",\"call\":\"%s\"}", call);
  json_object_unref (test_client_expect (alice, "accept"));
  test_client_sendf (alice,
                     "{\"type\":\"sdp\",\"to\":\"bob\",\"call\":\"%s\",\"description\":{\"type\":"
                     "\"offer\",\"sdp\":\"v=0\\r\\n\"}}",
                     call);
  json_object_unref (test_client_expect (bob, "sdp"));
  test_client_sendf (bob,
                     "{\"type\":\"sdp\",\"to\":\"alice\",\"call\":\"%s\",\"description\":{\"type\":"
                     "\"answer\",\"sdp\":\"v=0\\r\\n\"}}",
                     call);
  json_object_unref (test_client_expect (alice, "sdp"));
  for (guint i = 0; i < 5; i++)
    {
      test_client_sendf (alice,
                         "{\"type\":\"ice\",\"to\":\"bob\",\"call\":\"%s\",\"candidate\":{"
                         "\"candidate\":\"candidate:%u 1 UDP 1 127.0.0.1 %u typ host\","
                         "\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}",
                         call, i, 40000 + i);
      msg = test_client_expect (bob, "ice");
      g_assert_cmpuint (json_object_get_int_member (
                            json_object_get_object_member (msg, "candidate"), "sdpMLineIndex"),
                        ==, 0);
      json_object_unref (msg);
      test_client_sendf (
          bob, "{\"type\":\"ice\",\"to\":\"alice\",\"call\":\"%s\",\"candidate\":null}", call);
      json_object_unref (test_client_expect (alice, "ice"));
    }
  test_client_sendf (alice,
                     "{\"type\":\"hangup\",\"to\":\"bob\",\"call\":\"%s\",\"reason\":"
                     "\"normal\"}",
                     call);
  msg = test_client_expect (bob, "hangup");
  g_assert_cmpstr (json_object_get_string_member (msg, "reason"), ==, "normal");
  json_object_unref (msg);
}

static gboolean
all_done (Attacker *attackers)
{
  for (guint i = 0; i < N_ATTACKERS; i++)
    if (!g_atomic_int_get (&attackers[i].done))
      return FALSE;
  return TRUE;
}

static void
test_bad_input (void)
{
  TestServer *server
      = test_server_start ("--rate-limit", "1000000", "--rate-burst", "1000000", NULL);
  TestClient *alice = test_client_register (server, "alice", "Alice", NULL);
  TestClient *bob = test_client_register (server, "bob", "Bob", NULL);
  Attacker attackers[N_ATTACKERS] = { 0 };
  GThread *threads[N_ATTACKERS];
  guint32 seed = g_test_rand_int ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (GBytes) health = NULL;
  g_autoptr (GBytes) metrics = NULL;
  guint rounds = 0, total_frames = 0, status;
  gint64 start = g_get_monotonic_time ();

  g_test_message ("seed %u", seed);
  for (guint i = 0; i < N_ATTACKERS; i++)
    {
      attackers[i].server = server;
      attackers[i].index = i;
      attackers[i].seed = seed + i + 1;
      attacker_connect (&attackers[i]);
    }
  for (guint i = 0; i < N_ATTACKERS; i++)
    {
      threads[i] = g_thread_new ("attacker", attacker_thread, &attackers[i]);
    }

  /* Calls keep completing, correctly, while the flood runs. */
  while (!all_done (attackers) || rounds < 3)
    call_flow (alice, bob, rounds++);
  for (guint i = 0; i < N_ATTACKERS; i++)
    {
      g_thread_join (threads[i]);
      total_frames += attackers[i].frames_sent;
      g_assert_cmpuint (attackers[i].replies, ==, attackers[i].frames_sent);
    }
  fatal_frames (server, rand);
  call_flow (alice, bob, rounds++);
  g_test_message ("%u malformed frames from %u connections in %.1f s; %u complete calls meanwhile",
                  total_frames, 2 * N_ATTACKERS,
                  (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC, rounds);
  g_assert_cmpuint (total_frames, >=, 4000);

  health = test_http_get (server, "/healthz", &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  metrics = test_http_get (server, "/metrics", &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (g_bytes_get_data (metrics, NULL), "\npeercall_registered_users 2\n"));
  g_assert_true (g_queue_is_empty (&alice->messages));
  g_assert_true (g_queue_is_empty (&bob->messages));

  test_client_free (alice);
  test_client_free (bob);
  test_server_stop (server);
  test_server_free (server);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* The single-threaded server works through the flood before it gets to the call's next
   * message; on a loaded 2-core machine that can take seconds. Still bounded. */
  test_timeout_ms = 60000;
  g_test_add_func ("/signal/bad-input", test_bad_input);
  return g_test_run ();
}
