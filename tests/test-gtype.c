/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GObject types defined in a hot module (tests/fixtures/gamma): each
 * generation registers its own, runs its own class_init and draws with its
 * own code, while the app keeps the type it linked. */
#include "config.h"

#include <hotnode.h>

#include "test-utils.h"

static const char *next_variant;

static void
reload_gamma (const char *variant)
{
  HotReload *service = hot_reload_get_default ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  next_variant = variant;
  hot_reload_rebuild_async (service, "gamma", NULL, test_store_result, &result);
  g_assert_true (hot_reload_rebuild_finish (service, test_wait_for_result (&result), &error));
  g_assert_no_error (error);
}

/* The colour the widget draws in its middle, once painted. */
static guint32
painted_color (GtkWidget *window,
               GtkWidget *widget)
{
  g_autoptr (GdkTexture) texture = NULL;
  int     width, height;
  guint32 pixel;
  gint64  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  /* A frame with the widget laid out: a window that grows for a new child
   * first waits for its new size, while the overlay's popover, on the same
   * frame clock, may paint. */
  do
    {
      test_wait_for_frame (window);
      if (g_get_monotonic_time () > deadline)
        g_error ("The widget was not laid out within 5 s");
    }
  while (gtk_widget_get_width (widget) == 0);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  texture = test_render (widget, &GRAPHENE_RECT_INIT (width / 2, height / 2, 1, 1));
  gdk_texture_download (texture, (guchar *) &pixel, 4);

  return pixel & 0x00ffffff; /* cairo's ARGB in native order, without alpha */
}

static void
test_types_per_generation (void)
{
  GtkWidget       *window = gtk_window_new ();
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget       *badge = hot_node_new ("gamma_badge_node", NULL);
  GtkWidget       *shape = hot_node_new ("gamma_shape_label", NULL);
  GtkWidget       *child;
  GtkWidget       *old_child;
  g_autofree char *first_type = NULL;

  g_test_summary ("A widget type, an interface and an enum type defined in a hot module: each "
                  "generation registers its own, runs its class_init and draws with its own code");

  gtk_box_append (GTK_BOX (box), badge);
  gtk_box_append (GTK_BOX (box), shape);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));

  /* The app's own types first. */
  child = hot_node_get_child (HOT_NODE_PROXY (badge));
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (child), ==, "GammaBadge");
  g_assert_cmpstr (gtk_widget_get_css_name (child), ==, "badge-gen0");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (child), ==, "GammaShaped:0");
  g_assert_cmphex (painted_color (window, child), ==, 0xff0000);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (hot_node_get_child (HOT_NODE_PROXY (shape)))), ==,
                   "GammaShape:round");

  old_child = child;
  g_object_add_weak_pointer (G_OBJECT (old_child), (gpointer *) &old_child);
  reload_gamma ("libgamma-gen1.so");
  child = hot_node_get_child (HOT_NODE_PROXY (badge));
  first_type = g_strdup (G_OBJECT_TYPE_NAME (child));
  g_assert_true (g_str_has_prefix (first_type, "GammaBadge__hot"));
  g_assert_true (g_type_is_a (G_OBJECT_TYPE (child), GTK_TYPE_WIDGET));
  g_assert_cmpstr (gtk_widget_get_css_name (child), ==, "badge-gen1");
  g_assert_cmphex (painted_color (window, child), ==, 0x0000ff);
  /* Its interface is this generation's too, with this generation's code. */
  g_assert_true (g_str_has_prefix (gtk_widget_get_tooltip_text (child), "GammaShaped__hot"));
  g_assert_true (g_str_has_suffix (gtk_widget_get_tooltip_text (child), ":4"));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (hot_node_get_child (HOT_NODE_PROXY (shape)))),
                                   "GammaShape__hot"));
  g_assert_true (g_str_has_suffix (gtk_label_get_text (GTK_LABEL (hot_node_get_child (HOT_NODE_PROXY (shape)))),
                                   ":square"));
  /* The app's instance went away with its own code. */
  g_assert_null (old_child);

  old_child = child;
  g_object_add_weak_pointer (G_OBJECT (old_child), (gpointer *) &old_child);
  reload_gamma ("libgamma-gen2.so");
  child = hot_node_get_child (HOT_NODE_PROXY (badge));
  g_assert_true (g_str_has_prefix (G_OBJECT_TYPE_NAME (child), "GammaBadge__hot"));
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (child), !=, first_type);
  g_assert_cmpstr (gtk_widget_get_css_name (child), ==, "badge-gen2");
  g_assert_cmphex (painted_color (window, child), ==, 0xff0000);
  /* An instance of an older generation's type is disposed by that
   * generation's code, still loaded. */
  g_assert_null (old_child);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* The template's title label, found by the name GtkBuilder gave it. */
