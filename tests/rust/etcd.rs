//! Test harness: real etcd servers (Debian's /usr/bin/etcd, or $ETCD_BIN) on free loopback ports, each with a
//! temporary data directory, single members or three-member clusters. Stopped on drop.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static SEQ: AtomicUsize = AtomicUsize::new(0);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Polls `cond` every few milliseconds until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The text of a member's `/metrics` (Prometheus format), read over plain HTTP.
pub fn metrics(endpoint: &str) -> Option<String> {
    use std::io::{Read, Write};
    let authority = endpoint.trim_start_matches("http://");
    let mut s = TcpStream::connect(authority).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET /metrics HTTP/1.0\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    Some(text)
}

/// The sum of a gRPC server counter of a member (`grpc_server_started_total`,
/// `grpc_server_handled_total`, ...) over all its lines for `method` (all result codes).
pub fn grpc_counter(endpoint: &str, counter: &str, method: &str) -> Option<f64> {
    let text = metrics(endpoint)?;
    let label = format!("grpc_method=\"{method}\"");
    let mut found = false;
    let mut sum = 0.0;
    for l in text.lines() {
        let Some(rest) = l.strip_prefix(counter).and_then(|r| r.strip_prefix('{')) else {
            continue;
        };
        let Some((labels, value)) = rest.split_once("} ") else {
            continue;
        };
        if labels.split(',').any(|x| x == label) {
            sum += value.trim().parse::<f64>().ok()?;
            found = true;
        }
    }
    found.then_some(sum)
}

struct Member {
    name: String,
    client_port: u16,
    peer_port: u16,
    data_dir: PathBuf,
    child: Option<Running>,
}

struct Running {
    shell: Child,
    etcd_pid: u32,
}

/// A running cluster.
pub struct Cluster {
    members: Vec<Member>,
    initial_cluster: String,
    token: String,
    dir: PathBuf,
    extra: Vec<String>,
    tls: Option<Certs>,
}

/// Certificates made with openssl for a TLS cluster: a CA, a server certificate for the name
/// `etcd-server.test` (and no IP), and a client certificate.
#[derive(Clone, Debug)]
pub struct Certs {
    pub ca: String,
    pub server_cert: String,
    pub server_key: String,
    pub client_cert: String,
    pub client_key: String,
}

impl Certs {
    fn make(dir: &std::path::Path) -> Certs {
        let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
        let run = |args: &[&str]| {
            let st = Command::new("openssl")
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("openssl");
            assert!(st.success(), "openssl {args:?}");
        };
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=DNS:etcd-server.test\nextendedKeyUsage=serverAuth,clientAuth\n",
        )
        .unwrap();
        std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
        run(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=test-ca",
            "-keyout",
            &p("ca.key"),
            "-out",
            &p("ca.crt"),
        ]);
        for who in ["server", "client"] {
            run(&[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                &format!("/CN={who}"),
                "-keyout",
                &p(&format!("{who}.key")),
                "-out",
                &p(&format!("{who}.csr")),
            ]);
            run(&[
                "x509",
                "-req",
                "-in",
                &p(&format!("{who}.csr")),
                "-CA",
                &p("ca.crt"),
                "-CAkey",
                &p("ca.key"),
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                &p(&format!("{who}.ext")),
                "-out",
                &p(&format!("{who}.crt")),
            ]);
        }
        Certs {
            ca: p("ca.crt"),
            server_cert: p("server.crt"),
            server_key: p("server.key"),
            client_cert: p("client.crt"),
            client_key: p("client.key"),
        }
    }
}

impl Cluster {
    /// Starts `n` members and waits until each answers.
    pub fn start(n: usize) -> Cluster {
        Self::start_with(n, &[], false)
    }

