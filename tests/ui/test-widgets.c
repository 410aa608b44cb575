/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Widget-level tests of the UI under Xvfb: sign-in validation, incoming-call dialog answers,
 * ring tone switch and auto-dismiss, call view actions, preferences rows writing GSettings. */
#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <gst/gst.h>

#include "pc-call-private.h"
#include "pc-call-session.h"
#include "pc-call-view.h"
#include "pc-ice-config.h"
#include "pc-incoming-call-dialog.h"
#include "pc-preferences-window.h"
#include "pc-share-token.h"
#include "pc-window.h"

/* GLib's first quark block, allocated in its library constructor, is dropped by design once
 * GTK and GStreamer registered more than 2048 quarks; only the full unwinder reaches the
 * `leak:_dl_init` frame that lsan.supp matches (ASAN_OPTIONS still wins). */
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}

static GSettings *
new_settings (void)
{
  GSettings *settings = g_settings_new (APPLICATION_ID);
  g_autoptr (GSettingsSchema) schema = NULL;
  g_auto (GStrv) keys = NULL;

  /* The memory backend is shared by the whole process: start every test from the defaults. */
  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (settings, keys[i]);
  g_settings_set_boolean (settings, "ringtone", FALSE);
  return settings;
}

static void
spin_until (gboolean *flag, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;

  while (!*flag && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
}

static void
spin (guint ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
}

static GtkWidget *
find_entry_row (GtkWidget *widget, const char *title)
{
  if (ADW_IS_ENTRY_ROW (widget)
      && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_entry_row (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
on_sign_in (PcWindow *window, gboolean *emitted)
{
  *emitted = TRUE;
}

static gboolean
try_sign_in (GSettings *settings, const char *server, const char *user)
{
  AdwApplication *app = ADW_APPLICATION (g_application_get_default ());
  gboolean emitted = FALSE;
  PcWindow *window;

  g_settings_set_string (settings, "server-url", server);
  g_settings_set_string (settings, "user", user);
  window = pc_window_new (app, NULL, settings);
  g_signal_connect (window, "sign-in", G_CALLBACK (on_sign_in), &emitted);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "window.sign-in", NULL));
  gtk_window_destroy (GTK_WINDOW (window));
  return emitted;
}

static void
test_sign_in_validation (void)
{
  g_autoptr (GSettings) settings = new_settings ();
  g_autofree char *display_name = NULL;

  g_assert_false (try_sign_in (settings, "http://127.0.0.1:8080/ws", "alice"));
  g_assert_false (try_sign_in (settings, "not a url", "alice"));
  g_assert_false (try_sign_in (settings, "ws://127.0.0.1:8080/ws", "Bad User"));
  g_assert_false (try_sign_in (settings, "ws://127.0.0.1:8080/ws", "-alice"));

  g_settings_set_string (settings, "display-name", "");
  g_assert_true (try_sign_in (settings, "wss://example.org/ws", "alice.b_2"));
  /* an empty display name falls back to the user name */
  display_name = g_settings_get_string (settings, "display-name");
  g_assert_cmpstr (display_name, ==, "alice.b_2");
}

static GtkWidget *
find_label_containing (GtkWidget *widget, const char *needle)
{
  if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), needle) != NULL)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label_containing (child, needle);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A display name with markup and an ampersand shows literally in a toast (AdwToast titles are
 * markup: unescaped, "<b>" would be bold and "&" would break the label). */
static void
test_toast_shows_names_literally (void)
{
  AdwApplication *app = ADW_APPLICATION (g_application_get_default ());
  g_autoptr (GSettings) settings = new_settings ();
  const char *message = "<b>Eve</b> & co <a href=\"https://example.org\">declined</a> the call";
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  GtkWidget *label = NULL;
  PcWindow *window;

  window = pc_window_new (app, NULL, settings);
  gtk_window_present (GTK_WINDOW (window));
  pc_window_show_toast (window, message, NULL);
  while (label == NULL && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      label = find_label_containing (GTK_WIDGET (window), "Eve");
    }
  g_assert_nonnull (label);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (label)), ==, message);
  gtk_window_destroy (GTK_WINDOW (window));
}

typedef struct
{
  int accepted; /* -1 none, 0 audio, 1 video */
  gboolean declined;
} Answer;

static void
on_accept (PcIncomingCallDialog *dialog, gboolean video, Answer *answer)
{
  answer->accepted = video;
}

