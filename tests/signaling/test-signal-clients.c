/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The real PcSignalingClient (net/) against the real peercall-signal: a full call between two
 * clients while a third watches presence and gets a busy decline, peer-gone, user-taken and
 * token sign-in, all through the client's public API. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "pc-signaling-client.h"
#include "signal-test-util.h"

typedef struct
{
  PcSignalingClient *client;
  GQueue messages; /* PcMessage* relayed to us */
  GQueue presence; /* "user status" strings */
  GQueue errors;   /* codes of server errors */
  gboolean disconnected;
} Peer;

static void
on_message (PcSignalingClient *client, PcMessage *message, Peer *peer)
{
  g_queue_push_tail (&peer->messages, pc_message_ref (message));
}

static void
on_presence (
    PcSignalingClient *client, const char *user, const char *name, PcPresence status, Peer *peer)
{
  g_queue_push_tail (&peer->presence,
                     g_strdup_printf ("%s %s", user, pc_presence_to_string (status)));
}

static void
on_server_error (
    PcSignalingClient *client, GError *error, const char *ref, const char *call, Peer *peer)
{
  g_queue_push_tail (&peer->errors, g_strdup (pc_protocol_error_to_code (error->code)));
}

static void
on_disconnected (PcSignalingClient *client, GError *error, Peer *peer)
{
  peer->disconnected = TRUE;
}

typedef struct
{
  gboolean done;
  PcMessage *welcome;
  GError *error;
} ConnectResult;

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ConnectResult *res = user_data;

  res->welcome
      = pc_signaling_client_connect_finish (PC_SIGNALING_CLIENT (source), result, &res->error);
  res->done = TRUE;
}

static PcMessage *
peer_connect (Peer *peer, TestServer *server, const char *user, const char *token, GError **error)
{
  ConnectResult res = { 0 };

  g_queue_init (&peer->messages);
  g_queue_init (&peer->presence);
  g_queue_init (&peer->errors);
  peer->client = pc_signaling_client_new (server->url, user, user, token);
  g_object_set (peer->client, "auto-reconnect", FALSE, NULL);
  g_signal_connect (peer->client, "message", G_CALLBACK (on_message), peer);
  g_signal_connect (peer->client, "presence", G_CALLBACK (on_presence), peer);
  g_signal_connect (peer->client, "server-error", G_CALLBACK (on_server_error), peer);
  g_signal_connect (peer->client, "disconnected", G_CALLBACK (on_disconnected), peer);
  pc_signaling_client_connect_async (peer->client, NULL, on_connected, &res);
  g_assert_true (test_wait_for_flag (&res.done, TEST_TIMEOUT_MS));
  if (res.error != NULL)
    g_propagate_error (error, res.error);
  return res.welcome;
}

static void
peer_clear (Peer *peer)
{
  if (peer->client != NULL)
    {
      pc_signaling_client_disconnect (peer->client);
      g_signal_handlers_disconnect_by_data (peer->client, peer);
      g_clear_object (&peer->client);
    }
  g_queue_clear_full (&peer->messages, (GDestroyNotify)pc_message_unref);
  g_queue_clear_full (&peer->presence, g_free);
  g_queue_clear_full (&peer->errors, g_free);
}

