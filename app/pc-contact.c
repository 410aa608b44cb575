/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-contact"

#include "config.h"

#include "pc-contact.h"

enum
{
  PROP_0,
  PROP_USER,
  PROP_NAME,
  PROP_STATUS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _PcContact
{
  GObject parent_instance;

  char *user;
  char *name;
  PcPresence status;
};

G_DEFINE_TYPE (PcContact, pc_contact, G_TYPE_OBJECT)

GType
pc_contact_status_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { PC_PRESENCE_OFFLINE, "PC_PRESENCE_OFFLINE", "offline" },
    { PC_PRESENCE_AVAILABLE, "PC_PRESENCE_AVAILABLE", "available" },
    { PC_PRESENCE_BUSY, "PC_PRESENCE_BUSY", "busy" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("PcContactStatus", values));
  return type;
}

static void
pc_contact_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PcContact *self = PC_CONTACT (object);

  switch (prop_id)
    {
    case PROP_USER:
      g_value_set_string (value, self->user);
      break;
    case PROP_NAME:
      g_value_set_string (value, pc_contact_get_name (self));
      break;
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_contact_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PcContact *self = PC_CONTACT (object);

  switch (prop_id)
    {
    case PROP_USER:
      self->user = g_value_dup_string (value);
      break;
    case PROP_NAME:
      pc_contact_set_name (self, g_value_get_string (value));
      break;
    case PROP_STATUS:
      pc_contact_set_status (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_contact_finalize (GObject *object)
{
  PcContact *self = PC_CONTACT (object);

  g_free (self->user);
  g_free (self->name);

  G_OBJECT_CLASS (pc_contact_parent_class)->finalize (object);
}

static void
pc_contact_class_init (PcContactClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = pc_contact_get_property;
  object_class->set_property = pc_contact_set_property;
  object_class->finalize = pc_contact_finalize;

  properties[PROP_USER]
      = g_param_spec_string ("user", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME]
      = g_param_spec_string ("name", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS]
      = g_param_spec_enum ("status", NULL, NULL, PC_TYPE_CONTACT_STATUS, PC_PRESENCE_OFFLINE,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pc_contact_init (PcContact *self)
{
}

PcContact *
pc_contact_new (const char *user, const char *name, PcPresence status)
{
  g_return_val_if_fail (user != NULL, NULL);

  return g_object_new (PC_TYPE_CONTACT, "user", user, "name", name, "status", status, NULL);
}

const char *
pc_contact_get_user (PcContact *self)
{
  g_return_val_if_fail (PC_IS_CONTACT (self), NULL);
  return self->user;
}

const char *
pc_contact_get_name (PcContact *self)
{
  g_return_val_if_fail (PC_IS_CONTACT (self), NULL);
  return self->name && *self->name ? self->name : self->user;
}

void
pc_contact_set_name (PcContact *self, const char *name)
{
  g_return_if_fail (PC_IS_CONTACT (self));

  if (g_strcmp0 (self->name, name) == 0)
    return;
  g_free (self->name);
  self->name = g_strdup (name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

PcPresence
pc_contact_get_status (PcContact *self)
{
  g_return_val_if_fail (PC_IS_CONTACT (self), PC_PRESENCE_OFFLINE);
  return self->status;
}

void
pc_contact_set_status (PcContact *self, PcPresence status)
{
  g_return_if_fail (PC_IS_CONTACT (self));

  if (self->status == status)
    return;
  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

gboolean
pc_contact_is_available (PcContact *self)
{
  g_return_val_if_fail (PC_IS_CONTACT (self), FALSE);
  return self->status == PC_PRESENCE_AVAILABLE;
}
