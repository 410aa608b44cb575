/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "pc-call-manager.h"
#include "pc-call-view.h"
#include "pc-contact-row.h"
#include "pc-incoming-call-dialog.h"
#include "pc-preferences-window.h"
#include "pc-ui-resources.h"
#include "pc-ui-trace.h"
#include "pc-window-private.h"

enum
{
  PROP_0,
  PROP_MANAGER,
  PROP_SETTINGS,
  N_PROPS
};

enum
{
  SIGN_IN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (PcWindow, pc_window, ADW_TYPE_APPLICATION_WINDOW)

static void pc_window_set_call (PcWindow *self, PcCall *call);

/* Test hook: with PEERCALL_UI_TRACE set, the first frame painted after a visible change is
 * traced, so a screenshot taken after it shows that change even on a slow machine. */
static void
on_after_paint (GdkFrameClock *clock, PcWindow *self)
{
  if (self->paint_note == NULL)
    return;

  pc_ui_trace ("painted", "state", self->paint_note, NULL);
  g_clear_pointer (&self->paint_note, g_free);
}

static void
pc_window_note_paint (PcWindow *self, const char *note)
{
  if (!pc_ui_trace_enabled ())
    return;

  g_free (self->paint_note);
  self->paint_note = g_strdup (note);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
pc_window_realize (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (pc_window_parent_class)->realize (widget);

  if (pc_ui_trace_enabled ())
    g_signal_connect_object (gtk_widget_get_frame_clock (widget), "after-paint",
                             G_CALLBACK (on_after_paint), widget, 0);
}

static void
pc_window_show_page (PcWindow *self, const char *name)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), name) == 0)
    return;

  gtk_stack_set_visible_child_name (self->main_stack, name);
  pc_ui_trace ("page", "name", name, NULL);
  pc_window_note_paint (self, name);
}

gboolean
_pc_window_call_is_shown (PcWindow *self)
{
  PcCallState state;

  if (self->call == NULL)
    return FALSE;

  state = pc_call_get_state (self->call);
  if (state == PC_CALL_STATE_ENDED)
    return FALSE;

  /* An incoming call stays in the dialog until it is answered. */
  return pc_call_get_direction (self->call) == PC_CALL_DIRECTION_OUTGOING
         || state >= PC_CALL_STATE_CONNECTING;
}

static void
pc_window_update_contacts_page (PcWindow *self)
{
  const char *page;
  guint n_items = 0;

  if (self->filtered_contacts != NULL)
    n_items = g_list_model_get_n_items (G_LIST_MODEL (self->filtered_contacts));

  if (n_items > 0)
    page = "list";
  else if (self->search_text != NULL && *self->search_text != '\0')
    page = "no-results";
  else if (self->manager != NULL
           && pc_call_manager_get_signaling_state (self->manager) != PC_SIGNALING_STATE_REGISTERED)
    page = "connecting";
  else
    page = "empty";

  gtk_spinner_set_spinning (self->connecting_spinner, g_str_equal (page, "connecting"));
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->contacts_stack), page) != 0
      || n_items != self->shown_contacts)
    {
      g_autofree char *count = g_strdup_printf ("%u", n_items);

      g_autofree char *note = g_strdup_printf ("contacts:%s:%u", page, n_items);

      self->shown_contacts = n_items;
      gtk_stack_set_visible_child_name (self->contacts_stack, page);
      pc_ui_trace ("contacts", "page", page, "count", count, NULL);
      pc_window_note_paint (self, note);
    }
}

static void
pc_window_update_page (PcWindow *self)
{
  if (self->manager == NULL)
    {
      pc_window_show_page (self, "sign-in");
      return;
    }

  if (_pc_window_call_is_shown (self))
    {
      pc_call_view_set_call (self->call_view, self->call);
      pc_window_show_page (self, "call");
      return;
    }

  if (gtk_window_is_fullscreen (GTK_WINDOW (self)))
    gtk_window_unfullscreen (GTK_WINDOW (self));
  pc_window_update_contacts_page (self);
  pc_window_show_page (self, "contacts");
}

