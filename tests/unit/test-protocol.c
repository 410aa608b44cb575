/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for PcProtocol: round trips, every validation rule, unknown members, `ref`. */
#include "config.h"

#include <string.h>

#include "pc-protocol.h"

#define C PC_MESSAGE_FROM_CLIENT
#define S PC_MESSAGE_FROM_SERVER

#define BAD PC_PROTOCOL_ERROR_BAD_MESSAGE
#define VERSION PC_PROTOCOL_ERROR_UNSUPPORTED_VERSION

/* Helpers */

static PcMessage *
relayed (PcMessageType type, PcMessageOrigin origin)
{
  PcMessage *m = pc_message_new (type);

  if (origin == C)
    m->to = g_strdup ("bob");
  else
    m->from = g_strdup ("alice.w_2-x");
  m->call = g_strdup ("3f2c1a9e-1b2c-4d5e-8f90-0123456789ab");
  return m;
}

static GPtrArray *
all_messages (PcMessageOrigin origin)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify)pc_message_unref);
  PcMessage *m;

  if (origin == C)
    {
      m = pc_message_new (PC_MESSAGE_HELLO);
      m->user = g_strdup ("alice");
      m->name = g_strdup ("Alice Ω 爱丽丝");
      g_ptr_array_add (list, m);

      m = pc_message_new (PC_MESSAGE_HELLO);
      m->user = g_strdup ("0");
      m->name = g_strdup ("x");
      m->token = g_strdup ("1700000000:abc_-DEF");
      g_ptr_array_add (list, m);
    }

  m = relayed (PC_MESSAGE_INVITE, origin);
  m->video = TRUE;
  if (origin == S)
    m->name = g_strdup ("Alice \"quoted\" \\ name");
  g_ptr_array_add (list, m);

  m = relayed (PC_MESSAGE_INVITE, origin);
  m->video = FALSE;
  if (origin == S)
    m->name = g_strdup ("A");
  g_ptr_array_add (list, m);

  g_ptr_array_add (list, relayed (PC_MESSAGE_RINGING, origin));
  g_ptr_array_add (list, relayed (PC_MESSAGE_ACCEPT, origin));

  for (const char *const *r = (const char *const[]){ "declined", "busy", "unavailable", NULL }; *r;
       r++)
    {
      m = relayed (PC_MESSAGE_DECLINE, origin);
      m->reason = g_strdup (*r);
      g_ptr_array_add (list, m);
    }

  for (const char *const *r
       = (const char *const[]){ "normal", "cancelled", "timeout", "failed", "peer-gone", NULL };
       *r; r++)
    {
      if (origin == C && g_str_equal (*r, "peer-gone"))
        continue;
      m = relayed (PC_MESSAGE_HANGUP, origin);
      m->reason = g_strdup (*r);
      g_ptr_array_add (list, m);
    }

  m = relayed (PC_MESSAGE_SDP, origin);
  m->sdp_type = g_strdup ("offer");
  m->sdp = g_strdup ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
  g_ptr_array_add (list, m);

  m = relayed (PC_MESSAGE_SDP, origin);
  m->sdp_type = g_strdup ("answer");
  m->sdp = g_strdup ("v=0\r\n");
  g_ptr_array_add (list, m);

  m = relayed (PC_MESSAGE_ICE, origin);
  m->candidate = g_strdup ("candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host");
  m->sdp_mid = g_strdup ("0");
  m->sdp_mline_index = 0;
  g_ptr_array_add (list, m);

  m = relayed (PC_MESSAGE_ICE, origin);
  m->candidate = g_strdup ("candidate:2 1 TCP 1 127.0.0.1 9 typ host tcptype active");
  m->sdp_mline_index = 3;
  g_ptr_array_add (list, m);

  m = relayed (PC_MESSAGE_ICE, origin);
  m->candidate = g_strdup ("candidate:3 1 UDP 1 127.0.0.1 9 typ host");
  m->sdp_mid = g_strdup ("video");
  g_ptr_array_add (list, m);

  m = relayed (PC_MESSAGE_ICE, origin); /* end of candidates */
  g_ptr_array_add (list, m);

  if (origin == S)
    {
      const char *urls1[]
          = { "turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp", NULL };
      const char *urls2[] = { "stun:127.0.0.1:3478", NULL };

      m = pc_message_new (PC_MESSAGE_WELCOME);
      m->user = g_strdup ("alice");
      g_ptr_array_add (m->ice_servers, pc_ice_server_new (urls1, "1700000000:alice", "c2VjcmV0"));
      g_ptr_array_add (m->ice_servers, pc_ice_server_new (urls2, NULL, NULL));
      g_ptr_array_add (m->peers, pc_peer_info_new ("bob", "Bob", PC_PRESENCE_AVAILABLE));
      g_ptr_array_add (m->peers, pc_peer_info_new ("carol", "Carol", PC_PRESENCE_BUSY));
      g_ptr_array_add (list, m);

      m = pc_message_new (PC_MESSAGE_WELCOME); /* nobody else online, no ICE servers */
      m->user = g_strdup ("alice");
      g_ptr_array_add (list, m);

      for (PcPresence p = PC_PRESENCE_OFFLINE; p <= PC_PRESENCE_BUSY; p++)
        {
          m = pc_message_new (PC_MESSAGE_PRESENCE);
          m->user = g_strdup ("bob");
          m->name = g_strdup ("Bob");
          m->status = p;
          g_ptr_array_add (list, m);
        }

      for (PcProtocolError e = PC_PROTOCOL_ERROR_BAD_MESSAGE; e <= PC_PROTOCOL_ERROR_RATE_LIMITED;
           e++)
        {
          m = pc_message_new (PC_MESSAGE_ERROR);
          m->code = g_strdup (pc_protocol_error_to_code (e));
          m->message = g_strdup ("Something went wrong");
          if (e == PC_PROTOCOL_ERROR_NO_SUCH_CALL)
            {
              m->ref = g_strdup ("sdp");
              m->call = g_strdup ("abc-123");
            }
          g_ptr_array_add (list, m);
        }
    }

  return list;
}

