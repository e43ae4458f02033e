/* jpos: the line of every value in a JSON text, by JSON path
 * ("/rules/3/set/relay_only"), because jansson keeps no positions per
 * value. The text must already have parsed; this scanner only tracks
 * strings, brackets and commas. Object keys appear as written, escapes
 * and all. A value's line is the line of its key in an object, or of its
 * first character in an array. */
#ifndef UMBRA_POLICY_JPOS_H
#define UMBRA_POLICY_JPOS_H

#include <stddef.h>

struct policy_jpos;

/* NULL when out of memory. */
struct policy_jpos *policy_jpos_scan(const char *text, size_t len);
void policy_jpos_free(struct policy_jpos *map);
/* Line of path, or of its nearest ancestor that is known; 1 for "". */
int policy_jpos_line(const struct policy_jpos *map, const char *path);

#endif
