/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

#define _HOTNODE_INSIDE
#include "hotnode-version.h"
#include "hot-diagnostic.h"
#include "hot-enums.h"
#include "hot-error.h"
#include "hot-macros.h"
#include "hot-node-args.h"
#include "hot-node.h"
#include "hot-reload.h"
#include "hot-stateful.h"
#include "hot-status.h"
#undef _HOTNODE_INSIDE
