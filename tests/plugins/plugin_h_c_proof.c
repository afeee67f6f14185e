/* Proves plugins/include/mlops/plugin.h is pure C: this file is compiled by
 * the C compiler with -std=c11 -Wall -Wextra -pedantic-errors -Werror and
 * uses every type, enum and macro of the header from both sides. */
#include "plugin_h_c_proof.h"

#include <stddef.h>
#include <string.h>

#include "mlops/plugin.h"

/* The host side's stage, opaque to the plugin. */
struct mlops_stage {
  int calls;
  char error[64];
};

static const char* c_params_json(mlops_stage* s) { s->calls++; return "{}"; }
static size_t c_input_count(mlops_stage* s) { s->calls++; return 1; }
static mlops_status c_input_at(mlops_stage* s, size_t i, const char** name, const char** path) {
  s->calls++;
  if (i != 0) return MLOPS_NOT_FOUND;
  *name = "in";
  *path = "/in";
  return MLOPS_OK;
}
static const char* c_work_dir(mlops_stage* s) { s->calls++; return "/work"; }
static const char* c_scratch_dir(mlops_stage* s) { s->calls++; return "/scratch"; }
static void c_log(mlops_stage* s, mlops_log_level level, const char* m) {
  s->calls += (level == MLOPS_LOG_DEBUG || level == MLOPS_LOG_INFO || level == MLOPS_LOG_WARN ||
               level == MLOPS_LOG_ERROR) && m != NULL;
}
static void c_progress(mlops_stage* s, double f, const char* m) { s->calls += f == 0.5 && m == NULL; }
static void c_metric(mlops_stage* s, const char* k, double v, int64_t step) {
  s->calls += strcmp(k, "acc") == 0 && v == 1.0 && step == INT64_C(3);
}
static mlops_status c_artifact(mlops_stage* s, const char* n, const char* p, const char* t) {
  s->calls++;
  return n != NULL && p != NULL && t == NULL ? MLOPS_OK : MLOPS_BAD_PARAMS;
}
static int c_is_cancelled(mlops_stage* s) { s->calls++; return 0; }
static void c_set_error(mlops_stage* s, const char* m) {
  s->calls++;
  strncpy(s->error, m, sizeof s->error - 1);
}
static void c_param(mlops_stage* s, const char* k, const char* v) {
  s->calls += strcmp(k, "lr") == 0 && strcmp(v, "0.1") == 0;
}

/* The plugin side. */
static mlops_status c_run(mlops_stage* stage, const mlops_host_api* host) {
  const char* name = NULL;
  const char* path = NULL;
  if (host->struct_size < sizeof(mlops_host_api)) return MLOPS_ERROR;
  if (strcmp(host->params_json(stage), "{}") != 0) return MLOPS_BAD_PARAMS;
  if (host->input_count(stage) != 1 || host->input_at(stage, 0, &name, &path) != MLOPS_OK) {
    return MLOPS_ERROR;
  }
  host->work_dir(stage);
  host->scratch_dir(stage);
  host->log(stage, MLOPS_LOG_INFO, "hello from C");
  host->progress(stage, 0.5, NULL);
  host->metric(stage, "acc", 1.0, 3);
  if (host->artifact(stage, "model", "model.bin", NULL) != MLOPS_OK) return MLOPS_ERROR;
  if (host->is_cancelled(stage)) return MLOPS_CANCELLED;
  host->param(stage, "lr", "0.1");
  host->set_error(stage, "none");
  return MLOPS_OK;
}

static int c_entry(mlops_plugin_info* info) {
  if (info->struct_size < sizeof *info) return 1;
  info->struct_size = sizeof *info;
  info->abi_major = MLOPS_PLUGIN_ABI_MAJOR;
  info->abi_minor = MLOPS_PLUGIN_ABI_MINOR;
  info->name = "c-proof";
  info->version = "1.0.0";
  info->run = c_run;
  return 0;
}

void mlops_c_layout(size_t out[MLOPS_C_LAYOUT_FIELDS]) {
  size_t i = 0;
  out[i++] = sizeof(mlops_host_api);
  out[i++] = offsetof(mlops_host_api, params_json);
  out[i++] = offsetof(mlops_host_api, input_count);
  out[i++] = offsetof(mlops_host_api, input_at);
  out[i++] = offsetof(mlops_host_api, work_dir);
  out[i++] = offsetof(mlops_host_api, scratch_dir);
  out[i++] = offsetof(mlops_host_api, log);
  out[i++] = offsetof(mlops_host_api, progress);
  out[i++] = offsetof(mlops_host_api, metric);
  out[i++] = offsetof(mlops_host_api, artifact);
  out[i++] = offsetof(mlops_host_api, is_cancelled);
  out[i++] = offsetof(mlops_host_api, set_error);
  out[i++] = offsetof(mlops_host_api, param);
  out[i++] = sizeof(mlops_plugin_info);
  out[i++] = offsetof(mlops_plugin_info, abi_major);
  out[i++] = offsetof(mlops_plugin_info, abi_minor);
  out[i++] = offsetof(mlops_plugin_info, name);
  out[i++] = offsetof(mlops_plugin_info, version);
  out[i++] = offsetof(mlops_plugin_info, run);
  out[i++] = sizeof(mlops_status);
}

int mlops_c_roundtrip(void) {
  struct mlops_stage stage;
  mlops_host_api host;
  mlops_plugin_info info;
  mlops_plugin_entry_fn entry = c_entry;
  memset(&stage, 0, sizeof stage);
  memset(&info, 0, sizeof info);
  host.struct_size = sizeof host;
  host.params_json = c_params_json;
  host.input_count = c_input_count;
  host.input_at = c_input_at;
  host.work_dir = c_work_dir;
  host.scratch_dir = c_scratch_dir;
  host.log = c_log;
  host.progress = c_progress;
  host.metric = c_metric;
  host.artifact = c_artifact;
  host.is_cancelled = c_is_cancelled;
  host.set_error = c_set_error;
  host.param = c_param;
  info.struct_size = sizeof info;
  if (entry(&info) != 0 || info.abi_major != MLOPS_PLUGIN_ABI_MAJOR ||
      strcmp(info.name, "c-proof") != 0 || strcmp(MLOPS_PLUGIN_ENTRY_SYMBOL, "mlops_plugin_entry") != 0) {
    return -1;
  }
  if (info.run(&stage, &host) != MLOPS_OK || strcmp(stage.error, "none") != 0) return -1;
  return stage.calls;
}
