/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-contact-list.h: the users the signaling server announced, as a GListModel of PcContact
 * sorted by display name (then user), never the local user. Offline users stay listed. */
#pragma once

#include <gio/gio.h>

#include "pc-contact.h"
#include "pc-protocol.h"

G_BEGIN_DECLS

#define PC_TYPE_CONTACT_LIST (pc_contact_list_get_type ())
G_DECLARE_FINAL_TYPE (PcContactList, pc_contact_list, PC, CONTACT_LIST, GObject)

/* self_user: the local user, never listed. */
PcContactList *pc_contact_list_new (const char *self_user);

/* The contact for `user`, borrowed from the list; NULL when unknown. */
PcContact *pc_contact_list_lookup (PcContactList *self, const char *user);
/* Adds or updates a contact (a new name moves it); returns it borrowed, or NULL for the local
 * user. */
PcContact *
pc_contact_list_update (PcContactList *self, const char *user, const char *name, PcPresence status);
/* A `welcome`'s peer list (nullable): updates those, and whoever is not in it is offline now. */
void pc_contact_list_sync (PcContactList *self, GPtrArray *peers);

G_END_DECLS
