# The C API of etcd-cpp-rs: libetcd-cpp-rs.so (exporting only the etcd_* functions of
# include/etcd/etcd.h), its header and a pkg-config file (etcd-cpp-rs), plus the C tests, the C
# and Python examples and the Python package's tests as CTest tests.
#
# Included from the top-level CMakeLists.txt once the Rust core is defined (it uses the target
# etcd-cpp-rs-cargo and the variable ETCD_RUST_ARCHIVE) with
#   include(cmake/CApi.cmake)
#
# The library is linked from the same Rust archive as libetcd-cpp-api (the crate's C API is in it
# when the "capi" feature is on, as by default); a version script keeps everything but etcd_*
# local. Install component: etcd-c-api.

get_filename_component(_etcd_capi_root "${CMAKE_CURRENT_LIST_DIR}/.." REALPATH)
set(_etcd_capi_gen "${CMAKE_CURRENT_BINARY_DIR}/etcd-capi")

if(NOT TARGET etcd-cpp-rs-cargo OR NOT ETCD_RUST_ARCHIVE)
  message(FATAL_ERROR "cmake/CApi.cmake: include it after the Rust core (etcd-cpp-rs-cargo, "
                      "ETCD_RUST_ARCHIVE) is defined")
endif()
find_package(Threads REQUIRED)

# Writes a file only when its content changes (no needless relinks).
function(etcd_capi_write path content)
  if(EXISTS "${path}")
    file(READ "${path}" _old)
    if(_old STREQUAL content)
      return()
    endif()
  endif()
  file(WRITE "${path}" "${content}")
endfunction()

# ---------------------------------------------------------------------------------------------
# libetcd-cpp-rs.so
# ---------------------------------------------------------------------------------------------
set(_etcd_capi_map "${_etcd_capi_gen}/etcd-cpp-rs.map")
etcd_capi_write("${_etcd_capi_map}" "{\n  global:\n    etcd_*;\n  local:\n    *;\n};\n")
etcd_capi_write("${_etcd_capi_gen}/etcd-cpp-rs.c"
  "/* libetcd-cpp-rs is the C API of the Rust archive linked in whole; this file is empty. */\n")

add_library(etcd-c-api SHARED "${_etcd_capi_gen}/etcd-cpp-rs.c")
add_library(etcd-cpp-rs::etcd-c-api ALIAS etcd-c-api)
add_dependencies(etcd-c-api etcd-cpp-rs-cargo)
set_target_properties(etcd-c-api PROPERTIES
  OUTPUT_NAME etcd-cpp-rs
  VERSION "${PROJECT_VERSION}"
  SOVERSION "${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}"
  LINKER_LANGUAGE CXX  # the archive holds the cxx bridge, which needs libstdc++
  LINK_DEPENDS "${_etcd_capi_map}")
