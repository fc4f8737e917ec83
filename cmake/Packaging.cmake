# Debian packages made by 'cpack -G DEB' in the build directory:
#   libetcd-cpp-rs      the shared libraries (libetcd-cpp-api.so.rs1, libetcd-cpp-rs.so.<x.y>)
#                       and LICENSE; dependencies computed by dpkg-shlibdeps
#   libetcd-cpp-rs-dev  headers (bundled pplx under include/etcd-cpp-rs), the .so links, CMake
#                       package files, pkg-config files (etcd-cpp-api, etcd-cpp-rs), static
#                       archives of a static build, LICENSE; depends on libetcd-cpp-rs
# Both install under /usr. Included from the top-level CMakeLists.txt after all install() rules.

set(ETCD_DEB_RUNTIME_NAME "libetcd-cpp-rs")
set(ETCD_DEB_DEV_NAME "libetcd-cpp-rs-dev")

# Debian wants the licence in every package; the -dev package gets its own copy.
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE"
        DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/${ETCD_DEB_DEV_NAME}"
        COMPONENT dev)

set(CPACK_PACKAGE_NAME "etcd-cpp-rs")
set(CPACK_PACKAGE_VENDOR "The etcd-cpp-rs authors")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "etcd v3 client library with the C++ API of etcd-cpp-apiv3 and a Rust core")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_PACKAGE_DIRECTORY "${CMAKE_BINARY_DIR}/packages")

set(CPACK_COMPONENTS_ALL runtime etcd-c-api dev etcd-c-api-dev)
set(CPACK_COMPONENT_RUNTIME_GROUP runtime)
set(CPACK_COMPONENT_ETCD-C-API_GROUP runtime)
set(CPACK_COMPONENT_DEV_GROUP dev)
set(CPACK_COMPONENT_ETCD-C-API-DEV_GROUP dev)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "The etcd-cpp-rs authors")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME "${ETCD_DEB_RUNTIME_NAME}")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
"Shared libraries: libetcd-cpp-api.so.${ETCD_CPP_API_SOVERSION} implements the C++ API of
etcd-cpp-apiv3 (etcd/Client.hpp, etcd/Watcher.hpp, ...) over a Rust core; libetcd-cpp-rs.so
is its C API.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME "${ETCD_DEB_DEV_NAME}")
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${ETCD_DEB_RUNTIME_NAME} (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_DEV_DESCRIPTION
"Development files: headers, CMake package (find_package(etcd-cpp-api) or
etcd-cpp-apiv3) and pkg-config files (etcd-cpp-api, etcd-cpp-rs).")

include(CPack)