    /// Starts `n` members with extra etcd flags, optionally serving clients over TLS with
    /// client-certificate authentication (certificates in [`Cluster::certs`]).
    pub fn start_with(n: usize, extra: &[&str], tls: bool) -> Cluster {
        let id = format!(
            "{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        let dir = std::env::temp_dir().join(format!("etcd-cpp-rs-test-{id}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let members: Vec<Member> = (0..n)
            .map(|i| Member {
                name: format!("m{i}"),
                client_port: free_port(),
                peer_port: free_port(),
                data_dir: dir.join(format!("m{i}.etcd")),
                child: None,
            })
            .collect();
        let initial_cluster = members
            .iter()
            .map(|m| format!("{}=http://127.0.0.1:{}", m.name, m.peer_port))
            .collect::<Vec<_>>()
            .join(",");
        let certs = tls.then(|| Certs::make(&dir));
        let extra = extra.iter().map(|s| s.to_string()).collect();
        let mut c = Cluster {
            members,
            initial_cluster,
            token: format!("t-{id}"),
            dir,
            extra,
            tls: certs,
        };
        for i in 0..n {
            c.spawn(i);
        }
        for i in 0..n {
            assert!(
                c.wait_ready(i, Duration::from_secs(30)),
                "etcd member {i} did not start; log in {}",
                c.dir.display()
            );
        }
        c
    }

    /// Starts member `i` under a small shell that SIGKILLs it as soon as its stdin closes, so no
    /// etcd outlives the test process, however that process ends.
    fn spawn(&mut self, i: usize) {
        let m = &self.members[i];
        let log = self.dir.join(format!("{}.log", m.name));
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let mut tls_args: Vec<String> = Vec::new();
        if let Some(c) = &self.tls {
            for (flag, v) in [
                ("--cert-file", &c.server_cert),
                ("--key-file", &c.server_key),
            ] {
                tls_args.push(flag.into());
                tls_args.push(v.clone());
            }
            // A cluster asked for `--client-cert-auth=false` serves TLS without asking for client
            // certificates (etcd also asks for them whenever it has a trusted CA file).
            if !self.extra.iter().any(|a| a == "--client-cert-auth=false") {
                tls_args.extend([
                    "--trusted-ca-file".into(),
                    c.ca.clone(),
                    "--client-cert-auth".into(),
                ]);
            }
        }
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#""${ETCD_BIN:-etcd}" "$@" >>"$ETCD_TEST_LOG" 2>&1 & echo $!; read cmd; kill -9 $! 2>/dev/null; wait; [ "$cmd" = keep ] || rm -rf "$ETCD_TEST_DATA""#)
            .arg("sh")
            .args(["--name", &m.name, "--data-dir"])
            .arg(&m.data_dir)
            .args(["--listen-client-urls", &format!("{scheme}://127.0.0.1:{}", m.client_port)])
            .args(["--advertise-client-urls", &format!("{scheme}://127.0.0.1:{}", m.client_port)])
            .args(["--listen-peer-urls", &format!("http://127.0.0.1:{}", m.peer_port)])
            .args(["--initial-advertise-peer-urls", &format!("http://127.0.0.1:{}", m.peer_port)])
            .args(["--initial-cluster", &self.initial_cluster])
            .args(["--initial-cluster-token", &self.token, "--initial-cluster-state", "new"])
            .args(["--heartbeat-interval", "50", "--election-timeout", "500", "--log-level", "warn"])
            .args(&tls_args)
            .args(&self.extra)
            .env("ETCD_TEST_LOG", &log)
            .env("ETCD_TEST_DATA", &m.data_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sh");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
            &mut line,
        )
        .expect("etcd pid");
        let pid: u32 = line
            .trim()
            .parse()
            .expect("etcd pid (is /usr/bin/etcd installed? apt-get install etcd-server)");
        self.members[i].child = Some(Running {
            shell: child,
            etcd_pid: pid,
        });
    }

    /// Waits until member `i` serves a linearizable read.
    pub fn wait_ready(&self, i: usize, timeout: Duration) -> bool {
        let ep = self.endpoint(i);
        let port = self.members[i].client_port;
        wait_until(timeout, || {
            if TcpStream::connect(("127.0.0.1", port)).is_err() {
                return false;
            }
            let c = etcd_cpp_rs::core::Client::new(&ep, self.client_options());
            let code = c
                .execute_blocking(etcd_cpp_rs::core::Request::Get {
                    key: b"/__ready".to_vec(),
                    revision: 0,
                })
                .error_code;
            // 100: served; 3 (no user), 7 or 16: served, but auth is on.
            matches!(code, 100 | 3 | 7 | 16)
        })
    }

    /// The log file of member `i`.
    pub fn log_path(&self, i: usize) -> PathBuf {
        self.dir.join(format!("{}.log", self.members[i].name))
    }

    /// The certificates of a TLS cluster.
    pub fn certs(&self) -> Option<&Certs> {
        self.tls.as_ref()
    }

    /// Options that reach this cluster (TLS with the client certificate, if it has TLS).
    pub fn client_options(&self) -> etcd_cpp_rs::core::ClientOptions {
        let mut o = etcd_cpp_rs::core::ClientOptions::default();
        if let Some(c) = &self.tls {
            o.tls = Some(etcd_cpp_rs::core::client::TlsFiles {
                ca: c.ca.clone(),
                cert: c.client_cert.clone(),
                key: c.client_key.clone(),
                target_name_override: "etcd-server.test".into(),
            });
        }
        o
    }

    /// `http://127.0.0.1:p1,http://127.0.0.1:p2,...`
    pub fn endpoints(&self) -> String {
        (0..self.members.len())
            .map(|i| self.endpoint(i))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Endpoint of member `i`.
    pub fn endpoint(&self, i: usize) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.members[i].client_port)
    }

    /// SIGKILLs member `i` (its data stays, for [`Cluster::restart`]).
    pub fn kill(&mut self, i: usize) {
        if let Some(mut r) = self.members[i].child.take() {
            if let Some(mut stdin) = r.shell.stdin.take() {
                let _ = std::io::Write::write_all(&mut stdin, b"keep\n");
            }
            let _ = r.shell.wait();
        }
    }

    /// Starts member `i` again with its data and waits until it serves.
    pub fn restart(&mut self, i: usize) {
        self.kill(i);
        self.spawn(i);
        assert!(
            self.wait_ready(i, Duration::from_secs(30)),
            "member {i} did not come back"
        );
    }

    /// SIGSTOPs (`true`) or SIGCONTs member `i`.
    pub fn freeze(&self, i: usize, stop: bool) {
        if let Some(r) = &self.members[i].child {
            let sig = if stop { "-STOP" } else { "-CONT" };
            let _ = Command::new("kill")
                .args([sig, &r.etcd_pid.to_string()])
                .status();
        }
    }

    /// Index of the member that is the raft leader now, if one answers as such.
    pub fn leader(&self) -> Option<usize> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        (0..self.members.len()).find(|&i| {
            let ep = self.endpoint(i);
            rt.block_on(async move {
                let Ok(mut c) = etcd_client::Client::connect([ep], None).await else {
                    return false;
                };
                match c.status().await {
                    Ok(s) => s.header().is_some_and(|h| h.member_id() == s.leader()),
                    Err(_) => false,
                }
            })
        })
    }

    /// A port nothing listens on.
    pub fn dead_endpoint() -> String {
        format!("http://127.0.0.1:{}", free_port())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.members.len() {
            self.freeze(i, false);
            if let Some(mut r) = self.members[i].child.take() {
                drop(r.shell.stdin.take());
                let _ = r.shell.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
