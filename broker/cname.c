/* cname: see cname.h. */
#include <sodium.h>

#include "cname.h"

void cname_generate(char out[CNAME_LEN])
{
    unsigned char r[CNAME_RANDOM_BYTES];
    randombytes_buf(r, sizeof(r));
    sodium_bin2base64(out, CNAME_LEN, r, sizeof(r), sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(r, sizeof(r));
}
