/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-dtls-identity.h: this device's DTLS certificate (ECDSA P-256, self-signed), made once. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define PC_TYPE_DTLS_IDENTITY (pc_dtls_identity_get_type ())
G_DECLARE_FINAL_TYPE (PcDtlsIdentity, pc_dtls_identity, PC, DTLS_IDENTITY, GObject)

/* Loads the identity from @path (certificate and private key, PEM), or makes a new one and
 * stores it there (mode 0600, parent directories 0700). Two processes racing to create it end
 * up with the same identity: the file is linked into place only if none exists yet. */
PcDtlsIdentity *pc_dtls_identity_load_or_create (const char *path, GError **error);

/* The device identity, g_get_user_data_dir ()/peercall/dtls-identity.pem, loaded once per
 * process (thread-safe). NULL with @error set when it can be neither read nor made. */
PcDtlsIdentity *pc_dtls_identity_get_default (GError **error);

/* Certificate followed by the private key, as dtlsdec's `pem` property takes them. */
const char *pc_dtls_identity_get_pem (PcDtlsIdentity *self);
/* The certificate alone (PEM). */
const char *pc_dtls_identity_get_certificate_pem (PcDtlsIdentity *self);
/* SHA-256 over the certificate's DER, upper-case hex with colons ("AB:CD:..."). */
const char *pc_dtls_identity_get_fingerprint (PcDtlsIdentity *self);
const char *pc_dtls_identity_get_path (PcDtlsIdentity *self);

G_END_DECLS
