//! Hardening: TLS (self-signed certificates made at test time), faults from a server the
//! test controls byte by byte, and the no-duplicate rule for action POSTs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use openstack_compute::{Compute, Config, Error, ErrorKind, Microversion, VersionStrategy};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SERVER: &str = "0a7e6f1c-2b3d-4e5f-8a9b-0c1d2e3f4a5b";
const VERSION_DOC: &str = r#"{"version": {"version": "2.100", "min_version": "2.1"}}"#;

fn pinned(endpoint: &str) -> openstack_compute::config::ConfigBuilder {
    Config::builder()
        .static_endpoint(endpoint, "tok")
        .version(VersionStrategy::Pinned(Microversion::new(2, 100)))
        .initial_backoff(Duration::from_millis(1))
}

/// A raw HTTP/1.1 server: answers version discovery normally and hands every other request
/// to `behave`, which writes whatever bytes it likes. Counts the POSTs it received.
async fn raw_server<F, Fut>(behave: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let posts = Arc::new(AtomicUsize::new(0));
    let counter = posts.clone();
    let behave = Arc::new(behave);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let behave = behave.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut n = 0;
                while !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf[n..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(m) => n += m,
                    }
                }
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                if head.starts_with("GET /v2.1/ ") {
                    let r = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{VERSION_DOC}",
                        VERSION_DOC.len()
                    );
                    let _ = stream.write_all(r.as_bytes()).await;
                    return;
                }
                if head.starts_with("POST") {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                behave(stream).await;
            });
        }
    });
    (format!("http://{addr}/v2.1"), posts)
}

#[tokio::test]
async fn connection_reset_mid_body_is_a_transport_error_and_the_post_is_not_repeated() {
    let (endpoint, posts) = raw_server(|mut s| async move {
        let _ = s
            .write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"output\": \"par",
            )
            .await;
        drop(s);
    })
    .await;
    let compute = Compute::new(pinned(&endpoint).build().unwrap()).unwrap();
    let err = compute.server(SERVER).get_console_output().send().await.unwrap_err();
    assert!(matches!(err, Error::Transport { connect: false, .. }), "{err:?}");
    assert_eq!(
        posts.load(Ordering::SeqCst),
        1,
        "an action POST that reached the server is never re-sent"
    );
}

#[tokio::test]
async fn a_body_slower_than_the_timeout_times_out_once() {
    let (endpoint, posts) = raw_server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 20\r\n\r\n{\"out")
            .await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let compute = Compute::new(
        pinned(&endpoint)
            .request_timeout(Duration::from_millis(300))
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = compute.server(SERVER).get_console_output().send().await.unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_eq!(posts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_ten_mebibyte_body_is_refused_by_the_cap() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2.1/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERSION_DOC, "application/json"))
        .mount(&server)
        .await;
    let huge = format!("{{\"output\": \"{}\"}}", "x".repeat(10 * 1024 * 1024));
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-openstack-request-id", "req-big")
                .set_body_raw(huge, "application/json"),
        )
        .mount(&server)
        .await;
    let compute = Compute::new(
        pinned(&format!("{}/v2.1", server.uri()))
            .max_body_bytes(1024 * 1024)
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = compute.server(SERVER).get_console_output().send().await.unwrap_err();
    assert!(matches!(err, Error::BodyTooLarge { limit: 1048576, .. }), "{err:?}");
    assert!(err.to_string().contains("[request req-big]"));
}

