/* fake-resolver.h: a GResolver answering from tables, for tests of server location.
 *
 * Names map to "2001:db8::1 192.0.2.1" (addresses in the order given), SRV names to
 * "prio weight port target, ..." (returned unsorted, as written). Special answers: "!notfound",
 * "!tempfail", and "!hang", which completes only when the lookup is cancelled. A name that is
 * not in a table is NXDOMAIN. Every query is counted and logged; blocking lookups fail. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FAKE_TYPE_RESOLVER (fake_resolver_get_type ())
G_DECLARE_FINAL_TYPE (FakeResolver, fake_resolver, FAKE, RESOLVER, GResolver)

struct _FakeResolver
{
  GResolver   parent_instance;
  GHashTable *names;
  GHashTable *srv;
  GPtrArray  *log;      /* "A name", "SRV rrname" in the order asked */
  guint       n_calls;  /* every vfunc, sync ones included */
  guint       n_sync;
};

/* Table entries are string literals: not copied. */
FakeResolver *fake_resolver_new  (void);
void          fake_add_name      (FakeResolver *self, const char *name, const char *answer);
void          fake_add_srv       (FakeResolver *self, const char *rrname, const char *answer);
/* The queries made so far, "; "-joined, then forgotten. */
char         *fake_take_log      (FakeResolver *self);

G_END_DECLS
