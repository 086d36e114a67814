#pragma once

struct point
{
  int x;
  int y;
};

widget_t *make_widget (struct point p);