static void
on_decline (PcIncomingCallDialog *dialog, Answer *answer)
{
  answer->declined = TRUE;
}

static PcCall *
ringing_call (const char *id)
{
  PcCall *call = pc_call_new (id, "bob", "Bob Builder", PC_CALL_DIRECTION_INCOMING, TRUE);

  pc_call_set_state (call, PC_CALL_STATE_RINGING);
  return call;
}

static PcIncomingCallDialog *
open_dialog (PcCall *call, GSettings *settings, Answer *answer)
{
  PcIncomingCallDialog *dialog = pc_incoming_call_dialog_new (NULL, call, settings);

  answer->accepted = -1;
  answer->declined = FALSE;
  g_signal_connect (dialog, "accept", G_CALLBACK (on_accept), answer);
  g_signal_connect (dialog, "decline", G_CALLBACK (on_decline), answer);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static void
test_incoming_answers (void)
{
  g_autoptr (GSettings) settings = new_settings ();
  g_autoptr (PcCall) call = ringing_call ("call-1");
  Answer answer;
  PcIncomingCallDialog *dialog;

  dialog = open_dialog (call, settings, &answer);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "incoming.accept-video", NULL);
  g_assert_cmpint (answer.accepted, ==, 1);
  /* a second answer is ignored */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "incoming.decline", NULL);
  g_assert_false (answer.declined);
  gtk_window_destroy (GTK_WINDOW (dialog));

  dialog = open_dialog (call, settings, &answer);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "incoming.accept-audio", NULL);
  g_assert_cmpint (answer.accepted, ==, 0);
  gtk_window_destroy (GTK_WINDOW (dialog));

  dialog = open_dialog (call, settings, &answer);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "incoming.decline", NULL);
  g_assert_true (answer.declined);
  g_assert_cmpint (answer.accepted, ==, -1);
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* closing the window declines */
  dialog = open_dialog (call, settings, &answer);
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_true (answer.declined);
}

static void
test_incoming_auto_dismiss (void)
{
  g_autoptr (GSettings) settings = new_settings ();
  g_autoptr (PcCall) call = ringing_call ("call-2");
  Answer answer;
  PcIncomingCallDialog *dialog = open_dialog (call, settings, &answer);

  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *)&dialog);
  /* the caller gives up */
  pc_call_end (call, PC_CALL_END_CANCELLED, FALSE);
  spin (200);
  g_assert_null (dialog);
  g_assert_false (answer.declined);
  g_assert_cmpint (answer.accepted, ==, -1);
}

static void
on_mapped (GtkWidget *widget, gboolean *mapped)
{
  *mapped = TRUE;
}