/// The cap holds at its exact size, whether the body says its length or comes in chunks:
/// `limit` bytes are read whole, `limit + 1` are refused.
#[tokio::test]
async fn the_body_cap_holds_at_its_exact_size_with_a_length_and_in_chunks() {
    const LIMIT: usize = 64;
    // `{"output": "xxxx"}` of exactly `len` bytes.
    let body = |len: usize| format!("{{\"output\": \"{}\"}}", "x".repeat(len - 14));
    let with_length = |text: String| {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        )
    };
    // Three chunks; hyper hands each to the client on its own.
    let chunked = |text: String| {
        let (a, rest) = text.split_at(10);
        let (b, c) = rest.split_at(20);
        let mut r =
            String::from("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n");
        for part in [a, b, c] {
            r += &format!("{:x}\r\n{part}\r\n", part.len());
        }
        r + "0\r\n\r\n"
    };
    for (name, response) in [
        ("length, at the cap", with_length(body(LIMIT))),
        ("chunks, at the cap", chunked(body(LIMIT))),
        ("length, one over", with_length(body(LIMIT + 1))),
        ("chunks, one over", chunked(body(LIMIT + 1))),
    ] {
        let (endpoint, _) = raw_server(move |mut s| {
            let response = response.clone();
            async move {
                let _ = s.write_all(response.as_bytes()).await;
            }
        })
        .await;
        let compute = Compute::new(pinned(&endpoint).max_body_bytes(LIMIT).build().unwrap()).unwrap();
        let result = compute.server(SERVER).get_console_output().send().await;
        if name.ends_with("at the cap") {
            let out = result.unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(out.output, "x".repeat(LIMIT - 14), "{name}");
        } else {
            let err = result.unwrap_err();
            assert!(
                matches!(err, Error::BodyTooLarge { limit: LIMIT, .. }),
                "{name}: {err:?}"
            );
        }
    }
}

#[tokio::test]
async fn invalid_utf8_and_html_with_200_are_decode_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2.1/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERSION_DOC, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(b"{\"output\": \"\xff\xfe\"}".to_vec(), "application/json"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>maintenance</html>", "text/html"))
        .mount(&server)
        .await;
    let compute = Compute::new(pinned(&format!("{}/v2.1", server.uri())).build().unwrap()).unwrap();
    for _ in 0..2 {
        let err = compute.server(SERVER).get_console_output().send().await.unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    }
}

#[tokio::test]
async fn redirects_are_not_followed_and_the_token_stays_home() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2.1/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERSION_DOC, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(307).insert_header("location", format!("{}/steal", elsewhere.uri()).as_str()),
        )
        .mount(&server)
        .await;
    let compute = Compute::new(pinned(&format!("{}/v2.1", server.uri())).build().unwrap()).unwrap();
    let err = compute.server(SERVER).stop().send().await.unwrap_err();
    assert_eq!(err.status(), Some(307));
    assert_eq!(
        err.api().unwrap().meta.location(),
        Some(format!("{}/steal", elsewhere.uri()).as_str())
    );
}

#[tokio::test]
async fn keystone_answers_without_a_token_header_or_without_compute() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/a/v3/auth/tokens"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"token": {"expires_at": "2099-01-01T00:00:00Z", "catalog": []}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/b/v3/auth/tokens"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("x-subject-token", "t")
                .set_body_json(json!({"token": {"expires_at": "2099-01-01T00:00:00Z", "catalog": [{"type": "identity", "endpoints": []}]}})),
        )
        .mount(&server)
        .await;
    let no_header = Config::builder()
        .password_auth(&format!("{}/a/v3", server.uri()), "u", "p", "p")
        .build()
        .unwrap();
    let err = Compute::new(no_header)
        .unwrap()
        .server(SERVER)
        .stop()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "authentication failed: Keystone's answer has no X-Subject-Token header"
    );
    let no_compute = Config::builder()
        .password_auth(&format!("{}/b/v3", server.uri()), "u", "p", "p")
        .build()
        .unwrap();
    let err = Compute::new(no_compute)
        .unwrap()
        .server(SERVER)
        .stop()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no compute endpoint: the catalog has no service of type `compute`"
    );
}

#[tokio::test]
async fn service_unavailable_is_retried_for_reads_with_or_without_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2.1/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERSION_DOC, "application/json"))
        .mount(&server)
        .await;
    let show = format!("/v2.1/servers/{SERVER}");
    Mock::given(method("GET"))
        .and(path(show.as_str()))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(show.as_str()))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(show.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(tests::mock::server_json(SERVER, "ACTIVE")))
        .mount(&server)
        .await;
    let compute = Compute::new(pinned(&format!("{}/v2.1", server.uri())).build().unwrap()).unwrap();
    let shown = compute.server(SERVER).show().send().await.unwrap();
    assert_eq!(shown.status.as_str(), "ACTIVE");
    let gets = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == show)
        .count();
    assert_eq!(gets, 3);
}