target_include_directories(etcd-c-api PUBLIC
  "$<BUILD_INTERFACE:${_etcd_capi_root}/include>"
  "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
target_link_libraries(etcd-c-api PRIVATE
  -Wl,--whole-archive "${ETCD_RUST_ARCHIVE}" -Wl,--no-whole-archive
  Threads::Threads ${CMAKE_DL_LIBS} m rt)
target_link_options(etcd-c-api PRIVATE
  "LINKER:--version-script=${_etcd_capi_map}" "LINKER:--gc-sections" "LINKER:--no-undefined")
if(ETCD_STRIP_LINK_OPTION)
  target_link_options(etcd-c-api PRIVATE "${ETCD_STRIP_LINK_OPTION}")
endif()

# ---------------------------------------------------------------------------------------------
# Install: library, header, pkg-config file (relocatable: paths relative to the .pc file)
# ---------------------------------------------------------------------------------------------
if(NOT DEFINED ETCD_INSTALL OR ETCD_INSTALL)
  set(_etcd_pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
  if(IS_ABSOLUTE "${_etcd_pc_dir}")
    set(_etcd_pc_prefix "${CMAKE_INSTALL_PREFIX}")
  else()
    file(RELATIVE_PATH _etcd_pc_up "/prefix/${_etcd_pc_dir}" "/prefix")
    string(REGEX REPLACE "/$" "" _etcd_pc_up "${_etcd_pc_up}")
    set(_etcd_pc_prefix "\${pcfiledir}/${_etcd_pc_up}")
  endif()
  foreach(_dir LIBDIR INCLUDEDIR)
    if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
      set(_etcd_pc_${_dir} "${CMAKE_INSTALL_${_dir}}")
    else()
      set(_etcd_pc_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
    endif()
  endforeach()
  etcd_capi_write("${_etcd_capi_gen}/etcd-cpp-rs.pc"
"prefix=${_etcd_pc_prefix}
libdir=${_etcd_pc_LIBDIR}
includedir=${_etcd_pc_INCLUDEDIR}

Name: etcd-cpp-rs
Description: C API of etcd-cpp-rs, an etcd v3 client (#include <etcd/etcd.h>)
Version: ${PROJECT_VERSION}
Libs: -L\${libdir} -letcd-cpp-rs
Cflags: -I\${includedir}
")
  # Components: etcd-c-api (the library, LICENSE) and etcd-c-api-dev (header, .so link,
  # pkg-config file).
  install(TARGETS etcd-c-api
          LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
                  COMPONENT etcd-c-api NAMELINK_COMPONENT etcd-c-api-dev)
  install(FILES "${_etcd_capi_root}/LICENSE"
          DESTINATION "${CMAKE_INSTALL_DOCDIR}" COMPONENT etcd-c-api)
  install(FILES "${_etcd_capi_root}/include/etcd/etcd.h"
          DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/etcd" COMPONENT etcd-c-api-dev)
  install(FILES "${_etcd_capi_gen}/etcd-cpp-rs.pc"
          DESTINATION "${_etcd_pc_dir}" COMPONENT etcd-c-api-dev)
endif()

# ---------------------------------------------------------------------------------------------
# Tests and examples
# ---------------------------------------------------------------------------------------------
set(_etcd_capi_tests OFF)
if(ETCD_BUILD_TESTS OR BUILD_ETCD_TESTS OR _etcd_build_tests)
  set(_etcd_capi_tests ON)
endif()
if(NOT _etcd_capi_tests AND NOT ETCD_BUILD_EXAMPLES)
  return()
endif()
enable_testing()
find_package(Python3 COMPONENTS Interpreter)
set(_etcd_capi_strict -Wall -Wextra -Wpedantic -Werror)
set(_etcd_harness "${_etcd_capi_root}/tests/etcd_harness.py")
set(_etcd_python_env
    "PYTHONPATH=${_etcd_capi_root}/python"
    "ETCD_CPP_RS_LIBRARY=$<TARGET_FILE:etcd-c-api>")

# A C99 program with strict warnings on the C API.
function(etcd_capi_program target source)
  add_executable(${target} "${source}")
  set_target_properties(${target} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE ${_etcd_capi_strict})
  target_link_libraries(${target} PRIVATE etcd-c-api Threads::Threads)
endfunction()

if(_etcd_capi_tests)
  # The header alone: as C99 and as C++11, strict warnings (building the target is the test).
  add_library(etcd-capi-header-check OBJECT
    "${_etcd_capi_root}/tests/c/header_c99.c" "${_etcd_capi_root}/tests/c/header_cxx.cpp")
  set_target_properties(etcd-capi-header-check PROPERTIES
    C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF
    CXX_STANDARD 11 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
  target_include_directories(etcd-capi-header-check PRIVATE "${_etcd_capi_root}/include")
  target_compile_options(etcd-capi-header-check PRIVATE ${_etcd_capi_strict})
  add_test(NAME capi.header
           COMMAND "${CMAKE_COMMAND}" --build "${CMAKE_BINARY_DIR}" --target etcd-capi-header-check)

  # Only etcd_* leaves the shared library.
  add_test(NAME capi.exports
           COMMAND "${CMAKE_COMMAND}" "-DLIBRARY=$<TARGET_FILE:etcd-c-api>" "-DNM=${CMAKE_NM}"
                   -P "${_etcd_capi_root}/tests/c/check-exports.cmake")

  # The installed library, header and pkg-config file, used as the README says.
  add_test(NAME capi.pkgconfig
           COMMAND "${CMAKE_COMMAND}" "-DBUILD_DIR=${CMAKE_BINARY_DIR}"
                   "-DPREFIX=${_etcd_capi_gen}/prefix" "-DCC=${CMAKE_C_COMPILER}"
                   "-DSOURCE=${_etcd_capi_root}/tests/c/installed_consumer.c"
                   -P "${_etcd_capi_root}/tests/c/check-pkgconfig.cmake")
  set_tests_properties(capi.pkgconfig PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED:" TIMEOUT 300)

  etcd_capi_program(etcd-capi-test "${_etcd_capi_root}/tests/c/test_capi.c")
  if(Python3_Interpreter_FOUND)
    add_test(NAME capi.c
             COMMAND "${Python3_EXECUTABLE}" "${_etcd_harness}" run --quiet -- $<TARGET_FILE:etcd-capi-test>)
    set_tests_properties(capi.c PROPERTIES TIMEOUT 300 LABELS "capi")

    etcd_capi_program(etcd-capi-registry-test "${_etcd_capi_root}/tests/c/test_registry.c")
    add_test(NAME capi.registry
             COMMAND "${Python3_EXECUTABLE}" "${_etcd_harness}" run --quiet -- $<TARGET_FILE:etcd-capi-registry-test>)
    set_tests_properties(capi.registry PROPERTIES TIMEOUT 300 LABELS "capi")
    # Clients inside a namespace (etcd_client_namespace).
    etcd_capi_program(etcd-capi-namespace-test "${_etcd_capi_root}/tests/c/test_namespace.c")
    add_test(NAME capi.namespace
             COMMAND "${Python3_EXECUTABLE}" "${_etcd_harness}" run --quiet -- $<TARGET_FILE:etcd-capi-namespace-test>)
    set_tests_properties(capi.namespace PROPERTIES TIMEOUT 300 LABELS "capi")
    # Transactions, locks, elections, members, maintenance and the log callback.
    etcd_capi_program(etcd-capi-parity-test "${_etcd_capi_root}/tests/c/test_capi_parity.c")
    add_test(NAME capi.parity
             COMMAND "${Python3_EXECUTABLE}" "${_etcd_harness}" run --quiet -- $<TARGET_FILE:etcd-capi-parity-test>)
    set_tests_properties(capi.parity PROPERTIES TIMEOUT 300 LABELS "capi")

    execute_process(COMMAND "${Python3_EXECUTABLE}" -c "import pytest"
                    RESULT_VARIABLE _etcd_no_pytest OUTPUT_QUIET ERROR_QUIET)
    if(_etcd_no_pytest EQUAL 0)
      add_test(NAME capi.python
               COMMAND "${Python3_EXECUTABLE}" -m pytest -q
                       "${_etcd_capi_root}/tests/python")
      set_tests_properties(capi.python PROPERTIES
        ENVIRONMENT "${_etcd_python_env}" TIMEOUT 900 LABELS "capi;python")
    else()
      message(STATUS "etcd-cpp-rs: pytest not found for ${Python3_EXECUTABLE}; "
                     "the Python package tests are not registered")
    endif()
  else()
    message(STATUS "etcd-cpp-rs: Python 3 not found; the C API tests against etcd are not registered")
  endif()
endif()

if(ETCD_BUILD_EXAMPLES)
  etcd_capi_program(registrar-c "${_etcd_capi_root}/examples/c/registrar.c")
  etcd_capi_program(discoverer-c "${_etcd_capi_root}/examples/c/discoverer.c")
  etcd_capi_program(register-c "${_etcd_capi_root}/examples/c/register.c")
  etcd_capi_program(discover-c "${_etcd_capi_root}/examples/c/discover.c")
  etcd_capi_program(lock-c "${_etcd_capi_root}/examples/c/lock.c")
  if(Python3_Interpreter_FOUND)
    set(_etcd_check
        "${Python3_EXECUTABLE}" "${_etcd_harness}" run --quiet --
        "${Python3_EXECUTABLE}" "${_etcd_capi_root}/examples/check_examples.py")
    add_test(NAME examples.c_discovery
             COMMAND ${_etcd_check} discovery $<TARGET_FILE:registrar-c> $<TARGET_FILE:discoverer-c>)
    # Four workers increment a counter under the lock: the count is exact only if the lock holds.
    add_test(NAME examples.c_lock
             COMMAND "${Python3_EXECUTABLE}" "${_etcd_harness}" run --quiet --
                     $<TARGET_FILE:lock-c> --workers 4 --rounds 5)
    set_tests_properties(examples.c_lock PROPERTIES TIMEOUT 120 LABELS "examples;capi")
    add_test(NAME examples.c_discovery_live
             COMMAND ${_etcd_check} discovery-live $<TARGET_FILE:registrar-c> $<TARGET_FILE:discoverer-c>)

    # check_examples.py runs one program path per role: small executable wrappers around the
    # Python examples (made with file(COPY) for the permissions, which works on CMake 3.16).
    foreach(_example registrar discoverer register discover)
      etcd_capi_write("${_etcd_capi_gen}/wrapper-src/${_example}-py"
        "#!/bin/sh\nexec \"${Python3_EXECUTABLE}\" \"${_etcd_capi_root}/examples/python/${_example}.py\" \"$@\"\n")
      file(COPY "${_etcd_capi_gen}/wrapper-src/${_example}-py"
           DESTINATION "${_etcd_capi_gen}/wrappers"
           FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                            WORLD_READ WORLD_EXECUTE)
    endforeach()
    add_test(NAME examples.python_discovery
             COMMAND ${_etcd_check} discovery "${_etcd_capi_gen}/wrappers/registrar-py"
                     "${_etcd_capi_gen}/wrappers/discoverer-py")
    add_test(NAME examples.python_bench
             COMMAND "${Python3_EXECUTABLE}" "${_etcd_harness}" run --quiet --
                     "${Python3_EXECUTABLE}" "${_etcd_capi_root}/examples/python/bench.py"
                     --count 200 --watch-count 50)
    add_test(NAME examples.c_registry
             COMMAND ${_etcd_check} registry $<TARGET_FILE:register-c> $<TARGET_FILE:discover-c>)
    add_test(NAME examples.python_registry
             COMMAND ${_etcd_check} registry "${_etcd_capi_gen}/wrappers/register-py"
                     "${_etcd_capi_gen}/wrappers/discover-py")
    # The election and asyncio examples check their own outcome (exit code); the asyncio
    # benchmark measures aetcd too when it is installed for this Python.
    set(_etcd_run_python "${Python3_EXECUTABLE}" "${_etcd_harness}" run --quiet -- "${Python3_EXECUTABLE}")
    add_test(NAME examples.python_election
             COMMAND ${_etcd_run_python} "${_etcd_capi_root}/examples/python/election.py")
    add_test(NAME examples.python_aio_discovery
             COMMAND ${_etcd_run_python} "${_etcd_capi_root}/examples/python/aio_discovery.py")
    add_test(NAME examples.python_bench_aio
             COMMAND ${_etcd_run_python} "${_etcd_capi_root}/examples/python/bench_aio.py"
                     --count 500 --rounds 1)
    set(_etcd_python_examples examples.python_discovery examples.python_bench
        examples.python_registry examples.python_election examples.python_aio_discovery
        examples.python_bench_aio)
    set_tests_properties(${_etcd_python_examples} PROPERTIES ENVIRONMENT "${_etcd_python_env}")
    set_tests_properties(examples.c_discovery examples.c_discovery_live examples.c_registry
                         ${_etcd_python_examples}
                         PROPERTIES TIMEOUT 180 LABELS "examples;capi")
  endif()
endif()
