# One settings target carries the language standard, warnings and sanitizer
# options to every target of the project.
add_library(mlops_settings INTERFACE)
target_compile_features(mlops_settings INTERFACE cxx_std_20 c_std_11)
target_compile_options(mlops_settings INTERFACE
  -Wall -Wextra -Wno-unused-parameter
  $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor>)
# Full RELRO and immediate binding (Debian's hardening=+bindnow): the GOT is
# read-only after start, and a forked stage host (the fork server's child)
# inherits resolved symbols instead of resolving them again in every child.
target_link_options(mlops_settings INTERFACE LINKER:-z,relro,-z,now)
if(MLOPS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MLOPS_FUZZ needs clang: configure with CC=clang CXX=clang++")
  endif()
  # Every library a target links is instrumented for coverage; libFuzzer's
  # main() is linked into the fuzz targets alone (fuzz/CMakeLists.txt).
  target_compile_options(mlops_settings INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(mlops_settings INTERFACE -fsanitize=address,undefined)
elseif(MLOPS_SANITIZE)
  target_compile_options(mlops_settings INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(mlops_settings INTERFACE -fsanitize=address,undefined)
endif()
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
