/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Integration tests of peercall-signal: the real server process, clients speaking the wire
 * protocol over real WebSockets. Each test starts its own server on a free port. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "signal-test-util.h"

/* Small helpers */

static const char *
str_member (JsonObject *object, const char *member)
{
  return json_object_get_string_member_with_default (object, member, NULL);
}

static char *
make_temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("peercall-signal-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static char *
write_file (const char *dir, const char *name, const char *contents)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static char *
base64url (const guint8 *data, gsize len)
{
  char *text = g_base64_encode (data, len);
  char *out = text;

  for (char *p = text; *p; p++)
    if (*p == '+')
      *out++ = '-';
    else if (*p == '/')
      *out++ = '_';
    else if (*p != '=')
      *out++ = *p;
  *out = '\0';
  return text;
}

/* The token formula from DESIGN.md, computed independently of the server. */
static char *
make_token (const char *secret, const char *user, gint64 expiry)
{
  g_autofree char *data = g_strdup_printf ("%s:%" G_GINT64_FORMAT, user, expiry);
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *)secret, strlen (secret));
  guint8 digest[32];
  gsize len = sizeof digest;
  g_autofree char *sig = NULL;

  g_hmac_update (hmac, (const guchar *)data, -1);
  g_hmac_get_digest (hmac, digest, &len);
  sig = base64url (digest, len);
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%s", expiry, sig);
}

static void
send_hello_with_token (TestClient *client, const char *user, const char *token)
{
  test_client_sendf (client,
                     "{\"type\":\"hello\",\"version\":1,\"user\":\"%s\",\"name\":\"%s\","
                     "\"token\":\"%s\"}",
                     user, user, token);
}

static void
start_call (TestClient *caller, TestClient *callee, const char *call)
{
  g_autoptr (JsonObject) invite = NULL;
  g_autoptr (JsonObject) accept = NULL;

  test_client_sendf (caller, "{\"type\":\"invite\",\"to\":\"%s\",\"call\":\"%s\",\"video\":true}",
                     callee->user, call);
  invite = test_client_expect (callee, "invite");
  g_assert_cmpstr (str_member (invite, "from"), ==, caller->user);
  test_client_sendf (callee, "{\"type\":\"accept\",\"to\":\"%s\",\"call\":\"%s\"}", caller->user,
                     call);
  accept = test_client_expect (caller, "accept");
  g_assert_cmpstr (str_member (accept, "call"), ==, call);
}

/* Tests */

static void
test_call_flow (void)
{
  TestServer *server = test_server_startv (NULL);
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (JsonObject) msg = NULL;
  TestClient *alice, *bob, *carol;
  JsonArray *peers;
  JsonObject *peer, *description, *candidate;

  alice = test_client_register (server, "alice", "Alice A.", NULL);
  bob = test_client_register (server, "bob", "Bob B.", &welcome);
  test_client_expect_presence (alice, "bob", "available");

  /* welcome: no ICE servers by default, alice listed as available */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (welcome, "ice_servers")),
                    ==, 0);
  peers = json_object_get_array_member (welcome, "peers");
  g_assert_cmpuint (json_array_get_length (peers), ==, 1);
  peer = json_array_get_object_element (peers, 0);
  g_assert_cmpstr (str_member (peer, "user"), ==, "alice");
  g_assert_cmpstr (str_member (peer, "name"), ==, "Alice A.");
  g_assert_cmpstr (str_member (peer, "status"), ==, "available");
  carol = test_client_register (server, "carol", "Carol", NULL);

  /* invite: relayed with from and the caller's name, without to */
  test_client_send_text (alice, "{\"type\":\"invite\",\"to\":\"bob\",\"call\":\"c-1\","
                                "\"video\":true,\"future\":42}");
  msg = test_client_expect (bob, "invite");
  g_assert_cmpstr (str_member (msg, "from"), ==, "alice");
  g_assert_cmpstr (str_member (msg, "name"), ==, "Alice A.");
  g_assert_cmpstr (str_member (msg, "call"), ==, "c-1");
  g_assert_true (json_object_get_boolean_member (msg, "video"));
  g_assert_false (json_object_has_member (msg, "to"));
  g_clear_pointer (&msg, json_object_unref);
  test_client_expect_presence (carol, "alice", "busy");
  test_client_expect_presence (carol, "bob", "busy");

  test_client_send_text (bob, "{\"type\":\"ringing\",\"to\":\"alice\",\"call\":\"c-1\"}");
  msg = test_client_expect (alice, "ringing");
  g_assert_cmpstr (str_member (msg, "from"), ==, "bob");
  g_clear_pointer (&msg, json_object_unref);

  test_client_send_text (bob, "{\"type\":\"accept\",\"to\":\"alice\",\"call\":\"c-1\"}");
  msg = test_client_expect (alice, "accept");
  g_assert_cmpstr (str_member (msg, "from"), ==, "bob");
  g_assert_cmpstr (str_member (msg, "call"), ==, "c-1");
  g_clear_pointer (&msg, json_object_unref);

  test_client_send_text (alice, "{\"type\":\"sdp\",\"to\":\"bob\",\"call\":\"c-1\",\"description\":"
                                "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 1 1 IN IP4 "
                                "127.0.0.1\\r\\n\"}}");
  msg = test_client_expect (bob, "sdp");
  description = json_object_get_object_member (msg, "description");
  g_assert_cmpstr (str_member (description, "type"), ==, "offer");
  g_assert_cmpstr (str_member (description, "sdp"), ==, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n");
  g_assert_cmpstr (str_member (msg, "from"), ==, "alice");
  g_clear_pointer (&msg, json_object_unref);

  test_client_send_text (bob, "{\"type\":\"sdp\",\"to\":\"alice\",\"call\":\"c-1\",\"description\":"
                              "{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\"}}");
  msg = test_client_expect (alice, "sdp");
  description = json_object_get_object_member (msg, "description");
  g_assert_cmpstr (str_member (description, "type"), ==, "answer");
  g_clear_pointer (&msg, json_object_unref);

  test_client_send_text (alice, "{\"type\":\"ice\",\"to\":\"bob\",\"call\":\"c-1\",\"candidate\":"
                                "{\"candidate\":\"candidate:1 1 UDP 2015363327 127.0.0.1 40000 "
                                "typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}");
  msg = test_client_expect (bob, "ice");
  candidate = json_object_get_object_member (msg, "candidate");
  g_assert_cmpstr (str_member (candidate, "candidate"), ==,
                   "candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host");
  g_assert_cmpstr (str_member (candidate, "sdpMid"), ==, "0");
  g_assert_cmpint (json_object_get_int_member (candidate, "sdpMLineIndex"), ==, 0);
  g_clear_pointer (&msg, json_object_unref);

  test_client_send_text (bob, "{\"type\":\"ice\",\"to\":\"alice\",\"call\":\"c-1\",\"candidate\":"
                              "{\"candidate\":\"candidate:2 1 UDP 2015363327 127.0.0.1 40002 typ "
                              "host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}");
  msg = test_client_expect (alice, "ice");
  g_assert_cmpstr (str_member (msg, "from"), ==, "bob");
  g_clear_pointer (&msg, json_object_unref);

  /* end of candidates, both ways */
  test_client_send_text (alice,
                         "{\"type\":\"ice\",\"to\":\"bob\",\"call\":\"c-1\",\"candidate\":null}");
  msg = test_client_expect (bob, "ice");
  g_assert_true (json_object_has_member (msg, "candidate"));
  g_assert_true (json_object_get_null_member (msg, "candidate"));
  g_clear_pointer (&msg, json_object_unref);
  test_client_send_text (bob,
                         "{\"type\":\"ice\",\"to\":\"alice\",\"call\":\"c-1\",\"candidate\":null}");
  msg = test_client_expect (alice, "ice");
  g_assert_true (json_object_get_null_member (msg, "candidate"));
  g_clear_pointer (&msg, json_object_unref);

  test_client_send_text (alice, "{\"type\":\"hangup\",\"to\":\"bob\",\"call\":\"c-1\","
                                "\"reason\":\"normal\"}");
  msg = test_client_expect (bob, "hangup");
  g_assert_cmpstr (str_member (msg, "from"), ==, "alice");
  g_assert_cmpstr (str_member (msg, "reason"), ==, "normal");
  g_clear_pointer (&msg, json_object_unref);
  test_client_expect_presence (carol, "alice", "available");
  test_client_expect_presence (carol, "bob", "available");

  /* the call is over: nothing more passes */
  test_client_send_text (alice,
                         "{\"type\":\"ice\",\"to\":\"bob\",\"call\":\"c-1\",\"candidate\":null}");
  g_clear_pointer (&msg, json_object_unref);
  msg = test_client_expect_error (alice, "no-such-call", "ice");
  g_assert_cmpstr (str_member (msg, "call"), ==, "c-1");
  test_client_expect_nothing (bob, 100);

  test_client_free (alice);
  test_client_free (bob);
  test_client_expect_presence (carol, "alice", "offline");
  test_client_expect_presence (carol, "bob", "offline");
  test_client_free (carol);
  test_server_stop (server);
  test_server_free (server);
}

