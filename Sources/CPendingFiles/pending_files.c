#include "pending_files.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

enum { SLOTS = 64, PATH_BYTES = 4096 };

static char paths[SLOTS][PATH_BYTES];
static volatile sig_atomic_t used[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int qc_pending_add(const char *path) {
    size_t length = strlen(path);
    if (length >= PATH_BYTES) return -1;
    pthread_mutex_lock(&lock);
    for (int slot = 0; slot < SLOTS; slot++) {
        if (!used[slot]) {
            memcpy(paths[slot], path, length + 1);
            // Released after the copy: a handler (on any thread) that sees the slot used sees the path.
            __atomic_store_n(&used[slot], 1, __ATOMIC_RELEASE);
            pthread_mutex_unlock(&lock);
            return slot;
        }
    }
    pthread_mutex_unlock(&lock);
    return -1;
}

void qc_pending_remove(int slot) {
    if (slot < 0 || slot >= SLOTS) return;
    pthread_mutex_lock(&lock);
    __atomic_store_n(&used[slot], 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&lock);
}

static void remove_and_reraise(int sig) {
    for (int slot = 0; slot < SLOTS; slot++) {
        if (__atomic_load_n(&used[slot], __ATOMIC_ACQUIRE)) unlink(paths[slot]);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void qc_pending_install_handlers(void) {
    const int signals[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t k = 0; k < sizeof signals / sizeof signals[0]; k++) {
        struct sigaction current;
        if (sigaction(signals[k], NULL, &current) != 0 || current.sa_handler == SIG_IGN) continue;
        struct sigaction handler;
        memset(&handler, 0, sizeof handler);
        handler.sa_handler = remove_and_reraise;
        sigemptyset(&handler.sa_mask);
        sigaction(signals[k], &handler, NULL);
    }
    signal(SIGXFSZ, SIG_IGN);
}
