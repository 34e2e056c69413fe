//! wasm-bindgen tests of the JavaScript surface, run in Node (`wasm-pack test --node`) and in
//! headless Chromium (`wasm-pack test --headless --chrome`, fetching across origins, so through
//! CORS) against the mock that `tests/with-mock.mjs` starts; its address is compiled in from
//! the environment.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Promise, Reflect};
use musement_auth::MusementClient;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

fn mock(name: &str, value: Option<&'static str>) -> &'static str {
    value.unwrap_or_else(|| {
        panic!("{name} is not set: run the wasm tests through tests/with-mock.mjs (make test)")
    })
}

fn base_url() -> &'static str {
    mock(
        "MUSEMENT_MOCK_BASE_URL",
        option_env!("MUSEMENT_MOCK_BASE_URL"),
    )
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
    }
    object.into()
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap()
}

fn credentials() -> Vec<(&'static str, JsValue)> {
    vec![
        ("baseUrl", base_url().into()),
        ("application", "wasm-bindgen-tests".into()),
        (
            "clientId",
            mock(
                "MUSEMENT_MOCK_CLIENT_ID",
                option_env!("MUSEMENT_MOCK_CLIENT_ID"),
            )
            .into(),
        ),
        (
            "clientSecret",
            mock(
                "MUSEMENT_MOCK_CLIENT_SECRET",
                option_env!("MUSEMENT_MOCK_CLIENT_SECRET"),
            )
            .into(),
        ),
        // A test page may hold the mock's secret; a partner's page never should.
        ("dangerouslyAllowBrowser", true.into()),
    ]
}

/// Whether this runs in a page (a `window` and a `document`), not in Node.
fn in_page() -> bool {
    let global = js_sys::global();
    !get(&global, "window").is_undefined() && !get(&global, "document").is_undefined()
}

async fn settle(promise: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

#[wasm_bindgen_test]
fn a_bad_option_throws_a_musement_error() {
    let error = MusementClient::new(object(&[("baseUrl", base_url().into())])).unwrap_err();
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&error, "name"), "MusementError");
    assert_eq!(get(&error, "code"), "invalid_options");
    assert!(get(&error, "message")
        .as_string()
        .unwrap()
        .contains("application"));
}

#[wasm_bindgen_test]
async fn login_then_json_through_the_real_fetch() {
    let client = MusementClient::new(object(&credentials())).unwrap();
    let info = settle(client.login()).await.unwrap();
    assert_eq!(get(&info, "expiresIn"), 3600);
    assert_eq!(get(&info, "tokenType"), "bearer");
    assert!(get(&info, "scope").is_null());
    let cities: Array = settle(client.json("/cities?limit=3".into(), None))
        .await
        .unwrap()
        .unchecked_into();
    assert_eq!(cities.length(), 3);
    assert_eq!(get(&client.stats(), "logins"), 1);
    assert!(!client.token_info().is_undefined());
    client.clear_token();
    assert!(client.token_info().is_undefined());
}

#[wasm_bindgen_test]
async fn an_anonymous_client_reads_the_public_catalog() {
    let client = MusementClient::new(object(&credentials()[..2])).unwrap();
    assert_eq!(get(&client.to_json(), "authenticated"), false);
    let activities: Array = settle(client.json("activities".into(), None))
        .await
        .unwrap()
        .unchecked_into();
    assert!(activities.length() > 0);
    assert_eq!(get(&client.stats(), "logins"), 0);
}

#[wasm_bindgen_test]
async fn api_errors_reject_with_status_and_code() {
    let client = MusementClient::new(object(&credentials())).unwrap();
    let error = settle(client.json("/missing".into(), None))
        .await
        .unwrap_err();
    assert_eq!(get(&error, "code"), "http_error");
    assert_eq!(get(&error, "status"), 404);
    assert_eq!(get(&error, "musementCode"), "404");
    let response = settle(client.fetch("/missing".into(), None)).await.unwrap();
    assert_eq!(get(&response, "status"), 404);
}

#[wasm_bindgen_test]
fn a_secret_in_a_page_needs_the_explicit_flag() {
    let without_flag = &credentials()[..4];
    match MusementClient::new(object(without_flag)) {
        Err(error) => {
            assert!(in_page(), "only a page refuses the secret");
            assert_eq!(get(&error, "code"), "browser_secret");
            assert!(!get(&error, "message")
                .as_string()
                .unwrap()
                .contains("secret-s3cr3t"));
        }
        Ok(_) => assert!(
            !in_page(),
            "a page must refuse a clientSecret without the flag"
        ),
    }
    // Without credentials a page may read the public catalog.
    assert!(MusementClient::new(object(&credentials()[..2])).is_ok());
    assert!(MusementClient::new(object(&credentials())).is_ok());
}
