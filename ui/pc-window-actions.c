/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-window-actions.c: PcWindow's actions: the "window." ones with their keyboard shortcuts, and
 * the "app." ones the incoming-call notification activates. */
#define G_LOG_DOMAIN "peercall-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "pc-ui-trace.h"
#include "pc-window-private.h"

static void
pc_window_sign_in_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  PcWindow *self = PC_WINDOW (widget);
  g_autofree char *server
      = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->server_row))));
  g_autofree char *user
      = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->user_row))));
  g_autofree char *name
      = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  g_autofree char *scheme = g_uri_parse_scheme (server);
  const char *problem = NULL;

  if (scheme == NULL || !g_uri_is_valid (server, G_URI_FLAGS_NONE, NULL)
      || (g_ascii_strcasecmp (scheme, "ws") != 0 && g_ascii_strcasecmp (scheme, "wss") != 0))
    problem = _ ("The server address must start with ws:// or wss://, for example "
                 "ws://example.org:8080/ws.");
  else if (!g_regex_match_simple (PC_WINDOW_USER_PATTERN, user, 0, 0))
    problem = _ ("User names use lowercase letters, digits, dots, dashes and underscores, and "
                 "start with a letter or digit.");
  else if (g_utf8_strlen (name, -1) > 128)
    problem = _ ("The display name is too long.");

  gtk_widget_set_visible (GTK_WIDGET (self->sign_in_error), problem != NULL);
  if (problem != NULL)
    {
      gtk_label_set_label (self->sign_in_error, problem);
      return;
    }

  g_settings_delay (self->settings);
  g_settings_set_string (self->settings, "server-url", server);
  g_settings_set_string (self->settings, "user", user);
  g_settings_set_string (self->settings, "display-name", *name != '\0' ? name : user);
  g_settings_apply (self->settings);

  pc_ui_trace ("sign-in", "user", user, "server", server, NULL);
  _pc_window_emit_sign_in (self);
}

static void
pc_window_call_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  _pc_window_start_call (PC_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
pc_window_reconnect_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  PcWindow *self = PC_WINDOW (widget);

  if (self->manager != NULL)
    pc_call_manager_connect (self->manager);
  else
    _pc_window_emit_sign_in (self);
}

static void
pc_window_search_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  PcWindow *self = PC_WINDOW (widget);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "contacts") != 0)
    return;

  gtk_toggle_button_set_active (self->search_button, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
pc_window_preferences_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  pc_window_show_preferences (PC_WINDOW (widget));
}

static void
pc_window_about_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  const char *developers[] = { _ ("The Peercall developers"), NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW, "transient-for", widget, "application-name",
                        _ ("Peercall"), "application-icon", APPLICATION_ID, "version",
                        PACKAGE_VERSION, "comments", _ ("Private one-to-one video calls"),
                        "developers", developers, "license-type", GTK_LICENSE_GPL_3_0,
                        "translator-credits", _ ("translator-credits"), NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
pc_window_toggle_fullscreen_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GtkWindow *window = GTK_WINDOW (widget);

  if (gtk_window_is_fullscreen (window))
    gtk_window_unfullscreen (window);
  else if (g_strcmp0 (gtk_stack_get_visible_child_name (PC_WINDOW (widget)->main_stack), "call")
           == 0)
    gtk_window_fullscreen (window);
}

/* Keyboard shortcuts for the call act on the call view only while it is shown. */
static void
pc_window_call_shortcut_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  PcWindow *self = PC_WINDOW (widget);
  const char *call_action;

  /* Escape leaves fullscreen first, as everywhere else; only then does it hang up. */
  if (g_str_equal (action_name, "window.escape") && gtk_window_is_fullscreen (GTK_WINDOW (self)))
    {
      gtk_window_unfullscreen (GTK_WINDOW (self));
      return;
    }

  if (!_pc_window_call_is_shown (self))
    return;

  if (g_str_equal (action_name, "window.toggle-mute"))
    call_action = "call.toggle-mute";
  else if (g_str_equal (action_name, "window.toggle-camera"))
    call_action = "call.toggle-camera";
  else
    call_action = "call.hang-up";

  gtk_widget_activate_action (GTK_WIDGET (self->call_view), call_action, NULL);
}

static void
pc_window_app_call_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PcWindow *self = PC_WINDOW (user_data);
  const char *name = g_action_get_name (G_ACTION (action));
  g_autoptr (GError) error = NULL;

  gtk_window_present (GTK_WINDOW (self));

  if (self->manager == NULL || self->call == NULL
      || g_strcmp0 (pc_call_get_id (self->call), g_variant_get_string (param, NULL)) != 0
      || pc_call_get_state (self->call) != PC_CALL_STATE_RINGING)
    return;

  if (g_str_equal (name, "decline-call"))
    pc_call_manager_decline (self->manager, self->call, PC_CALL_END_DECLINED, &error);
  else
    pc_call_manager_accept (self->manager, self->call, g_str_equal (name, "accept-call"), &error);

  if (error != NULL)
    pc_window_show_toast (self, error->message, NULL);
  if (self->incoming_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->incoming_dialog));
}

void
_pc_window_add_app_actions (PcWindow *self, GActionMap *app)
{
  static const GActionEntry app_entries[] = {
    { "accept-call", pc_window_app_call_action, "s" },
    { "accept-audio-call", pc_window_app_call_action, "s" },
    { "decline-call", pc_window_app_call_action, "s" },
  };

  g_action_map_add_action_entries (app, app_entries, G_N_ELEMENTS (app_entries), self);
}

void
_pc_window_remove_app_actions (GActionMap *app)
{
  g_action_map_remove_action (app, "accept-call");
  g_action_map_remove_action (app, "accept-audio-call");
  g_action_map_remove_action (app, "decline-call");
}

void
_pc_window_class_actions_init (PcWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "window.sign-in", NULL, pc_window_sign_in_action);
  gtk_widget_class_install_action (widget_class, "window.call", "s", pc_window_call_action);
  gtk_widget_class_install_action (widget_class, "window.reconnect", NULL,
                                   pc_window_reconnect_action);
  gtk_widget_class_install_action (widget_class, "window.preferences", NULL,
                                   pc_window_preferences_action);
  gtk_widget_class_install_action (widget_class, "window.search", NULL, pc_window_search_action);
  gtk_widget_class_install_action (widget_class, "window.about", NULL, pc_window_about_action);
  gtk_widget_class_install_action (widget_class, "window.toggle-fullscreen", NULL,
                                   pc_window_toggle_fullscreen_action);
  gtk_widget_class_install_action (widget_class, "window.toggle-mute", NULL,
                                   pc_window_call_shortcut_action);
  gtk_widget_class_install_action (widget_class, "window.toggle-camera", NULL,
                                   pc_window_call_shortcut_action);
  gtk_widget_class_install_action (widget_class, "window.hang-up", NULL,
                                   pc_window_call_shortcut_action);
  gtk_widget_class_install_action (widget_class, "window.escape", NULL,
                                   pc_window_call_shortcut_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_comma, GDK_CONTROL_MASK,
                                       "window.preferences", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F11, 0, "window.toggle-fullscreen",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d, GDK_CONTROL_MASK,
                                       "window.toggle-mute", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK,
                                       "window.toggle-camera", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.hang-up",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.escape", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "window.search",
                                       NULL);
}
