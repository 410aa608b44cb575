/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PcCallManager in process against the real peercall-signal ($PEERCALL_SIGNAL), with scripted
 * peers (bare PcSignalingClients): ringing and decline, the late restoring invite of an ended
 * call, busy, the ring timeout and the caller's cancel. No call is accepted: no media starts. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "pc-call-manager.h"

typedef struct
{
  GPtrArray *messages; /* of PcMessage* */
} Script;

typedef struct
{
  GPtrArray *added; /* of PcCall* */
  GPtrArray *ended; /* of PcCall* */
  guint n_incoming;
  guint n_registered;
} Events;

static gboolean
on_timeout (gpointer user_data)
{
  g_error ("timed out waiting");
  return G_SOURCE_REMOVE;
}

#define WAIT_FOR(cond)                                                                             \
  G_STMT_START                                                                                     \
  {                                                                                                \
    guint id_ = g_timeout_add_seconds (15, on_timeout, NULL);                                      \
    while (!(cond))                                                                                \
      g_main_context_iteration (NULL, TRUE);                                                       \
    g_source_remove (id_);                                                                         \
  }                                                                                                \
  G_STMT_END

static GSubprocess *
start_server (char **out_url)
{
  const char *argv[] = { g_getenv ("PEERCALL_SIGNAL"), "--listen", "127.0.0.1:0", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) lines = NULL;
  g_autofree char *line = NULL;
  GSubprocess *server;

  g_assert_nonnull (argv[0]);
  server = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "listening on "));
  *out_url = g_strdup (line + strlen ("listening on "));
  return server;
}

static void
stop_server (GSubprocess *server)
{
  g_subprocess_send_signal (server, SIGTERM);
  g_assert_true (g_subprocess_wait (server, NULL, NULL));
  g_object_unref (server);
}

/* Scripted peers */

static void
on_script_message (PcSignalingClient *client, PcMessage *message, Script *script)
{
  g_ptr_array_add (script->messages, pc_message_ref (message));
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PcMessage) welcome = NULL;
  g_autoptr (GError) error = NULL;

  welcome = pc_signaling_client_connect_finish (PC_SIGNALING_CLIENT (source), result, &error);
  g_assert_no_error (error);
  *(gboolean *)user_data = TRUE;
}

static PcSignalingClient *
script_new (Script *script, const char *url, const char *user)
{
  PcSignalingClient *client = pc_signaling_client_new (url, user, user, NULL);
  gboolean done = FALSE;

  script->messages = g_ptr_array_new_with_free_func ((GDestroyNotify)pc_message_unref);
  g_signal_connect (client, "message", G_CALLBACK (on_script_message), script);
  pc_signaling_client_connect_async (client, NULL, on_connected, &done);
  WAIT_FOR (done);
  return client;
}

/* The first message of `type` the script received since `from`, or NULL. */
static PcMessage *
script_find (Script *script, guint from, PcMessageType type)
{
  for (guint i = from; i < script->messages->len; i++)
    {
      PcMessage *message = g_ptr_array_index (script->messages, i);

      if (message->type == type)
        return message;
    }
  return NULL;
}

/* Waits for a message of `type` received since `from`. */
static PcMessage *
script_wait (Script *script, guint from, PcMessageType type)
{
  WAIT_FOR (script_find (script, from, type) != NULL);
  return script_find (script, from, type);
}

/* The manager */

static void
on_call_added (PcCallManager *manager, PcCall *call, Events *events)
{
  g_ptr_array_add (events->added, g_object_ref (call));
}

static void
on_incoming (PcCallManager *manager, PcCall *call, Events *events)
{
  events->n_incoming++;
}

static void
on_call_ended (PcCallManager *manager, PcCall *call, Events *events)
{
  g_assert_false (pc_call_is_active (call));
  g_ptr_array_add (events->ended, g_object_ref (call));
}

static void
on_registered (PcCallManager *manager, Events *events)
{
  events->n_registered++;
}

static PcCallManager *
manager_new (Events *events, const char *url)
{
  PcCallManager *manager = pc_call_manager_new (url, "alice", "Alice", NULL, NULL);

  events->added = g_ptr_array_new_with_free_func (g_object_unref);
  events->ended = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect (manager, "call-added", G_CALLBACK (on_call_added), events);
  g_signal_connect (manager, "incoming-call", G_CALLBACK (on_incoming), events);
  g_signal_connect (manager, "call-ended", G_CALLBACK (on_call_ended), events);
  g_signal_connect (manager, "registered", G_CALLBACK (on_registered), events);
  pc_call_manager_set_video_source (manager, PC_MEDIA_SOURCE_TEST);
  pc_call_manager_set_audio_source (manager, PC_MEDIA_SOURCE_TEST);
  pc_call_manager_connect (manager);
  WAIT_FOR (events->n_registered == 1);
  return manager;
}

