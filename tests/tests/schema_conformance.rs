//! Schema conformance without Nova: for every action and every microversion range of Nova's
//! request schemas (`derived/action-map.json`), the SDK builds the body (every field valid
//! there set, and only the required ones) through the per-version type, and Nova's own JSON
//! schema for that range must accept it. Runs where `../shared/reference` exists (CI has it).

use openstack_compute::Microversion;
use serde_json::{Value, json};
use xtask::spec::{FieldSpec, Location, Range, Version};
use xtask::types::TypeExpr;

fn value_for(t: &TypeExpr, types: &[(std::path::PathBuf, xtask::spec::TypeSpec)], v: Version) -> Value {
    match t {
        TypeExpr::Scalar("string") => json!("abc1"),
        TypeExpr::Scalar("secret") => json!("pw-1"),
        TypeExpr::Scalar("integer") | TypeExpr::Scalar("integerish") => json!(1),
        TypeExpr::Scalar("boolean") | TypeExpr::Scalar("boolish") | TypeExpr::Scalar("block_migration") => json!(true),
        TypeExpr::Scalar("id") => json!("1"),
        TypeExpr::Scalar(_) => json!("abc1"),
        TypeExpr::List(inner) => json!([value_for(inner, types, v)]),
        TypeExpr::Map(inner) => json!({"k1": value_for(inner, types, v)}),
        TypeExpr::EmptyOr(inner) => value_for(inner, types, v),
        TypeExpr::Named(name) => {
            let ty = &types.iter().find(|(_, t)| &t.name == name).expect("a known type").1;
            if !ty.values.is_empty() {
                let ok = ty
                    .values
                    .iter()
                    .find(|e| e.since.is_none_or(|s| s <= v) && e.until.is_none_or(|u| v <= u))
                    .unwrap();
                json!(ok.json)
            } else {
                let mut o = serde_json::Map::new();
                for f in &ty.fields {
                    o.insert(f.json.clone(), value_for(&TypeExpr::parse(&f.ty).unwrap(), types, v));
                }
                Value::Object(o)
            }
        }
    }
}

fn present(f: &FieldSpec, op: Range, v: Version) -> bool {
    f.location == Location::Body && f.since.unwrap_or(op.since) <= v && v <= f.until.unwrap_or(op.until)
}

fn required(f: &FieldSpec, op: Range, v: Version) -> bool {
    let r = Range {
        since: f.since.unwrap_or(op.since),
        until: f.until.unwrap_or(op.until),
    };
    f.required.range(r).is_some_and(|rr| rr.contains(v))
}

#[test]
fn every_request_body_the_sdk_builds_passes_novas_schema() {
    let root = tests::workspace_root();
    let reference = root.join("../shared/reference/nova");
    assert!(
        reference.is_dir(),
        "../shared/reference is required for this test (CI has it)"
    );
    let spec = xtask::codegen::load(&root).unwrap();
    let map: Value =
        serde_json::from_str(&std::fs::read_to_string(reference.join("derived/action-map.json")).unwrap()).unwrap();
    let schemas_dir = reference.join("nova-src/nova/api/openstack/compute/schemas");
    let mut checked = 0;
    let mut failures = Vec::new();
    for action in map["actions"].as_array().unwrap() {
        let key = action["body_key"].as_str().unwrap();
        let Some((_, op)) = spec.ops.iter().find(|(_, o)| o.key.as_deref() == Some(key)) else {
            panic!("no op for {key}")
        };
        if op.never_succeeds.is_some() {
            continue;
        }
        let op_range = Range {
            since: op.since,
            until: op.until.unwrap_or(Version::MAX),
        };
        let req = op.request.as_ref().unwrap();
        for s in action["request_schemas"].as_array().unwrap() {
            let (module, var) = s["schema"].as_str().unwrap().split_once('.').unwrap();
            let doc: Value =
                serde_json::from_str(&std::fs::read_to_string(schemas_dir.join(format!("{module}.json"))).unwrap())
                    .unwrap();
            let schema = &doc[var];
            if schema.as_object().is_none_or(|o| o.is_empty()) {
                continue; // Nova validates nothing here.
            }
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .build(schema)
                .unwrap();
            let lo = s["min"]
                .as_str()
                .map(|t| Version::parse(t).unwrap())
                .unwrap_or(op_range.since)
                .max(op_range.since);
            let hi = s["max"]
                .as_str()
                .map(|t| Version::parse(t).unwrap())
                .unwrap_or(op_range.until)
                .min(op_range.until);
            if hi < lo {
                continue; // a range of the legacy v2.0 API only
            }
            for v in [lo, hi] {
                for only_required in [false, true] {
                    let mut inner = serde_json::Map::new();
                    for f in req.fields.iter().filter(|f| present(f, op_range, v)) {
                        if only_required && !required(f, op_range, v) {
                            continue;
                        }
                        let value = match f.json.as_str() {
                            // Formats Nova checks: give those fields well-formed values.
                            "address" | "fixed_address" => json!("10.0.0.1"),
                            "accessIPv4" => json!("192.0.2.1"),
                            "accessIPv6" => json!("2001:db8::1"),
                            "imageRef" | "rescue_image_ref" => json!("155d900f-4e14-4e4c-a73d-069cbf4541e6"),
                            _ => value_for(&TypeExpr::parse(&f.ty).unwrap(), &spec.types, v),
                        };
                        inner.insert(f.json.clone(), value);
                    }
                    let body_in = json!({key: Value::Object(inner)});
                    let mv = Microversion::new(v.major, v.minor);
                    let parts = match openstack_compute::__private::sample_parts(&op.name, mv, &body_in) {
                        Some(Ok(p)) => p,
                        Some(Err(e)) => {
                            failures.push(format!("{} at {v}: the SDK refused {body_in}: {e}", op.name));
                            continue;
                        }
                        None => panic!("no operation {}", op.name),
                    };
                    let body = parts.body.unwrap();
                    if let Err(e) = validator.validate(&body) {
                        failures.push(format!(
                            "{} at {v} ({}): {body} rejected by {module}.{var}: {e}",
                            op.name,
                            if only_required { "required only" } else { "all fields" }
                        ));
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 80, "checked {checked} bodies");
    println!("{checked} request bodies accepted by Nova's schemas");
}
