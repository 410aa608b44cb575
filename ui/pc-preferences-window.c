/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <gst/gst.h>

#include "pc-ice-config.h"
#include "pc-preferences-window.h"

typedef enum
{
  DEVICE_CAMERA,
  DEVICE_MICROPHONE,
  DEVICE_SPEAKER,
  N_DEVICE_KINDS
} DeviceKind;

static const struct
{
  const char *key;
  const char *klass; /* GstDevice class to match */
} device_kinds[N_DEVICE_KINDS] = {
  [DEVICE_CAMERA] = { "camera", "Video/Source" },
  [DEVICE_MICROPHONE] = { "microphone", "Audio/Source" },
  [DEVICE_SPEAKER] = { "speaker", "Audio/Sink" },
};

struct _PcPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings *settings;
  GstDeviceMonitor *monitor; /* NULL unless it started */
  /* Kept from the monitor's bus messages: its get_devices() probes providers that did not
   * start, and GStreamer 1.22's PulseAudio probe leaks when no sound server runs. */
  GPtrArray *devices;
  guint monitor_bus_watch;
  /* Per kind: the setting value behind each combo position ("" = automatic). */
  GPtrArray *device_ids[N_DEVICE_KINDS];
  gboolean updating_devices;
  GPtrArray *ice_rows;

  AdwEntryRow *server_row;
  AdwEntryRow *user_row;
  AdwEntryRow *name_row;
  AdwEntryRow *token_row;
  GtkSwitch *ringtone_switch;
  AdwComboRow *camera_row;
  AdwComboRow *microphone_row;
  AdwComboRow *speaker_row;
  GtkListBox *ice_list;
  AdwEntryRow *ice_add_row;
  GtkSwitch *relay_switch;
};

enum
{
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (PcPreferencesWindow, pc_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static AdwComboRow *
pc_preferences_window_device_row (PcPreferencesWindow *self, DeviceKind kind)
{
  switch (kind)
    {
    case DEVICE_CAMERA:
      return self->camera_row;
    case DEVICE_MICROPHONE:
      return self->microphone_row;
    case DEVICE_SPEAKER:
    default:
      return self->speaker_row;
    }
}

static void
pc_preferences_window_update_devices (PcPreferencesWindow *self)
{
  self->updating_devices = TRUE;

  for (guint kind = 0; kind < N_DEVICE_KINDS; kind++)
    {
      AdwComboRow *row = pc_preferences_window_device_row (self, kind);
      g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
      g_autofree char *current = g_settings_get_string (self->settings, device_kinds[kind].key);
      GPtrArray *ids = self->device_ids[kind];
      guint selected = 0;

      g_ptr_array_set_size (ids, 0);
      gtk_string_list_append (names, _ ("Automatic"));
      g_ptr_array_add (ids, g_strdup (""));

      for (guint i = 0; i < self->devices->len; i++)
        {
          GstDevice *device = g_ptr_array_index (self->devices, i);
          g_autofree char *name = NULL;

          if (!gst_device_has_classes (device, device_kinds[kind].klass))
            continue;

          name = gst_device_get_display_name (device);
          if (g_ptr_array_find_with_equal_func (ids, name, g_str_equal, NULL))
            continue;
          if (g_strcmp0 (name, current) == 0)
            selected = ids->len;
          gtk_string_list_append (names, name);
          g_ptr_array_add (ids, g_steal_pointer (&name));
        }

      /* Keep a chosen device that is unplugged right now, so the choice survives. */
      if (*current != '\0' && selected == 0)
        {
          /* Translators: %s is a device name */
          g_autofree char *label = g_strdup_printf (_ ("%s (disconnected)"), current);

          selected = ids->len;
          gtk_string_list_append (names, label);
          g_ptr_array_add (ids, g_strdup (current));
        }

      adw_combo_row_set_model (row, G_LIST_MODEL (names));
      adw_combo_row_set_selected (row, selected);
    }

  self->updating_devices = FALSE;
}

static void
on_device_selected (PcPreferencesWindow *self, GParamSpec *pspec, AdwComboRow *row)
{
  guint selected = adw_combo_row_get_selected (row);

  if (self->updating_devices)
    return;

  for (guint kind = 0; kind < N_DEVICE_KINDS; kind++)
    {
      if (row != pc_preferences_window_device_row (self, kind)
          || selected >= self->device_ids[kind]->len)
        continue;

      g_settings_set_string (self->settings, device_kinds[kind].key,
                             g_ptr_array_index (self->device_ids[kind], selected));
    }
}

static gboolean
on_monitor_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  PcPreferencesWindow *self = user_data;
  GstDevice *device = NULL;
  GstDevice *changed = NULL;

  /* The bus watch runs on the main context, so the lists can be rebuilt right here. */
  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_DEVICE_ADDED:
      gst_message_parse_device_added (message, &device);
      g_ptr_array_add (self->devices, device);
      break;

    case GST_MESSAGE_DEVICE_REMOVED:
      gst_message_parse_device_removed (message, &device);
      g_ptr_array_remove (self->devices, device);
      gst_object_unref (device);
      break;

    case GST_MESSAGE_DEVICE_CHANGED:
      gst_message_parse_device_changed (message, &device, &changed);
      g_ptr_array_remove (self->devices, changed);
      g_ptr_array_add (self->devices, device);
      gst_object_unref (changed);
      break;

    default:
      return G_SOURCE_CONTINUE;
    }