static GtkLabel *
card_title (GtkWidget *card)
{
  GtkWidget *title = gtk_widget_get_first_child (card);

  g_assert_true (GTK_IS_LABEL (title));
  return GTK_LABEL (title);
}

/* Checks a card whose type name starts with @type_prefix: its template
 * built its children, and its button calls the callback of the generation
 * that writes @clicked (a prefix of it). */
static void
check_card (GtkWidget  *card,
            const char *type_prefix,
            const char *clicked)
{
  GtkWidget *button;

  g_assert_true (g_str_has_prefix (G_OBJECT_TYPE_NAME (card), type_prefix));
  g_assert_true (GTK_IS_BOX (card));
  g_assert_cmpstr (gtk_label_get_label (card_title (card)), ==, "Card");
  button = gtk_widget_get_next_sibling (GTK_WIDGET (card_title (card)));
  g_assert_true (GTK_IS_BUTTON (button));
  g_signal_emit_by_name (button, "clicked");
  g_assert_true (g_str_has_prefix (gtk_label_get_label (card_title (card)), clicked));
}

static void
test_templates (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *card = hot_node_new ("gamma_card_node", NULL);
  GtkWidget *tag = hot_node_new ("gamma_tag_node", NULL);
  GtkWidget *child;

  g_test_summary ("Widget types of a hot module with composite templates (from a resource and from "
                  "bytes, children and callbacks bound by name, a child of the module's own type) "
                  "reload: each generation's template names its own types");

  gtk_box_append (GTK_BOX (box), card);
  gtk_box_append (GTK_BOX (box), tag);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));

  /* The app's code, or a generation an earlier test loaded. */
  check_card (hot_node_get_child (HOT_NODE_PROXY (card)), "GammaCard", "clicked-gen");

  for (guint generation = 1; generation <= 2; generation++)
    {
      g_autofree char *variant = g_strdup_printf ("libgamma-gen%u.so", generation);
      g_autofree char *clicked = g_strdup_printf ("clicked-gen%u", generation);

      /* A reload that logs a critical (an empty template) fails. */
      reload_gamma (variant);
      check_card (hot_node_get_child (HOT_NODE_PROXY (card)), "GammaCard__hot", clicked);
      child = hot_node_get_child (HOT_NODE_PROXY (tag));
      g_assert_true (g_str_has_prefix (G_OBJECT_TYPE_NAME (child), "GammaTag__hot"));
      g_assert_nonnull (gtk_widget_get_first_child (child));
      g_assert_true (g_str_has_prefix (G_OBJECT_TYPE_NAME (gtk_widget_get_first_child (child)), "GammaBadge__hot"));
      g_assert_cmpstr (g_strrstr (G_OBJECT_TYPE_NAME (child), "__hot"), ==,
                       g_strrstr (G_OBJECT_TYPE_NAME (gtk_widget_get_first_child (child)), "__hot"));
    }

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *private_dir = NULL;
  int              status;

  if (!test_init_hot_reload (&argc, &argv, &private_dir))
    return 0;
  hot_reload_set_rebuilder (hot_reload_get_default (), test_prebuilt_rebuilder, &next_variant, NULL);

  g_test_add_func ("/Hotnode/GType/per-generation", test_types_per_generation);
  g_test_add_func ("/Hotnode/GType/templates", test_templates);

  status = g_test_run ();
  test_remove_tree (private_dir);

  return status;
}