static gboolean
on_deadline (gpointer user_data)
{
  *(gboolean *)user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
queue_filled (GQueue *queue)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (TEST_TIMEOUT_MS, on_deadline, &timed_out);

  while (g_queue_is_empty (queue) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return !g_queue_is_empty (queue);
}

static PcMessage *
expect_message (Peer *peer, PcMessageType type)
{
  PcMessage *message;

  if (!queue_filled (&peer->messages))
    g_error ("%s: no '%s'", pc_signaling_client_get_user (peer->client),
             pc_message_type_to_string (type));
  message = g_queue_pop_head (&peer->messages);
  g_assert_cmpstr (pc_message_type_to_string (message->type), ==, pc_message_type_to_string (type));
  return message;
}

static void
expect_presence (Peer *peer, const char *user, const char *status)
{
  g_autofree char *wanted = g_strdup_printf ("%s %s", user, status);
  gint64 deadline = g_get_monotonic_time () + (gint64)TEST_TIMEOUT_MS * 1000;

  for (;;)
    {
      GList *link = g_queue_find_custom (&peer->presence, wanted, (GCompareFunc)g_strcmp0);

      if (link != NULL)
        {
          g_free (link->data);
          g_queue_delete_link (&peer->presence, link);
          return;
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: no presence '%s'", pc_signaling_client_get_user (peer->client), wanted);
      test_run_for (5);
    }
}

static void
test_clients_call (void)
{
  TestServer *server = test_server_startv (NULL);
  Peer alice = { 0 }, bob = { 0 }, carol = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (PcMessage) welcome = NULL;
  PcMessage *msg;
  PcPeerInfo *info;

  g_clear_pointer (&welcome, pc_message_unref);
  welcome = peer_connect (&alice, server, "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (welcome->ice_servers->len, ==, 0);
  g_assert_cmpuint (welcome->peers->len, ==, 0);
  g_clear_pointer (&welcome, pc_message_unref);
  welcome = peer_connect (&bob, server, "bob", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (welcome->peers->len, ==, 1);
  info = g_ptr_array_index (welcome->peers, 0);
  g_assert_cmpstr (info->user, ==, "alice");
  g_assert_cmpint (info->status, ==, PC_PRESENCE_AVAILABLE);
  g_clear_pointer (&welcome, pc_message_unref);
  welcome = peer_connect (&carol, server, "carol", NULL, &error);
  g_assert_no_error (error);
  expect_presence (&alice, "bob", "available");
  expect_presence (&alice, "carol", "available");

  g_assert_true (pc_signaling_client_send_invite (alice.client, "bob", "call-1", TRUE, &error));
  msg = expect_message (&bob, PC_MESSAGE_INVITE);
  g_assert_cmpstr (msg->from, ==, "alice");
  g_assert_cmpstr (msg->name, ==, "alice");
  g_assert_cmpstr (msg->call, ==, "call-1");
  g_assert_true (msg->video);
  pc_message_unref (msg);
  expect_presence (&carol, "alice", "busy");
  expect_presence (&carol, "bob", "busy");

  /* carol tries bob: the server declines for him */
  g_assert_true (pc_signaling_client_send_invite (carol.client, "bob", "call-2", FALSE, &error));
  msg = expect_message (&carol, PC_MESSAGE_DECLINE);
  g_assert_cmpstr (msg->from, ==, "bob");
  g_assert_cmpstr (msg->reason, ==, "busy");
  pc_message_unref (msg);

  g_assert_true (pc_signaling_client_send_ringing (bob.client, "alice", "call-1", &error));
  pc_message_unref (expect_message (&alice, PC_MESSAGE_RINGING));
  g_assert_true (pc_signaling_client_send_accept (bob.client, "alice", "call-1", &error));
  pc_message_unref (expect_message (&alice, PC_MESSAGE_ACCEPT));
  g_assert_true (pc_signaling_client_send_sdp (alice.client, "bob", "call-1", "offer",
                                               "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n", &error));
  msg = expect_message (&bob, PC_MESSAGE_SDP);
  g_assert_cmpstr (msg->sdp_type, ==, "offer");
  g_assert_cmpstr (msg->sdp, ==, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n");
  pc_message_unref (msg);
  g_assert_true (
      pc_signaling_client_send_sdp (bob.client, "alice", "call-1", "answer", "v=0\r\n", &error));
  pc_message_unref (expect_message (&alice, PC_MESSAGE_SDP));
  g_assert_true (pc_signaling_client_send_ice (alice.client, "bob", "call-1",
                                               "candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ "
                                               "host",
                                               "0", 0, &error));
  msg = expect_message (&bob, PC_MESSAGE_ICE);
  g_assert_cmpstr (msg->candidate, ==, "candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host");
  g_assert_cmpstr (msg->sdp_mid, ==, "0");
  g_assert_cmpint (msg->sdp_mline_index, ==, 0);
  pc_message_unref (msg);
  g_assert_true (
      pc_signaling_client_send_ice (bob.client, "alice", "call-1", NULL, NULL, -1, &error));
  msg = expect_message (&alice, PC_MESSAGE_ICE);
  g_assert_null (msg->candidate);
  pc_message_unref (msg);

  /* an outsider's injection is refused and never reaches bob */
  g_assert_true (pc_signaling_client_send_hangup (carol.client, "bob", "call-1", "normal", &error));
  g_assert_true (queue_filled (&carol.errors));
  g_assert_cmpstr (g_queue_peek_head (&carol.errors), ==, "no-such-call");

  /* alice's connection goes away mid-call */
  pc_signaling_client_disconnect (alice.client);
  msg = expect_message (&bob, PC_MESSAGE_HANGUP);
  g_assert_cmpstr (msg->from, ==, "alice");
  g_assert_cmpstr (msg->reason, ==, "peer-gone");
  pc_message_unref (msg);
  expect_presence (&bob, "alice", "offline");
  expect_presence (&carol, "alice", "offline");
  expect_presence (&carol, "bob", "available");
  g_assert_true (g_queue_is_empty (&bob.messages));

  peer_clear (&alice);
  peer_clear (&bob);
  peer_clear (&carol);
  test_server_stop (server);
  test_server_free (server);
}

static void
test_clients_refused (void)
{
  g_autofree char *dir = g_dir_make_tmp ("peercall-clients-XXXXXX", NULL);
  g_autofree char *secret = g_build_filename (dir, "secret", NULL);
  g_autofree char *token = NULL;
  const char *argv[] = { g_getenv ("PEERCALL_SIGNAL"), "--issue-token", "alice", "--ttl", "60",
                         "--token-secret-file",        secret,          NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (PcMessage) welcome = NULL;
  PcMessage *refused;
  TestServer *server;
  Peer alice = { 0 }, impostor = { 0 }, mallory = { 0 };
  int status;

  g_assert_true (g_file_set_contents (secret, "client-test-secret", -1, NULL));
  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &token, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_strchomp (token);
  server = test_server_start ("--auth", "token", "--token-secret-file", secret, NULL);

  welcome = peer_connect (&alice, server, "alice", token, &error);
  g_assert_no_error (error);
  g_assert_nonnull (welcome);

  /* alice's token for mallory, and alice's name twice: both refused for good */
  refused = peer_connect (&mallory, server, "mallory", token, &error);
  g_assert_null (refused);
  g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_AUTH_FAILED);
  g_clear_error (&error);
  refused = peer_connect (&impostor, server, "alice", token, &error);
  g_assert_null (refused);
  g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_USER_TAKEN);

  peer_clear (&mallory);
  peer_clear (&impostor);
  peer_clear (&alice);
  test_server_stop (server);
  test_server_free (server);
  g_unlink (secret);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/signal/clients/call", test_clients_call);
  g_test_add_func ("/signal/clients/refused", test_clients_refused);
  return g_test_run ();
}