static void
assert_messages_equal (const PcMessage *a, const PcMessage *b)
{
  g_assert_cmpint (a->type, ==, b->type);
  g_assert_cmpstr (a->to, ==, b->to);
  g_assert_cmpstr (a->from, ==, b->from);
  g_assert_cmpstr (a->call, ==, b->call);
  if (a->type == PC_MESSAGE_HELLO || a->type == PC_MESSAGE_WELCOME)
    g_assert_cmpint (a->version, ==, b->version);
  g_assert_cmpstr (a->user, ==, b->user);
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpstr (a->token, ==, b->token);
  g_assert_cmpint (a->video, ==, b->video);
  g_assert_cmpstr (a->reason, ==, b->reason);
  g_assert_cmpstr (a->sdp_type, ==, b->sdp_type);
  g_assert_cmpstr (a->sdp, ==, b->sdp);
  g_assert_cmpstr (a->candidate, ==, b->candidate);
  g_assert_cmpstr (a->sdp_mid, ==, b->sdp_mid);
  g_assert_cmpint (a->sdp_mline_index, ==, b->sdp_mline_index);
  g_assert_cmpint (a->status, ==, b->status);
  g_assert_cmpstr (a->code, ==, b->code);
  g_assert_cmpstr (a->message, ==, b->message);
  g_assert_cmpstr (a->ref, ==, b->ref);

  g_assert_cmpint (a->ice_servers != NULL, ==, b->ice_servers != NULL);
  if (a->ice_servers != NULL)
    {
      g_assert_cmpuint (a->ice_servers->len, ==, b->ice_servers->len);
      for (guint i = 0; i < a->ice_servers->len; i++)
        {
          const PcIceServer *sa = g_ptr_array_index (a->ice_servers, i);
          const PcIceServer *sb = g_ptr_array_index (b->ice_servers, i);

          g_assert_cmpstrv (sa->urls, sb->urls);
          g_assert_cmpstr (sa->username, ==, sb->username);
          g_assert_cmpstr (sa->credential, ==, sb->credential);
        }
    }
  g_assert_cmpint (a->peers != NULL, ==, b->peers != NULL);
  if (a->peers != NULL)
    {
      g_assert_cmpuint (a->peers->len, ==, b->peers->len);
      for (guint i = 0; i < a->peers->len; i++)
        {
          const PcPeerInfo *pa = g_ptr_array_index (a->peers, i);
          const PcPeerInfo *pb = g_ptr_array_index (b->peers, i);

          g_assert_cmpstr (pa->user, ==, pb->user);
          g_assert_cmpstr (pa->name, ==, pb->name);
          g_assert_cmpint (pa->status, ==, pb->status);
        }
    }
}

/* Round trips */

static void
check_round_trips (PcMessageOrigin origin)
{
  g_autoptr (GPtrArray) list = all_messages (origin);
  gboolean seen[PC_MESSAGE_ERROR + 1] = { FALSE };

  for (guint i = 0; i < list->len; i++)
    {
      PcMessage *m = g_ptr_array_index (list, i);
      g_autoptr (GError) error = NULL;
      g_autoptr (PcMessage) parsed = NULL;
      g_autofree char *text = NULL;
      g_autofree char *text2 = NULL;
      g_autofree char *ref = NULL;

      g_assert_true (pc_message_validate (m, origin, &error));
      g_assert_no_error (error);

      text = pc_message_serialize (m);
      g_assert_nonnull (text);
      g_assert_null (strchr (text, '\n')); /* compact: one text frame */
      parsed = pc_message_parse (text, strlen (text), origin, &ref, &error);
      g_assert_no_error (error);
      g_assert_nonnull (parsed);
      g_assert_null (ref);
      assert_messages_equal (m, parsed);

      /* serialize(parse(serialize(x))) is stable */
      text2 = pc_message_serialize (parsed);
      g_assert_cmpstr (text, ==, text2);

      seen[m->type] = TRUE;
    }

  for (PcMessageType t = PC_MESSAGE_HELLO; t <= PC_MESSAGE_ERROR; t++)
    {
      gboolean expected = origin == C ? t <= PC_MESSAGE_ICE : t != PC_MESSAGE_HELLO;

      g_assert_cmpint (seen[t], ==, expected);
    }
}

static void
test_round_trip_client (void)
{
  check_round_trips (C);
}

static void
test_round_trip_server (void)
{
  check_round_trips (S);
}

/* A message built for one origin fails the other's rules where they differ. */
static void
test_origin_rules (void)
{
  g_autoptr (GPtrArray) client = all_messages (C);
  g_autoptr (GPtrArray) server = all_messages (S);

  for (guint i = 0; i < client->len; i++)
    {
      PcMessage *m = g_ptr_array_index (client, i);
      g_autoptr (GError) error = NULL;
      g_autofree char *text = pc_message_serialize (m);
      g_autoptr (PcMessage) parsed = pc_message_parse (text, strlen (text), S, NULL, &error);

      /* no `from` (and hello is not a server message) */
      g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE);
      g_assert_null (parsed);
    }
  for (guint i = 0; i < server->len; i++)
    {
      PcMessage *m = g_ptr_array_index (server, i);
      g_autoptr (GError) error = NULL;
      g_autofree char *text = pc_message_serialize (m);
      g_autoptr (PcMessage) parsed = pc_message_parse (text, strlen (text), C, NULL, &error);

      /* no `to` (and welcome/presence/error are not client messages) */
      g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE);
      g_assert_null (parsed);
    }
}

/* Rejections, table-driven */

typedef struct
{
  PcMessageOrigin origin;
  const char *json;
  PcProtocolError code;
  const char *ref; /* expected `ref`, NULL when the type could not be read */
} Reject;

