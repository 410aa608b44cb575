/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "pc-contact-row.h"

struct _PcContactRow
{
  AdwActionRow parent_instance;

  PcContact *contact;

  AdwAvatar *avatar;
  GtkImage *presence_dot;
  GtkButton *call_button;
};

enum
{
  PROP_0,
  PROP_CONTACT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (PcContactRow, pc_contact_row, ADW_TYPE_ACTION_ROW)

static const char *
pc_contact_row_status_label (PcPresence status)
{
  switch (status)
    {
    case PC_PRESENCE_AVAILABLE:
      return _ ("Available");
    case PC_PRESENCE_BUSY:
      return _ ("In a call");
    case PC_PRESENCE_OFFLINE:
    default:
      return _ ("Offline");
    }
}

static void
pc_contact_row_update (PcContactRow *self)
{
  const char *name = pc_contact_get_name (self->contact);
  const char *user = pc_contact_get_user (self->contact);
  PcPresence status = pc_contact_get_status (self->contact);
  const char *status_label = pc_contact_row_status_label (status);
  g_autofree char *subtitle = NULL;
  g_autofree char *call_label = NULL;
  g_autofree char *markup_name = g_markup_escape_text (name, -1);

  if (g_strcmp0 (name, user) != 0)
    subtitle = g_markup_printf_escaped ("%s · %s", status_label, user);
  else
    subtitle = g_markup_escape_text (status_label, -1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), markup_name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
  adw_avatar_set_text (self->avatar, name);

  gtk_widget_remove_css_class (GTK_WIDGET (self->presence_dot), "available");
  gtk_widget_remove_css_class (GTK_WIDGET (self->presence_dot), "busy");
  gtk_widget_remove_css_class (GTK_WIDGET (self->presence_dot), "offline");
  gtk_widget_add_css_class (GTK_WIDGET (self->presence_dot), pc_presence_to_string (status));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->presence_dot),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, status_label, -1);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->presence_dot), status_label);

  /* Translators: %s is a person's display name */
  call_label = g_strdup_printf (_ ("Call %s"), name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->call_button), call_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->call_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  call_label, -1);
  gtk_widget_set_sensitive (GTK_WIDGET (self->call_button), status == PC_PRESENCE_AVAILABLE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (self), status == PC_PRESENCE_AVAILABLE);
}

static void
on_contact_notify (PcContactRow *self, GParamSpec *pspec, PcContact *contact)
{
  pc_contact_row_update (self);
}

static void
pc_contact_row_constructed (GObject *object)
{
  PcContactRow *self = PC_CONTACT_ROW (object);

  G_OBJECT_CLASS (pc_contact_row_parent_class)->constructed (object);

  g_assert (PC_IS_CONTACT (self->contact));

  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->call_button), "s",
                                    pc_contact_get_user (self->contact));
  g_signal_connect_object (self->contact, "notify", G_CALLBACK (on_contact_notify), self,
                           G_CONNECT_SWAPPED);
  pc_contact_row_update (self);
}

static void
pc_contact_row_dispose (GObject *object)
{
  PcContactRow *self = PC_CONTACT_ROW (object);

  g_clear_object (&self->contact);

  G_OBJECT_CLASS (pc_contact_row_parent_class)->dispose (object);
}

static void
pc_contact_row_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PcContactRow *self = PC_CONTACT_ROW (object);

  switch (prop_id)
    {
    case PROP_CONTACT:
      g_value_set_object (value, self->contact);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_contact_row_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PcContactRow *self = PC_CONTACT_ROW (object);

  switch (prop_id)
    {
    case PROP_CONTACT:
      self->contact = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_contact_row_class_init (PcContactRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = pc_contact_row_constructed;
  object_class->dispose = pc_contact_row_dispose;
  object_class->get_property = pc_contact_row_get_property;
  object_class->set_property = pc_contact_row_set_property;

  properties[PROP_CONTACT]
      = g_param_spec_object ("contact", NULL, NULL, PC_TYPE_CONTACT,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/peercall/Peercall/ui/pc-contact-row.ui");
  gtk_widget_class_bind_template_child (widget_class, PcContactRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, PcContactRow, presence_dot);
  gtk_widget_class_bind_template_child (widget_class, PcContactRow, call_button);
}

static void
pc_contact_row_init (PcContactRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
pc_contact_row_new (PcContact *contact)
{
  g_return_val_if_fail (PC_IS_CONTACT (contact), NULL);

  return g_object_new (PC_TYPE_CONTACT_ROW, "contact", contact, NULL);
}

PcContact *
pc_contact_row_get_contact (PcContactRow *self)
{
  g_return_val_if_fail (PC_IS_CONTACT_ROW (self), NULL);

  return self->contact;
}
