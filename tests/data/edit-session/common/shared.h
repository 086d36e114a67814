/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A header outside every module's folder, included by alpha/a2.c and
 * beta/b1.c: a change rebuilds both modules. */
#pragma once

#define SHARED_TOKEN "shared-v0"