static void
test_busy (void)
{
  TestServer *server = test_server_startv (NULL);
  TestClient *alice = test_client_register (server, "alice", "Alice", NULL);
  TestClient *bob = test_client_register (server, "bob", "Bob", NULL);
  TestClient *carol = test_client_register (server, "carol", "Carol", NULL);
  g_autoptr (JsonObject) decline = NULL;
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (JsonObject) error = NULL;
  TestClient *dave;
  JsonArray *peers;

  /* pending call alice -> bob: both are busy */
  test_client_send_text (alice,
                         "{\"type\":\"invite\",\"to\":\"bob\",\"call\":\"c1\",\"video\":false}");
  g_clear_pointer (&decline, json_object_unref);
  json_object_unref (test_client_expect (bob, "invite"));
  test_client_expect_presence (carol, "bob", "busy");

  test_client_send_text (carol,
                         "{\"type\":\"invite\",\"to\":\"bob\",\"call\":\"c2\",\"video\":true}");
  decline = test_client_expect (carol, "decline");
  g_assert_cmpstr (str_member (decline, "from"), ==, "bob");
  g_assert_cmpstr (str_member (decline, "call"), ==, "c2");
  g_assert_cmpstr (str_member (decline, "reason"), ==, "busy");
  g_assert_false (json_object_has_member (decline, "to"));
  test_client_expect_nothing (bob, 100);
  g_clear_pointer (&decline, json_object_unref);

  /* the caller of a pending call is busy too */
  test_client_send_text (carol,
                         "{\"type\":\"invite\",\"to\":\"alice\",\"call\":\"c3\",\"video\":true}");
  decline = test_client_expect (carol, "decline");
  g_assert_cmpstr (str_member (decline, "from"), ==, "alice");
  g_assert_cmpstr (str_member (decline, "reason"), ==, "busy");

  /* a user in a call can't start a second one */
  test_client_send_text (alice,
                         "{\"type\":\"invite\",\"to\":\"carol\",\"call\":\"c4\",\"video\":true}");
  error = test_client_expect_error (alice, "bad-message", "invite");
  g_assert_cmpstr (str_member (error, "call"), ==, "c4");
  test_client_expect_nothing (carol, 100);

  /* a newcomer sees the busy status in welcome */
  dave = test_client_register (server, "dave", "Dave", &welcome);
  peers = json_object_get_array_member (welcome, "peers");
  g_assert_cmpuint (json_array_get_length (peers), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *peer = json_array_get_object_element (peers, i);
      const char *user = str_member (peer, "user");

      g_assert_cmpstr (str_member (peer, "status"), ==,
                       g_strcmp0 (user, "carol") == 0 ? "available" : "busy");
    }

  test_client_free (dave);
  test_client_free (alice);
  test_client_free (bob);
  test_client_free (carol);
  test_server_stop (server);
  test_server_free (server);
}

