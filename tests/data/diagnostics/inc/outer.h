#pragma once

#include "inner.h"

int outer_value (void);
