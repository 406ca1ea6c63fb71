// zlib (Debian zlib1g-dev), for inflating deflated .npz members.
#include <zlib.h>
