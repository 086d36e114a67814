int g (int);

char g (int);

int
use_g (void)
{
  return g (1);
}
