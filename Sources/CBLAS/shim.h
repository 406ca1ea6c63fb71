// OpenBLAS's CBLAS interface, the single-threaded ("serial") build from Debian's libopenblas-serial-dev.
// Why serial: qconvert splits work over threads itself, in fixed chunks, so results do not depend on
// the thread count; the pthread build also keeps idle worker threads spinning in sched_yield, which
// took a whole core from the interpreter on a 2-core machine. Package.swift links this build by path.
#include <x86_64-linux-gnu/openblas-serial/cblas.h>
