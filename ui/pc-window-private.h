/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-window-private.h: PcWindow's instance struct and the functions pc-window.c and
 * pc-window-actions.c share. Not installed; include only from ui/pc-window*.c. */
#pragma once

#include "pc-call-manager.h"
#include "pc-call-view.h"
#include "pc-incoming-call-dialog.h"
#include "pc-window.h"

G_BEGIN_DECLS

/* What the sign-in page accepts as a user name. */
#define PC_WINDOW_USER_PATTERN "^[a-z0-9][a-z0-9._-]{0,63}$"

struct _PcWindow
{
  AdwApplicationWindow parent_instance;

  PcCallManager *manager;
  GSettings *settings;
  PcCall *call; /* the manager's current call, observed */
  GtkFilterListModel *filtered_contacts;
  GtkCustomFilter *filter;
  PcIncomingCallDialog *incoming_dialog; /* weak */
  GtkWindow *preferences;                /* weak */
  char *search_text;
  guint shown_contacts;
  char *paint_note;          /* traced once the next frame is painted (test hook) */
  guint account_changed : 1; /* while the preferences are open */
  guint sign_in_pending : 1; /* account changed during a call */

  AdwToastOverlay *toast_overlay;
  GtkStack *main_stack;
  AdwEntryRow *server_row;
  AdwEntryRow *user_row;
  AdwEntryRow *name_row;
  GtkLabel *sign_in_error;
  GtkButton *sign_in_button;
  AdwWindowTitle *contacts_title;
  GtkToggleButton *search_button;
  GtkSearchBar *search_bar;
  GtkSearchEntry *search_entry;
  GtkStack *contacts_stack;
  GtkListBox *contact_list;
  GtkRevealer *banner_revealer;
  GtkLabel *banner_label;
  GtkSpinner *banner_spinner;
  GtkImage *connection_indicator;
  GtkSpinner *connecting_spinner;
  PcCallView *call_view;
};

/* pc-window.c */
void _pc_window_emit_sign_in (PcWindow *self);
void _pc_window_start_call (PcWindow *self, const char *user);
gboolean _pc_window_call_is_shown (PcWindow *self);

/* pc-window-actions.c */
void _pc_window_class_actions_init (PcWindowClass *klass);
void _pc_window_add_app_actions (PcWindow *self, GActionMap *app);
void _pc_window_remove_app_actions (GActionMap *app);

G_END_DECLS
