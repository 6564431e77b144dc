//! A test extractor that tries to get out of its sandbox, used only by the host's escape
//! tests (`tests/test_escape.py`).
//!
//! `extract` reads the document (text) from stdin. Its lines name the targets the test
//! set up on the host:
//!
//! | line               | target                                                         |
//! |--------------------|----------------------------------------------------------------|
//! | `secret PATH`      | a file on the host the plugin must not read (nor `stat`)       |
//! | `cwd PATH`         | the host process's working directory                           |
//! | `write PATH`       | a host path the plugin must not create                         |
//! | `tcp IP:PORT`      | a listening TCP server on the host (counts connections)        |
//! | `udp IP:PORT`      | a bound UDP socket on the host (counts datagrams)              |
//! | `env NAME`         | an environment variable set in the host process                |
//!
//! Every probe adds one line to the returned page: `PROBE: denied (REASON)` when the
//! sandbox refused it, `PROBE: ALLOWED VALUE` when it got something. Clocks and randomness
//! are reported the same way, with the value read, so the test can tell a real clock from a
//! virtual one.
//!
//! Sockets and name lookup are called through `wasi:sockets` directly (bindings from
//! `wit/`): Rust's std on wasm32-wasip1 has no sockets at all, so its `std::net` probes
//! never reach the host; the direct calls do, and the host's WASI must refuse them.

use std::fmt::Display;
use std::net::{SocketAddr, SocketAddrV4};
use std::time::{SystemTime, UNIX_EPOCH};

use conductor_plugin_sdk::extractor::bindings::engagic::conductor::types::{
    Metadata, Page, Pagination,
};
use conductor_plugin_sdk::extractor::bindings::{
    Document, ExtractError, ExtractOptions, Guest, PluginInfo,
};

mod wasi {
    wit_bindgen::generate!({
        world: "probes",
        path: "wit",
        generate_all,
    });
}

use wasi::wasi::random::{insecure_seed, random};
use wasi::wasi::sockets::ip_name_lookup;
use wasi::wasi::sockets::network::{
    ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress,
};
use wasi::wasi::sockets::{instance_network, tcp_create_socket, udp_create_socket};

/// Name lookups answer asynchronously; without a pollable, ask this many times at most.
const RESOLVE_ATTEMPTS: usize = 10_000;

/// The targets the test named in the document.
#[derive(Default)]
struct Targets {
    secret: Vec<String>,
    cwd: Option<String>,
    write: Vec<String>,
    tcp: Vec<String>,
    udp: Vec<String>,
    env: Vec<String>,
}

impl Targets {
    fn parse(text: &str) -> Self {
        let mut t = Self::default();
        for line in text.lines() {
            let Some((key, value)) = line.trim().split_once(' ') else {
                continue;
            };
            let value = value.trim().to_string();
            match key {
                "secret" => t.secret.push(value),
                "cwd" => t.cwd = Some(value),
                "write" => t.write.push(value),
                "tcp" => t.tcp.push(value),
                "udp" => t.udp.push(value),
                "env" => t.env.push(value),
                _ => {}
            }
        }
        t
    }
}

/// The report: one line per probe.
#[derive(Default)]
struct Report(Vec<String>);

impl Report {
    fn denied(&mut self, probe: &str, why: impl Display) {
        self.0.push(format!("{probe}: denied ({why})"));
    }

    fn allowed(&mut self, probe: &str, what: impl Display) {
        self.0.push(format!("{probe}: ALLOWED {what}"));
    }

    fn outcome<T: Display, E: Display>(&mut self, probe: &str, result: Result<T, E>) {
        match result {
            Ok(v) => self.allowed(probe, v),
            Err(e) => self.denied(probe, e),
        }
    }
}

struct Escape;

