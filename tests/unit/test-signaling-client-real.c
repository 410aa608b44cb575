/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PcSignalingClient against the real peercall-signal ($PEERCALL_SIGNAL): two users call each
 * other through it, user-taken, auth-failed, and reconnect after a server restart. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "pc-signaling-client.h"

typedef struct
{
  gboolean done;
  PcMessage *welcome;
  GError *error;
  GPtrArray *messages;
  guint n_registered;
  guint n_disconnected;
  GError *disconnect_error;
  guint n_server_errors;
  GError *server_error;
} Peer;

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

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Peer *p = user_data;

  p->welcome = pc_signaling_client_connect_finish (PC_SIGNALING_CLIENT (source), result, &p->error);
  p->done = TRUE;
}

static void
on_message (PcSignalingClient *client, PcMessage *message, Peer *p)
{
  g_ptr_array_add (p->messages, pc_message_ref (message));
}

static void
on_registered (PcSignalingClient *client, PcMessage *welcome, Peer *p)
{
  p->n_registered++;
}

static void
on_disconnected (PcSignalingClient *client, GError *error, Peer *p)
{
  p->n_disconnected++;
  g_clear_error (&p->disconnect_error);
  p->disconnect_error = error ? g_error_copy (error) : NULL;
}

static void
on_server_error (
    PcSignalingClient *client, GError *error, const char *ref, const char *call, Peer *p)
{
  p->n_server_errors++;
  g_clear_error (&p->server_error);
  p->server_error = g_error_copy (error);
}

static PcSignalingClient *
peer_new (Peer *p, const char *url, const char *user, const char *token)
{
  PcSignalingClient *client = pc_signaling_client_new (url, user, user, token);

  memset (p, 0, sizeof *p);
  p->messages = g_ptr_array_new_with_free_func ((GDestroyNotify)pc_message_unref);
  g_signal_connect (client, "message", G_CALLBACK (on_message), p);
  g_signal_connect (client, "registered", G_CALLBACK (on_registered), p);
  g_signal_connect (client, "disconnected", G_CALLBACK (on_disconnected), p);
  g_signal_connect (client, "server-error", G_CALLBACK (on_server_error), p);
  return client;
}

static void
peer_connect (PcSignalingClient *client, Peer *p)
{
  p->done = FALSE;
  g_clear_pointer (&p->welcome, pc_message_unref);
  g_clear_error (&p->error);
  pc_signaling_client_connect_async (client, NULL, on_done, p);
  WAIT_FOR (p->done);
}

static void
peer_clear (Peer *p)
{
  g_clear_pointer (&p->welcome, pc_message_unref);
  g_clear_error (&p->error);
  g_clear_error (&p->disconnect_error);
  g_clear_error (&p->server_error);
  g_ptr_array_unref (p->messages);
}

static PcMessage *
last_message (Peer *p)
{
  return g_ptr_array_index (p->messages, p->messages->len - 1);
}