#define CALL "\"call\":\"c1\""

static const Reject rejects[] = {
  /* not JSON / not an object / no type */
  { C, "", BAD, NULL },
  { C, "   ", BAD, NULL },
  { C, "{", BAD, NULL },
  { C, "{\"type\":\"hello\",}", BAD, NULL },
  { C, "nul", BAD, NULL },
  { C, "null", BAD, NULL },
  { C, "42", BAD, NULL },
  { C, "\"hello\"", BAD, NULL },
  { C, "[{\"type\":\"hello\"}]", BAD, NULL },
  { C, "{}", BAD, NULL },
  { C, "{\"type\":1}", BAD, NULL },
  { C, "{\"type\":null}", BAD, NULL },
  { C, "{\"type\":[\"hello\"]}", BAD, NULL },
  { C, "{\"type\":{\"x\":1}}", BAD, NULL },
  { C, "{\"type\":true}", BAD, NULL },
  { C, "{\"type\":\"bogus\"}", BAD, "bogus" },
  { C, "{\"type\":\"Hello\"}", BAD, "Hello" },
  { C, "{\"type\":\"\"}", BAD, "" },
  /* direction: server-only types from a client and the reverse */
  { C, "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[],\"peers\":[]}", BAD,
    "welcome" },
  { C, "{\"type\":\"presence\",\"user\":\"a\",\"name\":\"A\",\"status\":\"busy\"}", BAD,
    "presence" },
  { C, "{\"type\":\"error\",\"code\":\"bad-message\",\"message\":\"x\"}", BAD, "error" },
  { S, "{\"type\":\"hello\",\"version\":1,\"user\":\"a\",\"name\":\"A\"}", BAD, "hello" },

  /* hello */
  { C, "{\"type\":\"hello\",\"version\":2,\"user\":\"a\",\"name\":\"A\"}", VERSION, "hello" },
  { C, "{\"type\":\"hello\",\"version\":0,\"user\":\"a\",\"name\":\"A\"}", VERSION, "hello" },
  { C, "{\"type\":\"hello\",\"version\":-1}", VERSION, "hello" },
  { C, "{\"type\":\"hello\",\"version\":2}", VERSION, "hello" },
  { C, "{\"type\":\"hello\",\"user\":\"a\",\"name\":\"A\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":\"1\",\"user\":\"a\",\"name\":\"A\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1.5,\"user\":\"a\",\"name\":\"A\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":true,\"user\":\"a\",\"name\":\"A\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":null,\"user\":\"a\",\"name\":\"A\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1,\"name\":\"A\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":\"a\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":5,\"name\":\"A\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":\"a\",\"name\":[\"A\"]}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":\"a\",\"name\":\"A\",\"token\":7}", BAD,
    "hello" },
  /* user identifiers */
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":\"\",\"name\":\"A\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":\"Alice\",\"name\":\"A\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":\".a\",\"name\":\"A\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":\"-a\",\"name\":\"A\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":\"_a\",\"name\":\"A\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":\"a b\",\"name\":\"A\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":\"a/b\",\"name\":\"A\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":\"ä\",\"name\":\"A\"}", BAD, "hello" },
  { C,
    "{\"type\":\"hello\",\"version\":1,\"user\":"
    "\"a1234567890123456789012345678901234567890123456789012345678901234\",\"name\":\"A\"}",
    BAD, "hello" },
  /* names */
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":\"a\",\"name\":\"\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":\"a\",\"name\":\"A\\nB\"}", BAD, "hello" },
  { C, "{\"type\":\"hello\",\"version\":1,\"user\":\"a\",\"name\":\"A\\u0000B\"}", BAD, NULL },
  /* (129-character names are built in test_name_length) */

  /* relayed messages from a client need `to` and `call` */
  { C, "{\"type\":\"ringing\"," CALL "}", BAD, "ringing" },
  { C, "{\"type\":\"ringing\",\"to\":\"bob\"}", BAD, "ringing" },
  { C, "{\"type\":\"ringing\",\"to\":7," CALL "}", BAD, "ringing" },
  { C, "{\"type\":\"ringing\",\"to\":\"Bob\"," CALL "}", BAD, "ringing" },
  { C, "{\"type\":\"ringing\",\"to\":null," CALL "}", BAD, "ringing" },
  { C, "{\"type\":\"ringing\",\"from\":\"bob\"," CALL "}", BAD, "ringing" },
  { C, "{\"type\":\"ringing\",\"to\":\"bob\",\"call\":1}", BAD, "ringing" },
  { C, "{\"type\":\"ringing\",\"to\":\"bob\",\"call\":\"\"}", BAD, "ringing" },
  { C, "{\"type\":\"ringing\",\"to\":\"bob\",\"call\":\"a_b\"}", BAD, "ringing" },
  { C, "{\"type\":\"ringing\",\"to\":\"bob\",\"call\":\"a b\"}", BAD, "ringing" },
  { C, "{\"type\":\"ringing\",\"to\":\"bob\",\"call\":\"a.b\"}", BAD, "ringing" },
  { C,
    "{\"type\":\"ringing\",\"to\":\"bob\",\"call\":"
    "\"12345678901234567890123456789012345678901234567890123456789012345\"}",
    BAD, "ringing" },
  { C, "{\"type\":\"accept\"," CALL "}", BAD, "accept" },
  { C, "{\"type\":\"accept\",\"to\":\"bob\"}", BAD, "accept" },
  /* relayed messages from the server need `from` */
  { S, "{\"type\":\"ringing\"," CALL "}", BAD, "ringing" },
  { S, "{\"type\":\"ringing\",\"to\":\"bob\"," CALL "}", BAD, "ringing" },
  { S, "{\"type\":\"ringing\",\"from\":\"B\"," CALL "}", BAD, "ringing" },
  { S, "{\"type\":\"accept\",\"from\":\"bob\"}", BAD, "accept" },

  /* invite */
  { C, "{\"type\":\"invite\",\"to\":\"bob\"," CALL "}", BAD, "invite" },
  { C, "{\"type\":\"invite\",\"to\":\"bob\"," CALL ",\"video\":1}", BAD, "invite" },
  { C, "{\"type\":\"invite\",\"to\":\"bob\"," CALL ",\"video\":\"true\"}", BAD, "invite" },
  { C, "{\"type\":\"invite\",\"to\":\"bob\"," CALL ",\"video\":null}", BAD, "invite" },
  { C, "{\"type\":\"invite\",\"to\":\"bob\",\"video\":true}", BAD, "invite" },
  { S, "{\"type\":\"invite\",\"from\":\"bob\"," CALL ",\"video\":true}", BAD, "invite" },
  { S, "{\"type\":\"invite\",\"from\":\"bob\"," CALL ",\"video\":true,\"name\":\"\"}", BAD,
    "invite" },
  { S, "{\"type\":\"invite\",\"from\":\"bob\"," CALL ",\"video\":true,\"name\":1}", BAD, "invite" },

  /* decline */
  { C, "{\"type\":\"decline\",\"to\":\"bob\"," CALL "}", BAD, "decline" },
  { C, "{\"type\":\"decline\",\"to\":\"bob\"," CALL ",\"reason\":\"normal\"}", BAD, "decline" },
  { C, "{\"type\":\"decline\",\"to\":\"bob\"," CALL ",\"reason\":\"Busy\"}", BAD, "decline" },
  { C, "{\"type\":\"decline\",\"to\":\"bob\"," CALL ",\"reason\":\"peer-gone\"}", BAD, "decline" },
  { C, "{\"type\":\"decline\",\"to\":\"bob\"," CALL ",\"reason\":3}", BAD, "decline" },
  { S, "{\"type\":\"decline\",\"from\":\"bob\"," CALL ",\"reason\":\"\"}", BAD, "decline" },

  /* hangup */
  { C, "{\"type\":\"hangup\",\"to\":\"bob\"," CALL "}", BAD, "hangup" },
  { C, "{\"type\":\"hangup\",\"to\":\"bob\"," CALL ",\"reason\":\"peer-gone\"}", BAD, "hangup" },
  { C, "{\"type\":\"hangup\",\"to\":\"bob\"," CALL ",\"reason\":\"declined\"}", BAD, "hangup" },
  { C, "{\"type\":\"hangup\",\"to\":\"bob\"," CALL ",\"reason\":null}", BAD, "hangup" },
  { S, "{\"type\":\"hangup\",\"from\":\"bob\"," CALL ",\"reason\":\"busy\"}", BAD, "hangup" },

  /* sdp */
  { C, "{\"type\":\"sdp\",\"to\":\"bob\"," CALL "}", BAD, "sdp" },
  { C, "{\"type\":\"sdp\",\"to\":\"bob\"," CALL ",\"description\":null}", BAD, "sdp" },
  { C, "{\"type\":\"sdp\",\"to\":\"bob\"," CALL ",\"description\":\"v=0\"}", BAD, "sdp" },
  { C, "{\"type\":\"sdp\",\"to\":\"bob\"," CALL ",\"description\":{\"sdp\":\"v=0\"}}", BAD, "sdp" },
  { C, "{\"type\":\"sdp\",\"to\":\"bob\"," CALL ",\"description\":{\"type\":\"offer\"}}", BAD,
    "sdp" },
  { C,
    "{\"type\":\"sdp\",\"to\":\"bob\"," CALL
    ",\"description\":{\"type\":\"pranswer\",\"sdp\":\"v=0\"}}",
    BAD, "sdp" },
  { C,
    "{\"type\":\"sdp\",\"to\":\"bob\"," CALL
    ",\"description\":{\"type\":\"rollback\",\"sdp\":\"v=0\"}}",
    BAD, "sdp" },
  { C, "{\"type\":\"sdp\",\"to\":\"bob\"," CALL ",\"description\":{\"type\":1,\"sdp\":\"v=0\"}}",
    BAD, "sdp" },
  { C, "{\"type\":\"sdp\",\"to\":\"bob\"," CALL ",\"description\":{\"type\":\"offer\",\"sdp\":5}}",
    BAD, "sdp" },
  { C,
    "{\"type\":\"sdp\",\"to\":\"bob\"," CALL ",\"description\":{\"type\":\"offer\",\"sdp\":\"\"}}",
    BAD, "sdp" },
  { C, "{\"type\":\"sdp\",\"to\":\"bob\"," CALL ",\"sdp\":\"v=0\"}", BAD, "sdp" },

  /* ice */
  { C, "{\"type\":\"ice\",\"to\":\"bob\"," CALL "}", BAD, "ice" },
  { C, "{\"type\":\"ice\",\"to\":\"bob\"," CALL ",\"candidate\":\"candidate:1\"}", BAD, "ice" },
  { C, "{\"type\":\"ice\",\"to\":\"bob\"," CALL ",\"candidate\":[]}", BAD, "ice" },
  { C, "{\"type\":\"ice\",\"to\":\"bob\"," CALL ",\"candidate\":{}}", BAD, "ice" },
  { C, "{\"type\":\"ice\",\"to\":\"bob\"," CALL ",\"candidate\":{\"candidate\":\"c\"}}", BAD,
    "ice" },
  { C,
    "{\"type\":\"ice\",\"to\":\"bob\"," CALL
    ",\"candidate\":{\"candidate\":\"c\",\"sdpMid\":null,\"sdpMLineIndex\":null}}",
    BAD, "ice" },
  { C,
    "{\"type\":\"ice\",\"to\":\"bob\"," CALL ",\"candidate\":{\"candidate\":1,\"sdpMid\":\"0\"}}",
    BAD, "ice" },
  { C,
    "{\"type\":\"ice\",\"to\":\"bob\"," CALL ",\"candidate\":{\"candidate\":\"c\",\"sdpMid\":0}}",
    BAD, "ice" },
  { C,
    "{\"type\":\"ice\",\"to\":\"bob\"," CALL
    ",\"candidate\":{\"candidate\":\"c\",\"sdpMLineIndex\":\"0\"}}",
    BAD, "ice" },
  { C,
    "{\"type\":\"ice\",\"to\":\"bob\"," CALL
    ",\"candidate\":{\"candidate\":\"c\",\"sdpMLineIndex\":-1}}",
    BAD, "ice" },
  { C,
    "{\"type\":\"ice\",\"to\":\"bob\"," CALL
    ",\"candidate\":{\"candidate\":\"c\",\"sdpMLineIndex\":65536}}",
    BAD, "ice" },
  { C,
    "{\"type\":\"ice\",\"to\":\"bob\"," CALL
    ",\"candidate\":{\"candidate\":\"c\",\"sdpMLineIndex\":0.5}}",
    BAD, "ice" },

  /* welcome */
  { S, "{\"type\":\"welcome\",\"user\":\"a\",\"ice_servers\":[],\"peers\":[]}", BAD, "welcome" },
  { S, "{\"type\":\"welcome\",\"version\":2,\"user\":\"a\",\"ice_servers\":[],\"peers\":[]}",
    VERSION, "welcome" },
  { S, "{\"type\":\"welcome\",\"version\":1,\"ice_servers\":[],\"peers\":[]}", BAD, "welcome" },
  { S, "{\"type\":\"welcome\",\"version\":1,\"user\":\"A\",\"ice_servers\":[],\"peers\":[]}", BAD,
    "welcome" },
  { S, "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"peers\":[]}", BAD, "welcome" },
  { S, "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":{},\"peers\":[]}", BAD,
    "welcome" },
  { S, "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[]}", BAD, "welcome" },
  { S, "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[],\"peers\":null}", BAD,
    "welcome" },
  { S, "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[1],\"peers\":[]}", BAD,
    "welcome" },
  { S, "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[{}],\"peers\":[]}", BAD,
    "welcome" },
  { S,
    "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[{\"urls\":[]}],"
    "\"peers\":[]}",
    BAD, "welcome" },
  { S,
    "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[{\"urls\":[1]}],"
    "\"peers\":[]}",
    BAD, "welcome" },
  { S,
    "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[{\"urls\":[\"\"]}],"
    "\"peers\":[]}",
    BAD, "welcome" },
  { S,
    "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[{\"urls\":5}],"
    "\"peers\":[]}",
    BAD, "welcome" },
  { S,
    "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[{\"urls\":[\"stun:x\"],"
    "\"username\":1}],\"peers\":[]}",
    BAD, "welcome" },
  { S,
    "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[{\"urls\":[\"stun:x\"],"
    "\"credential\":{}}],\"peers\":[]}",
    BAD, "welcome" },
  { S, "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[],\"peers\":[\"b\"]}",
    BAD, "welcome" },
  { S,
    "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[],"
    "\"peers\":[{\"name\":\"B\",\"status\":\"busy\"}]}",
    BAD, "welcome" },
  { S,
    "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[],"
    "\"peers\":[{\"user\":\"B!\",\"name\":\"B\",\"status\":\"busy\"}]}",
    BAD, "welcome" },
  { S,
    "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[],"
    "\"peers\":[{\"user\":\"b\",\"status\":\"busy\"}]}",
    BAD, "welcome" },
  { S,
    "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[],"
    "\"peers\":[{\"user\":\"b\",\"name\":\"B\"}]}",
    BAD, "welcome" },
  { S,
    "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"ice_servers\":[],"
    "\"peers\":[{\"user\":\"b\",\"name\":\"B\",\"status\":\"away\"}]}",
    BAD, "welcome" },

  /* presence */
  { S, "{\"type\":\"presence\",\"name\":\"B\",\"status\":\"busy\"}", BAD, "presence" },
  { S, "{\"type\":\"presence\",\"user\":\"b\",\"status\":\"busy\"}", BAD, "presence" },
  { S, "{\"type\":\"presence\",\"user\":\"b\",\"name\":\"B\"}", BAD, "presence" },
  { S, "{\"type\":\"presence\",\"user\":\"b\",\"name\":\"B\",\"status\":\"online\"}", BAD,
    "presence" },
  { S, "{\"type\":\"presence\",\"user\":\"b\",\"name\":\"B\",\"status\":1}", BAD, "presence" },
  { S, "{\"type\":\"presence\",\"user\":\"B\",\"name\":\"B\",\"status\":\"busy\"}", BAD,
    "presence" },

  /* error */
  { S, "{\"type\":\"error\",\"message\":\"x\"}", BAD, "error" },
  { S, "{\"type\":\"error\",\"code\":\"\",\"message\":\"x\"}", BAD, "error" },
  { S, "{\"type\":\"error\",\"code\":1,\"message\":\"x\"}", BAD, "error" },
  { S, "{\"type\":\"error\",\"code\":\"bad-message\"}", BAD, "error" },
  { S, "{\"type\":\"error\",\"code\":\"bad-message\",\"message\":\"x\",\"ref\":1}", BAD, "error" },
  { S, "{\"type\":\"error\",\"code\":\"bad-message\",\"message\":\"x\",\"call\":[]}", BAD,
    "error" },
};

