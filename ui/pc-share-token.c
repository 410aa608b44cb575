/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-ui"

#include "config.h"

#include "pc-share-token.h"

PcScreencast *
pc_share_token_new_screencast (PcScreencastBackend backend, GSettings *settings)
{
  PcScreencast *screencast = pc_screencast_new (backend);
  g_autofree char *token = NULL;

  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), screencast);

  g_object_set (screencast, "persist-mode", PC_SCREENCAST_PERSIST_PERSISTENT, NULL);
  if (settings != NULL)
    token = g_settings_get_string (settings, PC_SHARE_TOKEN_KEY);
  if (token != NULL && *token != '\0')
    pc_screencast_set_restore_token (screencast, token);
  return screencast;
}

gboolean
pc_share_token_update (GSettings *settings, PcScreencast *screencast, const GError *error)
{
  g_autofree char *stored = NULL;
  const char *token = NULL;

  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), FALSE);
  g_return_val_if_fail (PC_IS_SCREENCAST (screencast), FALSE);

  if (settings == NULL
      || pc_screencast_get_effective_backend (screencast) != PC_SCREENCAST_BACKEND_PORTAL)
    return FALSE;

  if (error == NULL)
    token = pc_screencast_get_restore_token (screencast);
  if (token == NULL)
    token = "";

  stored = g_settings_get_string (settings, PC_SHARE_TOKEN_KEY);
  if (g_str_equal (stored, token))
    return FALSE;

  g_debug ("%s the screen sharing restore token", *token != '\0' ? "storing" : "forgetting");
  g_settings_set_string (settings, PC_SHARE_TOKEN_KEY, token);
  return TRUE;
}
