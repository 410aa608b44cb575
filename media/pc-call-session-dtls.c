/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PcCallSession: the peer's DTLS certificate checked against the remote description's
 * a=fingerprint. GStreamer 1.22's dtlsdec accepts any certificate and webrtcbin never compares
 * it with the SDP, so without this an on-path attacker (or the signaling server) could
 * terminate DTLS on both sides. Remote media is dropped at webrtcbin's src pads until a
 * certificate has passed. */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include "pc-call-session-private.h"

/* How long a mismatch found in the handshake waits for the handshake to complete. */
#define DTLS_FAILURE_DELAY_MS 1000

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

  g_signal_emit (self, _pc_call_session_signals[SIGNAL_DTLS_VERIFIED], 0, v->sas, v->local,
                 v->remote);
}

static void
main_dtls_failed (PcCallSession *self, gpointer data)
{
  _pc_call_session_emit_failed (self, data);
}

/* Any thread, after a mismatch: the call fails, once. Posted ahead of whatever the main
 * context has queued, the peer's own hang-up included. */
static void
report_dtls_failure (PcCallSession *self)
{
  GError *error;

  if (!g_atomic_int_compare_and_exchange (&self->dtls_reported_failure, 0, 1))
    return;
  g_mutex_lock (&self->lock);
  error = g_steal_pointer (&self->dtls_error);
  g_mutex_unlock (&self->lock);
  if (error == NULL)
    error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_DTLS_FINGERPRINT,
                         "The peer's DTLS certificate is not the one it announced");
  _pc_call_session_run_on_main_at (self, G_PRIORITY_HIGH, "[peercall] DTLS mismatch",
                                   main_dtls_failed, error, (GDestroyNotify)g_error_free);
}

static gboolean
on_dtls_failure_timeout (gpointer user_data)
{
  PcCallSession *self = user_data;

  report_dtls_failure (self);
  return G_SOURCE_REMOVE;
}