static void
pc_window_update_connection (PcWindow *self)
{
  PcSignalingState state = PC_SIGNALING_STATE_DISCONNECTED;
  gboolean reconnecting;

  if (self->manager != NULL)
    state = pc_call_manager_get_signaling_state (self->manager);

  reconnecting
      = self->manager != NULL
        && (state == PC_SIGNALING_STATE_RECONNECTING || state == PC_SIGNALING_STATE_DISCONNECTED);
  if (reconnecting != gtk_revealer_get_reveal_child (self->banner_revealer))
    pc_ui_trace ("banner", "shown", reconnecting ? "true" : "false", NULL);
  gtk_revealer_set_reveal_child (self->banner_revealer, reconnecting);
  gtk_spinner_set_spinning (self->banner_spinner, state == PC_SIGNALING_STATE_RECONNECTING);
  gtk_label_set_label (self->banner_label, state == PC_SIGNALING_STATE_RECONNECTING
                                               ? _ ("Connection lost. Reconnecting…")
                                               : _ ("Not connected to the server."));
  gtk_widget_set_visible (GTK_WIDGET (self->connection_indicator),
                          self->manager != NULL && state != PC_SIGNALING_STATE_REGISTERED);

  pc_window_update_contacts_page (self);
}

static void
pc_window_withdraw_notification (PcWindow *self)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  if (app != NULL)
    g_application_withdraw_notification (app, "incoming-call");
}

static char *
pc_window_dup_peer_label (PcCall *call)
{
  const char *name = pc_call_get_peer_name (call);

  return g_strdup (name != NULL && *name != '\0' ? name : pc_call_get_peer (call));
}

static void
on_call_state_changed (PcWindow *self, GParamSpec *pspec, PcCall *call)
{
  if (pc_call_get_state (call) != PC_CALL_STATE_RINGING)
    pc_window_withdraw_notification (self);
  pc_window_update_page (self);
}

static void
pc_window_set_call (PcWindow *self, PcCall *call)
{
  if (self->call == call)
    return;

  if (self->call != NULL)
    g_signal_handlers_disconnect_by_data (self->call, self);
  g_set_object (&self->call, call);
  if (call != NULL)
    g_signal_connect_object (call, "notify::state", G_CALLBACK (on_call_state_changed), self,
                             G_CONNECT_SWAPPED);

  pc_window_update_page (self);
}

static void
on_manager_current_call (PcWindow *self, GParamSpec *pspec, PcCallManager *manager)
{
  PcCall *call = pc_call_manager_get_current_call (manager);

  /* Keep showing an ended call until call-ended has run, so its toast names the peer. */
  if (call != NULL)
    pc_window_set_call (self, call);
  else
    pc_window_update_page (self);
}

static void
on_incoming_dialog_accept (PcWindow *self, gboolean video, PcIncomingCallDialog *dialog)
{
  PcCall *call = pc_incoming_call_dialog_get_call (dialog);
  g_autoptr (GError) error = NULL;

  if (self->manager == NULL || !pc_call_manager_accept (self->manager, call, video, &error))
    {
      if (error != NULL)
        pc_window_show_toast (self, error->message, NULL);
    }
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
on_incoming_dialog_decline (PcWindow *self, PcIncomingCallDialog *dialog)
{
  PcCall *call = pc_incoming_call_dialog_get_call (dialog);
  g_autoptr (GError) error = NULL;

  if (self->manager != NULL
      && !pc_call_manager_decline (self->manager, call, PC_CALL_END_DECLINED, &error))
    pc_window_show_toast (self, error->message, NULL);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
pc_window_notify_incoming (PcWindow *self, PcCall *call)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autoptr (GNotification) notification = NULL;
  g_autofree char *peer = pc_window_dup_peer_label (call);
  g_autofree char *body = NULL;
  const char *id = pc_call_get_id (call);

  /* Without a session bus there is no notification server to talk to. */
  if (app == NULL || g_application_get_dbus_connection (app) == NULL)
    return;

  body = g_strdup_printf (
      pc_call_get_video (call) ? _ ("%s is calling you (video)") : _ ("%s is calling you"), peer);
  notification = g_notification_new (_ ("Incoming Call"));
  g_notification_set_body (notification, body);
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_URGENT);
  g_notification_set_category (notification, "call.incoming");
  g_notification_set_default_action (notification, "app.activate");
  g_notification_add_button_with_target (notification, _ ("Decline"), "app.decline-call", "s", id);
  g_notification_add_button_with_target (notification, _ ("Audio Only"), "app.accept-audio-call",
                                         "s", id);
  g_notification_add_button_with_target (notification, _ ("Accept"), "app.accept-call", "s", id);
  g_application_send_notification (app, "incoming-call", notification);
}

