/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-contact-row.h: one contact in the contact list: avatar, name, presence, call button. */
#pragma once

#include <adwaita.h>

#include "pc-contact.h"

G_BEGIN_DECLS

#define PC_TYPE_CONTACT_ROW (pc_contact_row_get_type ())
G_DECLARE_FINAL_TYPE (PcContactRow, pc_contact_row, PC, CONTACT_ROW, AdwActionRow)

/* Property "contact" (PcContact*, construct-only). The call button activates "window.call"
 * with the contact's user name as target. */
GtkWidget *pc_contact_row_new (PcContact *contact);
PcContact *pc_contact_row_get_contact (PcContactRow *self);

G_END_DECLS
