# Install-time part of the systemd files, run by `cmake --install` (see the
# top-level CMakeLists.txt). Paths follow the prefix given at install time:
# with prefix /usr the config lives in /etc/mlopsd (the FHS); with any other
# prefix in <prefix>/etc/mlopsd. The unit's ExecStart and --config are
# rewritten to match. An existing mlopsd.yaml is never overwritten; the
# example is always installed as <prefix>/share/mlopsd/mlopsd.yaml.example.
# Needs MLOPS_SOURCE_DIR and MLOPS_BINARY_DIR (set by install(CODE)).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(etc_dir "/etc/mlopsd")
else()
  set(etc_dir "${CMAKE_INSTALL_PREFIX}/etc/mlopsd")
endif()
set(gen "${MLOPS_BINARY_DIR}/systemd-install")
file(MAKE_DIRECTORY "${gen}")

file(READ "${MLOPS_SOURCE_DIR}/systemd/mlopsd.service" unit)
string(REPLACE "/usr/bin/" "${CMAKE_INSTALL_PREFIX}/bin/" unit "${unit}")
string(REPLACE "/usr/share/" "${CMAKE_INSTALL_PREFIX}/share/" unit "${unit}")
string(REPLACE "/etc/mlopsd/" "${etc_dir}/" unit "${unit}")
file(WRITE "${gen}/mlopsd.service" "${unit}")

file(READ "${MLOPS_SOURCE_DIR}/systemd/mlops-serve.service" unit)
string(REPLACE "/usr/bin/" "${CMAKE_INSTALL_PREFIX}/bin/" unit "${unit}")
string(REPLACE "/usr/share/" "${CMAKE_INSTALL_PREFIX}/share/" unit "${unit}")
string(REPLACE "/etc/mlopsd/" "${etc_dir}/" unit "${unit}")
file(WRITE "${gen}/mlops-serve.service" "${unit}")

file(READ "${MLOPS_SOURCE_DIR}/systemd/mlopsd.yaml" config)
string(REPLACE "/etc/mlopsd/" "${etc_dir}/" config "${config}")
file(WRITE "${gen}/mlopsd.yaml" "${config}")

file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" TYPE FILE
     FILES "${gen}/mlopsd.service" "${gen}/mlops-serve.service")
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/sysusers.d" TYPE FILE
     FILES "${MLOPS_SOURCE_DIR}/systemd/mlopsd.sysusers.conf" RENAME mlopsd.conf)
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/tmpfiles.d" TYPE FILE
     FILES "${MLOPS_SOURCE_DIR}/systemd/mlopsd.tmpfiles.conf" RENAME mlopsd.conf)
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/tmpfiles.d" TYPE FILE
     FILES "${MLOPS_SOURCE_DIR}/systemd/mlops-serve.tmpfiles.conf" RENAME mlops-serve.conf)
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/share/mlopsd" TYPE FILE
     FILES "${gen}/mlopsd.yaml" RENAME mlopsd.yaml.example)
if(NOT EXISTS "$ENV{DESTDIR}${etc_dir}/mlopsd.yaml")
  file(INSTALL DESTINATION "${etc_dir}" TYPE FILE FILES "${gen}/mlopsd.yaml")
endif()
file(MAKE_DIRECTORY "$ENV{DESTDIR}${etc_dir}/pipelines")