/* Starts peercall-signal with @args and returns its URL from the first stdout line. */
static GSubprocess *
start_server (const char *const *extra, char **out_url)
{
  const char *exe = g_getenv ("PEERCALL_SIGNAL");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) argv = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) lines = NULL;
  g_autofree char *line = NULL;
  GSubprocess *server;

  g_strv_builder_add (builder, exe);
  g_strv_builder_addv (builder, (const char **)extra);
  argv = g_strv_builder_end (builder);
  server = g_subprocess_newv ((const char *const *)argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
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

static void
test_call_through_server (void)
{
  const char *args[] = { "--listen", "127.0.0.1:0", NULL };
  g_autofree char *url = NULL;
  GSubprocess *server = start_server (args, &url);
  Peer a, b, a2;
  PcSignalingClient *alice = peer_new (&a, url, "alice", NULL);
  PcSignalingClient *bob = peer_new (&b, url, "bob", NULL);
  PcSignalingClient *alice2 = peer_new (&a2, url, "alice", NULL);
  g_autoptr (GError) error = NULL;
  const char *call = "0b1c2d3e-aaaa-bbbb-cccc-0123456789ab";
  PcMessage *m;

  peer_connect (alice, &a);
  g_assert_no_error (a.error);
  peer_connect (bob, &b);
  g_assert_no_error (b.error);
  g_assert_cmpuint (b.welcome->peers->len, ==, 1);

  g_assert_true (pc_signaling_client_send_invite (alice, "bob", call, TRUE, &error));
  WAIT_FOR (b.messages->len == 1);
  m = last_message (&b);
  g_assert_cmpint (m->type, ==, PC_MESSAGE_INVITE);
  g_assert_cmpstr (m->from, ==, "alice");
  g_assert_cmpstr (m->name, ==, "alice");
  g_assert_true (pc_signaling_client_send_ringing (bob, "alice", call, &error));
  g_assert_true (pc_signaling_client_send_accept (bob, "alice", call, &error));
  WAIT_FOR (a.messages->len == 2);
  g_assert_true (pc_signaling_client_send_sdp (alice, "bob", call, "offer", "v=0\r\n", &error));
  g_assert_true (pc_signaling_client_send_ice (alice, "bob", call, NULL, NULL, -1, &error));
  WAIT_FOR (b.messages->len == 3);
  g_assert_null (last_message (&b)->candidate);
  g_assert_no_error (error);

  /* a message about another call: the server's error arrives as "server-error" */
  g_assert_true (pc_signaling_client_send_ringing (alice, "bob", "other", &error));
  WAIT_FOR (a.n_server_errors == 1);
  g_assert_error (a.server_error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_NO_SUCH_CALL);

  /* the same user twice: user-taken, fatal, no retry */
  peer_connect (alice2, &a2);
  g_assert_error (a2.error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_USER_TAKEN);
  g_assert_cmpint (pc_signaling_client_get_state (alice2), ==, PC_SIGNALING_STATE_DISCONNECTED);

  /* bob goes away: alice hears hangup peer-gone */
  g_clear_object (&bob);
  WAIT_FOR (a.messages->len == 3);
  g_assert_cmpint (last_message (&a)->type, ==, PC_MESSAGE_HANGUP);
  g_assert_cmpstr (last_message (&a)->reason, ==, "peer-gone");

  /* the server restarts on the same port: alice comes back on her own */
  {
    g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
    g_autofree char *listen = g_strdup_printf ("127.0.0.1:%d", g_uri_get_port (uri));
    const char *again[] = { "--listen", listen, NULL };
    g_autofree char *url2 = NULL;

    stop_server (server);
    WAIT_FOR (a.n_disconnected == 1);
    g_assert_error (a.disconnect_error, PC_SIGNALING_ERROR, PC_SIGNALING_ERROR_CONNECTION_LOST);
    server = start_server (again, &url2);
    g_assert_cmpstr (url2, ==, url);
    WAIT_FOR (a.n_registered == 2);
    g_assert_cmpint (pc_signaling_client_get_state (alice), ==, PC_SIGNALING_STATE_REGISTERED);
  }

  pc_signaling_client_disconnect (alice);
  g_object_unref (alice);
  g_object_unref (alice2);
  stop_server (server);
  peer_clear (&a);
  peer_clear (&b);
  peer_clear (&a2);
}

static void
test_auth_failed (void)
{
  g_autofree char *secret_file = NULL;
  g_autofree char *url = NULL;
  g_autoptr (GError) error = NULL;
  GSubprocess *server;
  PcSignalingClient *alice;
  Peer a;
  int fd;

  fd = g_file_open_tmp ("peercall-secret-XXXXXX", &secret_file, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (secret_file, "test-secret\n", -1, &error));
  {
    const char *args[] = { "--listen",  "127.0.0.1:0", "--auth", "token", "--token-secret-file",
                           secret_file, NULL };
    server = start_server (args, &url);
  }

  alice = peer_new (&a, url, "alice", "1:AAAA");
  peer_connect (alice, &a);
  g_assert_error (a.error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_AUTH_FAILED);
  g_assert_cmpint (pc_signaling_client_get_state (alice), ==, PC_SIGNALING_STATE_DISCONNECTED);
  g_assert_cmpuint (a.n_disconnected, ==, 0);
  g_object_unref (alice);
  peer_clear (&a);

  stop_server (server);
  g_unlink (secret_file);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("PEERCALL_SIGNAL") == NULL)
    {
      g_printerr ("PEERCALL_SIGNAL is not set (run through meson test)\n");
      return 77;
    }

  g_test_add_func ("/signaling-client-real/call-through-server", test_call_through_server);
  g_test_add_func ("/signaling-client-real/auth-failed", test_auth_failed);

  return g_test_run ();
}
