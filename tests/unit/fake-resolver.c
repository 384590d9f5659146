/* fake-resolver.c: a GResolver answering from tables (see fake-resolver.h). */
#include <stdio.h>
#include <string.h>

#include "fake-resolver.h"

G_DEFINE_TYPE (FakeResolver, fake_resolver, G_TYPE_RESOLVER)

static gboolean
on_fake_cancelled (GCancellable *cancellable, gpointer user_data)
{
  g_task_return_error_if_cancelled (G_TASK (user_data));
  return G_SOURCE_REMOVE;
}

static GList *
parse_addresses (const char *answer)
{
  g_auto(GStrv) words = g_strsplit (answer, " ", -1);
  GList *list = NULL;

  for (guint i = 0; words[i]; i++)
    {
      GInetAddress *address = g_inet_address_new_from_string (words[i]);

      g_assert_nonnull (address);
      list = g_list_append (list, address);
    }
  return list;
}

static GList *
parse_srv (const char *answer)
{
  g_auto(GStrv) records = g_strsplit (answer, ",", -1);
  GList *list = NULL;

  for (guint i = 0; records[i]; i++)
    {
      guint prio, weight, port;
      char target[256];

      g_assert_cmpint (sscanf (records[i], " %u %u %u %255s", &prio, &weight, &port, target), ==,
                       4);
      list = g_list_append (list, g_srv_target_new (target, port, prio, weight));
    }
  return list;
}

/* Answers task from table: the answer is returned on a later main loop iteration (GTask's
 * rule), or, for "!hang", when the cancellable fires. */
static void
fake_answer (FakeResolver *self, GTask *task, GHashTable *table, const char *name,
             GList *(*parse) (const char *), GDestroyNotify free_list)
{
  const char *answer = g_hash_table_lookup (table, name);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (answer == NULL || strcmp (answer, "!notfound") == 0)
    g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                             "Error resolving “%s”: Name or service not known", name);
  else if (strcmp (answer, "!tempfail") == 0)
    g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE,
                             "Temporarily unable to resolve “%s”", name);
  else if (strcmp (answer, "!hang") == 0)
    {
      g_autoptr(GSource) source = NULL;

      g_assert_nonnull (cancellable);   /* a test that hangs must be able to cancel */
      source = g_cancellable_source_new (cancellable);
      g_task_attach_source (task, source, G_SOURCE_FUNC (on_fake_cancelled));
    }
  else
    g_task_return_pointer (task, parse (answer), free_list);
}

static void
fake_log (FakeResolver *self, const char *what, const char *name)
{
  self->n_calls++;
  g_ptr_array_add (self->log, g_strdup_printf ("%s %s", what, name));
}

static void
fake_lookup_by_name_async (GResolver *resolver, const char *hostname, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  FakeResolver *self = FAKE_RESOLVER (resolver);
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);

  fake_log (self, "A", hostname);
  fake_answer (self, task, self->names, hostname, parse_addresses,
               (GDestroyNotify) g_resolver_free_addresses);
}

static void
fake_lookup_by_name_with_flags_async (GResolver *resolver, const char *hostname,
                                      GResolverNameLookupFlags flags, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_assert_cmpint (flags, ==, G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT);
  fake_lookup_by_name_async (resolver, hostname, cancellable, callback, user_data);
}

static GList *
fake_lookup_finish (GResolver *resolver, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
fake_lookup_service_async (GResolver *resolver, const char *rrname, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  FakeResolver *self = FAKE_RESOLVER (resolver);
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);

  fake_log (self, "SRV", rrname);
  fake_answer (self, task, self->srv, rrname, parse_srv,
               (GDestroyNotify) g_resolver_free_targets);
}

static void
fake_lookup_records_async (GResolver *resolver, const char *rrname, GResolverRecordType type,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);

  fake_log (FAKE_RESOLVER (resolver), "RECORDS", rrname);
  g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "no records");
}

/* Blocking calls would stall the core thread: fail loudly if one is ever made. */
static GList *
fake_lookup_sync (GResolver *resolver, const char *name, GCancellable *cancellable,
                  GError **error)
{
  FakeResolver *self = FAKE_RESOLVER (resolver);

  fake_log (self, "SYNC", name);
  self->n_sync++;
  g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_INTERNAL, "blocking lookup");
  return NULL;
}

static GList *
fake_lookup_with_flags_sync (GResolver *resolver, const char *name,
                             GResolverNameLookupFlags flags, GCancellable *cancellable,
                             GError **error)
{
  return fake_lookup_sync (resolver, name, cancellable, error);
}

static void
fake_resolver_finalize (GObject *object)
{
  FakeResolver *self = FAKE_RESOLVER (object);

  g_hash_table_unref (self->names);
  g_hash_table_unref (self->srv);
  g_ptr_array_unref (self->log);
  G_OBJECT_CLASS (fake_resolver_parent_class)->finalize (object);
}

static void
fake_resolver_class_init (FakeResolverClass *klass)
{
  GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = fake_resolver_finalize;
  resolver_class->lookup_by_name = fake_lookup_sync;
  resolver_class->lookup_by_name_async = fake_lookup_by_name_async;
  resolver_class->lookup_by_name_finish = fake_lookup_finish;
  resolver_class->lookup_by_name_with_flags = fake_lookup_with_flags_sync;
  resolver_class->lookup_by_name_with_flags_async = fake_lookup_by_name_with_flags_async;
  resolver_class->lookup_by_name_with_flags_finish = fake_lookup_finish;
  resolver_class->lookup_service = fake_lookup_sync;
  resolver_class->lookup_service_async = fake_lookup_service_async;
  resolver_class->lookup_service_finish = fake_lookup_finish;
  resolver_class->lookup_records_async = fake_lookup_records_async;
  resolver_class->lookup_records_finish = fake_lookup_finish;
}

static void
fake_resolver_init (FakeResolver *self)
{
  self->names = g_hash_table_new (g_str_hash, g_str_equal);
  self->srv = g_hash_table_new (g_str_hash, g_str_equal);
  self->log = g_ptr_array_new_with_free_func (g_free);
}

FakeResolver *
fake_resolver_new (void)
{
  return g_object_new (FAKE_TYPE_RESOLVER, NULL);
}

void
fake_add_name (FakeResolver *self, const char *name, const char *answer)
{
  g_hash_table_insert (self->names, (gpointer) name, (gpointer) answer);
}

void
fake_add_srv (FakeResolver *self, const char *rrname, const char *answer)
{
  g_hash_table_insert (self->srv, (gpointer) rrname, (gpointer) answer);
}

char *
fake_take_log (FakeResolver *self)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < self->log->len; i++)
    g_string_append_printf (s, "%s%s", i ? "; " : "", (char *) self->log->pdata[i]);
  g_ptr_array_set_size (self->log, 0);
  return g_string_free (s, FALSE);
}