impl Guest for Escape {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "escape".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            api_version: conductor_plugin_sdk::API_VERSION.into(),
            formats: vec!["escape".into()],
        }
    }

    fn extract(options: ExtractOptions) -> Result<Document, ExtractError> {
        let bytes = conductor_plugin_sdk::read_document(1 << 20, options.size_hint)
            .map_err(ExtractError::Corrupt)?;
        let targets = Targets::parse(&String::from_utf8_lossy(&bytes));
        let mut report = Report::default();
        probe_files(&targets, &mut report);
        probe_environment(&targets, &mut report);
        probe_network(&targets, &mut report);
        probe_clocks_and_random(&mut report);
        Ok(one_page(report.0.join("\n")))
    }

    /// The same probes; hosts prefer this export (WIT 0.3.0).
    fn extract_json(options: ExtractOptions) -> Result<String, ExtractError> {
        Self::extract(options).map(|doc| conductor_plugin_sdk::extractor::document_json(&doc))
    }
}

fn probe_files(t: &Targets, r: &mut Report) {
    let mut files: Vec<String> = vec![
        "/etc/passwd".into(),
        "/proc/self/environ".into(),
        "../../../../etc/hostname".into(),
        "pyproject.toml".into(),
    ];
    files.extend(t.secret.iter().cloned());
    if let Some(cwd) = &t.cwd {
        files.push(format!("{cwd}/pyproject.toml"));
    }
    for file in &files {
        r.outcome(
            &format!("read {file}"),
            std::fs::read(file).map(|b| format!("{} bytes", b.len())),
        );
    }
    for file in &t.secret {
        r.outcome(
            &format!("stat {file}"),
            std::fs::metadata(file).map(|m| format!("{} bytes", m.len())),
        );
    }
    let mut dirs: Vec<String> = vec!["/".into(), ".".into(), "/tmp".into()];
    dirs.extend(t.cwd.iter().cloned());
    for dir in &dirs {
        r.outcome(
            &format!("list {dir}"),
            std::fs::read_dir(dir).map(|entries| format!("{} entries", entries.count())),
        );
    }
    for path in &t.write {
        r.outcome(
            &format!("write {path}"),
            std::fs::write(path, b"escaped").map(|()| "written"),
        );
    }
}

fn probe_environment(t: &Targets, r: &mut Report) {
    let vars: Vec<(String, String)> = std::env::vars().collect();
    if vars.is_empty() {
        r.denied("env vars", "none visible");
    } else {
        let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
        r.allowed("env vars", names.join(","));
    }
    for name in &t.env {
        r.outcome(&format!("env {name}"), std::env::var(name));
    }
    let args: Vec<String> = std::env::args().collect();
    if args.is_empty() {
        r.denied("args", "none visible");
    } else {
        r.allowed("args", args.join(" "));
    }
    // wasi-libc keeps a virtual working directory of "/"; only the host's own is a leak.
    match (std::env::current_dir(), &t.cwd) {
        (Ok(dir), Some(host)) if dir.to_string_lossy() == host.as_str() => {
            r.allowed("cwd", dir.display());
        }
        (Ok(dir), _) => r.denied("cwd", format_args!("guest sees {}", dir.display())),
        (Err(e), _) => r.denied("cwd", e),
    }
    r.outcome(
        "spawn /bin/sh",
        std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg("true")
            .status(),
    );
}

fn probe_network(t: &Targets, r: &mut Report) {
    for target in &t.tcp {
        r.outcome(
            &format!("tcp std {target}"),
            std::net::TcpStream::connect(target.as_str()).map(|_| "connected"),
        );
        r.outcome(&format!("tcp wasi {target}"), wasi_tcp_connect(target));
    }
    r.outcome("tcp wasi bind 127.0.0.1:0", wasi_tcp_bind());
    for target in &t.udp {
        r.outcome(
            &format!("udp std {target}"),
            std::net::UdpSocket::bind("127.0.0.1:0")
                .and_then(|s| s.send_to(b"escaped", target.as_str()))
                .map(|n| format!("sent {n} bytes")),
        );
    }
    r.outcome("udp wasi bind 0.0.0.0:0", wasi_udp_bind());
    r.outcome("dns wasi localhost", wasi_resolve("localhost"));
}

fn socket_address(target: &str) -> Result<IpSocketAddress, String> {
    let parsed: SocketAddr = target.parse().map_err(|e| format!("{target}: {e}"))?;
    let SocketAddr::V4(v4) = parsed else {
        return Err(format!("{target}: only IPv4 targets are probed"));
    };
    Ok(ipv4(v4))
}

