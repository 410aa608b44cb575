/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-credentials.h: shared-secret credentials of peercall-signal.
 *
 * Sign-in tokens: EXPIRY ":" SIG, SIG = base64url-no-padding (HMAC-SHA256 (secret, user ":"
 * EXPIRY)). TURN credentials as coturn's use-auth-secret expects: username EXPIRY ":" user,
 * credential base64 (HMAC-SHA1 (secret, username)). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads a secret file; trailing whitespace (the newline of `echo secret > file`) is not part of
 * the secret. Fails on a missing or empty file. */
GBytes *pc_credentials_read_secret_file (const char *path, GError **error);

char *pc_credentials_issue_token (GBytes *secret, const char *user, gint64 expiry);

/* TRUE when @token is a valid, unexpired token for @user at unix time @now. Signatures are
 * compared in constant time. On FALSE, @error says why (for the log, not for the peer). */
gboolean pc_credentials_verify_token (
    GBytes *secret, const char *user, const char *token, gint64 now, GError **error);

void pc_credentials_turn (
    GBytes *secret, const char *user, gint64 expiry, char **out_username, char **out_credential);

G_END_DECLS