static void
on_manager_incoming_call (PcWindow *self, PcCall *call, PcCallManager *manager)
{
  PcIncomingCallDialog *dialog;

  if (pc_call_manager_get_auto_answer (manager))
    return;

  pc_window_set_call (self, call);

  if (self->incoming_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->incoming_dialog));

  dialog = pc_incoming_call_dialog_new (GTK_WINDOW (self), call, self->settings);
  g_signal_connect_object (dialog, "accept", G_CALLBACK (on_incoming_dialog_accept), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (dialog, "decline", G_CALLBACK (on_incoming_dialog_decline), self,
                           G_CONNECT_SWAPPED);
  g_set_weak_pointer (&self->incoming_dialog, dialog);
  gtk_window_present (GTK_WINDOW (dialog));

  if (!gtk_window_is_active (GTK_WINDOW (self)))
    pc_window_notify_incoming (self, call);
}

void
_pc_window_emit_sign_in (PcWindow *self)
{
  g_signal_emit (self, signals[SIGN_IN], 0);
}

static void
pc_window_maybe_emit_sign_in (PcWindow *self)
{
  if (!self->sign_in_pending)
    return;
  if (self->call != NULL && pc_call_is_active (self->call))
    return;

  self->sign_in_pending = FALSE;
  _pc_window_emit_sign_in (self);
}

static void
on_manager_call_ended (PcWindow *self, PcCall *call, PcCallManager *manager)
{
  const char *reason = pc_call_get_end_reason (call);
  g_autofree char *peer = pc_window_dup_peer_label (call);
  g_autofree char *message = NULL;
  g_autofree char *retry = NULL;
  gboolean outgoing = pc_call_get_direction (call) == PC_CALL_DIRECTION_OUTGOING;

  pc_window_withdraw_notification (self);

  if (g_strcmp0 (reason, PC_CALL_END_DECLINED) == 0 && outgoing)
    message = g_strdup_printf (_ ("%s declined the call"), peer);
  else if (g_strcmp0 (reason, PC_CALL_END_BUSY) == 0)
    message = g_strdup_printf (_ ("%s is busy"), peer);
  else if (g_strcmp0 (reason, PC_CALL_END_UNAVAILABLE) == 0)
    message = g_strdup_printf (_ ("%s is not available"), peer);
  else if (g_strcmp0 (reason, PC_CALL_END_TIMEOUT) == 0)
    message = outgoing ? g_strdup_printf (_ ("%s did not answer"), peer)
                       : g_strdup_printf (_ ("Missed call from %s"), peer);
  else if (g_strcmp0 (reason, PC_CALL_END_CANCELLED) == 0 && !outgoing
           && !pc_call_get_ended_locally (call))
    message = g_strdup_printf (_ ("Missed call from %s"), peer);
  else if (g_strcmp0 (reason, PC_CALL_END_PEER_GONE) == 0)
    message = g_strdup_printf (_ ("Lost the connection to %s"), peer);
  else if (g_strcmp0 (reason, PC_CALL_END_FAILED) == 0
           || g_strcmp0 (reason, PC_CALL_END_ERROR) == 0)
    message = g_strdup_printf (_ ("The call with %s failed"), peer);
  else if (g_strcmp0 (reason, PC_CALL_END_NORMAL) == 0 && !pc_call_get_ended_locally (call))
    message = g_strdup_printf (_ ("%s ended the call"), peer);

  /* Calling back makes sense when the peer may now be free or the path may now work. */
  if (outgoing && g_strcmp0 (reason, PC_CALL_END_DECLINED) != 0
      && g_strcmp0 (reason, PC_CALL_END_NORMAL) != 0
      && g_strcmp0 (reason, PC_CALL_END_CANCELLED) != 0)
    {
      g_autoptr (GVariant) target
          = g_variant_ref_sink (g_variant_new_string (pc_call_get_peer (call)));
      g_autofree char *printed = g_variant_print (target, FALSE);

      retry = g_strdup_printf ("window.call(%s)", printed);
    }

  if (message != NULL)
    pc_window_show_toast (self, message, retry);

  if (self->call == call)
    {
      pc_call_view_set_call (self->call_view, NULL);
      pc_window_set_call (self, NULL);
    }
  pc_window_update_page (self);
  pc_window_maybe_emit_sign_in (self);
}

