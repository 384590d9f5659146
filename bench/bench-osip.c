/* bench-osip.c: GNU oSIP2: osip_message_init + osip_message_parse, then osip_message_free. */
#include <stdio.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "bench-common.h"

static int
setup (void)
{
  return parser_init ();
}

static int
parse (const BenchMsg *m)
{
  osip_message_t *sip = NULL;
  int rc;

  if (osip_message_init (&sip) != 0)
    return -1;
  rc = osip_message_parse (sip, m->data, m->len);
  osip_message_free (sip);
  return rc == 0 ? 0 : -1;
}

static int
describe (const BenchMsg *m, char *buf, size_t size)
{
  osip_message_t *sip = NULL;
  osip_body_t *body = NULL;
  int rc = -1;

  if (osip_message_init (&sip) != 0)
    return -1;
  if (osip_message_parse (sip, m->data, m->len) == 0 && sip->cseq && sip->call_id)
    {
      if (MSG_IS_REQUEST (sip))
        snprintf (buf, size, "%s", sip->sip_method);
      else
        snprintf (buf, size, "%d", sip->status_code);
      osip_message_get_body (sip, 0, &body);
      snprintf (buf + strlen (buf), size - strlen (buf), " cseq=%s call-id=%s%s%s body=%zu",
                sip->cseq->number, sip->call_id->number, sip->call_id->host ? "@" : "",
                sip->call_id->host ? sip->call_id->host : "", body ? body->length : 0);
      rc = 0;
    }
  osip_message_free (sip);
  return rc;
}

int
main (int argc, char **argv)
{
  static const BenchPeer peer = {
    .name = "osip",
    .note = "eager: copies the input, parses every header into malloc'd structures (URIs, "
            "Via, From/To, CSeq, Contact, auth ...), keeps unknown ones as name/value, "
            "body by Content-Length; then osip_message_free",
    .setup = setup,
    .parse = parse,
    .describe = describe,
  };
  return bench_main (argc, argv, &peer);
}