static void
main_defer_dtls_failure (PcCallSession *self, gpointer data)
{
  GSource *source = g_timeout_source_new (DTLS_FAILURE_DELAY_MS);

  g_source_set_callback (source, on_dtls_failure_timeout, g_object_ref (self), g_object_unref);
  g_source_set_static_name (source, "[peercall] DTLS mismatch fallback");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* Any thread. TRUE once @remote_pem matches the remote description; FALSE for good after a
 * mismatch (the call then fails). */
static gboolean
verify_peer (PcCallSession *self, const char *remote_pem, const char *local_pem, gboolean report)
{
  g_autofree char *remote_fp = NULL;
  g_autoptr (GError) error = NULL;
  Verification *v;

  if (pc_dtls_verifier_is_verified (self->dtls_verifier))
    return TRUE;
  if (g_atomic_int_get (&self->dtls_failed))
    return FALSE;
  if (!pc_dtls_verifier_verify (self->dtls_verifier, remote_pem, &remote_fp, &error))
    {
      if (g_atomic_int_compare_and_exchange (&self->dtls_failed, 0, 1))
        {
          g_mutex_lock (&self->lock);
          self->dtls_error = g_steal_pointer (&error);
          g_mutex_unlock (&self->lock);
        }
      if (report)
        report_dtls_failure (self);
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

/* Any thread. As verify_peer () for @transport's peer; FALSE while its handshake is not done. */
static gboolean
verify_transport (PcCallSession *self, GstWebRTCDTLSTransport *transport)
{
  g_autofree char *remote_pem = NULL;
  g_autofree char *local_pem = NULL;

  if (pc_dtls_verifier_is_verified (self->dtls_verifier))
    return TRUE;
  if (g_atomic_int_get (&self->dtls_failed))
    return FALSE;
  g_object_get (transport, "remote-certificate", &remote_pem, "certificate", &local_pem, NULL);
  if (remote_pem == NULL || *remote_pem == '\0')
    return FALSE;
  return verify_peer (self, remote_pem, local_pem, TRUE);
}

/* DTLS thread: dtlsdec has just read the peer's Certificate message, before the handshake's
 * last flight. Checked here, each side knows within one round trip, long before the other's
 * hang-up could reach it by signaling. */
void
_pc_call_session_on_dtls_peer_pem (GObject *dtlsdec, GParamSpec *pspec, PcCallSession *self)
{
  g_autofree char *remote_pem = NULL;
  g_autofree char *local_pem = NULL;

  g_object_get (dtlsdec, "peer-pem", &remote_pem, "pem", &local_pem, NULL);
  /* A mismatch is reported when the handshake completes (or after DTLS_FAILURE_DELAY_MS):
   * ending the call at once would cut the handshake before the peer saw our certificate and
   * could find the mismatch itself. Media is dropped from now on either way. */
  if (remote_pem && *remote_pem && !verify_peer (self, remote_pem, local_pem, FALSE)
      && g_atomic_int_get (&self->dtls_failed))
    _pc_call_session_run_on_main_at (self, G_PRIORITY_HIGH, "[peercall] DTLS mismatch timer",
                                     main_defer_dtls_failure, NULL, NULL);
}

/* The DTLS transport @trans receives on (a new reference), or NULL. Any thread. */
static GstWebRTCDTLSTransport *
transceiver_transport (GstWebRTCRTPTransceiver *trans)
{
  g_autoptr (GstWebRTCRTPReceiver) receiver = NULL;
  GstWebRTCDTLSTransport *transport = NULL;

  g_object_get (trans, "receiver", &receiver, NULL);
  if (receiver)
    g_object_get (receiver, "transport", &transport, NULL);
  return transport;
}

/* Streaming thread: a probe on each of webrtcbin's src pads that feed a receive chain. The
 * first buffer out of SRTP proves the handshake is done, so the check runs right there. */
GstPadProbeReturn
_pc_call_session_dtls_gate (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  PcCallSession *self = user_data;
  g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;
  g_autoptr (GstWebRTCDTLSTransport) transport = NULL;

  if (pc_dtls_verifier_is_verified (self->dtls_verifier))
    return GST_PAD_PROBE_REMOVE;
  if (g_atomic_int_get (&self->dtls_failed))
    return GST_PAD_PROBE_DROP;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (pad), "transceiver"))
    g_object_get (pad, "transceiver", &trans, NULL);
  if (trans)
    transport = transceiver_transport (trans);
  if (transport && verify_transport (self, transport))
    return GST_PAD_PROBE_REMOVE;
  return GST_PAD_PROBE_DROP;
}

/* Any thread (the DTLS thread of a transport the session made): checked the moment the
 * handshake completes, before either side could hear of the other's result by signaling. */
void
_pc_call_session_on_dtls_state (GObject *transport, GParamSpec *pspec, PcCallSession *self)
{
  GstWebRTCDTLSTransportState state = GST_WEBRTC_DTLS_TRANSPORT_STATE_NEW;

  g_object_get (transport, "state", &state, NULL);
  if (state == GST_WEBRTC_DTLS_TRANSPORT_STATE_CONNECTED
      || state == GST_WEBRTC_DTLS_TRANSPORT_STATE_FAILED)
    {
      if (g_atomic_int_get (&self->dtls_failed))
        report_dtls_failure (self);
      else if (state == GST_WEBRTC_DTLS_TRANSPORT_STATE_CONNECTED)
        verify_transport (self, GST_WEBRTC_DTLS_TRANSPORT (transport));
    }
}

/* Main context, once a remote description is set: by then the transports that carry the call
 * exist (webrtcbin makes an answerer's bundle transport when the offer arrives, not at link
 * time), and each is checked when its handshake completes. Again after a renegotiation: a
 * transport is watched once. */
void
_pc_call_session_dtls_watch_transports (PcCallSession *self)
{
  g_autoptr (GArray) transceivers = NULL;

  if (self->webrtc == NULL)
    return;
  g_signal_emit_by_name (self->webrtc, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers && i < transceivers->len; i++)
    {
      GstWebRTCRTPTransceiver *trans = g_array_index (transceivers, GstWebRTCRTPTransceiver *, i);
      g_autoptr (GstWebRTCDTLSTransport) transport = transceiver_transport (trans);

      if (transport == NULL
          || g_signal_handler_find (transport, G_SIGNAL_MATCH_FUNC | G_SIGNAL_MATCH_DATA, 0, 0,
                                    NULL, _pc_call_session_on_dtls_state, self)
                 != 0)
        continue;
      g_debug ("Watching DTLS transport %s", GST_OBJECT_NAME (transport));
      g_signal_connect_object (transport, "notify::state",
                               G_CALLBACK (_pc_call_session_on_dtls_state), self, 0);
      /* it may have connected already */
      _pc_call_session_on_dtls_state (G_OBJECT (transport), NULL, self);
    }
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
      g_autoptr (GstWebRTCDTLSTransport) transport = transceiver_transport (trans);
      GstWebRTCDTLSTransportState state = GST_WEBRTC_DTLS_TRANSPORT_STATE_NEW;

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
    {
      report_dtls_failure (self);
      return FALSE;
    }
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