fn ipv4(addr: SocketAddrV4) -> IpSocketAddress {
    let [a, b, c, d] = addr.ip().octets();
    IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port: addr.port(),
        address: (a, b, c, d),
    })
}

fn code(e: ErrorCode) -> String {
    format!("wasi:sockets {}", e.name())
}

fn wasi_tcp_connect(target: &str) -> Result<&'static str, String> {
    let remote = socket_address(target)?;
    let network = instance_network::instance_network();
    let socket = tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4).map_err(code)?;
    socket.start_connect(&network, remote).map_err(code)?;
    Ok("connect started")
}

fn wasi_tcp_bind() -> Result<&'static str, String> {
    let network = instance_network::instance_network();
    let socket = tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4).map_err(code)?;
    let local = ipv4(SocketAddrV4::new([127, 0, 0, 1].into(), 0));
    socket.start_bind(&network, local).map_err(code)?;
    Ok("bind started")
}

fn wasi_udp_bind() -> Result<&'static str, String> {
    let network = instance_network::instance_network();
    let socket = udp_create_socket::create_udp_socket(IpAddressFamily::Ipv4).map_err(code)?;
    let local = ipv4(SocketAddrV4::new([0, 0, 0, 0].into(), 0));
    socket.start_bind(&network, local).map_err(code)?;
    Ok("bind started")
}

fn wasi_resolve(name: &str) -> Result<String, String> {
    let network = instance_network::instance_network();
    let stream = ip_name_lookup::resolve_addresses(&network, name).map_err(code)?;
    let mut found = Vec::new();
    for _ in 0..RESOLVE_ATTEMPTS {
        match stream.resolve_next_address() {
            Ok(Some(IpAddress::Ipv4((a, b, c, d)))) => found.push(format!("{a}.{b}.{c}.{d}")),
            Ok(Some(IpAddress::Ipv6(v6))) => found.push(format!("{v6:x?}")),
            Ok(None) => break,
            Err(ErrorCode::WouldBlock) => std::hint::spin_loop(),
            Err(e) => return Err(code(e)),
        }
    }
    if found.is_empty() {
        Err("no address within the attempts".into())
    } else {
        Ok(found.join(","))
    }
}

fn probe_clocks_and_random(r: &mut Report) {
    // A host that virtualises the wall clock stops it at the epoch: no date leaks.
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) if d.is_zero() => r.denied("clock wall", "stopped at the epoch"),
        Ok(d) => r.allowed(
            "clock wall",
            format_args!("{}.{:09}", d.as_secs(), d.subsec_nanos()),
        ),
        Err(e) => r.denied("clock wall", e),
    }
    let first = std::time::Instant::now();
    let mut spin: u64 = 0;
    for i in 0..1_000_000_u64 {
        spin = std::hint::black_box(spin.wrapping_add(i));
    }
    let elapsed = first.elapsed().as_nanos();
    if elapsed == 0 {
        r.denied("clock monotonic", "constant: 0 ns elapsed over a busy loop");
    } else {
        r.allowed(
            "clock monotonic",
            format_args!("{elapsed} ns elapsed over a busy loop"),
        );
    }
    r.allowed("random", format_args!("{:016x}", random::get_random_u64()));
    let (a, b) = insecure_seed::insecure_seed();
    r.allowed("insecure seed", format_args!("{a:016x}{b:016x}"));
}

fn one_page(text: String) -> Document {
    let chars =
        u32::try_from(text.chars().filter(|c| !c.is_whitespace()).count()).unwrap_or(u32::MAX);
    Document {
        metadata: Metadata {
            title: Some("escape probes".into()),
            author: None,
            subject: None,
            creator: None,
            producer: None,
            created: None,
            modified: None,
            page_count: 1,
        },
        pages: vec![Page {
            number: 1,
            text,
            chars,
            needs_ocr: false,
            ocr_reason: None,
            links: Vec::new(),
        }],
        outline: Vec::new(),
        warnings: Vec::new(),
        headings: Vec::new(),
        pagination: Pagination::Single,
    }
}

conductor_plugin_sdk::extractor::bindings::export!(Escape);
