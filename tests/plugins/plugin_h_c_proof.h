// What plugin_h_c_proof.c (compiled as strict C11) exports to the C++ tests.
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { MLOPS_C_LAYOUT_FIELDS = 20 };

// The sizes and member offsets of the ABI structs as the C compiler sees
// them, in the order the C++ test lists them.
void mlops_c_layout(size_t out[MLOPS_C_LAYOUT_FIELDS]);

// Runs a plugin written in C against a host table written in C; returns
// the number of callbacks the plugin reached (12) or -1 on a wrong value.
int mlops_c_roundtrip(void);

#ifdef __cplusplus
}
#endif