static void
on_manager_error (PcWindow *self, GError *error, PcCallManager *manager)
{
  const char *code = pc_call_manager_error_code (error);
  const char *retry = NULL;

  if (g_strv_contains ((const char *const[]){ "auth-failed", "user-taken", "unsupported-version",
                                              "invalid-url", NULL },
                       code))
    {
      /* Fatal for this account: back to the sign-in page to fix it. */
      gtk_label_set_label (self->sign_in_error, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->sign_in_error), TRUE);
      pc_window_set_manager (self, NULL);
    }
  else if (g_strv_contains ((const char *const[]){ "connection-refused", "connection-lost",
                                                   "not-connected", "tls", "handshake", NULL },
                            code))
    retry = "window.reconnect";

  pc_window_show_toast (self, error->message, retry);
}

static void
on_manager_signaling_state (PcWindow *self, GParamSpec *pspec, PcCallManager *manager)
{
  pc_window_update_connection (self);
}

static void
on_contacts_items_changed (
    PcWindow *self, guint position, guint removed, guint added, GListModel *model)
{
  pc_window_update_contacts_page (self);
}

static gboolean
pc_window_filter_contact (gpointer item, gpointer user_data)
{
  PcWindow *self = user_data;
  PcContact *contact = item;
  g_autofree char *name = NULL;

  if (self->search_text == NULL || *self->search_text == '\0')
    return TRUE;

  name = g_utf8_casefold (pc_contact_get_name (contact), -1);
  return strstr (name, self->search_text) != NULL
         || strstr (pc_contact_get_user (contact), self->search_text) != NULL;
}

static GtkWidget *
pc_window_create_contact_row (gpointer item, gpointer user_data)
{
  return pc_contact_row_new (PC_CONTACT (item));
}

static void
on_sign_in_entry_changed (PcWindow *self)
{
  const char *server = gtk_editable_get_text (GTK_EDITABLE (self->server_row));
  const char *user = gtk_editable_get_text (GTK_EDITABLE (self->user_row));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "window.sign-in",
                                 *server != '\0' && *user != '\0');
}

static void
on_sign_in_entry_activated (PcWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "window.sign-in", NULL);
}

static void
on_search_changed (PcWindow *self, GtkSearchEntry *entry)
{
  g_free (self->search_text);
  self->search_text = g_utf8_casefold (gtk_editable_get_text (GTK_EDITABLE (entry)), -1);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  pc_window_update_contacts_page (self);
  pc_ui_trace ("search", "text", gtk_editable_get_text (GTK_EDITABLE (entry)), NULL);
}

static void
on_search_activate (PcWindow *self, GtkSearchEntry *entry)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->contact_list, 0);

  if (row != NULL)
    g_signal_emit_by_name (row, "activate");
}

void
_pc_window_start_call (PcWindow *self, const char *user)
{
  g_autoptr (PcCall) call = NULL;
  g_autoptr (GError) error = NULL;

  if (self->manager == NULL)
    return;

  call = pc_call_manager_start_call (self->manager, user, TRUE, &error);
  if (call == NULL)
    {
      pc_window_show_toast (self, error->message, NULL);
      return;
    }
  pc_window_set_call (self, call);
}

static void
on_contact_row_activated (PcWindow *self, GtkListBoxRow *row, GtkListBox *list)
{
  PcContact *contact = pc_contact_row_get_contact (PC_CONTACT_ROW (row));

  if (pc_contact_is_available (contact))
    _pc_window_start_call (self, pc_contact_get_user (contact));
}

static void
on_call_view_hang_up (PcWindow *self, PcCallView *view)
{
  if (self->manager != NULL && self->call != NULL && pc_call_is_active (self->call))
    pc_call_manager_hangup (self->manager, self->call);
}

static void
on_preferences_changed (PcWindow *self, const char *key, GSettings *settings)
{
  static const char *const account_keys[]
      = { "server-url", "user", "display-name", "token", "ice-servers", "relay-only", NULL };

  if (self->preferences != NULL && g_strv_contains (account_keys, key))
    self->account_changed = TRUE;
}

static gboolean
on_preferences_close_request (PcWindow *self, GtkWindow *preferences)
{
  g_autofree char *user = g_settings_get_string (self->settings, "user");

  if (self->account_changed && *user != '\0')
    {
      self->sign_in_pending = TRUE;
      if (self->call != NULL && pc_call_is_active (self->call))
        pc_window_show_toast (self, _ ("The new account settings apply after this call"), NULL);
      pc_window_maybe_emit_sign_in (self);
    }
  self->account_changed = FALSE;

  return GDK_EVENT_PROPAGATE;
}

static gboolean
pc_window_close_request (GtkWindow *window)
{
  PcWindow *self = PC_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_delay (self->settings);
  if (!gtk_window_is_maximized (window) && !gtk_window_is_fullscreen (window))
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  g_settings_apply (self->settings);

  return GTK_WINDOW_CLASS (pc_window_parent_class)->close_request (window);
}

