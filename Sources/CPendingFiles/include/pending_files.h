#ifndef QC_PENDING_FILES_H
#define QC_PENDING_FILES_H

/// Temporary files being written, removed if the process is interrupted (SIGINT, SIGTERM, SIGHUP)
/// before they are renamed into place. Signal handlers may only call async-signal-safe functions,
/// so the list is fixed C storage, not Swift objects.
#ifdef __cplusplus
extern "C" {
#endif

/// Registers `path`; returns its slot, or -1 when the list is full or the path too long (the file
/// is then only removed on a normal exit).
int qc_pending_add(const char *path);

/// Unregisters a slot from qc_pending_add (-1 is ignored).
void qc_pending_remove(int slot);

/// Installs the handlers that remove registered files and then end the process by the same signal,
/// leaving a signal the parent set to be ignored (nohup) ignored; and ignores SIGXFSZ, so a write
/// past `ulimit -f` fails with EFBIG, reported like a full disk, instead of killing the process.
/// For programs, not libraries: called once by the command-line tool.
void qc_pending_install_handlers(void);

#ifdef __cplusplus
}
#endif

#endif
