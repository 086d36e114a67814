#include <stddef.h>
#include "does-not-exist.h"

int
k (void)
{
  return 0;
}
