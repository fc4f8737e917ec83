//! Compiles the cxx bridge (and the small C++ sink classes it calls) into this crate's static
//! library. CMake compiles the rest of `cpp/` itself; for that it needs the generated bridge
//! header and `rust/cxx.h`, which this script copies to `<target>/<profile>/cxxbridge/include`.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "cxx")]
    cxx_bridge();
}

#[cfg(feature = "cxx")]
fn cxx_bridge() {
    use std::path::{Path, PathBuf};

    for f in [
        "src/cxx/bridge.rs",
        "cpp/ffi_sinks.hpp",
        "cpp/ffi_sinks.cpp",
        "cpp/callback_guard.hpp",
    ] {
        println!("cargo:rerun-if-changed={f}");
    }
    cxx_build::bridge("src/cxx/bridge.rs")
        .file("cpp/ffi_sinks.cpp")
        .std("c++17")
        .flag_if_supported("-fvisibility=hidden")
        .compile("etcd-cpp-rs-bridge");

    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let profile_dir = out_dir
        .ancestors()
        .nth(3)
        .expect("profile dir")
        .to_path_buf();
    let gen = profile_dir.join("cxxbridge").join("include");
    let cxx_gen = out_dir.join("cxxbridge");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let copies: [(PathBuf, &str); 3] = [
        (cxx_gen.join("include/rust/cxx.h"), "rust/cxx.h"),
        (
            cxx_gen.join("include/etcd-cpp-rs/src/cxx/bridge.rs.h"),
            "etcd-cpp-rs/src/cxx/bridge.rs.h",
        ),
        (
            manifest.join("cpp/ffi_sinks.hpp"),
            "etcd-cpp-rs/cpp/ffi_sinks.hpp",
        ),
    ];
    for (from, to) in copies {
        copy_if_changed(&from, &gen.join(to));
    }

    fn copy_if_changed(from: &Path, to: &Path) {
        let data = std::fs::read(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()));
        if std::fs::read(to).ok().as_deref() == Some(&data[..]) {
            return;
        }
        std::fs::create_dir_all(to.parent().expect("parent")).expect("create gen dir");
        std::fs::write(to, data).unwrap_or_else(|e| panic!("write {}: {e}", to.display()));
    }
}