static void
test_incoming_ringtone_setting (void)
{
  g_autoptr (GSettings) settings = new_settings ();
  g_autoptr (PcCall) call = ringing_call ("call-3");
  PcIncomingCallDialog *dialog;
  gboolean mapped = FALSE;
  Answer answer;

  g_settings_set_boolean (settings, "ringtone", TRUE);
  dialog = pc_incoming_call_dialog_new (NULL, call, settings);
  g_signal_connect (dialog, "accept", G_CALLBACK (on_accept), &answer);
  g_signal_connect (dialog, "map", G_CALLBACK (on_mapped), &mapped);
  gtk_window_present (GTK_WINDOW (dialog));
  spin_until (&mapped, 10000);
  g_assert_true (mapped);
  /* the tone is generated locally: the pipeline exists as soon as the dialog shows */
  g_assert_true (pc_incoming_call_dialog_is_ringing (dialog));

  g_settings_set_boolean (settings, "ringtone", FALSE);
  g_assert_false (pc_incoming_call_dialog_is_ringing (dialog));
  g_settings_set_boolean (settings, "ringtone", TRUE);
  g_assert_true (pc_incoming_call_dialog_is_ringing (dialog));

  answer.accepted = -1;
  gtk_widget_activate_action (GTK_WIDGET (dialog), "incoming.accept-video", NULL);
  g_assert_false (pc_incoming_call_dialog_is_ringing (dialog));
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
on_hang_up (PcCallView *view, gboolean *hung_up)
{
  *hung_up = TRUE;
}

static gboolean
get_bool (gpointer object, const char *property)
{
  gboolean value;

  g_object_get (object, property, &value, NULL);
  return value;
}

static void
test_call_view_actions (void)
{
  g_autoptr (PcCall) call = pc_call_new ("call-4", "bob", "Bob", PC_CALL_DIRECTION_OUTGOING, TRUE);
  g_autoptr (PcCall) audio_call
      = pc_call_new ("call-5", "bob", "Bob", PC_CALL_DIRECTION_OUTGOING, FALSE);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = pc_call_view_new ();
  gboolean hung_up = FALSE;

  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  g_signal_connect (view, "hang-up", G_CALLBACK (on_hang_up), &hung_up);

  pc_call_view_set_call (PC_CALL_VIEW (view), call);
  g_assert_true (pc_call_view_get_call (PC_CALL_VIEW (view)) == call);
  g_assert_false (get_bool (view, "muted"));
  g_assert_true (get_bool (view, "camera-enabled"));

  gtk_widget_activate_action (view, "call.toggle-mute", NULL);
  g_assert_true (get_bool (view, "muted"));
  gtk_widget_activate_action (view, "call.toggle-mute", NULL);
  g_assert_false (get_bool (view, "muted"));
  gtk_widget_activate_action (view, "call.toggle-camera", NULL);
  g_assert_false (get_bool (view, "camera-enabled"));

  pc_call_set_state (call, PC_CALL_STATE_CONNECTING);
  pc_call_set_state (call, PC_CALL_STATE_CONNECTED);
  spin (50);

  gtk_widget_activate_action (view, "call.hang-up", NULL);
  g_assert_true (hung_up);

  /* a new call starts clean; an audio-only call starts with the camera off */
  gtk_widget_activate_action (view, "call.toggle-mute", NULL);
  pc_call_view_set_call (PC_CALL_VIEW (view), audio_call);
  g_assert_false (get_bool (view, "muted"));
  g_assert_false (get_bool (view, "camera-enabled"));

  pc_call_view_set_fullscreen (PC_CALL_VIEW (view), TRUE);
  g_assert_true (get_bool (view, "fullscreen"));

  pc_call_view_set_call (PC_CALL_VIEW (view), NULL);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The first widget of exactly @type bound to @action_name. */
static GtkWidget *
find_actionable (GtkWidget *widget, const char *action_name, GType type)
{
  if (G_OBJECT_TYPE (widget) == type
      && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_actionable (child, action_name, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_revealer_of (GtkWidget *widget)
{
  while (widget != NULL && !GTK_IS_REVEALER (widget))
    widget = gtk_widget_get_parent (widget);
  return widget;
}

/* The share toggle works only when a share can really be sent: never before the call is
 * connected with a media session, and never shows the sharing bar by itself. */
static void
test_call_view_share_needs_session (void)
{
  g_autoptr (PcCall) call = pc_call_new ("call-6", "bob", "Bob", PC_CALL_DIRECTION_OUTGOING, TRUE);
  g_autoptr (PcIceConfig) ice = pc_ice_config_new ();
  g_autoptr (PcCallSession) session = NULL;
  g_autoptr (GSettings) settings = new_settings ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = pc_call_view_new ();
  GtkWidget *share_button;
  GtkWidget *banner;

  pc_call_view_set_settings (PC_CALL_VIEW (view), settings);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  share_button = find_actionable (view, "call.toggle-screen-share", GTK_TYPE_TOGGLE_BUTTON);
  g_assert_nonnull (share_button);
  /* the bar's Stop Sharing button uses the same action; the bar is its revealer */
  banner = find_revealer_of (find_actionable (view, "call.toggle-screen-share", GTK_TYPE_BUTTON));
  g_assert_nonnull (banner);

  /* no call, then a call that is only being set up: nothing to share into */
  g_assert_false (gtk_widget_is_sensitive (share_button));
  pc_call_view_set_call (PC_CALL_VIEW (view), call);
  pc_call_set_state (call, PC_CALL_STATE_INVITING);
  g_assert_false (gtk_widget_is_sensitive (share_button));
  g_object_set (view, "screen-sharing", TRUE, NULL);
  gtk_widget_activate_action (view, "call.toggle-screen-share", NULL);
  spin (50);
  g_assert_false (get_bool (view, "screen-sharing"));

  /* connected, but the media session does not exist yet */
  pc_call_set_state (call, PC_CALL_STATE_CONNECTING);
  pc_call_set_state (call, PC_CALL_STATE_CONNECTED);
  g_assert_false (gtk_widget_is_sensitive (share_button));
  g_object_set (view, "screen-sharing", TRUE, NULL);
  spin (50);
  g_assert_false (get_bool (view, "screen-sharing"));

  /* the session arrives: sharing becomes possible */
  session = pc_call_session_new (ice, FALSE, PC_MEDIA_SOURCE_TEST, PC_MEDIA_SOURCE_NONE);
  pc_call_set_session (call, session);
  g_assert_true (gtk_widget_is_sensitive (share_button));

  /* the session goes away again (replaced, or the call is being torn down) */
  pc_call_set_session (call, NULL);
  g_assert_false (gtk_widget_is_sensitive (share_button));
  g_assert_false (get_bool (view, "screen-sharing"));

  /* at no point did the bar claim a share */
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (banner)));
  g_assert_false (gtk_revealer_get_child_revealed (GTK_REVEALER (banner)));

  pc_call_view_set_call (PC_CALL_VIEW (view), NULL);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
on_start_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;

  g_assert_false (pc_screencast_start_finish (PC_SCREENCAST (source), result, error));
  g_assert_nonnull (*error);
}

/* The portal restore token goes GSettings -> PcScreencast -> GSettings through the helpers the
 * call view's share button uses (no portal needed: a start handing back a token is simulated the
 * way the portal hands it over, a refused start is real). */
static void
test_share_restore_token (void)
{
  g_autoptr (GSettings) settings = new_settings ();
  g_autoptr (PcScreencast) screencast = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *stored = NULL;
  PcScreencastPersist persist;

  /* nothing stored yet: the portal is asked to remember, and given no token */
  screencast = pc_share_token_new_screencast (PC_SCREENCAST_BACKEND_PORTAL, settings);
  g_object_get (screencast, "persist-mode", &persist, NULL);
  g_assert_cmpint (persist, ==, PC_SCREENCAST_PERSIST_PERSISTENT);
  g_assert_null (pc_screencast_get_restore_token (screencast));
  /* the portal started the session and handed back a token: stored */
  pc_screencast_set_restore_token (screencast, "token-1");
  g_assert_true (pc_share_token_update (settings, screencast, NULL));
  stored = g_settings_get_string (settings, PC_SHARE_TOKEN_KEY);
  g_assert_cmpstr (stored, ==, "token-1");
  g_clear_pointer (&stored, g_free);
  g_assert_false (pc_share_token_update (settings, screencast, NULL)); /* no change */
  g_clear_object (&screencast);

  /* the next share offers it; the portal replaces it with a new one */
  screencast = pc_share_token_new_screencast (PC_SCREENCAST_BACKEND_PORTAL, settings);
  g_assert_cmpstr (pc_screencast_get_restore_token (screencast), ==, "token-1");
  pc_screencast_set_restore_token (screencast, "token-2");
  g_assert_true (pc_share_token_update (settings, screencast, NULL));
  stored = g_settings_get_string (settings, PC_SHARE_TOKEN_KEY);
  g_assert_cmpstr (stored, ==, "token-2");
  g_clear_pointer (&stored, g_free);
  /* a session started without a new token (tokens are single-use): forgotten */
  pc_screencast_set_restore_token (screencast, NULL);
  g_assert_true (pc_share_token_update (settings, screencast, NULL));
  stored = g_settings_get_string (settings, PC_SHARE_TOKEN_KEY);
  g_assert_cmpstr (stored, ==, "");
  g_clear_pointer (&stored, g_free);
  g_clear_object (&screencast);

  /* a real refused start (no portal on this bus, or no bus at all) forgets the stored token */
  g_settings_set_string (settings, PC_SHARE_TOKEN_KEY, "token-3");
  screencast = pc_share_token_new_screencast (PC_SCREENCAST_BACKEND_PORTAL, settings);
  g_assert_cmpstr (pc_screencast_get_restore_token (screencast), ==, "token-3");
  g_object_set (screencast, "portal-timeout", 3, NULL);
  pc_screencast_start_async (screencast, NULL, NULL, on_start_done, &error);
  {
    gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

    while (error == NULL && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, FALSE);
  }
  g_assert_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST);
  g_assert_true (pc_share_token_update (settings, screencast, error));
  stored = g_settings_get_string (settings, PC_SHARE_TOKEN_KEY);
  g_assert_cmpstr (stored, ==, "");
  g_clear_pointer (&stored, g_free);
  g_clear_object (&screencast);
  g_clear_error (&error);

  /* X11 has no token: a failed X11 share leaves the portal's token alone */
  g_settings_set_string (settings, PC_SHARE_TOKEN_KEY, "token-4");
  screencast = pc_share_token_new_screencast (PC_SCREENCAST_BACKEND_X11, settings);
  g_set_error_literal (&error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST, "no display");
  g_assert_false (pc_share_token_update (settings, screencast, error));
  stored = g_settings_get_string (settings, PC_SHARE_TOKEN_KEY);
  g_assert_cmpstr (stored, ==, "token-4");
}

static void
test_preferences_rows (void)
{
  g_autoptr (GSettings) settings = new_settings ();
  GtkWidget *prefs = pc_preferences_window_new (NULL, settings);
  GtkWidget *server_row;
  GtkWidget *add_row;
  g_auto (GStrv) servers = NULL;
  g_autofree char *server_url = NULL;

  gtk_window_present (GTK_WINDOW (prefs));

  server_row = find_entry_row (prefs, "Server Address");
  g_assert_nonnull (server_row);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (server_row)), ==, "ws://127.0.0.1:8080/ws");
  gtk_editable_set_text (GTK_EDITABLE (server_row), "wss://calls.example.org/ws");
  server_url = g_settings_get_string (settings, "server-url");
  g_assert_cmpstr (server_url, ==, "wss://calls.example.org/ws");

  add_row = find_entry_row (prefs, "Add STUN or TURN Server");
  g_assert_nonnull (add_row);

  gtk_editable_set_text (GTK_EDITABLE (add_row), "http://not-ice.example.org");
  g_signal_emit_by_name (add_row, "apply");
  servers = g_settings_get_strv (settings, "ice-servers");
  g_assert_cmpuint (g_strv_length (servers), ==, 0);
  g_assert_true (gtk_widget_has_css_class (add_row, "error"));
  g_clear_pointer (&servers, g_strfreev);

  gtk_editable_set_text (GTK_EDITABLE (add_row), "turn:user:pass@127.0.0.1:3478?transport=udp");
  g_signal_emit_by_name (add_row, "apply");
  gtk_editable_set_text (GTK_EDITABLE (add_row), "stun:127.0.0.1:3478");
  g_signal_emit_by_name (add_row, "apply");
  /* a duplicate is not added twice */
  gtk_editable_set_text (GTK_EDITABLE (add_row), "stun:127.0.0.1:3478");
  g_signal_emit_by_name (add_row, "apply");
  servers = g_settings_get_strv (settings, "ice-servers");
  g_assert_cmpuint (g_strv_length (servers), ==, 2);
  g_assert_cmpstr (servers[0], ==, "turn:user:pass@127.0.0.1:3478?transport=udp");
  g_assert_cmpstr (servers[1], ==, "stun:127.0.0.1:3478");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (add_row)), ==, "");

  gtk_window_destroy (GTK_WINDOW (prefs));
}