static void
test_decline (void)
{
  TestServer *server = test_server_startv (NULL);
  TestClient *alice = test_client_register (server, "alice", "Alice", NULL);
  TestClient *bob = test_client_register (server, "bob", "Bob", NULL);
  g_autoptr (JsonObject) decline = NULL;
  g_autoptr (JsonObject) invite = NULL;

  test_client_send_text (alice,
                         "{\"type\":\"invite\",\"to\":\"bob\",\"call\":\"d1\",\"video\":true}");
  json_object_unref (test_client_expect (bob, "invite"));
  test_client_send_text (bob, "{\"type\":\"decline\",\"to\":\"alice\",\"call\":\"d1\","
                              "\"reason\":\"declined\"}");
  decline = test_client_expect (alice, "decline");
  g_assert_cmpstr (str_member (decline, "from"), ==, "bob");
  g_assert_cmpstr (str_member (decline, "reason"), ==, "declined");
  test_client_expect_presence (alice, "bob", "available");

  /* the call ended: it can't be accepted any more, and a new one can start */
  test_client_send_text (bob, "{\"type\":\"accept\",\"to\":\"alice\",\"call\":\"d1\"}");
  json_object_unref (test_client_expect_error (bob, "no-such-call", "accept"));
  test_client_send_text (alice,
                         "{\"type\":\"invite\",\"to\":\"bob\",\"call\":\"d2\",\"video\":true}");
  invite = test_client_expect (bob, "invite");
  g_assert_cmpstr (str_member (invite, "call"), ==, "d2");

  /* the caller cancels */
  test_client_send_text (alice, "{\"type\":\"hangup\",\"to\":\"bob\",\"call\":\"d2\","
                                "\"reason\":\"cancelled\"}");
  g_clear_pointer (&decline, json_object_unref);
  decline = test_client_expect (bob, "hangup");
  g_assert_cmpstr (str_member (decline, "reason"), ==, "cancelled");

  test_client_free (alice);
  test_client_free (bob);
  test_server_stop (server);
  test_server_free (server);
}

static void
test_unknown_peer (void)
{
  TestServer *server = test_server_startv (NULL);
  TestClient *alice = test_client_register (server, "alice", "Alice", NULL);
  TestClient *bob = test_client_register (server, "bob", "Bob", NULL);
  g_autoptr (JsonObject) error = NULL;

  test_client_send_text (alice,
                         "{\"type\":\"invite\",\"to\":\"nobody\",\"call\":\"u1\",\"video\":true}");
  error = test_client_expect_error (alice, "unknown-peer", "invite");
  g_assert_cmpstr (str_member (error, "call"), ==, "u1");
  g_clear_pointer (&error, json_object_unref);

  test_client_send_text (alice,
                         "{\"type\":\"invite\",\"to\":\"alice\",\"call\":\"u2\",\"video\":true}");
  error = test_client_expect_error (alice, "unknown-peer", "invite");
  g_clear_pointer (&error, json_object_unref);

  /* after bob leaves */
  test_client_free (bob);
  test_client_expect_presence (alice, "bob", "offline");
  test_client_send_text (alice,
                         "{\"type\":\"invite\",\"to\":\"bob\",\"call\":\"u3\",\"video\":true}");
  error = test_client_expect_error (alice, "unknown-peer", "invite");

  /* none of that left alice busy */
  bob = test_client_register (server, "bob", "Bob", NULL);
  start_call (alice, bob, "u4");

  test_client_free (alice);
  test_client_free (bob);
  test_server_stop (server);
  test_server_free (server);
}

static void
test_outsider (void)
{
  TestServer *server = test_server_startv (NULL);
  TestClient *alice = test_client_register (server, "alice", "Alice", NULL);
  TestClient *bob = test_client_register (server, "bob", "Bob", NULL);
  TestClient *mallory = test_client_register (server, "mallory", "Mallory", NULL);
  const char *const injections[] = {
    "{\"type\":\"ice\",\"to\":\"bob\",\"call\":\"o1\",\"candidate\":null}",
    "{\"type\":\"sdp\",\"to\":\"bob\",\"call\":\"o1\",\"description\":{\"type\":\"offer\","
    "\"sdp\":\"v=0\\r\\n\"}}",
    "{\"type\":\"hangup\",\"to\":\"bob\",\"call\":\"o1\",\"reason\":\"normal\"}",
    "{\"type\":\"accept\",\"to\":\"alice\",\"call\":\"o1\"}",
    "{\"type\":\"ringing\",\"to\":\"alice\",\"call\":\"o1\"}",
    "{\"type\":\"decline\",\"to\":\"alice\",\"call\":\"o1\",\"reason\":\"busy\"}",
  };
  g_autoptr (JsonObject) hangup = NULL;

  start_call (alice, bob, "o1");
  for (guint i = 0; i < G_N_ELEMENTS (injections); i++)
    {
      g_autoptr (JsonObject) error = NULL;

      test_client_send_text (mallory, injections[i]);
      error = test_client_expect_error (mallory, "no-such-call", NULL);
      g_assert_cmpstr (str_member (error, "call"), ==, "o1");
    }
  /* a party naming the wrong call or the wrong peer is refused too */
  test_client_send_text (alice,
                         "{\"type\":\"ice\",\"to\":\"bob\",\"call\":\"other\",\"candidate\":null}");
  json_object_unref (test_client_expect_error (alice, "no-such-call", "ice"));
  test_client_send_text (
      alice, "{\"type\":\"ice\",\"to\":\"mallory\",\"call\":\"o1\",\"candidate\":null}");
  json_object_unref (test_client_expect_error (alice, "no-such-call", "ice"));
  test_client_expect_nothing (bob, 100);
  test_client_expect_nothing (mallory, 0);

  /* the real call is unaffected */
  test_client_send_text (
      bob, "{\"type\":\"hangup\",\"to\":\"alice\",\"call\":\"o1\",\"reason\":\"normal\"}");
  hangup = test_client_expect (alice, "hangup");
  g_assert_cmpstr (str_member (hangup, "from"), ==, "bob");

  test_client_free (alice);
  test_client_free (bob);
  test_client_free (mallory);
  test_server_stop (server);
  test_server_free (server);
}

