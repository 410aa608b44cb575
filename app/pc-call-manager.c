/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Placeholder while net/ and media/ land: the API compiles, the state machine follows. */
#define G_LOG_DOMAIN "peercall-call-manager"

#include "config.h"

#include "pc-call-manager.h"

struct _PcCallManager
{
  GObject parent_instance;
  GListStore *contacts;
};

G_DEFINE_TYPE (PcCallManager, pc_call_manager, G_TYPE_OBJECT)

G_DEFINE_QUARK (pc - call - error - quark, pc_call_error)

static void
pc_call_manager_dispose (GObject *object)
{
  PcCallManager *self = PC_CALL_MANAGER (object);

  g_clear_object (&self->contacts);
  G_OBJECT_CLASS (pc_call_manager_parent_class)->dispose (object);
}

static void
pc_call_manager_class_init (PcCallManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = pc_call_manager_dispose;
}

static void
pc_call_manager_init (PcCallManager *self)
{
  self->contacts = g_list_store_new (PC_TYPE_CONTACT);
}

PcCallManager *
pc_call_manager_new (const char *server_url,
                     const char *user,
                     const char *name,
                     const char *token,
                     PcIceConfig *ice_config)
{
  return g_object_new (PC_TYPE_CALL_MANAGER, NULL);
}

GListModel *
pc_call_manager_get_contacts (PcCallManager *self)
{
  return G_LIST_MODEL (self->contacts);
}
