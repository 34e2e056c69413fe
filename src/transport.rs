//! The HTTP seam: what the client asks of the platform's `fetch`.

use crate::error::Error;
use crate::headers;
use crate::json;
use crate::options::{Credentials, Options};
use crate::secret::Secret;

/// `POST /login`, ready to send. The body holds the secret, so it is a [`Secret`] too.
#[derive(Debug, Clone)]
pub struct LoginRequest {
    /// `{baseUrl}/login`
    pub url: String,
    /// The headers, lower-case names.
    pub headers: Vec<(&'static str, String)>,
    /// `{"client_id":…,"client_secret":…,"grant_type":…}`
    pub body: Secret,
}

/// A status and a body read as text (at most [`crate::response::MAX_BODY_BYTES`] of it).
/// `Debug` leaves the body out: a login answer holds the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: String,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("body", &format_args!("[{} bytes]", self.body.len()))
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

impl LoginRequest {
    /// The login request for these options and credentials.
    pub fn new(options: &Options, credentials: &Credentials) -> Self {
        let body = format!(
            "{{\"client_id\":{},\"client_secret\":{},\"grant_type\":{}}}",
            json::quote(&credentials.client_id),
            json::quote(credentials.client_secret.expose()),
            json::quote(&credentials.grant_type),
        );
        LoginRequest {
            url: format!("{}/login", options.base.base),
            headers: headers::login(options),
            body: Secret::new(body),
        }
    }
}

/// What the client needs from the platform's HTTP.
///
/// Each attempt is bounded by `timeoutMs` inside the implementation, which reports
/// [`Error::Timeout`] or [`Error::NetworkError`] when no answer came.
#[allow(async_fn_in_trait)] // single-threaded wasm: no `Send` bound is wanted
pub trait Transport {
    /// An API request, prepared by the platform with the client's default headers merged in.
    type Request;
    /// What the platform's `fetch` resolves to.
    type Response;

    /// Sends `POST /login` and reads the body.
    async fn login(&self, request: &LoginRequest) -> Result<Reply, Error>;

    /// Sends an API request, with `Authorization: Bearer <token>` when `token` is given.
    async fn send(
        &self,
        request: &Self::Request,
        token: Option<&Secret>,
    ) -> Result<Self::Response, Error>;

    /// The response's HTTP status.
    fn status(&self, response: &Self::Response) -> u16;

    /// Whether the request can be sent a second time (its body is not a consumed stream).
    fn replayable(&self, request: &Self::Request) -> bool;

    /// Whether the request is a GET or a HEAD, which may be retried after a failure.
    fn idempotent(&self, request: &Self::Request) -> bool;

    /// The response's `Retry-After` header, if any.
    fn retry_after(&self, response: &Self::Response) -> Option<String>;

    /// Reads an error body as text, at most 64 KiB of it; an unreadable body is empty.
    async fn error_text(&self, response: Self::Response) -> String;

    /// Releases a response that will not be read.
    fn discard(&self, response: Self::Response);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{self, Json};
    use crate::options::tests::raw;
    use crate::options::Raw;

    #[test]
    fn the_login_request() {
        let mut r = raw();
        r.client_id = Raw::Str("id \"quoted\"\n".into());
        r.client_secret = Raw::Str(Secret::new("se\\cret\u{1}é"));
        let options = Options::validate(r, false).unwrap();
        let request = LoginRequest::new(&options, options.credentials.as_ref().unwrap());
        assert_eq!(request.url, "https://sandbox.musement.com/api/v3/login");
        assert_eq!(format!("{:?}", request.body), "[redacted]");
        let body = json::parse(request.body.expose()).unwrap();
        assert_eq!(
            body.get("client_id"),
            Some(&Json::String("id \"quoted\"\n".into()))
        );
        assert_eq!(
            body.get("client_secret"),
            Some(&Json::String("se\\cret\u{1}é".into()))
        );
        assert_eq!(
            body.get("grant_type"),
            Some(&Json::String("client_credentials".into()))
        );
        assert!(!format!("{request:?}").contains("cret"));
    }
}

/// A transport for tests: a tiny Musement of its own that issues tokens, accepts only live
/// ones, records every request and can be told to fail.
#[cfg(test)]
#[allow(missing_debug_implementations)]
pub mod fake {
    use super::{LoginRequest, Reply, Transport};
    use crate::error::Error;
    use crate::secret::Secret;
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use std::future::poll_fn;
    use std::rc::Rc;
    use std::task::{Poll, Waker};

    /// An API request as the fake sees it.
    #[derive(Debug, Clone)]
    pub struct FakeRequest {
        /// The path.
        pub path: String,
        /// Whether its body could be sent again.
        pub replayable: bool,
        /// Whether it is a GET or HEAD.
        pub idempotent: bool,
    }

    impl FakeRequest {
        /// A GET of `path`.
        pub fn get(path: &str) -> Self {
            FakeRequest {
                path: path.into(),
                replayable: true,
                idempotent: true,
            }
        }
        /// A POST to `path` with a body that can be sent again.
        pub fn post(path: &str) -> Self {
            FakeRequest {
                path: path.into(),
                replayable: true,
                idempotent: false,
            }
        }
    }

    /// An answer.
    #[derive(Debug, Clone, PartialEq)]
    pub struct FakeResponse {
        /// The status.
        pub status: u16,
        /// The body.
        pub body: String,
        /// `Retry-After`
        pub retry_after: Option<String>,
    }

