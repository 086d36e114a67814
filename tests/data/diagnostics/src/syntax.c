void sink (int value);

void
f (int a)
{
  int x = a;
  x = x + 1
  sink (x);
}
