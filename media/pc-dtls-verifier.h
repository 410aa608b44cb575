/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-dtls-verifier.h: checks the peer's DTLS certificate against the remote SDP's
 * a=fingerprint (GStreamer 1.22 accepts any certificate), and derives the verification code. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define PC_TYPE_DTLS_VERIFIER (pc_dtls_verifier_get_type ())
G_DECLARE_FINAL_TYPE (PcDtlsVerifier, pc_dtls_verifier, PC, DTLS_VERIFIER, GObject)

/* Thread-safe: the remote description is set on the main context, the certificate is checked
 * on whichever thread saw the DTLS transport connect. */
PcDtlsVerifier *pc_dtls_verifier_new (void);

/* Takes the fingerprints every active m-line of @sdp commits to (media-level a=fingerprint,
 * else session-level). Fails with PC_MEDIA_ERROR_DTLS_FINGERPRINT when an active m-line has
 * none in a supported algorithm (sha-1, sha-224, sha-256, sha-384, sha-512), or, once a
 * certificate was verified, when that certificate does not match the new description (a
 * renegotiation cannot swap the peer's identity). On failure the previous description stays. */
gboolean
pc_dtls_verifier_set_remote_description (PcDtlsVerifier *self, const char *sdp, GError **error);

/* Checks the peer's certificate (PEM, as GstWebRTCDTLSTransport's `remote-certificate`)
 * against every fingerprint of the remote description. On success the verifier is verified
 * and @fingerprint_sha256 (optional) gets the certificate's SHA-256 fingerprint. A mismatch, a
 * missing description or an unreadable certificate is PC_MEDIA_ERROR_DTLS_FINGERPRINT. */
gboolean pc_dtls_verifier_verify (PcDtlsVerifier *self,
                                  const char *remote_pem,
                                  char **fingerprint_sha256,
                                  GError **error);

/* TRUE once a certificate passed (lock-free: the receive chains' gate reads it per buffer). */
gboolean pc_dtls_verifier_is_verified (PcDtlsVerifier *self);

/* Upper-case hex with colons of @algorithm (SDP name: "sha-1", "sha-256", ...; any case) over
 * the DER of the first certificate in @pem. */
char *pc_dtls_fingerprint_from_pem (const char *pem, const char *algorithm, GError **error);

/* Parses an a=fingerprint value ("sha-256 ab:cd:..."): algorithm lower-cased, hex upper-cased.
 * FALSE for an unknown algorithm or a malformed or wrong-length hash. */
gboolean pc_dtls_fingerprint_parse (const char *value, char **algorithm, char **hex);

/* The verification code both peers show: SHA-256 over the two SHA-256 fingerprints
 * (upper-case hex with colons, an optional "sha-256 " prefix is ignored), sorted and joined by
 * "\n"; bytes 5k..5k+4 of that hash (big-endian) mod 100000 for k = 0..3 give four groups of
 * five digits, "12345 67890 13579 24680" (66 bits, so a certificate cannot be ground to
 * match within a call). Symmetric by construction. NULL if either is not a SHA-256 value. */
char *pc_dtls_sas_from_fingerprints (const char *fingerprint_a, const char *fingerprint_b);

G_END_DECLS