  pc_preferences_window_update_devices (self);
  return G_SOURCE_CONTINUE;
}

static void
pc_preferences_window_start_monitor (PcPreferencesWindow *self)
{
  g_autoptr (GstBus) bus = NULL;

  if (!gst_is_initialized ())
    return;

  self->monitor = gst_device_monitor_new ();
  for (guint kind = 0; kind < N_DEVICE_KINDS; kind++)
    gst_device_monitor_add_filter (self->monitor, device_kinds[kind].klass, NULL);

  bus = gst_device_monitor_get_bus (self->monitor);
  if (!gst_device_monitor_start (self->monitor))
    {
      /* Probing the providers that failed to start (PulseAudio without a server) leaks in
       * GStreamer 1.22; the lists then offer Automatic and the saved choices only. */
      g_debug ("The device monitor did not start: device lists stay empty");
      gst_clear_object (&self->monitor);
      return;
    }
  self->monitor_bus_watch = gst_bus_add_watch (bus, on_monitor_bus_message, self);
}

static void pc_preferences_window_update_ice (PcPreferencesWindow *self);

static void
on_ice_remove_clicked (PcPreferencesWindow *self, GtkButton *button)
{
  g_auto (GStrv) servers = g_settings_get_strv (self->settings, "ice-servers");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) remaining = NULL;
  const char *uri = g_object_get_data (G_OBJECT (button), "uri");

  for (guint i = 0; servers[i] != NULL; i++)
    if (g_strcmp0 (servers[i], uri) != 0)
      g_strv_builder_add (builder, servers[i]);

  remaining = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "ice-servers", (const char *const *)remaining);
}

/* The same parser the call uses, so a server accepted here is one the call can use. */
static gboolean
pc_preferences_window_ice_uri_is_valid (const char *uri, GError **error)
{
  g_autoptr (PcIceConfig) config = pc_ice_config_new ();

  return pc_ice_config_add_server_uri (config, uri, error);
}

static void
on_ice_add_apply (PcPreferencesWindow *self)
{
  g_autofree char *uri
      = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->ice_add_row))));
  g_auto (GStrv) servers = NULL;
  g_autoptr (GStrvBuilder) builder = NULL;
  g_auto (GStrv) updated = NULL;
  g_autoptr (GError) error = NULL;

  if (*uri == '\0')
    return;

  if (!pc_preferences_window_ice_uri_is_valid (uri, &error))
    {
      g_autofree char *message =
          /* Translators: %s explains what is wrong with the address */
          g_strdup_printf (_ ("Not a STUN or TURN server address: %s"), error->message);

      gtk_widget_add_css_class (GTK_WIDGET (self->ice_add_row), "error");
      g_autofree char *escaped = g_markup_escape_text (message, -1); /* toast titles are markup */

      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (escaped));
      return;
    }

  gtk_widget_remove_css_class (GTK_WIDGET (self->ice_add_row), "error");
  servers = g_settings_get_strv (self->settings, "ice-servers");
  if (g_strv_contains ((const char *const *)servers, uri))
    {
      gtk_editable_set_text (GTK_EDITABLE (self->ice_add_row), "");
      return;
    }

  builder = g_strv_builder_new ();
  g_strv_builder_addv (builder, (const char **)servers);
  g_strv_builder_add (builder, uri);
  updated = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "ice-servers", (const char *const *)updated);
  gtk_editable_set_text (GTK_EDITABLE (self->ice_add_row), "");
}

static void
pc_preferences_window_update_ice (PcPreferencesWindow *self)
{
  g_auto (GStrv) servers = g_settings_get_strv (self->settings, "ice-servers");

  for (guint i = 0; i < self->ice_rows->len; i++)
    gtk_list_box_remove (self->ice_list, g_ptr_array_index (self->ice_rows, i));
  g_ptr_array_set_size (self->ice_rows, 0);

  for (guint i = 0; servers[i] != NULL; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      g_autofree char *title = g_markup_escape_text (servers[i], -1);
      /* Translators: %s is a STUN/TURN server address */
      g_autofree char *remove_label = g_strdup_printf (_ ("Remove %s"), servers[i]);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, _ ("Remove"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      remove_label, -1);
      g_object_set_data_full (G_OBJECT (remove), "uri", g_strdup (servers[i]), g_free);
      g_signal_connect_object (remove, "clicked", G_CALLBACK (on_ice_remove_clicked), self,
                               G_CONNECT_SWAPPED);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      gtk_list_box_insert (self->ice_list, row, i);
      g_ptr_array_add (self->ice_rows, row);
    }
}