static void
test_rejects (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (rejects); i++)
    {
      const Reject *r = &rejects[i];
      g_autoptr (GError) error = NULL;
      g_autofree char *ref = NULL;
      g_autoptr (PcMessage) m = NULL;

      g_test_message ("reject %u: %s", i, r->json);
      m = pc_message_parse (r->json, strlen (r->json), r->origin, &ref, &error);
      g_assert_null (m);
      g_assert_error (error, PC_PROTOCOL_ERROR, (gint)r->code);
      g_assert_nonnull (error->message);
      g_assert_cmpstr (error->message, !=, "");
      g_assert_cmpstr (ref, ==, r->ref);

      /* NULL out-arguments are fine too */
      g_assert_null (pc_message_parse (r->json, strlen (r->json), r->origin, NULL, NULL));
    }
}

static void
test_invalid_utf8 (void)
{
  static const char *const inputs[] = {
    "{\"type\":\"hello\",\"version\":1,\"user\":\"a\",\"name\":\"\xff\"}",
    "{\"type\":\"hello\",\"version\":1,\"user\":\"a\",\"name\":\"\xc3\"}",
    "{\"type\":\"hello\",\"version\":1,\"user\":\"a\",\"name\":\"\xed\xa0\x80\"}", /* surrogate */
    "{\"type\":\"hello\",\"version\":1,\"user\":\"a\",\"name\":\"\xc0\xaf\"}",     /* overlong */
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (PcMessage) m = pc_message_parse (inputs[i], strlen (inputs[i]), C, NULL, &error);

      g_assert_null (m);
      g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE);
    }

  /* An embedded NUL byte within `length` is not text either. */
  {
    static const char data[]
        = "{\"type\":\"hello\",\"version\":1,\"user\":\"a\",\"name\":\"A\0B\"}";
    g_autoptr (GError) error = NULL;
    g_autoptr (PcMessage) m = pc_message_parse (data, sizeof data - 1, C, NULL, &error);

    g_assert_null (m);
    g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE);
  }
}