static void
test_incoming (void)
{
  g_autofree char *url = NULL;
  GSubprocess *server = start_server (&url);
  Events events = { 0 };
  Script bob = { 0 }, carol = { 0 };
  PcCallManager *alice = manager_new (&events, url);
  PcSignalingClient *bob_client = script_new (&bob, url, "bob");
  PcSignalingClient *carol_client = script_new (&carol, url, "carol");
  const char *id = "11111111-2222-3333-4444-555555555555";
  const char *id2 = "11111111-2222-3333-4444-666666666666";
  g_autoptr (GError) error = NULL;
  PcMessage *message;
  PcCall *call;
  guint mark;

  WAIT_FOR (pc_call_manager_lookup_contact (alice, "carol") != NULL);

  /* bob rings alice; alice declines */
  g_assert_true (pc_signaling_client_send_invite (bob_client, "alice", id, TRUE, &error));
  WAIT_FOR (events.n_incoming == 1);
  call = g_ptr_array_index (events.added, 0);
  g_assert_true (pc_call_manager_get_current_call (alice) == call);
  g_assert_cmpint (pc_call_get_direction (call), ==, PC_CALL_DIRECTION_INCOMING);
  g_assert_cmpint (pc_call_get_state (call), ==, PC_CALL_STATE_RINGING);
  script_wait (&bob, 0, PC_MESSAGE_RINGING);

  /* one call at a time: carol hears busy (from the server or the manager) */
  g_assert_true (pc_signaling_client_send_invite (carol_client, "alice", id2, TRUE, &error));
  message = script_wait (&carol, 0, PC_MESSAGE_DECLINE);
  g_assert_cmpstr (message->reason, ==, PC_CALL_END_BUSY);
  g_assert_cmpuint (events.added->len, ==, 1);

  g_assert_true (pc_call_manager_decline (alice, call, NULL, &error));
  g_assert_no_error (error);
  message = script_wait (&bob, 0, PC_MESSAGE_DECLINE);
  g_assert_cmpstr (message->reason, ==, PC_CALL_END_DECLINED);
  g_assert_cmpuint (events.ended->len, ==, 1);
  g_assert_cmpstr (pc_call_get_end_reason (call), ==, PC_CALL_END_DECLINED);
  g_assert_true (pc_call_get_ended_locally (call));
  g_assert_null (pc_call_manager_get_current_call (alice));
  g_assert_false (pc_call_manager_decline (alice, call, NULL, &error));
  g_assert_error (error, PC_CALL_ERROR, PC_CALL_ERROR_WRONG_STATE);
  g_clear_error (&error);

  /* a late restoring invite of the ended call does not ring again */
  mark = bob.messages->len;
  g_assert_true (pc_signaling_client_send_invite (bob_client, "alice", id, TRUE, &error));
  message = script_wait (&bob, mark, PC_MESSAGE_DECLINE);
  g_assert_cmpstr (message->reason, ==, PC_CALL_END_UNAVAILABLE);
  g_assert_cmpuint (events.added->len, ==, 1);
  g_assert_cmpuint (events.n_incoming, ==, 1);

  /* the caller gives up: cancelled, ended by the peer */
  g_assert_true (pc_signaling_client_send_invite (carol_client, "alice", id2, FALSE, &error));
  WAIT_FOR (events.n_incoming == 2);
  call = g_ptr_array_index (events.added, 1);
  g_assert_false (pc_call_get_video (call));
  g_assert_true (
      pc_signaling_client_send_hangup (carol_client, "alice", id2, PC_CALL_END_CANCELLED, &error));
  WAIT_FOR (events.ended->len == 2);
  g_assert_cmpstr (pc_call_get_end_reason (call), ==, PC_CALL_END_CANCELLED);
  g_assert_false (pc_call_get_ended_locally (call));
  g_assert_null (pc_call_manager_get_current_call (alice));

  g_object_unref (alice);
  g_object_unref (bob_client);
  g_object_unref (carol_client);
  g_ptr_array_unref (bob.messages);
  g_ptr_array_unref (carol.messages);
  g_ptr_array_unref (events.added);
  g_ptr_array_unref (events.ended);
  stop_server (server);
}

static void
test_ring_timeout (void)
{
  g_autofree char *url = NULL;
  GSubprocess *server = start_server (&url);
  Events events = { 0 };
  Script bob = { 0 };
  PcCallManager *alice = manager_new (&events, url);
  PcSignalingClient *bob_client = script_new (&bob, url, "bob");
  const char *id = "21111111-2222-3333-4444-555555555555";
  g_autoptr (GError) error = NULL;
  PcMessage *message;
  PcCall *call;

  pc_call_manager_set_ring_timeout (alice, 1);
  g_assert_true (pc_signaling_client_send_invite (bob_client, "alice", id, TRUE, &error));
  WAIT_FOR (events.n_incoming == 1);
  call = g_ptr_array_index (events.added, 0);
  WAIT_FOR (events.ended->len == 1);
  g_assert_cmpstr (pc_call_get_end_reason (call), ==, PC_CALL_END_TIMEOUT);
  g_assert_true (pc_call_get_ended_locally (call));
  message = script_wait (&bob, 0, PC_MESSAGE_HANGUP);
  g_assert_cmpstr (message->reason, ==, PC_CALL_END_TIMEOUT);

  g_object_unref (alice);
  g_object_unref (bob_client);
  g_ptr_array_unref (bob.messages);
  g_ptr_array_unref (events.added);
  g_ptr_array_unref (events.ended);
  stop_server (server);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/call-manager/incoming", test_incoming);
  g_test_add_func ("/call-manager/ring-timeout", test_ring_timeout);
  return g_test_run ();
}