static void
test_spoofed_from (void)
{
  TestServer *server = test_server_startv (NULL);
  TestClient *alice = test_client_register (server, "alice", "Alice", NULL);
  TestClient *bob = test_client_register (server, "bob", "Bob", NULL);
  TestClient *carol = test_client_register (server, "carol", "Carol", NULL);
  g_autoptr (JsonObject) invite = NULL;
  g_autoptr (JsonObject) ice = NULL;

  test_client_send_text (alice, "{\"type\":\"invite\",\"from\":\"carol\",\"name\":\"Carol\","
                                "\"to\":\"bob\",\"call\":\"s1\",\"video\":true}");
  invite = test_client_expect (bob, "invite");
  g_assert_cmpstr (str_member (invite, "from"), ==, "alice");
  g_assert_cmpstr (str_member (invite, "name"), ==, "Alice");
  test_client_send_text (alice,
                         "{\"type\":\"ice\",\"from\":\"carol\",\"to\":\"bob\",\"call\":\"s1\","
                         "\"candidate\":null}");
  ice = test_client_expect (bob, "ice");
  g_assert_cmpstr (str_member (ice, "from"), ==, "alice");
  test_client_expect_nothing (carol, 50);

  test_client_free (alice);
  test_client_free (bob);
  test_client_free (carol);
  test_server_stop (server);
  test_server_free (server);
}

static void
test_peer_gone (void)
{
  TestServer *server = test_server_startv (NULL);
  TestClient *bob = test_client_register (server, "bob", "Bob", NULL);
  TestClient *carol = test_client_register (server, "carol", "Carol", NULL);
  RawWs *alice = raw_ws_connect (server);
  g_autoptr (JsonObject) invite = NULL;
  g_autoptr (JsonObject) hangup = NULL;
  guint8 opcode;
  GBytes *payload;

  /* alice is a raw socket so it can vanish without a close frame */
  g_assert_true (raw_ws_send_text (alice, "{\"type\":\"hello\",\"version\":1,\"user\":\"alice\","
                                          "\"name\":\"Alice\"}"));
  g_assert_true (raw_ws_read_frame (alice, &opcode, &payload));
  g_assert_nonnull (strstr (g_bytes_get_data (payload, NULL), "\"welcome\""));
  g_bytes_unref (payload);
  g_assert_true (raw_ws_send_text (alice, "{\"type\":\"invite\",\"to\":\"bob\",\"call\":\"g1\","
                                          "\"video\":true}"));
  invite = test_client_expect (bob, "invite");
  test_client_send_text (bob, "{\"type\":\"accept\",\"to\":\"alice\",\"call\":\"g1\"}");
  test_client_expect_presence (carol, "bob", "busy");

  raw_ws_free (alice);
  hangup = test_client_expect (bob, "hangup");
  g_assert_cmpstr (str_member (hangup, "from"), ==, "alice");
  g_assert_cmpstr (str_member (hangup, "call"), ==, "g1");
  g_assert_cmpstr (str_member (hangup, "reason"), ==, "peer-gone");
  test_client_expect_presence (bob, "alice", "offline");
  test_client_expect_presence (carol, "alice", "offline");
  test_client_expect_presence (carol, "bob", "available");

  test_client_free (bob);
  test_client_free (carol);
  test_server_stop (server);
  test_server_free (server);
}

static void
test_user_taken (void)
{
  TestServer *server = test_server_startv (NULL);
  TestClient *alice = test_client_register (server, "alice", "Alice", NULL);
  TestClient *impostor = test_client_connect (server);
  TestClient *bob;
  g_autoptr (JsonObject) error = NULL;

  test_client_send_text (impostor, "{\"type\":\"hello\",\"version\":1,\"user\":\"alice\","
                                   "\"name\":\"Not Alice\"}");
  error = test_client_expect_error (impostor, "user-taken", "hello");
  g_assert_cmpuint (test_client_wait_closed (impostor), ==, 4002);

  /* the real alice is still signed in and reachable */
  bob = test_client_register (server, "bob", "Bob", NULL);
  start_call (bob, alice, "t1");

  test_client_free (impostor);
  test_client_free (alice);
  test_client_free (bob);
  test_server_stop (server);
  test_server_free (server);
}

static void
test_unsupported_version (void)
{
  TestServer *server = test_server_startv (NULL);
  TestClient *client = test_client_connect (server);
  g_autoptr (JsonObject) error = NULL;

  test_client_send_text (client, "{\"type\":\"hello\",\"version\":2,\"user\":\"alice\","
                                 "\"name\":\"Alice\",\"shiny\":{}}");
  error = test_client_expect_error (client, "unsupported-version", "hello");
  g_assert_cmpuint (test_client_wait_closed (client), ==, 4003);

  test_client_free (client);
  test_server_stop (server);
  test_server_free (server);
}

/* A hello padded with an unknown member to exactly len bytes. */
static char *
padded_hello (const char *user, gsize len)
{
  g_autofree char *head = g_strdup_printf ("{\"type\":\"hello\",\"version\":1,\"user\":\"%s\","
                                           "\"name\":\"X\",\"pad\":\"",
                                           user);
  GString *text = g_string_new (head);

  while (text->len < len - 2)
    g_string_append_c (text, 'a');
  g_string_append (text, "\"}");
  g_assert_cmpuint (text->len, ==, len);
  return g_string_free (text, FALSE);
}