static char *
sdp_message_of_size (gsize total)
{
  static const char head[] = "{\"type\":\"sdp\",\"to\":\"bob\",\"call\":\"c1\",\"description\":"
                             "{\"type\":\"offer\",\"sdp\":\"";
  static const char tail[] = "\"}}";
  gsize fill = total - strlen (head) - strlen (tail);
  GString *s = g_string_new (head);

  for (gsize i = 0; i < fill; i++)
    g_string_append_c (s, 'x');
  g_string_append (s, tail);
  g_assert_cmpuint (s->len, ==, total);
  return g_string_free (s, FALSE);
}

static void
test_size_limit (void)
{
  g_autofree char *max = sdp_message_of_size (PC_PROTOCOL_MAX_MESSAGE_SIZE);
  g_autofree char *over = sdp_message_of_size (PC_PROTOCOL_MAX_MESSAGE_SIZE + 1);
  g_autofree char *ref = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (PcMessage) ok = NULL;
  g_autoptr (PcMessage) too_big = NULL;

  ok = pc_message_parse (max, strlen (max), C, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ok);

  too_big = pc_message_parse (over, strlen (over), C, &ref, &error);
  g_assert_null (too_big);
  g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE);
  g_assert_null (ref); /* refused before reading anything */
}

static void
test_nesting (void)
{
  g_autoptr (GString) ok
      = g_string_new ("{\"type\":\"ringing\",\"to\":\"bob\",\"call\":\"c1\",\"x\":");
  g_autoptr (GString) deep = g_string_new ("{\"type\":\"ringing\",\"x\":");
  g_autoptr (GError) error = NULL;
  g_autoptr (PcMessage) m = NULL;
  g_autoptr (PcMessage) m2 = NULL;

  /* Moderately nested unknown members are fine (depth 1 + 20) */
  for (int i = 0; i < 20; i++)
    g_string_append (ok, "[");
  for (int i = 0; i < 20; i++)
    g_string_append (ok, "]");
  g_string_append (ok, "}");
  m = pc_message_parse (ok->str, ok->len, C, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);

  /* 30000 levels would make json-glib recurse 30000 times: refused cheaply */
  for (int i = 0; i < 30000; i++)
    g_string_append (deep, "[");
  for (int i = 0; i < 30000; i++)
    g_string_append (deep, "]");
  g_string_append (deep, "}");
  g_assert_cmpuint (deep->len, <=, PC_PROTOCOL_MAX_MESSAGE_SIZE);
  m2 = pc_message_parse (deep->str, deep->len, C, NULL, &error);
  g_assert_null (m2);
  g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE);

  /* Brackets inside strings do not count, escaped quotes do not end strings */
  {
    g_autoptr (GString) s
        = g_string_new ("{\"type\":\"ringing\",\"to\":\"bob\",\"call\":\"c1\",\"x\":\"\\\"");
    g_autoptr (PcMessage) m3 = NULL;
    g_autoptr (GError) error3 = NULL;

    for (int i = 0; i < 1000; i++)
      g_string_append (s, "[{");
    g_string_append (s, "\"}");
    m3 = pc_message_parse (s->str, s->len, C, NULL, &error3);
    g_assert_no_error (error3);
    g_assert_nonnull (m3);
  }
}

