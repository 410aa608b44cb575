/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-signal"

#include "config.h"

#include "pc-invite-cooldown.h"

#include "pc-rate-limiter.h"

/* A pair whose bucket is full again is forgotten; we look for such pairs this often. */
#define PRUNE_INTERVAL_US (60 * G_USEC_PER_SEC)

struct _PcInviteCooldown
{
  GHashTable *pairs; /* "caller\ncallee" -> PcRateLimiter* */
  gint64 last_prune_us;
};

PcInviteCooldown *
pc_invite_cooldown_new (void)
{
  PcInviteCooldown *cooldown = g_new0 (PcInviteCooldown, 1);

  cooldown->pairs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  cooldown->last_prune_us = g_get_monotonic_time ();
  return cooldown;
}

void
pc_invite_cooldown_free (PcInviteCooldown *cooldown)
{
  g_hash_table_unref (cooldown->pairs);
  g_free (cooldown);
}

static char *
pair_key (const char *caller, const char *callee)
{
  /* user names never contain a newline */
  return g_strconcat (caller, "\n", callee, NULL);
}

/* Refills @limiter to @now; TRUE when it is full (the pair need not be remembered). */
static gboolean
refill (PcRateLimiter *limiter, gint64 now)
{
  if (now > limiter->last_us)
    {
      double elapsed = (double)(now - limiter->last_us) / G_USEC_PER_SEC;

      limiter->tokens = MIN (limiter->burst, limiter->tokens + elapsed * limiter->rate);
      limiter->last_us = now;
    }
  return limiter->tokens >= limiter->burst;
}

static void
prune (PcInviteCooldown *cooldown, gint64 now)
{
  GHashTableIter iter;
  PcRateLimiter *limiter;

  if (now - cooldown->last_prune_us < PRUNE_INTERVAL_US)
    return;
  cooldown->last_prune_us = now;
  g_hash_table_iter_init (&iter, cooldown->pairs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&limiter))
    if (refill (limiter, now))
      g_hash_table_iter_remove (&iter);
}

gboolean
pc_invite_cooldown_allow (PcInviteCooldown *cooldown,
                          const char *caller,
                          const char *callee,
                          guint *out_wait_s)
{
  g_autofree char *key = pair_key (caller, callee);
  PcRateLimiter *limiter = g_hash_table_lookup (cooldown->pairs, key);
  gint64 now = g_get_monotonic_time ();

  prune (cooldown, now);
  if (limiter == NULL || refill (limiter, now) || limiter->tokens >= 1.0)
    return TRUE;
  *out_wait_s = MAX (1, (guint)((1.0 - limiter->tokens) / limiter->rate + 0.999));
  return FALSE;
}

void
pc_invite_cooldown_charge (PcInviteCooldown *cooldown, const char *caller, const char *callee)
{
  g_autofree char *key = pair_key (caller, callee);
  PcRateLimiter *limiter = g_hash_table_lookup (cooldown->pairs, key);
  gint64 now = g_get_monotonic_time ();

  if (limiter == NULL)
    {
      limiter = g_new (PcRateLimiter, 1);
      pc_rate_limiter_init (limiter, 1.0 / PC_INVITE_COOLDOWN_INTERVAL, PC_INVITE_COOLDOWN_BURST,
                            now);
      g_hash_table_insert (cooldown->pairs, g_steal_pointer (&key), limiter);
    }
  /* Takes a token, or none when the bucket is already empty (a call let through earlier). */
  pc_rate_limiter_take (limiter, now);
}
