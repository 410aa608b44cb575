/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PcContactList without a server: sorted by display name (then user), never the local user,
 * a new name moves a contact, a `welcome` marks whoever it does not list offline, and the
 * model's items-changed says so. */
#include "config.h"

#include "pc-contact-list.h"

static char *
names_of (GListModel *model)
{
  GString *names = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (PcContact) contact = g_list_model_get_item (model, i);

      g_string_append_printf (names, "%s%s", i ? "," : "", pc_contact_get_user (contact));
    }
  return g_string_free (names, FALSE);
}

static void
count_changes (GListModel *model, guint position, guint removed, guint added, guint *changes)
{
  (*changes)++;
}

static void
test_sorted (void)
{
  g_autoptr (PcContactList) list = pc_contact_list_new ("me");
  g_autofree char *names = NULL;
  guint changes = 0;

  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (list)) == PC_TYPE_CONTACT);
  g_signal_connect (list, "items-changed", G_CALLBACK (count_changes), &changes);

  g_assert_nonnull (pc_contact_list_update (list, "zed", "Zed", PC_PRESENCE_AVAILABLE));
  g_assert_nonnull (pc_contact_list_update (list, "amy", "Amy", PC_PRESENCE_BUSY));
  g_assert_nonnull (pc_contact_list_update (list, "bob2", "Bob", PC_PRESENCE_AVAILABLE));
  g_assert_nonnull (pc_contact_list_update (list, "bob1", "Bob", PC_PRESENCE_AVAILABLE));
  /* yourself and no user are never listed */
  g_assert_null (pc_contact_list_update (list, "me", "Me", PC_PRESENCE_AVAILABLE));
  g_assert_null (pc_contact_list_update (list, NULL, "Nobody", PC_PRESENCE_AVAILABLE));

  names = names_of (G_LIST_MODEL (list));
  g_assert_cmpstr (names, ==, "amy,bob1,bob2,zed");
  g_assert_cmpuint (changes, ==, 4);
  g_assert_null (pc_contact_list_lookup (list, "me"));
  g_assert_null (pc_contact_list_lookup (list, "nobody"));
  g_assert_cmpint (pc_contact_get_status (pc_contact_list_lookup (list, "amy")), ==,
                   PC_PRESENCE_BUSY);
}

static void
test_rename_moves (void)
{
  g_autoptr (PcContactList) list = pc_contact_list_new ("me");
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  PcContact *contact;

  pc_contact_list_update (list, "a", "Anna", PC_PRESENCE_AVAILABLE);
  pc_contact_list_update (list, "b", "Berta", PC_PRESENCE_AVAILABLE);
  before = names_of (G_LIST_MODEL (list));
  g_assert_cmpstr (before, ==, "a,b");

  /* same object, new name and status, new place; NULL name keeps it */
  contact = pc_contact_list_lookup (list, "a");
  g_assert_true (pc_contact_list_update (list, "a", "Zoe", PC_PRESENCE_BUSY) == contact);
  g_assert_true (pc_contact_list_update (list, "a", NULL, PC_PRESENCE_BUSY) == contact);
  after = names_of (G_LIST_MODEL (list));
  g_assert_cmpstr (after, ==, "b,a");
  g_assert_cmpstr (pc_contact_get_name (contact), ==, "Zoe");
  g_assert_cmpint (pc_contact_get_status (contact), ==, PC_PRESENCE_BUSY);
}

static void
test_sync (void)
{
  g_autoptr (PcContactList) list = pc_contact_list_new ("me");
  g_autoptr (GPtrArray) peers = g_ptr_array_new_with_free_func ((GDestroyNotify)pc_peer_info_free);
  g_autofree char *names = NULL;

  pc_contact_list_update (list, "gone", "Gone", PC_PRESENCE_AVAILABLE);
  pc_contact_list_update (list, "stays", "Stays", PC_PRESENCE_BUSY);
  g_ptr_array_add (peers, pc_peer_info_new ("stays", "Stays", PC_PRESENCE_AVAILABLE));
  g_ptr_array_add (peers, pc_peer_info_new ("new", "New", PC_PRESENCE_BUSY));
  g_ptr_array_add (peers, pc_peer_info_new ("me", "Me", PC_PRESENCE_AVAILABLE));

  pc_contact_list_sync (list, peers);
  names = names_of (G_LIST_MODEL (list));
  g_assert_cmpstr (names, ==, "gone,new,stays");
  g_assert_cmpint (pc_contact_get_status (pc_contact_list_lookup (list, "gone")), ==,
                   PC_PRESENCE_OFFLINE);
  g_assert_cmpint (pc_contact_get_status (pc_contact_list_lookup (list, "stays")), ==,
                   PC_PRESENCE_AVAILABLE);
  g_assert_cmpint (pc_contact_get_status (pc_contact_list_lookup (list, "new")), ==,
                   PC_PRESENCE_BUSY);

  /* a welcome without peers: everyone is offline */
  pc_contact_list_sync (list, NULL);
  g_assert_cmpint (pc_contact_get_status (pc_contact_list_lookup (list, "stays")), ==,
                   PC_PRESENCE_OFFLINE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/contact-list/sorted", test_sorted);
  g_test_add_func ("/contact-list/rename-moves", test_rename_moves);
  g_test_add_func ("/contact-list/sync", test_sync);
  return g_test_run ();
}