static void
test_name_length (void)
{
  g_autoptr (GString) name = g_string_new (NULL);

  /* 128 characters of 3-byte UTF-8 (384 bytes) are fine, 129 are not */
  for (int i = 0; i < 128; i++)
    g_string_append (name, "爱");
  g_assert_true (pc_protocol_is_valid_name (name->str));
  g_string_append (name, "a");
  g_assert_false (pc_protocol_is_valid_name (name->str));

  {
    g_autofree char *json = g_strdup_printf (
        "{\"type\":\"hello\",\"version\":1,\"user\":\"a\",\"name\":\"%s\"}", name->str);
    g_autoptr (GError) error = NULL;
    g_autoptr (PcMessage) m = pc_message_parse (json, strlen (json), C, NULL, &error);

    g_assert_null (m);
    g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE);
  }

  g_assert_true (pc_protocol_is_valid_name ("x"));
  g_assert_true (pc_protocol_is_valid_name ("Jean-Luc Picard 🖖"));
  g_assert_false (pc_protocol_is_valid_name (""));
  g_assert_false (pc_protocol_is_valid_name (NULL));
  g_assert_false (pc_protocol_is_valid_name ("tab\there"));
  g_assert_false (pc_protocol_is_valid_name ("\xff"));
}

static void
test_identifiers (void)
{
  static const char *const good_users[]
      = { "a",
          "0",
          "alice",
          "a.b_c-d",
          "9lives",
          "a-",
          "a123456789012345678901234567890123456789012345678901234567890123" };
  static const char *const bad_users[] = {
    "",    "A",   "-a", ".a",  "_a",
    "a b", "a@b", "é",  "a\n", "a1234567890123456789012345678901234567890123456789012345678901234"
  };
  static const char *const good_calls[]
      = { "a", "A-9", "3f2c1a9e-1b2c-4d5e-8f90-0123456789ab", "-",
          "1234567890123456789012345678901234567890123456789012345678901234" };
  static const char *const bad_calls[]
      = { "",
          "a_b",
          "a.b",
          "a b",
          "a/b",
          "ü",
          "12345678901234567890123456789012345678901234567890123456789012345" };

  g_assert_false (pc_protocol_is_valid_user (NULL));
  g_assert_false (pc_protocol_is_valid_call_id (NULL));
  for (guint i = 0; i < G_N_ELEMENTS (good_users); i++)
    g_assert_true (pc_protocol_is_valid_user (good_users[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad_users); i++)
    g_assert_false (pc_protocol_is_valid_user (bad_users[i]));
  for (guint i = 0; i < G_N_ELEMENTS (good_calls); i++)
    g_assert_true (pc_protocol_is_valid_call_id (good_calls[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad_calls); i++)
    g_assert_false (pc_protocol_is_valid_call_id (bad_calls[i]));
}

static void
test_unknown_members (void)
{
  static const char json[]
      = "{\"future\":{\"a\":[1,2,{\"b\":null}]},\"type\":\"invite\",\"to\":\"bob\",\"call\":\"c1\","
        "\"video\":false,\"from\":\"mallory\",\"name\":\"Fake\",\"extra\":3.5,\"x\":\"\\u00e9\"}";
  g_autoptr (GError) error = NULL;
  g_autoptr (PcMessage) m = pc_message_parse (json, strlen (json), C, NULL, &error);
  g_autofree char *out = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (m);
  g_assert_cmpint (m->type, ==, PC_MESSAGE_INVITE);
  g_assert_cmpstr (m->to, ==, "bob");
  g_assert_cmpstr (m->call, ==, "c1");
  g_assert_false (m->video);
  /* a client can never choose `from`, nor the caller name the server adds */
  g_assert_null (m->from);
  g_assert_null (m->name);

  /* unknown members are not echoed */
  out = pc_message_serialize (m);
  g_assert_null (strstr (out, "future"));
  g_assert_null (strstr (out, "mallory"));

  /* server side: an unknown member in a welcome, and a `to` on a relayed message, are ignored */
  {
    static const char welcome[]
        = "{\"type\":\"welcome\",\"version\":1,\"user\":\"a\",\"motd\":\"hi\",\"ice_servers\":"
          "[{\"urls\":\"stun:127.0.0.1:3478\",\"credentialType\":\"password\"}],\"peers\":"
          "[{\"user\":\"b\",\"name\":\"B\",\"status\":\"available\",\"avatar\":null}]}";
    static const char accept[]
        = "{\"type\":\"accept\",\"from\":\"b\",\"to\":\"zz\",\"call\":\"c1\"}";
    g_autoptr (PcMessage) w = pc_message_parse (welcome, strlen (welcome), S, NULL, &error);
    g_autoptr (PcMessage) a = NULL;
    const PcIceServer *server;

    g_assert_no_error (error);
    g_assert_cmpuint (w->ice_servers->len, ==, 1);
    server = g_ptr_array_index (w->ice_servers, 0);
    /* RTCIceServer also allows a single string for `urls` */
    g_assert_cmpstr (server->urls[0], ==, "stun:127.0.0.1:3478");
    g_assert_null (server->urls[1]);
    g_assert_cmpuint (w->peers->len, ==, 1);

    a = pc_message_parse (accept, strlen (accept), S, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (a->from, ==, "b");
    g_assert_null (a->to);
  }
}

static void
test_ice_end_of_candidates (void)
{
  /* Browsers may say "end of candidates" with an empty candidate string */
  static const char json[] = "{\"type\":\"ice\",\"to\":\"bob\",\"call\":\"c1\",\"candidate\":"
                             "{\"candidate\":\"\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}";
  static const char null_json[]
      = "{\"type\":\"ice\",\"from\":\"bob\",\"call\":\"c1\",\"candidate\":null}";
  g_autoptr (GError) error = NULL;
  g_autoptr (PcMessage) m = pc_message_parse (json, strlen (json), C, NULL, &error);
  g_autoptr (PcMessage) n = NULL;
  g_autofree char *out = NULL;

  g_assert_no_error (error);
  g_assert_null (m->candidate);
  g_assert_null (m->sdp_mid);
  g_assert_cmpint (m->sdp_mline_index, ==, -1);

  n = pc_message_parse (null_json, strlen (null_json), S, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (n->candidate);
  out = pc_message_serialize (n);
  g_assert_nonnull (strstr (out, "\"candidate\":null"));
}

static void
test_optional_null (void)
{
  /* null in an optional member means absent */
  static const char hello[]
      = "{\"type\":\"hello\",\"version\":1,\"user\":\"a\",\"name\":\"A\",\"token\":null}";
  static const char err[] = "{\"type\":\"error\",\"code\":\"no-such-call\",\"message\":\"m\","
                            "\"ref\":null,\"call\":null}";
  g_autoptr (GError) error = NULL;
  g_autoptr (PcMessage) h = pc_message_parse (hello, strlen (hello), C, NULL, &error);
  g_autoptr (PcMessage) e = NULL;

  g_assert_no_error (error);
  g_assert_null (h->token);
  e = pc_message_parse (err, strlen (err), S, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (e->ref);
  g_assert_null (e->call);
}

static void
test_integral_double (void)
{
  /* JSON has one number type: 1.0 is the integer 1 */
  static const char json[] = "{\"type\":\"hello\",\"version\":1.0,\"user\":\"a\",\"name\":\"A\"}";
  g_autoptr (GError) error = NULL;
  g_autoptr (PcMessage) m = pc_message_parse (json, strlen (json), C, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (m->version, ==, 1);
}

static void
test_ref_and_codes (void)
{
  /* ref is the offending type, only on failure */
  {
    static const char json[] = "{\"type\":\"sdp\",\"to\":\"bob\",\"call\":\"c1\"}";
    static const char good[] = "{\"type\":\"accept\",\"to\":\"bob\",\"call\":\"c1\"}";
    g_autofree char *ref = NULL;
    g_autofree char *ref2 = NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (PcMessage) m = NULL;

    g_assert_null (pc_message_parse (json, strlen (json), C, &ref, &error));
    g_assert_cmpstr (ref, ==, "sdp");
    g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE);

    m = pc_message_parse (good, strlen (good), C, &ref2, NULL);
    g_assert_nonnull (m);
    g_assert_null (ref2);
  }

  for (PcProtocolError e = PC_PROTOCOL_ERROR_BAD_MESSAGE; e <= PC_PROTOCOL_ERROR_RATE_LIMITED; e++)
    {
      PcProtocolError back = (PcProtocolError)-1;

      g_assert_true (pc_protocol_error_from_code (pc_protocol_error_to_code (e), &back));
      g_assert_cmpint (back, ==, e);
    }
  g_assert_cmpstr (pc_protocol_error_to_code (PC_PROTOCOL_ERROR_USER_TAKEN), ==, "user-taken");
  g_assert_cmpstr (pc_protocol_error_to_code (PC_PROTOCOL_ERROR_RATE_LIMITED), ==, "rate-limited");
  g_assert_false (pc_protocol_error_from_code ("nope", NULL));
  g_assert_false (pc_protocol_error_from_code (NULL, NULL));

  for (PcMessageType t = PC_MESSAGE_HELLO; t <= PC_MESSAGE_ERROR; t++)
    g_assert_cmpint (pc_message_type_from_string (pc_message_type_to_string (t)), ==, t);
  g_assert_cmpint (pc_message_type_from_string ("nope"), ==, PC_MESSAGE_UNKNOWN);
  g_assert_null (pc_message_type_to_string (PC_MESSAGE_UNKNOWN));

  for (PcPresence p = PC_PRESENCE_OFFLINE; p <= PC_PRESENCE_BUSY; p++)
    {
      PcPresence back;

      g_assert_true (pc_presence_from_string (pc_presence_to_string (p), &back));
      g_assert_cmpint (back, ==, p);
    }
  g_assert_false (pc_presence_from_string ("away", NULL));
}

static void
test_validate_built (void)
{
  g_autoptr (PcMessage) hello = pc_message_new (PC_MESSAGE_HELLO);
  g_autoptr (PcMessage) ring = pc_message_new (PC_MESSAGE_RINGING);
  g_autoptr (PcMessage) copy = NULL;
  g_autoptr (GError) error = NULL;

  hello->user = g_strdup ("a");
  hello->name = g_strdup ("A");
  g_assert_true (pc_message_validate (hello, C, &error));
  hello->version = 3;
  g_assert_false (pc_message_validate (hello, C, &error));
  g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_UNSUPPORTED_VERSION);
  g_clear_error (&error);

  ring->to = g_strdup ("b");
  g_assert_false (pc_message_validate (ring, C, &error)); /* no call */
  g_assert_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  ring->call = g_strdup ("c");
  g_assert_true (pc_message_validate (ring, C, NULL));
  g_assert_false (pc_message_validate (ring, S, NULL)); /* no from */

  copy = pc_message_ref (ring);
  g_assert_true (copy == ring);
  pc_message_unref (copy);
  copy = NULL;

  {
    g_autoptr (PcMessage) unknown = pc_message_new (PC_MESSAGE_UNKNOWN);

    g_assert_false (pc_message_validate (unknown, C, NULL));
  }

  {
    const char *urls[] = { "turn:127.0.0.1", NULL };
    g_autoptr (PcIceServer) server = pc_ice_server_new (urls, "u", NULL);
    g_autoptr (PcIceServer) copy_server = pc_ice_server_copy (server);

    g_assert_cmpstrv (copy_server->urls, server->urls);
    g_assert_cmpstr (copy_server->username, ==, "u");
    g_assert_null (copy_server->credential);
  }

  g_assert_true (g_type_is_a (PC_TYPE_MESSAGE, G_TYPE_BOXED));
  g_assert_cmpstr (g_quark_to_string (PC_PROTOCOL_ERROR), ==, "pc-protocol-error-quark");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/protocol/round-trip/client", test_round_trip_client);
  g_test_add_func ("/protocol/round-trip/server", test_round_trip_server);
  g_test_add_func ("/protocol/origin-rules", test_origin_rules);
  g_test_add_func ("/protocol/rejects", test_rejects);
  g_test_add_func ("/protocol/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/protocol/size-limit", test_size_limit);
  g_test_add_func ("/protocol/nesting", test_nesting);
  g_test_add_func ("/protocol/name-length", test_name_length);
  g_test_add_func ("/protocol/identifiers", test_identifiers);
  g_test_add_func ("/protocol/unknown-members", test_unknown_members);
  g_test_add_func ("/protocol/ice-end-of-candidates", test_ice_end_of_candidates);
  g_test_add_func ("/protocol/optional-null", test_optional_null);
  g_test_add_func ("/protocol/integral-double", test_integral_double);
  g_test_add_func ("/protocol/ref-and-codes", test_ref_and_codes);
  g_test_add_func ("/protocol/validate-built", test_validate_built);

  return g_test_run ();
}
