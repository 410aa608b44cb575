/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-protocol.h: the wire protocol v1 message model (see net/PROTOCOL.md).
 * Shared by PcSignalingClient and peercall-signal. Pure data: no I/O, no GObject signals. */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define PC_PROTOCOL_VERSION          1
#define PC_PROTOCOL_MAX_MESSAGE_SIZE (64 * 1024)

/* WebSocket close codes used by the server */
#define PC_CLOSE_AUTH_FAILED         4001
#define PC_CLOSE_USER_TAKEN          4002
#define PC_CLOSE_UNSUPPORTED_VERSION 4003

#define PC_PROTOCOL_ERROR (pc_protocol_error_quark ())

/* One value per wire error code, same order as DESIGN.md */
typedef enum
{
  PC_PROTOCOL_ERROR_BAD_MESSAGE,
  PC_PROTOCOL_ERROR_UNSUPPORTED_VERSION,
  PC_PROTOCOL_ERROR_NOT_REGISTERED,
  PC_PROTOCOL_ERROR_ALREADY_REGISTERED,
  PC_PROTOCOL_ERROR_USER_TAKEN,
  PC_PROTOCOL_ERROR_AUTH_FAILED,
  PC_PROTOCOL_ERROR_UNKNOWN_PEER,
  PC_PROTOCOL_ERROR_NO_SUCH_CALL,
  PC_PROTOCOL_ERROR_RATE_LIMITED,
} PcProtocolError;

typedef enum
{
  PC_MESSAGE_UNKNOWN = 0,
  /* client -> server (relayed ones also server -> client, with `from`) */
  PC_MESSAGE_HELLO,
  PC_MESSAGE_INVITE,
  PC_MESSAGE_RINGING,
  PC_MESSAGE_ACCEPT,
  PC_MESSAGE_DECLINE,
  PC_MESSAGE_HANGUP,
  PC_MESSAGE_SDP,
  PC_MESSAGE_ICE,
  /* server -> client only */
  PC_MESSAGE_WELCOME,
  PC_MESSAGE_PRESENCE,
  PC_MESSAGE_ERROR,
} PcMessageType;

/* Which side sent the text being parsed: decides whether `to` or `from` is required and which
 * types are allowed. */
typedef enum
{
  PC_MESSAGE_FROM_CLIENT,
  PC_MESSAGE_FROM_SERVER,
} PcMessageOrigin;

typedef enum
{
  PC_PRESENCE_OFFLINE,
  PC_PRESENCE_AVAILABLE,
  PC_PRESENCE_BUSY,
} PcPresence;

typedef struct
{
  char **urls; /* NULL-terminated */
  char *username;   /* nullable */
  char *credential; /* nullable */
} PcIceServer;

typedef struct
{
  char *user;
  char *name;
  PcPresence status;
} PcPeerInfo;

/* A flat message: only the members of its type are set, the rest are NULL/0. */
typedef struct
{
  PcMessageType type;

  char *to;   /* client -> server relay target */
  char *from; /* set by the server on relayed messages */
  char *call;

  /* hello, welcome */
  gint64 version;
  char *user;
  char *name; /* hello, relayed invite (caller's name), presence */
  char *token;

  /* invite */
  gboolean video;

  /* decline: declined/busy/unavailable; hangup: normal/cancelled/timeout/failed (+peer-gone) */
  char *reason;

  /* sdp */
  char *sdp_type; /* "offer" / "answer" */
  char *sdp;

  /* ice: candidate == NULL means end of candidates */
  char *candidate;
  char *sdp_mid;        /* nullable */
  gint sdp_mline_index; /* -1 when absent */

  /* welcome */
  GPtrArray *ice_servers; /* of PcIceServer* */
  GPtrArray *peers;       /* of PcPeerInfo* */

  /* presence */
  PcPresence status;

  /* error */
  char *code;
  char *message;
  char *ref;
} PcMessage;

GQuark pc_protocol_error_quark (void);

const char *pc_protocol_error_to_code (PcProtocolError error);
gboolean pc_protocol_error_from_code (const char *code, PcProtocolError *out_error);

const char *pc_message_type_to_string (PcMessageType type);
PcMessageType pc_message_type_from_string (const char *type);

const char *pc_presence_to_string (PcPresence presence);
gboolean pc_presence_from_string (const char *str, PcPresence *out_presence);

gboolean pc_protocol_is_valid_user (const char *user);
gboolean pc_protocol_is_valid_name (const char *name);
gboolean pc_protocol_is_valid_call_id (const char *call);

PcIceServer *pc_ice_server_new (const char *const *urls, const char *username, const char *credential);
PcIceServer *pc_ice_server_copy (const PcIceServer *server);
void pc_ice_server_free (PcIceServer *server);

PcPeerInfo *pc_peer_info_new (const char *user, const char *name, PcPresence status);
void pc_peer_info_free (PcPeerInfo *info);

#define PC_TYPE_MESSAGE (pc_message_get_type ())
GType pc_message_get_type (void);

PcMessage *pc_message_new (PcMessageType type);
PcMessage *pc_message_ref (PcMessage *message);
void pc_message_unref (PcMessage *message);

/* Parses one text frame and validates it for `origin`. On failure returns NULL with an error in
 * PC_PROTOCOL_ERROR (bad-message or unsupported-version); *out_ref, if given, receives the
 * offending `type` when one could be read (for the error reply's `ref`), else NULL; on success
 * *out_ref is set to NULL. Refuses input over PC_PROTOCOL_MAX_MESSAGE_SIZE, invalid UTF-8 and
 * nesting deeper than 32 before any JSON parsing. For origin FROM_CLIENT `to` is read and `from`
 * ignored; for FROM_SERVER the reverse. An ice candidate with an empty `candidate` string is
 * end-of-candidates, same as null (candidate == NULL). */
PcMessage *pc_message_parse (const char *data,
                             gsize length,
                             PcMessageOrigin origin,
                             char **out_ref,
                             GError **error);

/* Checks the members of an already-built message for `origin`, same rules as parse. */
gboolean pc_message_validate (const PcMessage *message, PcMessageOrigin origin, GError **error);

/* Serializes to compact JSON (one text frame). Never fails for a valid message. */
char *pc_message_serialize (const PcMessage *message);
JsonNode *pc_message_to_json (const PcMessage *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcMessage, pc_message_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcIceServer, pc_ice_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcPeerInfo, pc_peer_info_free)

G_END_DECLS