static void
on_fullscreened (PcWindow *self, GParamSpec *pspec, gpointer user_data)
{
  gboolean fullscreen = gtk_window_is_fullscreen (GTK_WINDOW (self));

  pc_call_view_set_fullscreen (self->call_view, fullscreen);
  pc_ui_trace ("fullscreen", "active", fullscreen ? "true" : "false", NULL);
  pc_window_note_paint (self, fullscreen ? "fullscreen" : "windowed");
}

static void
pc_window_constructed (GObject *object)
{
  PcWindow *self = PC_WINDOW (object);
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  g_autofree char *server = NULL;
  g_autofree char *user = NULL;
  g_autofree char *name = NULL;

  G_OBJECT_CLASS (pc_window_parent_class)->constructed (object);

  g_assert (G_IS_SETTINGS (self->settings));
  pc_call_view_set_settings (self->call_view, self->settings);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  server = g_settings_get_string (self->settings, "server-url");
  user = g_settings_get_string (self->settings, "user");
  name = g_settings_get_string (self->settings, "display-name");
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server);
  gtk_editable_set_text (GTK_EDITABLE (self->user_row), user);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  on_sign_in_entry_changed (self);

  g_signal_connect_object (self->settings, "changed", G_CALLBACK (on_preferences_changed), self,
                           G_CONNECT_SWAPPED);

  if (app != NULL)
    _pc_window_add_app_actions (self, G_ACTION_MAP (app));

  pc_window_update_connection (self);
  pc_window_update_page (self);
}

static void
pc_window_dispose (GObject *object)
{
  PcWindow *self = PC_WINDOW (object);
  GApplication *app = g_application_get_default ();

  /* The notification actions point at this window. */
  if (app != NULL)
    _pc_window_remove_app_actions (G_ACTION_MAP (app));

  pc_window_set_manager (self, NULL);
  if (self->call != NULL)
    g_signal_handlers_disconnect_by_data (self->call, self);
  g_clear_object (&self->call);
  g_clear_weak_pointer (&self->incoming_dialog);
  g_clear_weak_pointer (&self->preferences);

  gtk_widget_dispose_template (GTK_WIDGET (self), PC_TYPE_WINDOW);

  G_OBJECT_CLASS (pc_window_parent_class)->dispose (object);
}

static void
pc_window_finalize (GObject *object)
{
  PcWindow *self = PC_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->filtered_contacts);
  g_clear_object (&self->filter);
  g_clear_pointer (&self->search_text, g_free);
  g_clear_pointer (&self->paint_note, g_free);

  G_OBJECT_CLASS (pc_window_parent_class)->finalize (object);
}

static void
pc_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PcWindow *self = PC_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      g_value_set_object (value, self->manager);
      break;

    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PcWindow *self = PC_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      pc_window_set_manager (self, g_value_get_object (value));
      break;

    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_window_class_init (PcWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = pc_window_constructed;
  object_class->dispose = pc_window_dispose;
  object_class->finalize = pc_window_finalize;
  object_class->get_property = pc_window_get_property;
  object_class->set_property = pc_window_set_property;

  window_class->close_request = pc_window_close_request;
  widget_class->realize = pc_window_realize;

  properties[PROP_MANAGER]
      = g_param_spec_object ("manager", NULL, NULL, PC_TYPE_CALL_MANAGER,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS]
      = g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGN_IN] = g_signal_new ("sign-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 0);

  /* Referencing the bundle keeps its object, and the constructor that registers it, in the link
   * of the static library. */
  (void)pc_ui_get_resource ();
  g_type_ensure (PC_TYPE_CALL_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/peercall/Peercall/ui/pc-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PcWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, user_row);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, name_row);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, sign_in_error);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, contacts_title);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, contacts_stack);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, contact_list);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, banner_spinner);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, connection_indicator);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, connecting_spinner);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, call_view);
  gtk_widget_class_bind_template_callback (widget_class, on_sign_in_entry_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_sign_in_entry_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_contact_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_call_view_hang_up);

  _pc_window_class_actions_init (klass);
}

static void
pc_window_init (PcWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->filter = gtk_custom_filter_new (pc_window_filter_contact, self, NULL);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));
  g_signal_connect (self, "notify::fullscreened", G_CALLBACK (on_fullscreened), NULL);
}

