/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PcCallSession: the peer's DTLS certificate checked against the remote description's
 * a=fingerprint. GStreamer 1.22's dtlsdec accepts any certificate and webrtcbin never compares
 * it with the SDP, so without this an on-path attacker (or the signaling server) could
 * terminate DTLS on both sides. Remote media is dropped at webrtcbin's src pads until a
 * certificate has passed. */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include "pc-call-session-private.h"

typedef struct
{
  char *sas;
  char *local;
  char *remote;
} Verification;

static void
verification_free (Verification *v)
{
  g_free (v->sas);
  g_free (v->local);
  g_free (v->remote);
  g_free (v);
}

static void
main_dtls_verified (PcCallSession *self, gpointer data)
{
  Verification *v = data;

  g_free (self->verification_code);
  self->verification_code = g_strdup (v->sas);
  g_signal_emit (self, _pc_call_session_signals[SIGNAL_DTLS_VERIFIED], 0, v->sas, v->local,
                 v->remote);
}

static void
main_dtls_failed (PcCallSession *self, gpointer data)
{
  _pc_call_session_emit_failed (self, data);
}

/* Any thread. TRUE once @transport's peer certificate matches the remote description; FALSE
 * while its handshake is not done, or for good after a mismatch (the call then fails). */
static gboolean
verify_transport (PcCallSession *self, GstWebRTCDTLSTransport *transport)
{
  g_autofree char *remote_pem = NULL;
  g_autofree char *local_pem = NULL;
  g_autofree char *remote_fp = NULL;
  g_autoptr (GError) error = NULL;
  Verification *v;

  if (pc_dtls_verifier_is_verified (self->dtls_verifier))
    return TRUE;
  if (g_atomic_int_get (&self->dtls_failed))
    return FALSE;
  g_object_get (transport, "remote-certificate", &remote_pem, "certificate", &local_pem, NULL);
  if (remote_pem == NULL || *remote_pem == '\0')
    return FALSE;
  if (!pc_dtls_verifier_verify (self->dtls_verifier, remote_pem, &remote_fp, &error))
    {
      if (g_atomic_int_compare_and_exchange (&self->dtls_failed, 0, 1))
        _pc_call_session_run_on_main (self, main_dtls_failed, g_steal_pointer (&error),
                                      (GDestroyNotify)g_error_free);
      return FALSE;
    }
  if (!g_atomic_int_compare_and_exchange (&self->dtls_reported, 0, 1))
    return TRUE;
  v = g_new0 (Verification, 1);
  v->remote = g_steal_pointer (&remote_fp);
  v->local = local_pem ? pc_dtls_fingerprint_from_pem (local_pem, "sha-256", NULL) : NULL;
  v->sas = v->local ? pc_dtls_sas_from_fingerprints (v->local, v->remote) : NULL;
  g_debug ("Peer certificate matches the remote description (%s), code %s", v->remote,
           v->sas ? v->sas : "(none)");
  _pc_call_session_run_on_main (self, main_dtls_verified, v, (GDestroyNotify)verification_free);
  return TRUE;
}

/* Streaming thread: a probe on each of webrtcbin's src pads that feed a receive chain. The
 * first buffer out of SRTP proves the handshake is done, so the check runs right there. */
GstPadProbeReturn
_pc_call_session_dtls_gate (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  PcCallSession *self = user_data;
  g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;
  g_autoptr (GstWebRTCRTPReceiver) receiver = NULL;
  g_autoptr (GstWebRTCDTLSTransport) transport = NULL;

  if (pc_dtls_verifier_is_verified (self->dtls_verifier))
    return GST_PAD_PROBE_REMOVE;
  if (g_atomic_int_get (&self->dtls_failed))
    return GST_PAD_PROBE_DROP;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (pad), "transceiver"))
    g_object_get (pad, "transceiver", &trans, NULL);
  if (trans)
    g_object_get (trans, "receiver", &receiver, NULL);
  if (receiver)
    g_object_get (receiver, "transport", &transport, NULL);
  if (transport && verify_transport (self, transport))
    return GST_PAD_PROBE_REMOVE;
  return GST_PAD_PROBE_DROP;
}

/* Main context, when the peer connection reports "connected": every connected transport must
 * have passed (a peer that sends no media is checked here). FALSE when the call fails. */
gboolean
_pc_call_session_dtls_check_transports (PcCallSession *self)
{
  g_autoptr (GArray) transceivers = NULL;
  gboolean any = FALSE;

  if (self->webrtc == NULL)
    return FALSE;
  g_signal_emit_by_name (self->webrtc, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers && i < transceivers->len; i++)
    {
      GstWebRTCRTPTransceiver *trans = g_array_index (transceivers, GstWebRTCRTPTransceiver *, i);
      g_autoptr (GstWebRTCRTPReceiver) receiver = NULL;
      g_autoptr (GstWebRTCDTLSTransport) transport = NULL;
      GstWebRTCDTLSTransportState state = GST_WEBRTC_DTLS_TRANSPORT_STATE_NEW;

      g_object_get (trans, "receiver", &receiver, NULL);
      if (receiver)
        g_object_get (receiver, "transport", &transport, NULL);
      if (transport == NULL)
        continue;
      g_object_get (transport, "state", &state, NULL);
      if (state != GST_WEBRTC_DTLS_TRANSPORT_STATE_CONNECTED)
        continue;
      any = TRUE;
      if (!verify_transport (self, transport))
        break;
    }
  if (g_atomic_int_get (&self->dtls_failed))
    return FALSE;
  if (!any || !pc_dtls_verifier_is_verified (self->dtls_verifier))
    {
      /* connected without a readable peer certificate: nothing vouches for this peer */
      if (g_atomic_int_compare_and_exchange (&self->dtls_failed, 0, 1))
        {
          g_autoptr (GError) error
              = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_DTLS_FINGERPRINT,
                             "The connection came up without a peer certificate to check");
          _pc_call_session_emit_failed (self, error);
        }
      return FALSE;
    }
  return TRUE;
}

/* Main context: the fingerprints a remote description commits to. */
gboolean
_pc_call_session_dtls_set_remote_description (PcCallSession *self, const char *sdp, GError **error)
{
  return pc_dtls_verifier_set_remote_description (self->dtls_verifier, sdp, error);
}
