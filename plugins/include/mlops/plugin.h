/*
 * mlopsd stage plugin ABI.
 *
 * A plugin is a shared object exporting exactly one symbol,
 * MLOPS_PLUGIN_ENTRY_SYMBOL ("mlops_plugin_entry"), that fills an
 * mlops_plugin_info describing itself. The stage host process (never the
 * daemon) dlopens ONE plugin, checks its ABI major, and calls run() once with
 * an opaque stage handle and a table of host callbacks.
 *
 * Compatibility rules:
 *  - Structs only ever grow at their END; every struct starts with
 *    struct_size, so each side reads only the prefix both know.
 *  - The ABI major changes only when an existing member changes meaning; the
 *    host refuses a plugin whose major differs from its own. The minor counts
 *    appended members.
 *  - No C++ exception and no allocated string crosses the boundary: errors
 *    are a return code plus a message the host copies (set_error).
 *  - Strings passed by the host are valid until run() returns; strings passed
 *    to the host are copied before the callback returns.
 *
 * Thread-safety: the callbacks may be called from any thread of the plugin,
 * but not after run() has returned.
 *
 * Process model (what a plugin may rely on, and what it must not do):
 *  - The daemon loads a plugin file ONCE, in a fork server (a stage host
 *    that serves that file), and runs each attempt in a child fork()ed from
 *    it: run() is called exactly once per process, never in the server.
 *    Whatever run() does (crash, leak, exit, hang) ends with its process.
 *  - Load-time code (static constructors, the entry function) therefore
 *    runs once for many attempts, in the server, before any attempt's
 *    spec, environment or working directory is known. It must not start
 *    threads (fork() copies only the calling thread; a lock another thread
 *    held stays locked in every attempt), must not open descriptors or
 *    connections meant for an attempt, and must not depend on the
 *    attempt's environment or current directory; what it prints goes
 *    nowhere. State it sets up is shared copy-on-write by all attempts;
 *    changes made in run() stay in that attempt's process.
 *  - When the daemon dies the attempt is cancelled (is_cancelled() turns
 *    true, the attempt's process group gets SIGTERM) and, after the stage's
 *    kill grace, killed. The host uses the real-time signal SIGRTMAX-2 for
 *    this: a plugin must leave that signal's disposition and mask alone.
 *  - Static destructors and atexit handlers do not run: the host ends with
 *    _exit() once the result is out.
 */
#ifndef MLOPS_PLUGIN_H_
#define MLOPS_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MLOPS_PLUGIN_ABI_MAJOR 1
#define MLOPS_PLUGIN_ABI_MINOR 0
#define MLOPS_PLUGIN_ENTRY_SYMBOL "mlops_plugin_entry"

/* Opaque handle to the running stage, owned by the host. */
typedef struct mlops_stage mlops_stage;

/* Return codes of run() and of the callbacks. */
typedef enum mlops_status {
  MLOPS_OK = 0,
  MLOPS_ERROR = 1,        /* the stage failed; set_error says why */
  MLOPS_CANCELLED = 2,    /* the stage stopped because is_cancelled() said so */
  MLOPS_BAD_PARAMS = 3,   /* the params are invalid; set_error says which */
  MLOPS_NOT_FOUND = 4     /* callback: no such param / input */
} mlops_status;

typedef enum mlops_log_level {
  MLOPS_LOG_DEBUG = 0,
  MLOPS_LOG_INFO = 1,
  MLOPS_LOG_WARN = 2,
  MLOPS_LOG_ERROR = 3
} mlops_log_level;

/* Services the host offers to the plugin. Append-only. */
typedef struct mlops_host_api {
  uint32_t struct_size;
  /* The stage's parameters (the pipeline's `with`, plus `run`, `env`,
   * `shell`, `outputs`) as one JSON object text. */
  const char* (*params_json)(mlops_stage* stage);
  /* Number of input artifacts, and each one's logical name and absolute path. */
  size_t (*input_count)(mlops_stage* stage);
  mlops_status (*input_at)(mlops_stage* stage, size_t index, const char** name,
                           const char** path);
  /* Absolute path of the folder the stage works in (the run's workspace). */
  const char* (*work_dir)(mlops_stage* stage);
  /* Absolute path of a folder private to this stage attempt, kept between
   * attempts of the same stage in the same run (for checkpoints). The host
   * creates it on the first call. */
  const char* (*scratch_dir)(mlops_stage* stage);
  /* A line for the stage log. */
  void (*log)(mlops_stage* stage, mlops_log_level level, const char* message);
  /* Progress in [0, 1] with an optional short message (may be NULL). */
  void (*progress)(mlops_stage* stage, double fraction, const char* message);
  /* A metric value at a step (e.g. epoch). */
  void (*metric)(mlops_stage* stage, const char* key, double value, int64_t step);
  /* Registers a produced file (absolute, or relative to work_dir) as an output
   * artifact under a logical name. media_type may be NULL. */
  mlops_status (*artifact)(mlops_stage* stage, const char* name, const char* path,
                           const char* media_type);
  /* Non-zero once the stage should stop (cancel or timeout). Poll it. */
  int (*is_cancelled)(mlops_stage* stage);
  /* The reason of a failure; the host copies it. The last call wins. */
  void (*set_error)(mlops_stage* stage, const char* message);
  /* Records a named parameter that the run used (e.g. tuned values); the
   * value is JSON text. */
  void (*param)(mlops_stage* stage, const char* key, const char* value_json);
} mlops_host_api;

/* What a plugin says of itself. Filled by the entry function. Append-only. */
typedef struct mlops_plugin_info {
  uint32_t struct_size;
  uint32_t abi_major;     /* MLOPS_PLUGIN_ABI_MAJOR the plugin was built for */
  uint32_t abi_minor;
  const char* name;       /* e.g. "exec"; static storage */
  const char* version;    /* e.g. "1.0.0"; static storage */
  /* Runs the stage once. Returns MLOPS_OK on success. */
  mlops_status (*run)(mlops_stage* stage, const mlops_host_api* host);
} mlops_plugin_info;

/* The one exported symbol. `info->struct_size` is set by the host to the size
 * it knows; the plugin fills at most that many bytes and sets struct_size to
 * what it filled. Returns 0 on success. */
typedef int (*mlops_plugin_entry_fn)(mlops_plugin_info* info);

/* Keeps the entry symbol visible when a plugin is built with
 * -fvisibility=hidden (recommended: nothing else needs exporting). */
#if defined(__GNUC__)
#define MLOPS_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define MLOPS_PLUGIN_EXPORT
#endif

/* What a plugin defines, so the compiler checks its signature. */
MLOPS_PLUGIN_EXPORT int mlops_plugin_entry(mlops_plugin_info* info);

#ifdef __cplusplus
}
#endif

#endif /* MLOPS_PLUGIN_H_ */
