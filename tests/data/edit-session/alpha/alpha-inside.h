/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A header in alpha's folder, included by a1.c. */
#pragma once

#define ALPHA_INSIDE_TOKEN "alpha-inside-v0"
