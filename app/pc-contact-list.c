/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-contact-list"

#include "config.h"

#include "pc-contact-list.h"

struct _PcContactList
{
  GObject parent_instance;

  char *self_user;
  GListStore *store; /* of PcContact, sorted; its items-changed is ours */
};

static void pc_contact_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PcContactList,
                               pc_contact_list,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      pc_contact_list_model_init))

static GType
pc_contact_list_get_item_type (GListModel *model)
{
  return PC_TYPE_CONTACT;
}

static guint
pc_contact_list_get_n_items (GListModel *model)
{
  return g_list_model_get_n_items (G_LIST_MODEL (PC_CONTACT_LIST (model)->store));
}

static gpointer
pc_contact_list_get_item (GListModel *model, guint position)
{
  return g_list_model_get_item (G_LIST_MODEL (PC_CONTACT_LIST (model)->store), position);
}

static void
pc_contact_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = pc_contact_list_get_item_type;
  iface->get_n_items = pc_contact_list_get_n_items;
  iface->get_item = pc_contact_list_get_item;
}

static void
on_store_items_changed (
    GListModel *store, guint position, guint removed, guint added, PcContactList *self)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
}

static void
pc_contact_list_dispose (GObject *object)
{
  PcContactList *self = PC_CONTACT_LIST (object);

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (pc_contact_list_parent_class)->dispose (object);
}

static void
pc_contact_list_finalize (GObject *object)
{
  PcContactList *self = PC_CONTACT_LIST (object);

  g_free (self->self_user);

  G_OBJECT_CLASS (pc_contact_list_parent_class)->finalize (object);
}

static void
pc_contact_list_class_init (PcContactListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pc_contact_list_dispose;
  object_class->finalize = pc_contact_list_finalize;
}

static void
pc_contact_list_init (PcContactList *self)
{
  self->store = g_list_store_new (PC_TYPE_CONTACT);
  g_signal_connect (self->store, "items-changed", G_CALLBACK (on_store_items_changed), self);
}

PcContactList *
pc_contact_list_new (const char *self_user)
{
  PcContactList *self = g_object_new (PC_TYPE_CONTACT_LIST, NULL);

  self->self_user = g_strdup (self_user);
  return self;
}

static guint
find_contact (PcContactList *self, const char *user, PcContact **out_contact)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (PcContact) contact = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (g_strcmp0 (pc_contact_get_user (contact), user) == 0)
        {
          if (out_contact)
            *out_contact = g_steal_pointer (&contact);
          return i;
        }
    }
  if (out_contact)
    *out_contact = NULL;
  return G_MAXUINT;
}

static int
compare_contacts (gconstpointer a, gconstpointer b, gpointer user_data)
{
  PcContact *ca = (PcContact *)a;
  PcContact *cb = (PcContact *)b;
  g_autofree char *ka = g_utf8_collate_key (pc_contact_get_name (ca), -1);
  g_autofree char *kb = g_utf8_collate_key (pc_contact_get_name (cb), -1);
  int ret = strcmp (ka, kb);

  return ret != 0 ? ret : g_strcmp0 (pc_contact_get_user (ca), pc_contact_get_user (cb));
}

PcContact *
pc_contact_list_lookup (PcContactList *self, const char *user)
{
  g_autoptr (PcContact) contact = NULL;

  g_return_val_if_fail (PC_IS_CONTACT_LIST (self), NULL);

  find_contact (self, user, &contact);
  return contact; /* the store keeps it alive */
}

PcContact *
pc_contact_list_update (PcContactList *self, const char *user, const char *name, PcPresence status)
{
  g_autoptr (PcContact) contact = NULL;
  guint pos;

  g_return_val_if_fail (PC_IS_CONTACT_LIST (self), NULL);

  if (user == NULL || g_strcmp0 (user, self->self_user) == 0)
    return NULL;

  pos = find_contact (self, user, &contact);
  if (contact == NULL)
    {
      contact = pc_contact_new (user, name, status);
      g_list_store_insert_sorted (self->store, contact, compare_contacts, NULL);
      return contact; /* the store holds a reference */
    }

  pc_contact_set_status (contact, status);
  if (name != NULL && g_strcmp0 (name, pc_contact_get_name (contact)) != 0)
    {
      /* the name decides the position: re-insert */
      pc_contact_set_name (contact, name);
      g_list_store_remove (self->store, pos);
      g_list_store_insert_sorted (self->store, contact, compare_contacts, NULL);
    }
  return contact;
}

void
pc_contact_list_sync (PcContactList *self, GPtrArray *peers)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n;

  g_return_if_fail (PC_IS_CONTACT_LIST (self));

  for (guint i = 0; peers != NULL && i < peers->len; i++)
    {
      PcPeerInfo *info = g_ptr_array_index (peers, i);
      PcContact *contact = pc_contact_list_update (self, info->user, info->name, info->status);

      if (contact != NULL)
        g_hash_table_add (seen, (gpointer)pc_contact_get_user (contact));
    }

  /* after a reconnect: whoever is not listed went offline meanwhile */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (PcContact) contact = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (!g_hash_table_contains (seen, pc_contact_get_user (contact)))
        pc_contact_set_status (contact, PC_PRESENCE_OFFLINE);
    }
}