#[tokio::test]
async fn dns_failure_and_tls_handshake_failure_are_transport_errors() {
    let dns = Config::builder()
        .password_auth("http://keystone.does-not-exist.invalid/v3", "u", "p", "p")
        .max_retries(0)
        .build()
        .unwrap();
    let err = Compute::new(dns)
        .unwrap()
        .server(SERVER)
        .stop()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { connect: true, .. }), "{err:?}");
    // https to a plain-HTTP port.
    let server = MockServer::start().await;
    let https = server.uri().replace("http://", "https://");
    let err = Compute::new(pinned(&format!("{https}/v2.1")).max_retries(0).build().unwrap())
        .unwrap()
        .server(SERVER)
        .stop()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

/// A TLS server with a certificate for 127.0.0.1 signed by a CA made now; returns its URL and
/// the CA in PEM.
async fn tls_server() -> (String, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut buf = vec![0u8; 65536];
                let mut n = 0;
                while !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf[n..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(m) => n += m,
                    }
                }
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let r = if head.starts_with("GET") {
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{VERSION_DOC}",
                        VERSION_DOC.len()
                    )
                } else {
                    "HTTP/1.1 202 Accepted\r\nx-openstack-request-id: req-tls\r\ncontent-length: 0\r\n\r\n".to_string()
                };
                let _ = tls.write_all(r.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://127.0.0.1:{}/v2.1", addr.port()), ca.as_ref().pem())
}

#[tokio::test]
async fn self_signed_tls_rejected_by_default_accepted_with_the_ca_or_insecure() {
    let (endpoint, ca_pem) = tls_server().await;
    let err = Compute::new(pinned(&endpoint).max_retries(0).build().unwrap())
        .unwrap()
        .server(SERVER)
        .stop()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");

    let ca_file = std::env::temp_dir().join(format!("osc-test-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_file, ca_pem).unwrap();
    let with_ca = pinned(&endpoint)
        .set("cacert", ca_file.display().to_string())
        .build()
        .unwrap();
    let out = Compute::new(with_ca)
        .unwrap()
        .server(SERVER)
        .stop()
        .send()
        .await
        .unwrap();
    assert_eq!(openstack_compute::RequestId::request_id(&out), Some("req-tls"));

    let insecure = pinned(&endpoint).set("insecure", "true").build().unwrap();
    Compute::new(insecure)
        .unwrap()
        .server(SERVER)
        .stop()
        .send()
        .await
        .unwrap();
    let _ = std::fs::remove_file(ca_file);
}

#[tokio::test]
async fn post_503_is_not_retried_but_a_refused_connection_is() {
    // The listener answers version discovery on one connection, closes it and goes away: the
    // POST's connection is then refused, so the POST provably reached no server, and is
    // tried max_retries + 1 times (each retry is a debug event of the transport).
    let (capture, _guard) = tests::capture::Capture::install(tracing::Level::DEBUG);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/v2.1", listener.local_addr().unwrap());
    let discovery = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf).await.unwrap();
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{VERSION_DOC}",
            VERSION_DOC.len()
        );
        stream.write_all(answer.as_bytes()).await.unwrap();
        // The listener is dropped here: nothing accepts on the port any more.
    });
    let compute = Compute::new(pinned(&endpoint).max_retries(2).build().unwrap()).unwrap();
    compute.server_versions().await.unwrap();
    discovery.await.unwrap();
    let err = compute.server(SERVER).stop().send().await.unwrap_err();
    assert!(matches!(err, Error::Transport { connect: true, .. }), "{err:?}");
    let log = capture.text();
    assert_eq!(log.matches("retrying").count(), 2, "{log}");

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2.1/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERSION_DOC, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let compute = Compute::new(
        pinned(&format!("{}/v2.1", server.uri()))
            .max_retries(5)
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = compute.server(SERVER).stop().send().await.unwrap_err();
    assert_eq!(err.api().unwrap().kind, ErrorKind::Unavailable);
}
