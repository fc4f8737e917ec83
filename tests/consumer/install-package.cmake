# Installs a build tree into a fresh prefix:
#   cmake -DBUILD_DIR=<build> -DPREFIX=<prefix> [-DCONFIG=<config>] -P install-package.cmake
cmake_minimum_required(VERSION 3.16)

foreach(var BUILD_DIR PREFIX)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install-package.cmake: ${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${PREFIX}")
set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
execute_process(
  COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${config_args}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BUILD_DIR} failed (${rc})")
endif()

# What a consumer relies on.
file(GLOB_RECURSE installed RELATIVE "${PREFIX}" "${PREFIX}/*")
list(SORT installed)
foreach(path IN ITEMS
    include/etcd/Client.hpp
    include/etcd/SyncClient.hpp
    include/etcd/Response.hpp
    include/etcd/Value.hpp
    include/etcd/Watcher.hpp
    include/etcd/KeepAlive.hpp
    include/etcd/v3/action_constants.hpp
    include/etcd-cpp-rs/pplx/pplxtasks.h
    share/doc/etcd-cpp-api/LICENSE)
  if(NOT EXISTS "${PREFIX}/${path}")
    message(FATAL_ERROR "missing from the installed package: ${path}")
  endif()
endforeach()
foreach(name etcd-cpp-api etcd-cpp-apiv3)
  file(GLOB config "${PREFIX}/lib*/cmake/${name}/${name}-config.cmake"
                   "${PREFIX}/lib/*/cmake/${name}/${name}-config.cmake")
  if(NOT config)
    message(FATAL_ERROR "missing from the installed package: lib/cmake/${name}/${name}-config.cmake")
  endif()
endforeach()
foreach(path IN LISTS installed)
  if(path MATCHES "(^|/)(rust/cxx\\.h|.*\\.rs\\.h|ffi_sinks\\.hpp)$")
    message(FATAL_ERROR "private header installed: ${path}")
  endif()
  # cpprestsdk's directory: the bundled pplx must not land there (it would overwrite theirs).
  if(path MATCHES "^include/pplx/")
    message(FATAL_ERROR "installed into cpprestsdk's include/pplx: ${path}")
  endif()
endforeach()
string(REPLACE ";" "\n  " listing "${installed}")
message(STATUS "Installed into ${PREFIX}:\n  ${listing}")
