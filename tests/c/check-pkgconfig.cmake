# Installs the C API (install components etcd-c-api and etcd-c-api-dev) into PREFIX, then builds
# SOURCE the way the README says, `cc prog.c $(pkg-config --cflags --libs etcd-cpp-rs)` (plus strict
# warnings), and runs it.
#   cmake -DBUILD_DIR=... -DPREFIX=... -DCC=cc -DSOURCE=installed_consumer.c -P check-pkgconfig.cmake
find_program(PKG_CONFIG pkg-config)
if(NOT PKG_CONFIG)
  message("SKIPPED: pkg-config not found")
  return()
endif()
file(REMOVE_RECURSE "${PREFIX}")
foreach(_component etcd-c-api etcd-c-api-dev)
  execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                          --component ${_component}
                  RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "installing the ${_component} component failed")
  endif()
endforeach()
file(GLOB_RECURSE _pc "${PREFIX}/*/etcd-cpp-rs.pc")
if(NOT _pc)
  message(FATAL_ERROR "no etcd-cpp-rs.pc installed under ${PREFIX}")
endif()
get_filename_component(_pc_dir "${_pc}" DIRECTORY)
execute_process(COMMAND "${CMAKE_COMMAND}" -E env "PKG_CONFIG_PATH=${_pc_dir}"
                        "${PKG_CONFIG}" --cflags --libs etcd-cpp-rs
                OUTPUT_VARIABLE _flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "pkg-config --cflags --libs etcd-cpp-rs failed")
endif()
message(STATUS "pkg-config --cflags --libs etcd-cpp-rs: ${_flags}")
separate_arguments(_flags UNIX_COMMAND "${_flags}")
set(_program "${PREFIX}/installed_consumer")
execute_process(COMMAND "${CC}" -std=c99 -Wall -Wextra -Wpedantic -Werror "${SOURCE}" ${_flags}
                        -o "${_program}"
                RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "compiling ${SOURCE} with the pkg-config flags failed")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E env "PKG_CONFIG_PATH=${_pc_dir}"
                        "${PKG_CONFIG}" --variable=libdir etcd-cpp-rs
                OUTPUT_VARIABLE _libdir OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND "${CMAKE_COMMAND}" -E env "LD_LIBRARY_PATH=${_libdir}" "${_program}"
                RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${_program} failed (exit ${_rc})")
endif()