static void
test_oversized (void)
{
  TestServer *server = test_server_startv (NULL);
  g_autofree char *exact = padded_hello ("exact", 64 * 1024);
  g_autofree char *over = padded_hello ("over", 64 * 1024 + 1);
  g_autofree char *huge = padded_hello ("huge", 2 * 1024 * 1024);
  g_autofree char *half = g_strndup (over, 40000);
  RawWs *raw;
  guint8 opcode;
  GBytes *payload;

  /* exactly 64 KiB is allowed */
  raw = raw_ws_connect (server);
  g_assert_true (raw_ws_send_text (raw, exact));
  g_assert_true (raw_ws_read_frame (raw, &opcode, &payload));
  g_assert_cmpint (opcode, ==, 1);
  g_assert_nonnull (strstr (g_bytes_get_data (payload, NULL), "\"welcome\""));
  g_bytes_unref (payload);
  raw_ws_free (raw);

  /* one byte more closes with 1009 */
  raw = raw_ws_connect (server);
  raw_ws_send_text (raw, over);
  g_assert_cmpuint (raw_ws_read_until_close (raw, NULL), ==, 1009);
  raw_ws_free (raw);

  /* so does a message in fragments that add up to more */
  raw = raw_ws_connect (server);
  raw_ws_send_frame (raw, 0x1, FALSE, half, strlen (half));
  raw_ws_send_frame (raw, 0x0, TRUE, over + strlen (half), strlen (over) - strlen (half));
  g_assert_cmpuint (raw_ws_read_until_close (raw, NULL), ==, 1009);
  raw_ws_free (raw);

  /* and a frame far over every limit */
  raw = raw_ws_connect (server);
  raw_ws_send_text (raw, huge);
  g_assert_cmpuint (raw_ws_read_until_close (raw, NULL), ==, 1009);
  raw_ws_free (raw);

  test_server_stop (server);
  test_server_free (server);
}

static void
test_not_registered (void)
{
  TestServer *server = test_server_startv (NULL);
  TestClient *client = test_client_connect (server);
  TestClient *bob = test_client_register (server, "bob", "Bob", NULL);
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (JsonObject) error = NULL;

  client->user = g_strdup ("alice");
  test_client_send_text (client,
                         "{\"type\":\"invite\",\"to\":\"bob\",\"call\":\"n1\",\"video\":true}");
  error = test_client_expect_error (client, "not-registered", "invite");
  test_client_expect_nothing (bob, 50);

  test_client_send_text (client,
                         "{\"type\":\"hello\",\"version\":1,\"user\":\"alice\",\"name\":\"A\"}");
  welcome = test_client_expect (client, "welcome");
  test_client_send_text (client,
                         "{\"type\":\"hello\",\"version\":1,\"user\":\"alice2\",\"name\":\"A\"}");
  g_clear_pointer (&error, json_object_unref);
  error = test_client_expect_error (client, "already-registered", "hello");

  /* the connection stays usable */
  start_call (client, bob, "n2");

  test_client_free (client);
  test_client_free (bob);
  test_server_stop (server);
  test_server_free (server);
}

static void
test_malformed (void)
{
  TestServer *server = test_server_startv (NULL);
  TestClient *client = test_client_register (server, "alice", "Alice", NULL);
  TestClient *bob = test_client_register (server, "bob", "Bob", NULL);
  const char *const bad[] = {
    "not json",
    "[1,2,3]",
    "{\"type\":42}",
    "{\"no\":\"type\"}",
    "{\"type\":\"invite\",\"to\":\"bob\",\"call\":\"m1\"}",
    "{\"type\":\"invite\",\"to\":\"bob\",\"call\":\"bad call id!\",\"video\":true}",
    "{\"type\":\"invite\",\"to\":\"BOB\",\"call\":\"m1\",\"video\":true}",
    "{\"type\":\"invite\",\"to\":\"bob\",\"call\":\"m1\",\"video\":\"yes\"}",
    "{\"type\":\"welcome\",\"version\":1,\"user\":\"x\",\"ice_servers\":[],\"peers\":[]}",
    "{\"type\":\"teleport\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      test_client_send_text (client, bad[i]);
      json_object_unref (test_client_expect_error (client, "bad-message", NULL));
    }
  soup_websocket_connection_send_binary (client->ws, "{\"type\":\"hello\"}", 16);
  json_object_unref (test_client_expect_error (client, "bad-message", NULL));
  test_client_expect_nothing (bob, 50);

  start_call (client, bob, "m2");
  test_client_free (client);
  test_client_free (bob);
  test_server_stop (server);
  test_server_free (server);
}

static void
test_rate_limit (void)
{
  TestServer *server = test_server_start ("--rate-limit", "10", "--rate-burst", "20", NULL);
  TestClient *alice = test_client_register (server, "alice", "Alice", NULL);
  TestClient *bob = test_client_register (server, "bob", "Bob", NULL);
  guint n_limited = 0, n_other = 0;
  gint64 start;
  double elapsed_s;
  g_autoptr (JsonObject) metrics_error = NULL;
  g_autoptr (GBytes) metrics = NULL;
  g_autofree char *line = NULL;

  /* 100 messages at once against a bucket of 20 (hello took one) that refills 10 per second */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 100; i++)
    test_client_send_text (alice,
                           "{\"type\":\"ice\",\"to\":\"bob\",\"call\":\"r1\",\"candidate\":null}");
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr (JsonObject) error = test_client_expect (alice, "error");

      if (g_strcmp0 (str_member (error, "code"), "rate-limited") == 0)
        n_limited++;
      else
        {
          g_assert_cmpstr (str_member (error, "code"), ==, "no-such-call");
          n_other++;
        }
    }
  elapsed_s = (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
  g_test_message ("%u passed, %u limited in %.2f s", n_other, n_limited, elapsed_s);
  /* the burst passes, and no more than what refilled while the server worked through them */
  g_assert_cmpuint (n_other, >=, 19);
  g_assert_cmpuint (n_other, <=, 20 + (guint)(10 * elapsed_s) + 1);
  g_assert_cmpuint (n_limited, ==, 100 - n_other);
  g_assert_cmpuint (n_limited, >, 0);

  /* after a pause (a token refills every 100 ms) the connection works normally */
  test_run_for (250);
  start_call (alice, bob, "r2");

  metrics = test_http_get (server, "/metrics", NULL, NULL);
  line = g_strdup_printf ("peercall_errors_total{code=\"rate-limited\"} %u\n", n_limited);
  g_assert_nonnull (strstr (g_bytes_get_data (metrics, NULL), line));

  test_client_free (alice);
  test_client_free (bob);
  test_server_stop (server);
  test_server_free (server);
}

