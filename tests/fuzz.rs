//! The fuzz target: the login and error parsers, the JSON reader under them, and path
//! resolution, each checked against an independent oracle (serde_json, the WHATWG `url`
//! crate) on inputs mutated from the committed corpus (tests/fuzz-corpus/) and generated.
//!
//! It runs for FUZZ_SECONDS (make test: 30) and is ignored by a plain `cargo test`:
//!
//!     FUZZ_SECONDS=30 cargo test --test fuzz -- --ignored
#![cfg(not(target_arch = "wasm32"))]

use musement_auth::json::{self, Json};
use musement_auth::response::{parse_error, parse_login, MAX_EXPIRES_IN_SECONDS};
use musement_auth::url::{parse_base, resolve, Target};
use musement_auth::Secret;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

const BASE: &str = "https://api.musement.com/api/v3";

fn corpus(kind: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-corpus")
        .join(kind);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus folder")
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries
        .into_iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
        .collect()
}

/// A corpus entry, cut, spliced or with characters inserted, or generated text.
fn mutated(seeds: Vec<String>, alphabet: &'static str) -> impl Strategy<Value = String> {
    let pieces: Vec<char> = alphabet.chars().collect();
    let seed = proptest::sample::select(seeds);
    let edit = (
        any::<prop::sample::Index>(),
        proptest::collection::vec(proptest::sample::select(pieces), 0..4),
        0..4u8,
    );
    prop_oneof![
        2 => (seed.clone(), proptest::collection::vec(edit, 0..4)).prop_map(|(mut s, edits)| {
            for (at, insert, action) in edits {
                let chars: Vec<char> = s.chars().collect();
                let i = if chars.is_empty() { 0 } else { at.index(chars.len() + 1) };
                let (head, tail) = chars.split_at(i.min(chars.len()));
                let insert: String = insert.into_iter().collect();
                s = match action {
                    0 => head.iter().collect(),                                       // truncate
                    1 => head.iter().chain(tail.iter().skip(1)).collect(),            // delete one
                    2 => format!("{}{}{}", head.iter().collect::<String>(), insert, tail.iter().collect::<String>()),
                    _ => format!("{}{}", tail.iter().collect::<String>(), head.iter().collect::<String>()),
                };
            }
            s
        }),
        1 => seed,
        1 => any::<String>(),
    ]
}

