int
first (void)
{
  int unused = 3;

  return 0;
}

int
second (void)
{
  return missing_value + 1;
}