    impl FakeResponse {
        /// An answer with `status` and a Musement error body.
        pub fn status(status: u16) -> Self {
            FakeResponse {
                status,
                body: format!(r#"{{"code":"{status}","message":"scripted"}}"#),
                retry_after: None,
            }
        }
    }

    #[derive(Default)]
    struct State {
        expires_in: f64,
        issued: Vec<String>,
        live: Vec<String>,
        login_script: VecDeque<Result<Reply, Error>>,
        api_script: VecDeque<Result<FakeResponse, Error>>,
        logins_seen: Vec<LoginRequest>,
        sent: Vec<(String, Option<String>)>,
        hold_logins: bool,
        stalls: usize,
        reject_all: bool,
        waiting: Vec<Waker>,
    }

    /// The fake; clones share one state.
    #[derive(Clone, Default)]
    pub struct FakeTransport {
        state: Rc<RefCell<State>>,
        released: Rc<Cell<u64>>,
    }

    impl FakeTransport {
        /// A fake that issues tokens valid for `expires_in` seconds.
        pub fn new(expires_in: f64) -> Self {
            let fake = FakeTransport::default();
            fake.state.borrow_mut().expires_in = expires_in;
            fake
        }
        /// The next login answers `reply` instead of issuing a token.
        pub fn script_login(&self, reply: Result<Reply, Error>) {
            self.state.borrow_mut().login_script.push_back(reply);
        }
        /// The next API request gets `reply` instead of the usual answer.
        pub fn script_api(&self, reply: Result<FakeResponse, Error>) {
            self.state.borrow_mut().api_script.push_back(reply);
        }
        /// Logins wait until [`release_logins`](Self::release_logins).
        pub fn hold_logins(&self) {
            self.state.borrow_mut().hold_logins = true;
        }
        /// The next login never gets an answer, like one whose request was cancelled.
        pub fn stall_next_login(&self) {
            self.state.borrow_mut().stalls += 1;
        }
        /// Lets held logins go on.
        pub fn release_logins(&self) {
            let mut state = self.state.borrow_mut();
            state.hold_logins = false;
            state.waiting.drain(..).for_each(Waker::wake);
        }
        /// Every token issued so far stops working.
        pub fn revoke_all(&self) {
            self.state.borrow_mut().live.clear();
        }
        /// Every API request answers 401, whatever its token.
        pub fn reject_all(&self) {
            self.state.borrow_mut().reject_all = true;
        }
        /// How many `POST /login` were received.
        pub fn logins(&self) -> usize {
            self.state.borrow().logins_seen.len()
        }
        /// The login requests received.
        pub fn login_requests(&self) -> Vec<LoginRequest> {
            self.state.borrow().logins_seen.clone()
        }
        /// API requests received: path and `Authorization`.
        pub fn sent(&self) -> Vec<(String, Option<String>)> {
            self.state.borrow().sent.clone()
        }
        /// Tokens issued.
        pub fn issued(&self) -> Vec<String> {
            self.state.borrow().issued.clone()
        }
    }

    impl Transport for FakeTransport {
        type Request = FakeRequest;
        type Response = FakeResponse;

        async fn login(&self, request: &LoginRequest) -> Result<Reply, Error> {
            let stalled = {
                let mut state = self.state.borrow_mut();
                state.logins_seen.push(request.clone());
                let stalled = state.stalls > 0;
                state.stalls = state.stalls.saturating_sub(1);
                stalled
            };
            if stalled {
                std::future::pending::<()>().await;
            }
            poll_fn(|cx| {
                let mut state = self.state.borrow_mut();
                if state.hold_logins {
                    state.waiting.push(cx.waker().clone());
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            })
            .await;
            let mut state = self.state.borrow_mut();
            if let Some(scripted) = state.login_script.pop_front() {
                return scripted;
            }
            let token = format!("token-{}", state.issued.len() + 1);
            state.issued.push(token.clone());
            state.live.push(token.clone());
            Ok(Reply {
                status: 200,
                body: format!(
                    r#"{{"access_token":"{token}","expires_in":{},"token_type":"bearer","scope":null}}"#,
                    state.expires_in
                ),
                retry_after: None,
            })
        }

        async fn send(
            &self,
            request: &FakeRequest,
            token: Option<&Secret>,
        ) -> Result<FakeResponse, Error> {
            let mut state = self.state.borrow_mut();
            state.sent.push((
                request.path.clone(),
                token.map(|t| format!("Bearer {}", t.expose())),
            ));
            if let Some(scripted) = state.api_script.pop_front() {
                return scripted;
            }
            let ok = match token {
                _ if state.reject_all => false,
                None => true,
                Some(t) => state.live.iter().any(|live| live == t.expose()),
            };
            Ok(if ok {
                FakeResponse {
                    status: 200,
                    body: "[]".into(),
                    retry_after: None,
                }
            } else {
                FakeResponse {
                    status: 401,
                    body: r#"{"code":"1401","message":"Invalid or expired access token"}"#.into(),
                    retry_after: None,
                }
            })
        }

        fn status(&self, response: &FakeResponse) -> u16 {
            response.status
        }

        fn replayable(&self, request: &FakeRequest) -> bool {
            request.replayable
        }

        fn idempotent(&self, request: &FakeRequest) -> bool {
            request.idempotent
        }

        fn retry_after(&self, response: &FakeResponse) -> Option<String> {
            response.retry_after.clone()
        }

        async fn error_text(&self, response: FakeResponse) -> String {
            response.body
        }

        fn discard(&self, _response: FakeResponse) {
            self.released.set(self.released.get() + 1);
        }
    }
}