static void
test_token_auth (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *secret_file = write_file (dir, "secret", "s3cr3t-for-tests\n");
  g_autofree char *out = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *expired = NULL;
  g_autofree char *forged = NULL;
  g_autofree char *wrong_user = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { g_getenv ("PEERCALL_SIGNAL"), "--issue-token", "alice", "--ttl", "600",
                         "--token-secret-file",        secret_file,     NULL };
  const char *bad_tokens[4];
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 expiry;
  int status;
  TestServer *server;
  TestClient *alice;

  /* --issue-token prints EXPIRY:SIG; check it with our own HMAC */
  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_strchomp (out);
  expiry = g_ascii_strtoll (out, NULL, 10);
  g_assert_cmpint (expiry, >=, now + 599);
  g_assert_cmpint (expiry, <=, now + 602);
  expected = make_token ("s3cr3t-for-tests", "alice", expiry);
  g_assert_cmpstr (out, ==, expected);

  server = test_server_start ("--auth", "token", "--token-secret-file", secret_file, NULL);

  alice = test_client_connect (server);
  alice->user = g_strdup ("alice");
  send_hello_with_token (alice, "alice", out);
  json_object_unref (test_client_expect (alice, "welcome"));

  expired = make_token ("s3cr3t-for-tests", "bob", now - 5);
  forged = make_token ("another-secret", "bob", now + 600);
  wrong_user = make_token ("s3cr3t-for-tests", "mallory", now + 600);
  bad_tokens[0] = expired;
  bad_tokens[1] = forged;
  bad_tokens[2] = wrong_user;
  bad_tokens[3] = "";
  for (guint i = 0; i < G_N_ELEMENTS (bad_tokens); i++)
    {
      TestClient *bob = test_client_connect (server);

      bob->user = g_strdup ("bob");
      send_hello_with_token (bob, "bob", bad_tokens[i]);
      json_object_unref (test_client_expect_error (bob, "auth-failed", "hello"));
      g_assert_cmpuint (test_client_wait_closed (bob), ==, 4001);
      test_client_free (bob);
    }
  {
    /* no token at all */
    TestClient *bob = test_client_connect (server);

    test_client_send_text (bob,
                           "{\"type\":\"hello\",\"version\":1,\"user\":\"bob\",\"name\":\"B\"}");
    json_object_unref (test_client_expect_error (bob, "auth-failed", "hello"));
    g_assert_cmpuint (test_client_wait_closed (bob), ==, 4001);
    test_client_free (bob);
  }
  /* none of them showed up as a user */
  test_client_expect_nothing (alice, 0);
  g_assert_true (g_queue_is_empty (&alice->presences));

  test_client_free (alice);
  test_server_stop (server);
  test_server_free (server);
  remove_tree (dir);
}

static void
test_turn_credentials (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *secret_file = write_file (dir, "turn-secret", "turn-s3cret\n");
  TestServer *server
      = test_server_start ("--turn-url", "turn:127.0.0.1:3478", "--turn-url",
                           "turn:127.0.0.1:3478?transport=tcp", "--turn-secret-file", secret_file,
                           "--turn-ttl", "600", "--stun-url", "stun:127.0.0.1:3478", NULL);
  g_autoptr (JsonObject) welcome = NULL;
  TestClient *alice = test_client_register (server, "alice", "Alice", &welcome);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  JsonArray *servers = json_object_get_array_member (welcome, "ice_servers");
  gboolean saw_stun = FALSE, saw_turn = FALSE;

  g_assert_cmpuint (json_array_get_length (servers), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *entry = json_array_get_object_element (servers, i);
      JsonArray *urls = json_object_get_array_member (entry, "urls");
      const char *username = str_member (entry, "username");

      if (username == NULL)
        {
          g_assert_cmpuint (json_array_get_length (urls), ==, 1);
          g_assert_cmpstr (json_array_get_string_element (urls, 0), ==, "stun:127.0.0.1:3478");
          g_assert_false (json_object_has_member (entry, "credential"));
          saw_stun = TRUE;
        }
      else
        {
          g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *)"turn-s3cret", 11);
          guint8 digest[20];
          gsize len = sizeof digest;
          g_autofree char *credential = NULL;
          gint64 expiry = g_ascii_strtoll (username, NULL, 10);

          g_assert_cmpuint (json_array_get_length (urls), ==, 2);
          g_assert_cmpstr (json_array_get_string_element (urls, 0), ==, "turn:127.0.0.1:3478");
          g_assert_cmpstr (json_array_get_string_element (urls, 1), ==,
                           "turn:127.0.0.1:3478?transport=tcp");
          g_assert_true (g_str_has_suffix (username, ":alice"));
          g_assert_cmpint (expiry, >=, now + 598);
          g_assert_cmpint (expiry, <=, now + 601);
          g_hmac_update (hmac, (const guchar *)username, -1);
          g_hmac_get_digest (hmac, digest, &len);
          credential = g_base64_encode (digest, len);
          g_assert_cmpstr (str_member (entry, "credential"), ==, credential);
          saw_turn = TRUE;
        }
    }
  g_assert_true (saw_stun && saw_turn);

  test_client_free (alice);
  test_server_stop (server);
  test_server_free (server);
  remove_tree (dir);
}

/* One raw HTTP/1.1 request, so no client library normalizes the path for us. */
static char *
raw_http (TestServer *server, const char *request_line)
{
  g_autoptr (GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *request
      = g_strdup_printf ("%s\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", request_line);
  char buffer[4096];
  gsize n = 0;

  g_socket_client_set_timeout (socket_client, 10);
  connection
      = g_socket_client_connect_to_host (socket_client, "127.0.0.1", server->port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  /* A reset after the response (or instead of it, for the TLS port) is fine: callers check
   * what arrived. */
  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)), buffer,
                           sizeof buffer - 1, &n, NULL, NULL);
  buffer[n] = '\0';
  return g_strdup (buffer);
}