static void
on_settings_changed (PcPreferencesWindow *self, const char *key, GSettings *settings)
{
  if (g_str_equal (key, "ice-servers"))
    pc_preferences_window_update_ice (self);
  else if (g_str_equal (key, "camera") || g_str_equal (key, "microphone")
           || g_str_equal (key, "speaker"))
    {
      if (!self->updating_devices)
        pc_preferences_window_update_devices (self);
    }
}

static void
pc_preferences_window_constructed (GObject *object)
{
  PcPreferencesWindow *self = PC_PREFERENCES_WINDOW (object);

  G_OBJECT_CLASS (pc_preferences_window_parent_class)->constructed (object);

  g_assert (G_IS_SETTINGS (self->settings));

  g_settings_bind (self->settings, "server-url", self->server_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "user", self->user_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "display-name", self->name_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "token", self->token_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "ringtone", self->ringtone_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "relay-only", self->relay_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (on_settings_changed), self,
                           G_CONNECT_SWAPPED);

  pc_preferences_window_start_monitor (self);
  pc_preferences_window_update_devices (self);
  pc_preferences_window_update_ice (self);

  g_signal_connect_object (self->camera_row, "notify::selected", G_CALLBACK (on_device_selected),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->microphone_row, "notify::selected",
                           G_CALLBACK (on_device_selected), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->speaker_row, "notify::selected", G_CALLBACK (on_device_selected),
                           self, G_CONNECT_SWAPPED);
}

static void
pc_preferences_window_dispose (GObject *object)
{
  PcPreferencesWindow *self = PC_PREFERENCES_WINDOW (object);

  g_clear_handle_id (&self->monitor_bus_watch, g_source_remove);
  if (self->monitor != NULL)
    gst_device_monitor_stop (self->monitor);
  gst_clear_object (&self->monitor);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);

  gtk_widget_dispose_template (GTK_WIDGET (self), PC_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (pc_preferences_window_parent_class)->dispose (object);
}

static void
pc_preferences_window_finalize (GObject *object)
{
  PcPreferencesWindow *self = PC_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  for (guint kind = 0; kind < N_DEVICE_KINDS; kind++)
    g_clear_pointer (&self->device_ids[kind], g_ptr_array_unref);
  g_clear_pointer (&self->ice_rows, g_ptr_array_unref);
  g_clear_pointer (&self->devices, g_ptr_array_unref);

  G_OBJECT_CLASS (pc_preferences_window_parent_class)->finalize (object);
}

static void
pc_preferences_window_get_property (GObject *object,
                                    guint prop_id,
                                    GValue *value,
                                    GParamSpec *pspec)
{
  PcPreferencesWindow *self = PC_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_preferences_window_set_property (GObject *object,
                                    guint prop_id,
                                    const GValue *value,
                                    GParamSpec *pspec)
{
  PcPreferencesWindow *self = PC_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_preferences_window_class_init (PcPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = pc_preferences_window_constructed;
  object_class->dispose = pc_preferences_window_dispose;
  object_class->finalize = pc_preferences_window_finalize;
  object_class->get_property = pc_preferences_window_get_property;
  object_class->set_property = pc_preferences_window_set_property;

  properties[PROP_SETTINGS]
      = g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/peercall/Peercall/ui/pc-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PcPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, PcPreferencesWindow, user_row);
  gtk_widget_class_bind_template_child (widget_class, PcPreferencesWindow, name_row);
  gtk_widget_class_bind_template_child (widget_class, PcPreferencesWindow, token_row);
  gtk_widget_class_bind_template_child (widget_class, PcPreferencesWindow, ringtone_switch);
  gtk_widget_class_bind_template_child (widget_class, PcPreferencesWindow, camera_row);
  gtk_widget_class_bind_template_child (widget_class, PcPreferencesWindow, microphone_row);
  gtk_widget_class_bind_template_child (widget_class, PcPreferencesWindow, speaker_row);
  gtk_widget_class_bind_template_child (widget_class, PcPreferencesWindow, ice_list);
  gtk_widget_class_bind_template_child (widget_class, PcPreferencesWindow, ice_add_row);
  gtk_widget_class_bind_template_child (widget_class, PcPreferencesWindow, relay_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_ice_add_apply);
}

static void
pc_preferences_window_init (PcPreferencesWindow *self)
{
  for (guint kind = 0; kind < N_DEVICE_KINDS; kind++)
    self->device_ids[kind] = g_ptr_array_new_with_free_func (g_free);
  self->ice_rows = g_ptr_array_new ();
  self->devices = g_ptr_array_new_with_free_func (gst_object_unref);

  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
pc_preferences_window_new (GtkWindow *parent, GSettings *settings)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (PC_TYPE_PREFERENCES_WINDOW, "transient-for", parent, "settings", settings,
                       NULL);
}
