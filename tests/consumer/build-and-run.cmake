# Configures and builds a CMake project in a fresh build directory, runs the programs it built,
# and optionally installs it:
#   cmake -DSOURCE_DIR=... -DBINARY_DIR=... [-DGENERATOR=... -DMAKE_PROGRAM=...
#         -DC_COMPILER=... -DCXX_COMPILER=... -DBUILD_TYPE=...]
#         [-DDEFINES=-DA=1|-DB=2] [-DRUN=prog1|prog2] [-DINSTALL_PREFIX=...] -P build-and-run.cmake
# Lists use '|' so that they pass through CTest unchanged.
cmake_minimum_required(VERSION 3.16)

foreach(var SOURCE_DIR BINARY_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build-and-run.cmake: ${var} is not set")
  endif()
endforeach()

function(run_checked what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc})")
  endif()
endfunction()

set(configure_args -S "${SOURCE_DIR}" -B "${BINARY_DIR}")
if(GENERATOR)
  list(APPEND configure_args -G "${GENERATOR}")
endif()
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(C_COMPILER)
  list(APPEND configure_args "-DCMAKE_C_COMPILER=${C_COMPILER}")
endif()
if(CXX_COMPILER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
if(BUILD_TYPE)
  list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
endif()
# Find packages only where the test says, never in a user or system package registry.
list(APPEND configure_args
     --no-warn-unused-cli
     -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
     -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(DEFINES)
  string(REPLACE "|" ";" defines "${DEFINES}")
  list(APPEND configure_args ${defines})
endif()

file(REMOVE_RECURSE "${BINARY_DIR}")
run_checked("configuring ${SOURCE_DIR}" "${CMAKE_COMMAND}" ${configure_args})
set(config_args "")
if(BUILD_TYPE)
  set(config_args --config "${BUILD_TYPE}")
endif()
run_checked("building ${SOURCE_DIR}" "${CMAKE_COMMAND}" --build "${BINARY_DIR}" ${config_args})

if(RUN)
  string(REPLACE "|" ";" programs "${RUN}")
  foreach(program IN LISTS programs)
    message(STATUS "Running ${program}")
    run_checked("${program}" "${BINARY_DIR}/${program}")
  endforeach()
endif()

if(INSTALL_PREFIX)
  file(REMOVE_RECURSE "${INSTALL_PREFIX}")
  run_checked("installing ${BINARY_DIR}"
              "${CMAKE_COMMAND}" --install "${BINARY_DIR}" --prefix "${INSTALL_PREFIX}" ${config_args})
endif()