static void
test_http (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autofree char *outside = make_temp_dir ();
  g_autofree char *index
      = write_file (root, "index.html", "<!doctype html><title>Peercall</title>");
  g_autofree char *js = write_file (root, "app.js", "console.log('hi');");
  g_autofree char *css = write_file (root, "style.css", "body{}");
  g_autofree char *svg = write_file (root, "icon.svg", "<svg/>");
  g_autofree char *hidden = write_file (root, ".secret", "hidden");
  g_autofree char *secret = write_file (outside, "secret.txt", "do not serve");
  g_autofree char *link = g_build_filename (root, "escape.txt", NULL);
  TestServer *server;
  TestClient *alice;
  const struct
  {
    const char *path;
    guint status;
    const char *type;
    const char *body;
  } cases[] = {
    { "/", 200, "text/html", "<!doctype html><title>Peercall</title>" },
    { "/index.html", 200, "text/html", "<!doctype html><title>Peercall</title>" },
    { "/app.js", 200, "text/javascript", "console.log('hi');" },
    { "/style.css", 200, "text/css", "body{}" },
    { "/icon.svg", 200, "image/svg+xml", "<svg/>" },
    { "/healthz", 200, "text/plain", "ok" },
    { "/missing.js", 404, NULL, NULL },
    { "/.secret", 404, NULL, NULL },
    { "/escape.txt", 403, NULL, NULL },
  };
  const char *const traversals[] = {
    "GET /../secret.txt HTTP/1.1",   "GET /%2e%2e/secret.txt HTTP/1.1",
    "GET /..%2fsecret.txt HTTP/1.1", "GET /%2e%2e%2f%2e%2e%2fetc/passwd HTTP/1.1",
    "GET //etc/passwd HTTP/1.1",
  };

  g_assert_cmpint (symlink (secret, link), ==, 0);
  server = test_server_start ("--web-root", root, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint status;
      g_autofree char *type = NULL;
      g_autoptr (GBytes) body = test_http_get (server, cases[i].path, &status, &type);

      g_test_message ("GET %s -> %u %s", cases[i].path, status, type);
      g_assert_cmpuint (status, ==, cases[i].status);
      if (cases[i].type != NULL)
        g_assert_cmpstr (type, ==, cases[i].type);
      if (cases[i].body != NULL)
        {
          g_assert_cmpuint (g_bytes_get_size (body), ==, strlen (cases[i].body));
          g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), cases[i].body,
                           strlen (cases[i].body));
        }
    }
  for (guint i = 0; i < G_N_ELEMENTS (traversals); i++)
    {
      g_autofree char *response = raw_http (server, traversals[i]);

      g_test_message ("%s -> %.40s", traversals[i], response);
      g_assert_null (strstr (response, "do not serve"));
      g_assert_null (strstr (response, "root:"));
      g_assert_false (g_str_has_prefix (response, "HTTP/1.1 200"));
    }
  {
    g_autofree char *response = raw_http (server, "DELETE /index.html HTTP/1.1");

    g_assert_true (g_str_has_prefix (response, "HTTP/1.1 405"));
  }

  /* metrics reflect connections, users, calls, relays */
  alice = test_client_register (server, "alice", "Alice", NULL);
  {
    TestClient *bob = test_client_register (server, "bob", "Bob", NULL);
    TestClient *lurker = test_client_connect (server);
    g_autoptr (GBytes) metrics = NULL;
    g_autofree char *type = NULL;
    const char *text;

    start_call (alice, bob, "h1");
    test_client_send_text (lurker, "{\"type\":\"ice\"}");
    json_object_unref (test_client_expect_error (lurker, "bad-message", NULL));

    metrics = test_http_get (server, "/metrics", NULL, &type);
    text = g_bytes_get_data (metrics, NULL);
    g_assert_cmpstr (type, ==, "text/plain");
    g_assert_nonnull (strstr (text, "\npeercall_connections 3\n"));
    g_assert_nonnull (strstr (text, "\npeercall_registered_users 2\n"));
    g_assert_nonnull (strstr (text, "\npeercall_active_calls 1\n"));
    g_assert_nonnull (strstr (text, "\npeercall_messages_relayed_total 2\n"));
    g_assert_nonnull (strstr (text, "\npeercall_errors_total{code=\"bad-message\"} 1\n"));
    g_assert_nonnull (strstr (text, "\npeercall_errors_total{code=\"no-such-call\"} 0\n"));
    g_assert_nonnull (strstr (text, "# TYPE peercall_messages_relayed_total counter\n"));
    test_client_free (lurker);
    test_client_free (bob);
  }

  test_client_free (alice);
  test_server_stop (server);
  test_server_free (server);
  remove_tree (root);
  remove_tree (outside);
}

static void
test_tls (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  g_autofree char *lsan_options = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
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
                         "-addext",
                         "subjectAltName=IP:127.0.0.1",
                         "-keyout",
                         key,
                         "-out",
                         cert,
                         NULL };
  int status;
  guint http_status;
  TestServer *server;
  TestClient *alice, *bob;

  g_spawn_sync (NULL, (char **)argv, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  /* LeakSanitizer (GCC 12, Debian 12) crashes at exit scanning the dynamic TLS of the thread
   * glib-networking ran the handshake in ("Tracer caught signal 11"), so leak checking is off for
   * this one server; every other test checks the same code for leaks. ASan stays on. */
  lsan_options = g_strdup (g_getenv ("LSAN_OPTIONS"));
  g_setenv ("LSAN_OPTIONS", "detect_leaks=0", TRUE);
  server = test_server_start ("--tls-cert", cert, "--tls-key", key, NULL);
  if (lsan_options != NULL)
    g_setenv ("LSAN_OPTIONS", lsan_options, TRUE);
  else
    g_unsetenv ("LSAN_OPTIONS");
  g_assert_true (g_str_has_prefix (server->url, "wss://127.0.0.1:"));
  server->certificate = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);

  body = test_http_get (server, "/healthz", &http_status, NULL);
  g_assert_cmpuint (http_status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "ok", 2);

  alice = test_client_register (server, "alice", "Alice", NULL);
  bob = test_client_register (server, "bob", "Bob", NULL);
  start_call (alice, bob, "tls1");

  /* a plain-text client gets nowhere */
  {
    g_autofree char *response = raw_http (server, "GET /healthz HTTP/1.1");

    g_assert_false (g_str_has_prefix (response, "HTTP/1.1 200"));
  }

  test_client_free (alice);
  test_client_free (bob);
  test_server_stop (server);
  test_server_free (server);
  remove_tree (dir);
}

