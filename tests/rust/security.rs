//! Authentication and TLS.

use std::time::Duration;

use etcd_cpp_rs::core::{Client, ClientOptions, KeyRange, Request, Watcher};

use crate::etcd::{wait_until, Cluster};
use crate::{b, call};

pub(crate) fn enable_auth(cl: &Cluster) {
    let ep = cl.endpoints();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut c = etcd_client::Client::connect([ep], None).await.unwrap();
        c.user_add("root", "rootpw", None).await.unwrap();
        c.user_grant_role("root", "root").await.unwrap();
        c.user_add("app", "apppw", None).await.unwrap();
        c.role_add("app").await.unwrap();
        c.role_grant_permission(
            "app",
            etcd_client::Permission::read_write("/app/").with_prefix(),
        )
        .await
        .unwrap();
        c.user_grant_role("app", "app").await.unwrap();
        c.auth_enable().await.unwrap();
    });
}

fn with_user(user: &str, password: &str, ttl: i64) -> ClientOptions {
    ClientOptions {
        user: Some((user.into(), password.into())),
        auth_token_ttl: ttl,
        ..ClientOptions::default()
    }
}

#[test]
fn password_auth_renews_tokens() {
    let cl = Cluster::start_with(
        1,
        &["--auth-token", "simple", "--auth-token-ttl", "2"],
        false,
    );
    enable_auth(&cl);
    // A long auth_token_ttl, so only the server's "invalid auth token" can trigger renewal.
    let c = Client::new(&cl.endpoints(), with_user("app", "apppw", 300));
    assert!(call(
        &c,
        Request::Put {
            key: b("/app/k"),
            value: b("v"),
            lease: 0
        }
    )
    .is_ok());
    let denied = call(
        &c,
        Request::Put {
            key: b("/other"),
            value: b("v"),
            lease: 0,
        },
    );
    assert_eq!(denied.error_code, 7, "{denied:?}");
    assert!(!c.auth_token().is_empty());

    let seen = std::sync::Arc::new(std::sync::Mutex::new(0usize));
    let s = seen.clone();
    let w = Watcher::new(&c, KeyRange::prefix(b("/app/")), 0, move |r| {
        *s.lock().unwrap() += r.events.len()
    });
    // Let the 2 s server-side token lifetime pass: that expiry is what is tested.
    std::thread::sleep(Duration::from_secs(4));
    let r = call(
        &c,
        Request::Get {
            key: b("/app/k"),
            revision: 0,
        },
    );
    assert!(r.is_ok(), "after token expiry: {r:?}");
    assert!(wait_until(Duration::from_secs(10), || {
        call(
            &c,
            Request::Put {
                key: b("/app/k"),
                value: b("v2"),
                lease: 0,
            },
        );
        *seen.lock().unwrap() > 0
    }));
    w.cancel();

    let wrong = Client::new(&cl.endpoints(), with_user("app", "nope", 300));
    let r = call(
        &wrong,
        Request::Get {
            key: b("/app/k"),
            revision: 0,
        },
    );
    assert_eq!(r.error_code, 3, "{r:?}");
    assert!(
        r.error_message.contains("authentication failed"),
        "{}",
        r.error_message
    );
    assert_eq!(wrong.auth_token(), "");
    let anonymous = Client::new(&cl.endpoints(), ClientOptions::default());
    assert!(!call(
        &anonymous,
        Request::Get {
            key: b("/app/k"),
            revision: 0
        }
    )
    .is_ok());
}

#[test]
fn tls_with_client_certificates_and_password() {
    let cl = Cluster::start_with(1, &[], true);
    let c = Client::new(&cl.endpoints(), cl.client_options());
    let r = call(
        &c,
        Request::Put {
            key: b("/tls/k"),
            value: b("v"),
            lease: 0,
        },
    );
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(
        call(
            &c,
            Request::Get {
                key: b("/tls/k"),
                revision: 0
            }
        )
        .value
        .value,
        b("v")
    );

    // Without the client certificate the server refuses the handshake.
    let mut no_cert = cl.client_options();
    if let Some(t) = no_cert.tls.as_mut() {
        t.cert.clear();
        t.key.clear();
    }
    let r = call(&Client::new(&cl.endpoints(), no_cert), Request::Head);
    assert!(!r.is_ok());
    // An unreadable file is a clear error, not an empty certificate.
    let mut missing = cl.client_options();
    if let Some(t) = missing.tls.as_mut() {
        t.ca = "/nonexistent/ca.pem".into();
    }
    let r = call(&Client::new(&cl.endpoints(), missing), Request::Head);
    assert_eq!(r.error_code, 3);
    assert!(
        r.error_message.contains("/nonexistent/ca.pem"),
        "{}",
        r.error_message
    );

    // TLS and a password together.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let certs = cl.certs().unwrap().clone();
    let ep = cl.endpoints();
    rt.block_on(async {
        let tls = etcd_client::TlsOptions::new()
            .ca_certificate(etcd_client::Certificate::from_pem(
                std::fs::read(&certs.ca).unwrap(),
            ))
            .identity(etcd_client::Identity::from_pem(
                std::fs::read(&certs.client_cert).unwrap(),
                std::fs::read(&certs.client_key).unwrap(),
            ))
            .domain_name("etcd-server.test");
        let mut c = etcd_client::Client::connect(
            [ep],
            Some(etcd_client::ConnectOptions::new().with_tls(tls)),
        )
        .await
        .unwrap();
        c.user_add("root", "rootpw", None).await.unwrap();
        c.user_grant_role("root", "root").await.unwrap();
        c.auth_enable().await.unwrap();
    });
    let both = Client::new(
        &cl.endpoints(),
        ClientOptions {
            user: Some(("root".into(), "rootpw".into())),
            ..cl.client_options()
        },
    );
    let r = call(
        &both,
        Request::Put {
            key: b("/tls/auth"),
            value: b("v"),
            lease: 0,
        },
    );
    assert!(r.is_ok(), "{r:?}");
}

