"""Conan 2 recipe of etcd-cpp-rs: the C++ library (libetcd-cpp-api, API of etcd-cpp-apiv3) and the
C API (libetcd-cpp-rs). The build needs a Rust toolchain (cargo, Rust 1.88 or newer) and protoc on
the build machine; they are not Conan packages.

    conan create . --build=missing          # builds, packages and runs test_package/

Consumers use it like etcd-cpp-apiv3's Conan package:
find_package(etcd-cpp-apiv3) with etcd-cpp-apiv3::etcd-cpp-apiv3.
"""

from conan import ConanFile
from conan.tools.cmake import CMake, CMakeToolchain, cmake_layout
from conan.tools.files import copy, rmdir


class EtcdCppRsConan(ConanFile):
    name = "etcd-cpp-rs"
    version = "0.15.4"
    license = "BSD-3-Clause"
    description = "etcd v3 client with the C++ API of etcd-cpp-apiv3 over a Rust core"
    topics = ("etcd", "etcd-cpp-apiv3", "kv", "service-discovery")
    settings = "os", "arch", "compiler", "build_type"
    options = {"shared": [True, False], "fPIC": [True, False]}
    default_options = {"shared": True, "fPIC": True}
    exports_sources = (
        "CMakeLists.txt",
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "LICENSE",
        "cmake/*",
        "cpp/*",
        "include/*",
        "src/*",
    )

    def config_options(self):
        if self.settings.os == "Windows":
            del self.options.fPIC

    def layout(self):
        cmake_layout(self)

    def generate(self):
        toolchain = CMakeToolchain(self)
        toolchain.cache_variables["ETCD_BUILD_TESTS"] = False
        toolchain.cache_variables["ETCD_BUILD_EXAMPLES"] = False
        toolchain.generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        copy(self, "LICENSE", src=self.source_folder, dst=f"{self.package_folder}/licenses")
        CMake(self).install()
        # Conan generates the consumers' CMake and pkg-config files itself.
        rmdir(self, f"{self.package_folder}/lib/cmake")
        rmdir(self, f"{self.package_folder}/lib/pkgconfig")

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "etcd-cpp-apiv3")
        self.cpp_info.set_property("cmake_target_name", "etcd-cpp-apiv3::etcd-cpp-apiv3")
        self.cpp_info.set_property(
            "cmake_target_aliases", ["etcd-cpp-api", "etcd-cpp-api::etcd-cpp-api"]
        )
        self.cpp_info.set_property("pkg_config_name", "etcd-cpp-api")
        # The bundled pplx/pplxtasks.h is under include/etcd-cpp-rs.
        self.cpp_info.includedirs = ["include", "include/etcd-cpp-rs"]
        self.cpp_info.libs = (
            ["etcd-cpp-api"] if self.options.shared else ["etcd-cpp-api", "etcd-cpp-api-rust"]
        )
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread", "dl", "m", "rt"]