PcWindow *
pc_window_new (AdwApplication *app, PcCallManager *manager, GSettings *settings)
{
  g_return_val_if_fail (ADW_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (manager == NULL || PC_IS_CALL_MANAGER (manager), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (PC_TYPE_WINDOW, "application", app, "settings", settings, "manager", manager,
                       NULL);
}

void
pc_window_set_manager (PcWindow *self, PcCallManager *manager)
{
  g_return_if_fail (PC_IS_WINDOW (self));
  g_return_if_fail (manager == NULL || PC_IS_CALL_MANAGER (manager));

  if (self->manager == manager)
    return;

  if (self->manager != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->manager, self);
      if (self->filtered_contacts != NULL)
        g_signal_handlers_disconnect_by_data (self->filtered_contacts, self);
      gtk_list_box_bind_model (self->contact_list, NULL, NULL, NULL, NULL);
      g_clear_object (&self->filtered_contacts);
      if (self->incoming_dialog != NULL)
        gtk_window_destroy (GTK_WINDOW (self->incoming_dialog));
      pc_call_view_set_call (self->call_view, NULL);
      pc_window_set_call (self, NULL);
    }

  g_set_object (&self->manager, manager);

  if (manager != NULL)
    {
      g_autofree char *subtitle = g_strdup_printf ("%s · %s", pc_call_manager_get_user (manager),
                                                   pc_call_manager_get_server_url (manager));

      self->filtered_contacts
          = gtk_filter_list_model_new (g_object_ref (pc_call_manager_get_contacts (manager)),
                                       g_object_ref (GTK_FILTER (self->filter)));
      gtk_list_box_bind_model (self->contact_list, G_LIST_MODEL (self->filtered_contacts),
                               pc_window_create_contact_row, self, NULL);
      g_signal_connect_object (self->filtered_contacts, "items-changed",
                               G_CALLBACK (on_contacts_items_changed), self, G_CONNECT_SWAPPED);

      adw_window_title_set_subtitle (ADW_WINDOW_TITLE (self->contacts_title), subtitle);
      gtk_widget_set_visible (GTK_WIDGET (self->sign_in_error), FALSE);

      g_signal_connect_object (manager, "notify::current-call",
                               G_CALLBACK (on_manager_current_call), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (manager, "notify::signaling-state",
                               G_CALLBACK (on_manager_signaling_state), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (manager, "incoming-call", G_CALLBACK (on_manager_incoming_call),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (manager, "call-ended", G_CALLBACK (on_manager_call_ended), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (manager, "error", G_CALLBACK (on_manager_error), self,
                               G_CONNECT_SWAPPED);
      pc_window_set_call (self, pc_call_manager_get_current_call (manager));
    }

  pc_window_update_connection (self);
  pc_window_update_page (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MANAGER]);
}

PcCallManager *
pc_window_get_manager (PcWindow *self)
{
  g_return_val_if_fail (PC_IS_WINDOW (self), NULL);

  return self->manager;
}

GSettings *
pc_window_get_settings (PcWindow *self)
{
  g_return_val_if_fail (PC_IS_WINDOW (self), NULL);

  return self->settings;
}

void
pc_window_show_toast (PcWindow *self, const char *message, const char *retry_action)
{
  AdwToast *toast;

  g_return_if_fail (PC_IS_WINDOW (self));
  g_return_if_fail (message != NULL);

  {
    /* An AdwToast title is markup: a peer's display name or a server's error text must show
     * as typed, never as a link or a broken label. */
    g_autofree char *escaped = g_markup_escape_text (message, -1);

    toast = adw_toast_new (escaped);
  }
  adw_toast_set_timeout (toast, 5);
  if (retry_action != NULL)
    {
      adw_toast_set_button_label (toast, _ ("_Retry"));
      adw_toast_set_detailed_action_name (toast, retry_action);
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  pc_ui_trace ("toast", "message", message, "retry", retry_action, NULL);
}

void
pc_window_show_preferences (PcWindow *self)
{
  GtkWindow *preferences;

  g_return_if_fail (PC_IS_WINDOW (self));

  if (self->preferences != NULL)
    {
      gtk_window_present (self->preferences);
      return;
    }

  preferences = GTK_WINDOW (pc_preferences_window_new (GTK_WINDOW (self), self->settings));
  g_signal_connect_object (preferences, "close-request", G_CALLBACK (on_preferences_close_request),
                           self, G_CONNECT_SWAPPED);
  g_set_weak_pointer (&self->preferences, preferences);
  self->account_changed = FALSE;
  gtk_window_present (preferences);
}
