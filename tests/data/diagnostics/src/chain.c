#include "outer.h"

int
outer_value (void)
{
  return 42;
}
