//! Property-based fuzzing as ordinary tests: a fixed seed and a bounded number of cases, so
//! CI is fast and a failure reproduces. Every parser must return a typed error or a value,
//! never panic. Interesting inputs found are kept in `tests/fuzz-corpus/` and replayed first.
//! (The client's internal parsers, the catalog and the version document, are fuzzed the same
//! way by the library's own unit tests.)

use openstack_compute::operation::Operation;
use openstack_compute::ops::{rebuild, show_instance_action, show_server};
use openstack_compute::{ApiError, Microversion, ResponseMeta};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::{Value, json};
use tests::OPERATIONS;

const CASES: u32 = 512;

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        rng_seed: RngSeed::Fixed(0x0000_c0de_5eed),
        failure_persistence: None,
        ..Config::default()
    })
}

/// Arbitrary JSON, biased toward the shapes Nova uses (objects of known keys).
fn json_value() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "server",
        "id",
        "status",
        "image",
        "flavor",
        "links",
        "href",
        "rel",
        "adminPass",
        "image_id",
        "output",
        "console",
        "type",
        "url",
        "events",
        "instanceAction",
        "instanceActions",
        "event",
        "result",
        "finish_time",
        "start_time",
        "OS-EXT-STS:task_state",
        "addresses",
        "fault",
        "message",
        "code",
        "version",
        "min_version",
        "catalog",
        "endpoints",
        "interface",
        "region",
        "x",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        Just(json!("2026-01-01T00:00:00Z")),
        Just(json!("")),
    ];
    leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone().prop_map(String::from), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn versions() -> impl Strategy<Value = Microversion> {
    (1u16..=104).prop_map(|m| Microversion::new(2, m))
}

fn corpus() -> Vec<Vec<u8>> {
    let dir = tests::workspace_root().join("tests/fuzz-corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn response_and_request_types_never_panic() {
    let v = Microversion::new(2, 100);
    for bytes in corpus() {
        for op in OPERATIONS {
            let _ = (op.request)(v, &bytes);
            let _ = (op.response)(v, &bytes);
        }
    }
    runner()
        .run(
            &(0..OPERATIONS.len(), versions(), json_value(), any::<bool>()),
            |(i, v, value, wrap)| {
                let value = if wrap { json!({"server": value}) } else { value };
                let bytes = serde_json::to_vec(&value).unwrap();
                let op = &OPERATIONS[i];
                let _ = (op.response)(v, &bytes);
                let _ = (op.request)(v, &bytes);
                if let Some(s) = op.stretch(v) {
                    let _ = (s.request)(v, &bytes);
                    if let Some(r) = s.response {
                        let _ = r(v, &bytes);
                    }
                }
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn byte_level_response_parsing_never_panics() {
    let sample = std::fs::read(tests::workspace_root().join("spec/samples/rebuild/response-2.100.json")).unwrap();
    runner()
        .run(
            &(prop::collection::vec(any::<(usize, u8)>(), 0..8), 0usize..sample.len()),
            |(edits, cut)| {
                let mut bytes = sample.clone();
                for (at, b) in edits {
                    let i = at % bytes.len();
                    bytes[i] = b;
                }
                bytes.truncate(cut.max(1));
                let v = Microversion::new(2, 100);
                let _ = rebuild::Request::parse_response(&bytes, Some("http://x/servers/1"), v);
                let _ = show_server::Request::parse_response(&bytes, None, v);
                let _ = show_instance_action::Request::parse_response(&bytes, None, v);
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn fault_bodies_never_panic_and_never_echo_more_than_an_excerpt() {
    runner()
        .run(
            &(json_value(), prop::collection::vec(any::<u8>(), 0..600)),
            |(value, raw)| {
                let meta = ResponseMeta::default();
                let e = ApiError::from_response(meta.clone(), serde_json::to_vec(&value).unwrap().as_slice(), None);
                let _ = e.to_string();
                let e = ApiError::from_response(meta, &raw, None);
                prop_assert!(e.message().chars().count() <= 201);
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn the_spec_loader_never_panics() {
    let stop = std::fs::read_to_string(tests::workspace_root().join("spec/operations/live_migrate.yaml")).unwrap();
    runner()
        .run(
            &(prop::collection::vec(any::<(usize, char)>(), 0..6), 0usize..stop.len()),
            |(edits, cut)| {
                let mut text: Vec<char> = stop.chars().collect();
                for (at, c) in edits {
                    let i = at % text.len();
                    text[i] = c;
                }
                text.truncate(cut.max(1));
                let text: String = text.into_iter().collect();
                let _ = serde_saphyr::from_str::<xtask::spec::OpSpec>(&text);
                Ok(())
            },
        )
        .unwrap();
}