#[test]
fn jwt_token_made_stale_by_an_auth_change_is_renewed() {
    // JWT tokens carry the auth store revision; after any user or role change etcd refuses them
    // with "revision of auth store is old" until the client logs in again.
    let dir = std::env::temp_dir().join(format!("etcd-cpp-rs-jwt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("jwt.key");
    let public = dir.join("jwt.pub");
    let ok = std::process::Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&key)
        .arg("2048")
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
        && std::process::Command::new("openssl")
            .args(["rsa", "-pubout", "-in"])
            .arg(&key)
            .arg("-out")
            .arg(&public)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .success();
    assert!(ok, "openssl could not make the JWT keys");
    let token = format!(
        "jwt,pub-key={},priv-key={},sign-method=RS256,ttl=300s",
        public.display(),
        key.display()
    );
    let cl = Cluster::start_with(1, &["--auth-token", &token], false);
    enable_auth(&cl);
    let c = Client::new(&cl.endpoints(), with_user("app", "apppw", 300));
    assert!(call(
        &c,
        Request::Put {
            key: b("/app/jwt"),
            value: b("1"),
            lease: 0
        }
    )
    .is_ok());

    // An administrator changes the auth store.
    let root = Client::new(&cl.endpoints(), with_user("root", "rootpw", 300));
    assert!(call(&root, Request::Head).is_ok());
    let ep = cl.endpoints();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let opts = etcd_client::ConnectOptions::new().with_user("root", "rootpw");
        let mut admin = etcd_client::Client::connect([ep], Some(opts))
            .await
            .unwrap();
        admin.user_add("another", "pw", None).await.unwrap();
    });
    let r = call(
        &c,
        Request::Get {
            key: b("/app/jwt"),
            revision: 0,
        },
    );
    assert!(r.is_ok(), "after an auth store change: {r:?}");
    assert_eq!(r.value.value, b("1"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn streams_reopen_with_a_new_token_after_an_auth_change() {
    let dir = std::env::temp_dir().join(format!("etcd-cpp-rs-jwt2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("jwt.key");
    let public = dir.join("jwt.pub");
    assert!(std::process::Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&key)
        .arg("2048")
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success());
    assert!(std::process::Command::new("openssl")
        .args(["rsa", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&public)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success());
    let token = format!(
        "jwt,pub-key={},priv-key={},sign-method=RS256,ttl=300s",
        public.display(),
        key.display()
    );
    let mut cl = Cluster::start_with(1, &["--auth-token", &token], false);
    enable_auth(&cl);
    let c = Client::new(&cl.endpoints(), with_user("app", "apppw", 300));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<u8>>::new()));
    let s = seen.clone();
    let w = Watcher::new(&c, KeyRange::prefix(b("/app/s/")), 0, move |r| {
        s.lock()
            .unwrap()
            .extend(r.events.into_iter().map(|e| e.kv.unwrap().value))
    });
    let ka = etcd_cpp_rs::core::KeepAlive::new(&c, 3, 0, None);
    assert!(ka.lease() != 0);
    assert!(wait_until(Duration::from_secs(10), || {
        call(
            &c,
            Request::Put {
                key: b("/app/s/k"),
                value: b("before"),
                lease: 0,
            },
        );
        !seen.lock().unwrap().is_empty()
    }));
    // Change the auth store, then break the streams: they must come back with a new token.
    let ep = cl.endpoints();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let opts = etcd_client::ConnectOptions::new().with_user("root", "rootpw");
        let mut admin = etcd_client::Client::connect([ep], Some(opts))
            .await
            .unwrap();
        admin.user_add("another", "pw", None).await.unwrap();
    });
    cl.restart(0);
    assert!(
        wait_until(Duration::from_secs(20), || {
            call(
                &c,
                Request::Put {
                    key: b("/app/s/k"),
                    value: b("after"),
                    lease: 0,
                },
            );
            seen.lock().unwrap().contains(&b("after"))
        }),
        "the watcher came back after the auth change"
    );
    assert!(!w.ended());
    // The lease outlives several TTLs across the restart: the keep-alive logged in again too.
    std::thread::sleep(Duration::from_secs(4));
    assert!(ka.check().is_none());
    assert!(
        call(&c, Request::LeaseTimeToLive { id: ka.lease() })
            .value
            .ttl
            > 0
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn server_only_tls() {
    // The server has a certificate but does not ask for the client's.
    let cl = Cluster::start_with(1, &["--client-cert-auth=false"], true);
    let mut only_ca = cl.client_options();
    if let Some(t) = only_ca.tls.as_mut() {
        t.cert.clear();
        t.key.clear();
    }
    let c = Client::new(&cl.endpoints(), only_ca);
    let r = call(
        &c,
        Request::Put {
            key: b("/tls-server-only"),
            value: b("v"),
            lease: 0,
        },
    );
    assert!(r.is_ok(), "{r:?}");
    // Plain HTTP/2 to a TLS port does not work.
    let plain = Client::new(
        &cl.endpoints().replace("https://", "http://"),
        ClientOptions::default(),
    );
    assert!(!call(&plain, Request::Head).is_ok());
}
