/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-ice-config.h: STUN/TURN servers, transport policy and local addresses for one call,
 * applied to webrtcbin's libnice agent. Never holds a public server unless the user adds one. */
#pragma once

#include <gst/gst.h>

#include "pc-protocol.h"

G_BEGIN_DECLS

typedef enum
{
  PC_ICE_TRANSPORT_POLICY_ALL,
  PC_ICE_TRANSPORT_POLICY_RELAY,
} PcIceTransportPolicy;

#define PC_TYPE_ICE_CONFIG (pc_ice_config_get_type ())
G_DECLARE_FINAL_TYPE (PcIceConfig, pc_ice_config, PC, ICE_CONFIG, GObject)

/* Properties: "transport-policy" (PcIceTransportPolicy). */

PcIceConfig *pc_ice_config_new (void);
PcIceConfig *pc_ice_config_copy (PcIceConfig *self);

/* RTCIceServer entries (from `welcome` or preferences): stun:, turn:, turns: URLs with
 * ?transport=udp|tcp. Invalid URLs are reported and skipped. */
gboolean pc_ice_config_add_server (PcIceConfig *self, const PcIceServer *server, GError **error);
void pc_ice_config_add_servers (PcIceConfig *self, GPtrArray *servers /* of PcIceServer* */);
/* "stun:host:port", "turn:user:pass@host:port?transport=tcp" style preference strings */
gboolean pc_ice_config_add_server_uri (PcIceConfig *self, const char *uri, GError **error);
void pc_ice_config_add_local_address (PcIceConfig *self, const char *address);
void pc_ice_config_set_transport_policy (PcIceConfig *self, PcIceTransportPolicy policy);
PcIceTransportPolicy pc_ice_config_get_transport_policy (PcIceConfig *self);
/* The servers in GStreamer URI form: stun://host:port and turn(s)://user:pass@host:port?transport= */
GPtrArray *pc_ice_config_get_stun_uris (PcIceConfig *self);
GPtrArray *pc_ice_config_get_turn_uris (PcIceConfig *self);
GPtrArray *pc_ice_config_get_local_addresses (PcIceConfig *self);

/* Applies everything to a webrtcbin before negotiation: stun-server, add-turn-server,
 * ice-transport-policy, add-local-ip-address on its ice-agent, UPnP off on the NiceAgent. */
gboolean pc_ice_config_apply (PcIceConfig *self, GstElement *webrtcbin, GError **error);

G_END_DECLS
