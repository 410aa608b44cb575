/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "pc-ui-resources.h"
#include "pc-window.h"

struct _PcWindow
{
  AdwApplicationWindow parent_instance;

  PcCallManager *manager;
  GSettings *settings;

  AdwToastOverlay *toast_overlay;
};

enum
{
  PROP_0,
  PROP_MANAGER,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (PcWindow, pc_window, ADW_TYPE_APPLICATION_WINDOW)

static void
pc_window_dispose (GObject *object)
{
  PcWindow *self = PC_WINDOW (object);

  g_clear_object (&self->manager);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pc_window_parent_class)->dispose (object);
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
      self->manager = g_value_dup_object (value);
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

  object_class->dispose = pc_window_dispose;
  object_class->get_property = pc_window_get_property;
  object_class->set_property = pc_window_set_property;

  properties[PROP_MANAGER] = g_param_spec_object ("manager", NULL, NULL, G_TYPE_OBJECT,
                                                  G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                    G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS] = g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                                                   G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                     G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Referencing the bundle keeps its object (and its registering constructor) in the link of
   * the static library. */
  g_assert (pc_ui_get_resource () != NULL);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/peercall/Peercall/ui/pc-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PcWindow, toast_overlay);
}

static void
pc_window_init (PcWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PcWindow *
pc_window_new (AdwApplication *app, PcCallManager *manager, GSettings *settings)
{
  g_return_val_if_fail (ADW_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (PC_TYPE_WINDOW,
                       "application", app,
                       "manager", manager,
                       "settings", settings,
                       NULL);
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

  toast = adw_toast_new (message);
  if (retry_action != NULL)
    {
      adw_toast_set_button_label (toast, _("_Retry"));
      adw_toast_set_action_name (toast, retry_action);
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
pc_window_show_preferences (PcWindow *self)
{
  g_return_if_fail (PC_IS_WINDOW (self));
}
