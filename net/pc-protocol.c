/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Placeholder: implemented in its own commit. */
