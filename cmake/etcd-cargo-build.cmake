# Runs 'cargo build --release --lib [--locked] [flags]' for the Rust core; called by the build as
#   cmake -DCARGO=... -DCARGO_FLAGS=... -DMANIFEST_DIR=... -DTARGET_DIR=... -DARCHIVE=...
#         -DBRIDGE_HEADER=... -DSTAMP=... -P etcd-cargo-build.cmake
cmake_minimum_required(VERSION 3.16)

foreach(var CARGO MANIFEST_DIR TARGET_DIR ARCHIVE BRIDGE_HEADER STAMP)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "etcd-cargo-build.cmake: ${var} is not set")
  endif()
endforeach()

# CARGO_FLAGS separates arguments with '|' (a ';' list does not survive the command line).
string(REPLACE "|" ";" CARGO_FLAGS "${CARGO_FLAGS}")
execute_process(
  COMMAND "${CMAKE_COMMAND}" -E env "CARGO_TARGET_DIR=${TARGET_DIR}"
          "${CARGO}" build --release --lib --manifest-path "${MANIFEST_DIR}/Cargo.toml" ${CARGO_FLAGS}
  WORKING_DIRECTORY "${MANIFEST_DIR}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cargo build --release --lib failed (${rc})")
endif()

# build.rs copies the generated bridge header out of cargo's OUT_DIR only when it runs, so a
# header removed by a 'clean' of this build tree is not recreated by cargo. Restore it from the
# most recent build script output.
if(NOT EXISTS "${BRIDGE_HEADER}")
  file(GLOB candidates
       "${TARGET_DIR}/release/build/etcd-cpp-rs-*/out/cxxbridge/include/etcd-cpp-rs/src/cxx/bridge.rs.h")
  set(newest "")
  foreach(candidate IN LISTS candidates)
    if(newest STREQUAL "" OR "${candidate}" IS_NEWER_THAN "${newest}")
      set(newest "${candidate}")
    endif()
  endforeach()
  if(newest STREQUAL "")
    message(FATAL_ERROR "cargo did not produce ${BRIDGE_HEADER}")
  endif()
  message(STATUS "Restoring ${BRIDGE_HEADER}")
  configure_file("${newest}" "${BRIDGE_HEADER}" COPYONLY)
endif()
if(NOT EXISTS "${ARCHIVE}")
  message(FATAL_ERROR "cargo did not produce ${ARCHIVE}")
endif()

file(TOUCH "${STAMP}")