static void
on_activate (GApplication *app, gpointer user_data)
{
  int *status = user_data;

  g_application_hold (app);
  *status = g_test_run ();
  g_application_release (app);
}

int
main (int argc, char **argv)
{
  g_autoptr (AdwApplication) app = NULL;
  int status = 1;

  for (int i = 1; i < argc; i++)
    if (g_str_has_prefix (argv[i], "--schema-dir="))
      g_setenv ("GSETTINGS_SCHEMA_DIR", argv[i] + strlen ("--schema-dir="), TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  /* The full unwinder (above) deadlocked against llvmpipe's threads here; cairo has none. */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);

  g_test_init (&argc, &argv, NULL);
  /* Xvfb has no session bus: GTK warns about it; criticals stay fatal. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
  gst_init (NULL, NULL);

  g_test_add_func ("/ui/window/sign-in-validation", test_sign_in_validation);
  g_test_add_func ("/ui/window/toast-literal", test_toast_shows_names_literally);
  g_test_add_func ("/ui/incoming/answers", test_incoming_answers);
  g_test_add_func ("/ui/incoming/auto-dismiss", test_incoming_auto_dismiss);
  g_test_add_func ("/ui/incoming/ringtone-setting", test_incoming_ringtone_setting);
  g_test_add_func ("/ui/call-view/actions", test_call_view_actions);
  g_test_add_func ("/ui/call-view/share-needs-session", test_call_view_share_needs_session);
  g_test_add_func ("/ui/share/restore-token", test_share_restore_token);
  g_test_add_func ("/ui/preferences/rows", test_preferences_rows);

  /* The widgets need an AdwApplication (styles, resources, app actions). */
  app = adw_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (on_activate), &status);
  g_application_run (G_APPLICATION (app), 0, NULL);
  return status;
}
