/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <gst/gst.h>

#include "pc-incoming-call-dialog.h"
#include "pc-ui-trace.h"

/* Ring cadence in milliseconds, alternating tone on / off: a double ring, then a pause. */
static const guint ring_cadence[] = { 400, 200, 400, 2000 };

struct _PcIncomingCallDialog
{
  AdwWindow parent_instance;

  PcCall *call;
  GSettings *settings;
  GstElement *ringtone;
  GstElement *ringtone_gate;
  guint ringtone_bus_watch;
  guint cadence_source;
  guint cadence_step;
  gboolean answered;

  AdwAvatar *avatar;
  GtkLabel *caller_label;
  GtkLabel *kind_label;
  GtkButton *accept_button;
};

enum
{
  PROP_0,
  PROP_CALL,
  PROP_SETTINGS,
  N_PROPS
};

enum
{
  ACCEPT,
  DECLINE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (PcIncomingCallDialog, pc_incoming_call_dialog, ADW_TYPE_WINDOW)

static void pc_incoming_call_dialog_stop_ringtone (PcIncomingCallDialog *self);

static gboolean
pc_incoming_call_dialog_cadence_tick (gpointer user_data)
{
  PcIncomingCallDialog *self = user_data;
  gboolean tone_on;

  self->cadence_step = (self->cadence_step + 1) % G_N_ELEMENTS (ring_cadence);
  tone_on = self->cadence_step % 2 == 0;
  /* Only a property on the volume element changes here: no state change, nothing blocks. */
  g_object_set (self->ringtone_gate, "mute", !tone_on, NULL);
  self->cadence_source = g_timeout_add (ring_cadence[self->cadence_step],
                                        pc_incoming_call_dialog_cadence_tick, self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_ringtone_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  PcIncomingCallDialog *self = user_data;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr (GError) error = NULL;

      /* No sound device is not worth a dialog: the window itself still shows the call. */
      gst_message_parse_error (message, &error, NULL);
      g_debug ("Ring tone unavailable: %s", error->message);
      self->ringtone_bus_watch = 0;
      pc_incoming_call_dialog_stop_ringtone (self);
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
pc_incoming_call_dialog_start_ringtone (PcIncomingCallDialog *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstBus) bus = NULL;

  if (self->ringtone != NULL || !gst_is_initialized ())
    return;

  /* Generated locally: two mixed sine tones gated by the cadence timer, nothing to load. */
  self->ringtone = gst_parse_launch (
      "audiotestsrc wave=sine freq=440 volume=0.2 is-live=true ! audiomixer name=mix "
      "! audioconvert ! audioresample ! volume name=gate mute=false ! autoaudiosink "
      "audiotestsrc wave=sine freq=480 volume=0.2 is-live=true ! mix.",
      &error);
  if (self->ringtone == NULL)
    {
      g_debug ("Cannot build the ring tone: %s", error->message);
      return;
    }
  gst_object_ref_sink (self->ringtone);
  self->ringtone_gate = gst_bin_get_by_name (GST_BIN (self->ringtone), "gate");

  bus = gst_element_get_bus (self->ringtone);
  self->ringtone_bus_watch = gst_bus_add_watch (bus, on_ringtone_bus_message, self);

  self->cadence_step = 0;
  self->cadence_source
      = g_timeout_add (ring_cadence[0], pc_incoming_call_dialog_cadence_tick, self);
  gst_element_set_state (self->ringtone, GST_STATE_PLAYING);
  pc_ui_trace ("ringtone", "playing", "true", NULL);
}

static void
pc_incoming_call_dialog_stop_ringtone (PcIncomingCallDialog *self)
{
  g_clear_handle_id (&self->cadence_source, g_source_remove);
  g_clear_handle_id (&self->ringtone_bus_watch, g_source_remove);
  if (self->ringtone == NULL)
    return;

  gst_element_set_state (self->ringtone, GST_STATE_NULL);
  gst_clear_object (&self->ringtone_gate);
  gst_clear_object (&self->ringtone);
  pc_ui_trace ("ringtone", "playing", "false", NULL);
}

static void
pc_incoming_call_dialog_update_ringtone (PcIncomingCallDialog *self)
{
  if (!self->answered && gtk_widget_get_mapped (GTK_WIDGET (self))
      && pc_call_get_state (self->call) == PC_CALL_STATE_RINGING
      && g_settings_get_boolean (self->settings, "ringtone"))
    pc_incoming_call_dialog_start_ringtone (self);
  else
    pc_incoming_call_dialog_stop_ringtone (self);
}

static void
on_settings_changed (PcIncomingCallDialog *self, const char *key, GSettings *settings)
{
  pc_incoming_call_dialog_update_ringtone (self);
}

static void
on_call_state (PcIncomingCallDialog *self, GParamSpec *pspec, PcCall *call)
{
  if (pc_call_get_state (call) == PC_CALL_STATE_RINGING)
    return;

  /* Our own answer moved the state on: whoever handles the response closes us. */
  if (self->answered)
    return;

  /* Cancelled by the caller, timed out or answered: nothing left to ask. */
  self->answered = TRUE;
  pc_incoming_call_dialog_stop_ringtone (self);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
pc_incoming_call_dialog_respond (PcIncomingCallDialog *self, guint signal_id, gboolean video)
{
  if (self->answered)
    return;

  self->answered = TRUE;
  pc_incoming_call_dialog_stop_ringtone (self);
  pc_ui_trace (
      "incoming-dialog", "response",
      signal_id == signals[DECLINE] ? "decline" : (video ? "accept-video" : "accept-audio"), NULL);

  g_object_ref (self);
  if (signal_id == signals[DECLINE])
    g_signal_emit (self, signal_id, 0);
  else
    g_signal_emit (self, signal_id, 0, video);
  g_object_unref (self);
}

static void
pc_incoming_call_dialog_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  PcIncomingCallDialog *self = PC_INCOMING_CALL_DIALOG (widget);

  if (g_str_equal (action_name, "incoming.decline"))
    pc_incoming_call_dialog_respond (self, signals[DECLINE], FALSE);
  else
    pc_incoming_call_dialog_respond (self, signals[ACCEPT],
                                     g_str_equal (action_name, "incoming.accept-video"));
}

static gboolean
pc_incoming_call_dialog_close_request (GtkWindow *window)
{
  PcIncomingCallDialog *self = PC_INCOMING_CALL_DIALOG (window);

  pc_incoming_call_dialog_respond (self, signals[DECLINE], FALSE);

  return GTK_WINDOW_CLASS (pc_incoming_call_dialog_parent_class)->close_request (window);
}

/* Test hook: tells when the dialog's first frame is on screen. */
static void
on_first_paint (GdkFrameClock *clock, PcIncomingCallDialog *self)
{
  g_signal_handlers_disconnect_by_func (clock, on_first_paint, self);
  pc_ui_trace ("incoming-dialog", "painted", pc_call_get_peer (self->call), NULL);
}

static void
pc_incoming_call_dialog_map (GtkWidget *widget)
{
  PcIncomingCallDialog *self = PC_INCOMING_CALL_DIALOG (widget);

  GTK_WIDGET_CLASS (pc_incoming_call_dialog_parent_class)->map (widget);

  gtk_widget_grab_focus (GTK_WIDGET (self->accept_button));
  pc_incoming_call_dialog_update_ringtone (self);
  pc_ui_trace ("incoming-dialog", "shown", pc_call_get_peer (self->call), NULL);
  if (pc_ui_trace_enabled ())
    g_signal_connect_object (gtk_widget_get_frame_clock (widget), "after-paint",
                             G_CALLBACK (on_first_paint), self, 0);
}

static void
pc_incoming_call_dialog_unmap (GtkWidget *widget)
{
  pc_incoming_call_dialog_stop_ringtone (PC_INCOMING_CALL_DIALOG (widget));

  GTK_WIDGET_CLASS (pc_incoming_call_dialog_parent_class)->unmap (widget);
}

static void
pc_incoming_call_dialog_constructed (GObject *object)
{
  PcIncomingCallDialog *self = PC_INCOMING_CALL_DIALOG (object);
  const char *name;
  g_autofree char *a11y = NULL;

  G_OBJECT_CLASS (pc_incoming_call_dialog_parent_class)->constructed (object);

  g_assert (PC_IS_CALL (self->call));
  g_assert (G_IS_SETTINGS (self->settings));

  name = pc_call_get_peer_name (self->call);
  if (name == NULL || *name == '\0')
    name = pc_call_get_peer (self->call);

  gtk_label_set_label (self->caller_label, name);
  adw_avatar_set_text (self->avatar, name);
  gtk_label_set_label (self->kind_label,
                       pc_call_get_video (self->call) ? _ ("Video call") : _ ("Audio call"));
  /* Translators: %s is the caller's display name */
  a11y = g_strdup_printf (_ ("Incoming call from %s"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, a11y,
                                  -1);

  g_signal_connect_object (self->call, "notify::state", G_CALLBACK (on_call_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::ringtone", G_CALLBACK (on_settings_changed),
                           self, G_CONNECT_SWAPPED);
}

static void
pc_incoming_call_dialog_dispose (GObject *object)
{
  PcIncomingCallDialog *self = PC_INCOMING_CALL_DIALOG (object);

  pc_incoming_call_dialog_stop_ringtone (self);
  g_clear_object (&self->call);
  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (self), PC_TYPE_INCOMING_CALL_DIALOG);

  G_OBJECT_CLASS (pc_incoming_call_dialog_parent_class)->dispose (object);
}

static void
pc_incoming_call_dialog_get_property (GObject *object,
                                      guint prop_id,
                                      GValue *value,
                                      GParamSpec *pspec)
{
  PcIncomingCallDialog *self = PC_INCOMING_CALL_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CALL:
      g_value_set_object (value, self->call);
      break;

    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_incoming_call_dialog_set_property (GObject *object,
                                      guint prop_id,
                                      const GValue *value,
                                      GParamSpec *pspec)
{
  PcIncomingCallDialog *self = PC_INCOMING_CALL_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CALL:
      self->call = g_value_dup_object (value);
      break;

    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_incoming_call_dialog_class_init (PcIncomingCallDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = pc_incoming_call_dialog_constructed;
  object_class->dispose = pc_incoming_call_dialog_dispose;
  object_class->get_property = pc_incoming_call_dialog_get_property;
  object_class->set_property = pc_incoming_call_dialog_set_property;

  widget_class->map = pc_incoming_call_dialog_map;
  widget_class->unmap = pc_incoming_call_dialog_unmap;
  window_class->close_request = pc_incoming_call_dialog_close_request;

  properties[PROP_CALL]
      = g_param_spec_object ("call", NULL, NULL, PC_TYPE_CALL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS]
      = g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ACCEPT] = g_signal_new ("accept", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                  NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  signals[DECLINE] = g_signal_new ("decline", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/peercall/Peercall/ui/pc-incoming-call-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PcIncomingCallDialog, avatar);
  gtk_widget_class_bind_template_child (widget_class, PcIncomingCallDialog, caller_label);
  gtk_widget_class_bind_template_child (widget_class, PcIncomingCallDialog, kind_label);
  gtk_widget_class_bind_template_child (widget_class, PcIncomingCallDialog, accept_button);

  gtk_widget_class_install_action (widget_class, "incoming.accept-video", NULL,
                                   pc_incoming_call_dialog_action);
  gtk_widget_class_install_action (widget_class, "incoming.accept-audio", NULL,
                                   pc_incoming_call_dialog_action);
  gtk_widget_class_install_action (widget_class, "incoming.decline", NULL,
                                   pc_incoming_call_dialog_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "incoming.decline", NULL);
}

static void
pc_incoming_call_dialog_init (PcIncomingCallDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PcIncomingCallDialog *
pc_incoming_call_dialog_new (GtkWindow *parent, PcCall *call, GSettings *settings)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (PC_IS_CALL (call), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (PC_TYPE_INCOMING_CALL_DIALOG, "transient-for", parent, "call", call,
                       "settings", settings, NULL);
}

PcCall *
pc_incoming_call_dialog_get_call (PcIncomingCallDialog *self)
{
  g_return_val_if_fail (PC_IS_INCOMING_CALL_DIALOG (self), NULL);

  return self->call;
}

gboolean
pc_incoming_call_dialog_is_ringing (PcIncomingCallDialog *self)
{
  g_return_val_if_fail (PC_IS_INCOMING_CALL_DIALOG (self), FALSE);

  return self->ringtone != NULL;
}
