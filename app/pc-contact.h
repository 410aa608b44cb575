/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-contact.h: one other user known to the signaling server, for the contact list. */
#pragma once

#include <glib-object.h>

#include "pc-protocol.h"

G_BEGIN_DECLS

/* GType for PcPresence values (offline/available/busy), used by PcContact:status. */
#define PC_TYPE_CONTACT_STATUS (pc_contact_status_get_type ())
GType pc_contact_status_get_type (void);

#define PC_TYPE_CONTACT (pc_contact_get_type ())
G_DECLARE_FINAL_TYPE (PcContact, pc_contact, PC, CONTACT, GObject)

/* Properties: "user" (char*, construct-only), "name" (char*, display name, falls back to user),
 * "status" (PcPresence as PC_TYPE_CONTACT_STATUS). All notify on real change. */

PcContact *pc_contact_new (const char *user, const char *name, PcPresence status);

const char *pc_contact_get_user (PcContact *self);
const char *pc_contact_get_name (PcContact *self);
void pc_contact_set_name (PcContact *self, const char *name);
PcPresence pc_contact_get_status (PcContact *self);
void pc_contact_set_status (PcContact *self, PcPresence status);
/* available: can be called now */
gboolean pc_contact_is_available (PcContact *self);

G_END_DECLS