typedef struct
{
  RawWs *raw;
  gushort code;
  gboolean only_pings;
  gint done;
} IdleRead;

/* Reads what the server sends a client that never answers: pings, then a close. */
static gpointer
idle_read_thread (gpointer user_data)
{
  IdleRead *read = user_data;
  guint8 opcode = 0;
  GBytes *payload = NULL;

  read->only_pings = TRUE;
  while (raw_ws_read_frame (read->raw, &opcode, &payload))
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (payload, &len);

      if (opcode == 0x8)
        {
          read->code = len >= 2 ? (gushort)((data[0] << 8) | data[1]) : 0;
          g_bytes_unref (payload);
          break;
        }
      if (opcode != 0x9)
        read->only_pings = FALSE;
      g_bytes_unref (payload);
    }
  g_atomic_int_set (&read->done, 1);
  return NULL;
}

static void
test_idle_timeout (void)
{
  TestServer *server
      = test_server_start ("--keepalive", "1", "--idle-timeout", "2", "--hello-timeout", "1", NULL);
  TestClient *alive = test_client_register (server, "alive", "Alive", NULL);
  IdleRead read = { raw_ws_connect (server) };
  gint64 start = g_get_monotonic_time ();
  GThread *thread;

  /* signed in, so only the idle timeout applies to it */
  {
    guint8 opcode;
    GBytes *payload;

    g_assert_true (raw_ws_send_text (read.raw, "{\"type\":\"hello\",\"version\":1,\"user\":"
                                               "\"dead\",\"name\":\"Dead\"}"));
    g_assert_true (raw_ws_read_frame (read.raw, &opcode, &payload));
    g_assert_nonnull (strstr (g_bytes_get_data (payload, NULL), "\"welcome\""));
    g_bytes_unref (payload);
  }

  /* The raw client answers no ping: the server must drop it (1001) within a few seconds, while
   * the libsoup client, whose main loop keeps running here and answers pings, stays. */
  thread = g_thread_new ("idle-read", idle_read_thread, &read);
  while (!g_atomic_int_get (&read.done))
    test_run_for (20);
  g_thread_join (thread);
  g_assert_cmpuint (read.code, ==, 1001);
  g_assert_true (read.only_pings);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2 * G_USEC_PER_SEC);
  raw_ws_free (read.raw);

  g_assert_cmpint (soup_websocket_connection_get_state (alive->ws), ==, SOUP_WEBSOCKET_STATE_OPEN);

  /* a client that answers pings but never signs in is closed after --hello-timeout */
  {
    TestClient *silent = test_client_connect (server);

    g_assert_cmpuint (test_client_wait_closed (silent), ==, 1008);
    test_client_free (silent);
  }
  test_client_send_text (alive,
                         "{\"type\":\"ice\",\"to\":\"x\",\"call\":\"i1\",\"candidate\":null}");
  json_object_unref (test_client_expect_error (alive, "no-such-call", "ice"));

  test_client_free (alive);
  test_server_stop (server);
  test_server_free (server);
}

static void
test_shutdown_closes (void)
{
  TestServer *server = test_server_startv (NULL);
  TestClient *alice = test_client_register (server, "alice", "Alice", NULL);
  TestClient *bob = test_client_register (server, "bob", "Bob", NULL);

  start_call (alice, bob, "x1");
  test_server_stop (server); /* asserts exit status 0 */
  g_assert_cmpuint (test_client_wait_closed (alice), ==, 1001);
  g_assert_cmpuint (test_client_wait_closed (bob), ==, 1001);
  test_client_free (alice);
  test_client_free (bob);
  test_server_free (server);
}

static void
test_usage (void)
{
  const char *binary = g_getenv ("PEERCALL_SIGNAL");
  const char *const cases[][4] = {
    { "--auth", "token", NULL },
    { "--auth", "magic", NULL },
    { "--listen", "nowhere", NULL },
    { "--listen", "127.0.0.1:99999", NULL },
    { "--turn-url", "turn:127.0.0.1", NULL },
    { "--tls-cert", "/nonexistent.pem", NULL },
    { "--no-such-option", NULL },
    { "--issue-token", "Bad User!", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *argv[6] = { binary };
      g_autofree char *err = NULL;
      g_autoptr (GError) error = NULL;
      int status;

      for (guint j = 0; cases[i][j] != NULL; j++)
        argv[j + 1] = cases[i][j];
      if (g_strcmp0 (cases[i][0], "--issue-token") == 0)
        {
          argv[3] = "--token-secret-file";
          argv[4] = "/dev/null";
        }
      g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                    &status, &error);
      g_assert_no_error (error);
      g_test_message ("%s %s -> %s", cases[i][0], cases[i][1], err);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 2);
      g_assert_true (g_str_has_prefix (err, "peercall-signal: "));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/signal/call-flow", test_call_flow);
  g_test_add_func ("/signal/busy", test_busy);
  g_test_add_func ("/signal/decline", test_decline);
  g_test_add_func ("/signal/unknown-peer", test_unknown_peer);
  g_test_add_func ("/signal/outsider", test_outsider);
  g_test_add_func ("/signal/spoofed-from", test_spoofed_from);
  g_test_add_func ("/signal/peer-gone", test_peer_gone);
  g_test_add_func ("/signal/user-taken", test_user_taken);
  g_test_add_func ("/signal/unsupported-version", test_unsupported_version);
  g_test_add_func ("/signal/oversized", test_oversized);
  g_test_add_func ("/signal/not-registered", test_not_registered);
  g_test_add_func ("/signal/malformed", test_malformed);
  g_test_add_func ("/signal/rate-limit", test_rate_limit);
  g_test_add_func ("/signal/token-auth", test_token_auth);
  g_test_add_func ("/signal/turn-credentials", test_turn_credentials);
  g_test_add_func ("/signal/http", test_http);
  g_test_add_func ("/signal/tls", test_tls);
  g_test_add_func ("/signal/idle-timeout", test_idle_timeout);
  g_test_add_func ("/signal/shutdown", test_shutdown_closes);
  g_test_add_func ("/signal/usage", test_usage);

  return g_test_run ();
}
