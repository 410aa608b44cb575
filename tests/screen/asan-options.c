/* SPDX-License-Identifier: GPL-3.0-or-later */
/* asan-options.c: defaults for the sanitizers in the screen tests (ASAN_OPTIONS still wins).
 * The fast unwinder stops at GLib's frames (built without frame pointers), so the quark block
 * GLib allocates in its library constructor shows as a two-frame stack that no lsan.supp line
 * (`leak:_dl_init`) can match; the full unwinder reaches _dl_init. Our own leaks still report. */
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}