/// serde_json's reading of `text` with duplicate keys detected (serde_json keeps the last).
struct Checked {
    duplicates: bool,
    depth: usize,
}

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Checked;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
                Ok(Checked {
                    duplicates: false,
                    depth: 0,
                })
            }
            fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
                Ok(Checked {
                    duplicates: false,
                    depth: 0,
                })
            }
            fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
                Ok(Checked {
                    duplicates: false,
                    depth: 0,
                })
            }
            fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
                Ok(Checked {
                    duplicates: false,
                    depth: 0,
                })
            }
            fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
                Ok(Checked {
                    duplicates: false,
                    depth: 0,
                })
            }
            fn visit_unit<E>(self) -> Result<Checked, E> {
                Ok(Checked {
                    duplicates: false,
                    depth: 0,
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
                let mut out = Checked {
                    duplicates: false,
                    depth: 1,
                };
                while let Some(c) = seq.next_element::<Checked>()? {
                    out.duplicates |= c.duplicates;
                    out.depth = out.depth.max(c.depth + 1);
                }
                Ok(out)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
                let mut out = Checked {
                    duplicates: false,
                    depth: 1,
                };
                let mut keys = HashSet::new();
                while let Some(key) = map.next_key::<String>()? {
                    out.duplicates |= !keys.insert(key);
                    let c = map.next_value::<Checked>()?;
                    out.duplicates |= c.duplicates;
                    out.depth = out.depth.max(c.depth + 1);
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

fn finite(value: &Json) -> bool {
    match value {
        Json::Number(n) => n.is_finite(),
        Json::Array(items) => items.iter().all(finite),
        Json::Object(members) => members.iter().all(|(_, v)| finite(v)),
        _ => true,
    }
}

fn same(ours: &Json, theirs: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (ours, theirs) {
        (Json::Null, Value::Null) => true,
        (Json::Bool(a), Value::Bool(b)) => a == b,
        (Json::Number(a), Value::Number(b)) => {
            // Within a billionth, or both below anything an f64 holds at full precision.
            let b = b.as_f64().unwrap();
            (a - b).abs() <= 1e-9 * b.abs().max(1e-290)
        }
        (Json::String(a), Value::String(b)) => a == b,
        (Json::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Json::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        _ => false,
    }
}

/// The JSON reader agrees with serde_json, except where it is stricter by design: duplicate
/// keys, nesting beyond 32, and (where serde_json errs) numbers too large for an f64.
fn check_json(text: &str) -> Result<(), TestCaseError> {
    let ours = json::parse(text);
    let checked = serde_json::from_str::<Checked>(text);
    match (&ours, checked) {
        (None, Ok(c)) => prop_assert!(c.duplicates || c.depth > 32, "rejected valid JSON {text:?}"),
        (Some(v), Err(_)) => prop_assert!(!finite(v), "accepted invalid JSON {text:?}"),
        (Some(v), Ok(c)) => {
            prop_assert!(!c.duplicates && c.depth <= 32, "accepted {text:?}");
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            prop_assert!(same(v, &theirs), "read {text:?} as {v:?}");
        }
        (None, Err(_)) => {}
    }
    Ok(())
}

/// The login parser accepts exactly what the rules allow, read by serde_json.
fn check_login(text: &str) -> Result<(), TestCaseError> {
    let ours = parse_login(text);
    let theirs = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .filter(|_| json::parse(text).is_some());
    let expected = theirs.as_ref().and_then(|v| v.as_object()).and_then(|o| {
        let token = o.get("access_token")?.as_str().filter(|t| !t.is_empty())?;
        let lifetime = o
            .get("expires_in")?
            .as_f64()
            .filter(|n| *n > 0.0 && *n <= MAX_EXPIRES_IN_SECONDS)?;
        o.get("token_type")?
            .as_str()
            .filter(|t| t.eq_ignore_ascii_case("bearer"))?;
        let scope_ok = matches!(
            o.get("scope"),
            None | Some(serde_json::Value::Null | serde_json::Value::String(_))
        );
        scope_ok.then_some((token.to_owned(), lifetime))
    });
    match (ours, expected) {
        (Ok(answer), Some((token, lifetime))) => {
            prop_assert_eq!(answer.access_token.expose(), token.as_str());
            prop_assert!((answer.expires_in - lifetime).abs() < 1e-6);
        }
        (Err(e), None) => prop_assert_eq!(e.code(), "invalid_response"),
        (ours, expected) => prop_assert!(false, "{text:?}: parsed {ours:?}, expected {expected:?}"),
    }
    Ok(())
}

/// Error bodies never panic, never exceed 500 characters, and never show a secret.
fn check_error(text: &str) -> Result<(), TestCaseError> {
    let secret = Secret::new("s3cr3t-Value");
    let with_secret = text.replacen("Invalid", "s3cr3t-Value", 1);
    let api = parse_error(&with_secret, &[&secret]);
    for field in [&api.code, &api.message].into_iter().flatten() {
        prop_assert!(field.chars().count() <= 500);
        prop_assert!(!field.contains("s3cr3t-Value"), "{field:?}");
    }
    Ok(())
}

/// A target the resolver sends to the API has, by the WHATWG parser, the base's origin.
fn check_url(input: &str) -> Result<(), TestCaseError> {
    let base = parse_base(BASE).unwrap();
    let whatwg_base = url::Url::parse(&format!("{BASE}/")).unwrap();
    match resolve(&base, input) {
        Target::Api(resolved) => {
            let parsed = url::Url::parse(&resolved);
            prop_assert!(
                parsed.is_ok(),
                "{input:?} resolved to an unparsable {resolved:?}"
            );
            prop_assert_eq!(
                parsed.unwrap().origin(),
                whatwg_base.origin(),
                "{:?} left the origin",
                input
            );
            if let Ok(absolute) = url::Url::parse(input) {
                prop_assert_eq!(
                    absolute.origin(),
                    whatwg_base.origin(),
                    "{:?} is another origin",
                    input
                );
            }
        }
        Target::Foreign => {}
    }
    if let Ok(ours) = parse_base(input) {
        let theirs = url::Url::parse(input);
        prop_assert!(theirs.is_ok(), "accepted base {input:?}");
        let theirs = theirs.unwrap();
        prop_assert_eq!(
            ours.origin,
            theirs.origin().ascii_serialization(),
            "base {:?}",
            input
        );
    }
    Ok(())
}

fn fuzz(
    name: &str,
    strategy: impl Strategy<Value = String>,
    check: impl Fn(&str) -> Result<(), TestCaseError>,
) {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let config = Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    };
    let mut cases = 0u64;
    while Instant::now() < deadline {
        // A fresh runner each round: a fresh random seed, and the case count starts again.
        let mut runner = TestRunner::new(config.clone());
        if let Err(failure) = runner.run(&strategy, |input| check(&input)) {
            panic!("{name}: {failure}");
        }
        cases += u64::from(config.cases);
    }
    println!("fuzz {name}: {cases} cases in {seconds} s, clean");
}

const JSON_ALPHABET: &str = "{}[]\",:\\ \n0123456789.eE+-truefalsnul\u{e9}\u{0}";
const URL_ALPHABET: &str = "/\\@#?:.%2e \t\nhtpsHTPSapi.musement.comevil[]1";

#[test]
#[ignore = "runs for FUZZ_SECONDS; make test runs it"]
fn fuzz_json_reader() {
    fuzz("json", mutated(corpus("json"), JSON_ALPHABET), check_json);
}

#[test]
#[ignore = "runs for FUZZ_SECONDS; make test runs it"]
fn fuzz_login_parser() {
    fuzz("login", mutated(corpus("json"), JSON_ALPHABET), check_login);
}

#[test]
#[ignore = "runs for FUZZ_SECONDS; make test runs it"]
fn fuzz_error_parser() {
    fuzz("error", mutated(corpus("json"), JSON_ALPHABET), check_error);
}

#[test]
#[ignore = "runs for FUZZ_SECONDS; make test runs it"]
fn fuzz_path_resolution() {
    fuzz("url", mutated(corpus("url"), URL_ALPHABET), check_url);
}

#[test]
fn the_corpus_passes_every_check() {
    for text in corpus("json") {
        check_json(&text).unwrap();
        check_login(&text).unwrap();
        check_error(&text).unwrap();
    }
    for text in corpus("url") {
        check_url(&text).unwrap();
    }
}
