//! The client's logic, independent of any platform: the token lifecycle around each call.

use crate::cache::{self, TokenCache};
use crate::clock::Clock;
use crate::error::Error;
use crate::options::{Credentials, Options};
use crate::response::{api_error, parse_error, parse_login};
use crate::retry::{self, Outcome};
use crate::secret::{scrub, Secret};
use crate::token::{Flight, Token, TokenInfo, TokenStore};
use crate::transport::{LoginRequest, Reply, Transport};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

/// Counters since construction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Successful logins.
    pub logins: u32,
    /// Extra attempts after a failure.
    pub retries: u32,
    /// Tokens taken from the token cache instead of a login.
    pub cache_hits: u32,
}

type LoginFlight = Flight<Result<Token, Error>>;

/// How many tokens are remembered: those the API rejected, so that none is taken from the
/// cache again, and those recently used, so that none can reach an error message even after
/// the store has dropped it.
const REMEMBERED_TOKENS: usize = 4;

/// Slack on top of a login's own deadline before a waiter deems it lost.
const LOGIN_SLACK_MS: f64 = 1_000.0;

struct State<Timer> {
    store: TokenStore,
    /// The login under way: its number, whether it may take a cached token, and the flight.
    flight: Option<(u64, bool, Rc<LoginFlight>)>,
    flights: u64,
    expiry: Option<Timer>,
    /// Tokens the API answered 401 to, newest last.
    rejected: Vec<Secret>,
    /// Tokens kept recently, newest last; every error is scrubbed of them.
    recent: Vec<Secret>,
    disposed: bool,
}

/// Appends `token` to `list`, keeping the newest [`REMEMBERED_TOKENS`].
fn remember(list: &mut Vec<Secret>, token: &Secret) {
    if !list.contains(token) {
        if list.len() == REMEMBERED_TOKENS {
            list.remove(0);
        }
        list.push(token.clone());
    }
}

/// The client: options, a transport, a clock, a token cache, and the token store they serve.
///
/// It lives in an `Rc` because logins and timers outlive the call that starts them.
pub struct Core<T: Transport, C: Clock, K: TokenCache> {
    options: Options,
    cache_key: String,
    transport: T,
    clock: C,
    cache: K,
    state: RefCell<State<C::Timer>>,
    stats: Cell<Stats>,
    this: Weak<Self>,
}

impl<T: Transport, C: Clock, K: TokenCache> std::fmt::Debug for Core<T, C, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Options redact the secret themselves; the token store is left out altogether.
        f.debug_struct("Core")
            .field("options", &self.options)
            .field("stats", &self.stats.get())
            .finish_non_exhaustive()
    }
}

impl<T: Transport + 'static, C: Clock + 'static, K: TokenCache + 'static> Core<T, C, K> {
    /// A client with no token yet.
    pub fn new(options: Options, transport: T, clock: C, cache: K) -> Rc<Self> {
        let cache_key = match &options.credentials {
            Some(c) => cache::key(&options.base.base, &c.client_id),
            None => String::new(),
        };
        Rc::new_cyclic(|this| Core {
            cache_key,
            state: RefCell::new(State {
                store: TokenStore::new(options.refresh_margin_ms),
                flight: None,
                flights: 0,
                expiry: None,
                rejected: Vec::new(),
                recent: Vec::new(),
                disposed: false,
            }),
            options,
            transport,
            clock,
            cache,
            stats: Cell::new(Stats::default()),
            this: this.clone(),
        })
    }

    /// The validated options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Counters since construction.
    pub fn stats(&self) -> Stats {
        self.stats.get()
    }

    fn count(&self, bump: impl FnOnce(&mut Stats)) {
        let mut stats = self.stats.get();
        bump(&mut stats);
        self.stats.set(stats);
    }

    fn credentials(&self) -> Result<&Credentials, Error> {
        self.options
            .credentials
            .as_ref()
            .ok_or(Error::InvalidOptions {
                field: "clientId".into(),
                problem: "and clientSecret are needed to log in",
            })
    }

    /// `Err(Disposed)` once the client has been disposed.
    pub fn check_live(&self) -> Result<(), Error> {
        if self.state.borrow().disposed {
            Err(Error::Disposed)
        } else {
            Ok(())
        }
    }

    /// What must never appear in an error: the client secret and every recent token.
    fn secrets(&self) -> Vec<Secret> {
        let mut secrets = self.state.borrow().recent.clone();
        secrets.extend(
            self.options
                .credentials
                .as_ref()
                .map(|c| c.client_secret.clone()),
        );
        secrets
    }

    /// `error` with any secret or recent token cut out of the text it carries from outside.
    fn scrubbed(&self, error: Error) -> Error {
        match error {
            Error::NetworkError { detail } => {
                let secrets = self.secrets();
                let refs: Vec<&Secret> = secrets.iter().collect();
                Error::NetworkError {
                    detail: scrub(&detail, &refs),
                }
            }
            other => other,
        }
    }

    /// Performs `POST /login` now (joining one already under way) and keeps the token.
    pub async fn login(&self) -> Result<TokenInfo, Error> {
        self.check_live()?;
        self.credentials()?;
        self.shared_login(false).await.map(|t| t.info)
    }

    /// A valid token, logging in only when the store has none.
    pub async fn access_token(&self) -> Result<Secret, Error> {
        self.token().await.map(|t| t.access_token)
    }

    async fn token(&self) -> Result<Token, Error> {
        self.check_live()?;
        self.credentials()?;
        if let Some(token) = self.state.borrow().store.valid(self.clock.now_ms()) {
            return Ok(token.clone());
        }
        self.shared_login(true).await
    }

    /// How long a login may take before its waiters deem it lost: every attempt may take
    /// `timeoutMs` and every wait between attempts at most as long, the token cache's get and
    /// put `timeoutMs` each, and a second of slack.
    fn login_budget_ms(&self) -> f64 {
        let spans = f64::from(3 + 2 * self.options.max_retries);
        f64::from(self.options.timeout_ms) * spans + LOGIN_SLACK_MS
    }

    /// Joins the login under way, or starts one, and waits for it in the caller's own context.
    /// A login still running well past its own deadline is deemed lost (workerd cancels the
    /// I/O of a request that has ended, and with it a login that request started) and is
    /// replaced, once.
    async fn shared_login(&self, use_cache: bool) -> Result<Token, Error> {
        let limit = self.login_budget_ms();
        for _ in 0..2 {
            let (id, flight) = self.join_flight(use_cache);
            if let Some(outcome) = self.clock.wait(flight.join(), limit).await {
                return outcome;
            }
            self.forget_flight(id);
        }
        Err(Error::Timeout {
            after_ms: self.options.timeout_ms,
        })
    }

    /// Stops offering login number `id` to new callers, unless another has replaced it.
    fn forget_flight(&self, id: u64) {
        let mut state = self.state.borrow_mut();
        if state
            .flight
            .as_ref()
            .is_some_and(|(current, ..)| *current == id)
        {
            state.flight = None;
        }
    }

    /// The login under way, or a new one. A caller that must `POST /login` (`use_cache`
    /// false) does not join a login that may end with a cached token.
    fn join_flight(&self, use_cache: bool) -> (u64, Rc<LoginFlight>) {
        let mut state = self.state.borrow_mut();
        if let Some((id, cached, flight)) = &state.flight {
            if use_cache || !cached {
                return (*id, flight.clone());
            }
        }
        state.flights += 1;
        let id = state.flights;
        let this = self.this.clone();
        let flight = Flight::new(async move {
            let core = this.upgrade().ok_or(Error::Disposed)?;
            let outcome = core.perform_login(use_cache).await;
            core.forget_flight(id);
            outcome
        });
        state.flight = Some((id, use_cache, flight.clone()));
        (id, flight)
    }

    /// A valid token from the cache that the API has not rejected.
    async fn cached_token(&self) -> Option<Token> {
        let token = cache::decode(&self.cache.get(&self.cache_key).await?)?;
        let state = self.state.borrow();
        let rejected = state.rejected.contains(&token.access_token);
        let valid = self.clock.now_ms() < state.store.refresh_at(&token.info);
        (valid && !rejected).then_some(token)
    }

    async fn perform_login(&self, use_cache: bool) -> Result<Token, Error> {
        let credentials = self.credentials()?;
        if use_cache {
            if let Some(token) = self.cached_token().await {
                self.check_live()?;
                self.keep(token.clone());
                self.count(|s| s.cache_hits += 1);
                return Ok(token);
            }
        }
        let request = LoginRequest::new(&self.options, credentials);
        let (reply, sent_at) = self.login_with_retries(&request).await?;
        if !(200..300).contains(&reply.status) {
            let secrets = self.secrets();
            let api = parse_error(&reply.body, &secrets.iter().collect::<Vec<_>>());
            return Err(Error::LoginFailed {
                status: reply.status,
                api,
            });
        }
        let token = Token::from_answer(parse_login(&reply.body)?, sent_at);
        self.check_live()?;
        self.keep(token.clone());
        self.count(|s| s.logins += 1);
        let ttl = cache::ttl_seconds(&token.info, self.options.refresh_margin_ms);
        self.cache
            .put(&self.cache_key, &cache::encode(&token), ttl)
            .await;
        Ok(token)
    }

    /// `POST /login`, tried again on 429, 5xx and network errors. Returns the last answer and
    /// when its request was sent.
    async fn login_with_retries(&self, request: &LoginRequest) -> Result<(Reply, f64), Error> {
        let mut retries = 0;
        loop {
            let sent_at = self.clock.now_ms();
            let outcome = self
                .transport
                .login(request)
                .await
                .map_err(|e| self.scrubbed(e));
            let (kind, retry_after) = match &outcome {
                Ok(reply) => (Outcome::Status(reply.status), reply.retry_after.as_deref()),
                Err(error) => (Outcome::of_error(error), None),
            };
            if !retry::login_retryable(kind) || !self.pause_before_retry(retries, retry_after).await
            {
                return outcome.map(|reply| (reply, sent_at));
            }
            retries += 1;
        }
    }

    /// Waits before retry number `retries` and counts it; false when no retry is left or the
    /// wait would be too long.
    async fn pause_before_retry(&self, retries: u32, retry_after: Option<&str>) -> bool {
        if retries >= self.options.max_retries {
            return false;
        }
        let retry_after = retry_after.and_then(|v| retry::retry_after_ms(v, self.clock.now_ms()));
        let Some(wait) = retry::wait_ms(
            retries,
            self.clock.jitter(),
            retry_after,
            self.options.timeout_ms,
        ) else {
            return false;
        };
        self.clock.sleep(wait).await;
        self.count(|s| s.retries += 1);
        true
    }

    /// Stores `token` and arms the timer that drops it when it stops being valid.
    fn keep(&self, token: Token) {
        let delay = {
            let store = &self.state.borrow().store;
            store.refresh_at(&token.info) - self.clock.now_ms()
        };
        let generation = {
            let mut state = self.state.borrow_mut();
            remember(&mut state.recent, &token.access_token);
            state.store.put(token)
        };
        let this = self.this.clone();
        let timer = self.clock.set_timer(
            delay,
            Box::new(move || {
                if let Some(core) = this.upgrade() {
                    let mut state = core.state.borrow_mut();
                    state.store.expire(generation);
                    state.expiry = None;
                }
            }),
        );
        // Replacing the old timer drops, and so cancels, it.
        self.state.borrow_mut().expiry = Some(timer);
    }

    /// Drops the token that a 401 condemned, with its timer, and remembers it, so that it is
    /// never taken from the cache again.
    fn condemn(&self, token: &Secret) {
        let mut state = self.state.borrow_mut();
        if state.store.clear_if(token) {
            state.expiry = None;
        }
        remember(&mut state.rejected, token);
    }

    /// Sends an API request with a token, when the client has credentials. A 401 drops the
    /// token, logs in once more and repeats the request once, if it can be replayed; a second
    /// 401 is [`Error::Unauthorized`].
    pub async fn send(&self, request: &T::Request) -> Result<T::Response, Error> {
        self.check_live()?;
        if self.options.credentials.is_none() {
            return self.send_with_retries(request, None).await;
        }
        let token = self.access_token().await?;
        let response = self.attempt(request, &token).await?;
        if self.transport.status(&response) != 401 {
            return Ok(response);
        }
        self.condemn(&token);
        if !self.transport.replayable(request) {
            return Err(self.unauthorized(response).await);
        }
        self.transport.discard(response);
        let fresh = self.access_token().await?;
        let response = self.attempt(request, &fresh).await?;
        if self.transport.status(&response) != 401 {
            return Ok(response);
        }
        self.condemn(&fresh);
        Err(self.unauthorized(response).await)
    }

    async fn attempt(&self, request: &T::Request, token: &Secret) -> Result<T::Response, Error> {
        self.send_with_retries(request, Some(token)).await
    }

    /// Sends a request, tried again when it is a GET or HEAD that met a network error, 429 or
    /// 503.
    async fn send_with_retries(
        &self,
        request: &T::Request,
        token: Option<&Secret>,
    ) -> Result<T::Response, Error> {
        let idempotent = self.transport.idempotent(request);
        let mut retries = 0;
        loop {
            let outcome = self
                .transport
                .send(request, token)
                .await
                .map_err(|e| self.scrubbed(e));
            let (kind, retry_after) = match &outcome {
                Ok(response) => (
                    Outcome::Status(self.transport.status(response)),
                    self.transport.retry_after(response),
                ),
                Err(error) => (Outcome::of_error(error), None),
            };
            if !retry::api_retryable(idempotent, kind)
                || !self
                    .pause_before_retry(retries, retry_after.as_deref())
                    .await
            {
                return outcome;
            }
            if let Ok(response) = outcome {
                self.transport.discard(response);
            }
            retries += 1;
        }
    }

    async fn unauthorized(&self, response: T::Response) -> Error {
        let body = self.transport.error_text(response).await;
        self.api_error(401, &body)
    }

    /// The error for a non-2xx API answer, its message scrubbed of the client secret and of
    /// every recent token (the one the request carried among them, even if dropped since).
    pub fn api_error(&self, status: u16, body: &str) -> Error {
        let secrets = self.secrets();
        api_error(status, body, &secrets.iter().collect::<Vec<_>>())
    }

    /// What is known of the current token, if it is still valid.
    pub fn token_info(&self) -> Option<TokenInfo> {
        let state = self.state.borrow();
        state
            .store
            .valid(self.clock.now_ms())
            .map(|t| t.info.clone())
    }

    /// Forgets the token now.
    pub fn clear_token(&self) {
        let mut state = self.state.borrow_mut();
        state.store.clear();
        state.expiry = None;
    }

    /// Forgets the token and cancels the timer; every later call fails with
    /// [`Error::Disposed`]. A login under way ends for its current waiters, whose calls then
    /// fail with [`Error::Disposed`] too; its token is not kept.
    pub fn dispose(&self) {
        let mut state = self.state.borrow_mut();
        state.store.clear();
        state.expiry = None;
        state.flight = None;
        state.disposed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::fake::FakeCache;
    use crate::clock::fake::FakeClock;
    use crate::error::ApiError;
    use crate::options::{tests::raw, Raw, RawOptions};
    use crate::transport::fake::{FakeRequest, FakeResponse, FakeTransport};
    use crate::transport::Reply;
    use futures::executor::{block_on, LocalPool};
    use futures::task::LocalSpawnExt;

    const T0: f64 = 1_700_000_000_000.0;

    type TestCore = Rc<Core<FakeTransport, FakeClock, FakeCache>>;

    fn core_with(
        edit: impl FnOnce(&mut RawOptions),
        transport: &FakeTransport,
        clock: &FakeClock,
        cache: &FakeCache,
    ) -> TestCore {
        let mut r = raw();
        edit(&mut r);
        let options = Options::validate(r, false).unwrap();
        Core::new(options, transport.clone(), clock.clone(), cache.clone())
    }

    fn client_with(
        edit: impl FnOnce(&mut RawOptions),
        expires_in: f64,
    ) -> (TestCore, FakeTransport, FakeClock) {
        let transport = FakeTransport::new(expires_in);
        let clock = FakeClock::starting_at(T0);
        let core = core_with(edit, &transport, &clock, &FakeCache::default());
        (core, transport, clock)
    }

    /// Two clients with the same credentials and one shared cache, as two isolates of a
    /// Worker share one KV namespace.
    fn two_isolates() -> (TestCore, TestCore, FakeTransport, FakeClock, FakeCache) {
        let (transport, clock, cache) = (
            FakeTransport::new(3600.0),
            FakeClock::starting_at(T0),
            FakeCache::default(),
        );
        let first = core_with(|_| {}, &transport, &clock, &cache);
        let second = core_with(|_| {}, &transport, &clock, &cache);
        (first, second, transport, clock, cache)
    }

    /// Runs `future` to completion, moving the clock to the next timer whenever it waits.
    fn drive<F>(clock: &FakeClock, future: F) -> F::Output
    where
        F: std::future::Future + 'static,
        F::Output: 'static,
    {
        let mut pool = LocalPool::new();
        let output = Rc::new(RefCell::new(None));
        {
            let output = output.clone();
            pool.spawner()
                .spawn_local(async move {
                    let value = future.await;
                    *output.borrow_mut() = Some(value);
                })
                .unwrap();
        }
        loop {
            pool.run_until_stalled();
            if let Some(value) = output.borrow_mut().take() {
                return value;
            }
            assert!(
                clock.advance_to_next_timer(),
                "stalled with no timer pending"
            );
        }
    }

    /// `n` tasks that each ask for a token and record it.
    fn spawn_token_callers(
        pool: &LocalPool,
        core: &TestCore,
        n: usize,
    ) -> Rc<RefCell<Vec<String>>> {
        let tokens = Rc::new(RefCell::new(Vec::new()));
        for _ in 0..n {
            let (core, tokens) = (core.clone(), tokens.clone());
            pool.spawner()
                .spawn_local(async move {
                    let token = core.access_token().await.unwrap();
                    tokens.borrow_mut().push(token.expose().to_owned());
                })
                .unwrap();
        }
        tokens
    }

    fn reply(status: u16, retry_after: Option<&str>) -> Reply {
        Reply {
            status,
            body: format!(r#"{{"code":"{status}","message":"scripted"}}"#),
            retry_after: retry_after.map(str::to_owned),
        }
    }

    fn client(expires_in: f64) -> (TestCore, FakeTransport, FakeClock) {
        client_with(|_| {}, expires_in)
    }

    #[test]
    fn login_sends_the_credentials_and_keeps_the_token() {
        let (core, transport, _) = client(3600.0);
        let info = block_on(core.login()).unwrap();
        assert_eq!(info.expires_at_ms, T0 + 3_600_000.0);
        assert_eq!(info.expires_in_s, 3600.0);
        assert_eq!(info.token_type, "bearer");
        let requests = transport.login_requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].url, "https://sandbox.musement.com/api/v3/login");
        assert_eq!(
            requests[0].body.expose(),
            r#"{"client_id":"id","client_secret":"the-secret","grant_type":"client_credentials"}"#
        );
        assert_eq!(block_on(core.access_token()).unwrap().expose(), "token-1");
        assert_eq!(core.stats().logins, 1);
        // login() always logs in, even with a valid token.
        block_on(core.login()).unwrap();
        assert_eq!(transport.logins(), 2);
        assert_eq!(block_on(core.access_token()).unwrap().expose(), "token-2");
    }

    #[test]
    fn a_token_is_used_until_the_margin_then_replaced() {
        // expires_in 3 s with a 1 s margin: valid for 2 s after the login was sent.
        let (core, transport, clock) =
            client_with(|r| r.refresh_margin_seconds = Raw::Num(1.0), 3.0);
        block_on(core.access_token()).unwrap();
        clock.advance(1_300.0);
        block_on(core.access_token()).unwrap();
        assert_eq!(transport.logins(), 1);
        assert!(core.token_info().is_some());
        clock.advance(700.0);
        assert!(core.token_info().is_none());
        assert_eq!(block_on(core.access_token()).unwrap().expose(), "token-2");
        assert_eq!(transport.logins(), 2);
    }

    #[test]
    fn the_timer_drops_an_idle_token_on_time() {
        let (core, _, clock) = client_with(|r| r.refresh_margin_seconds = Raw::Num(10.0), 60.0);
        block_on(core.login()).unwrap();
        assert_eq!(clock.pending_timers(), 1);
        clock.advance(49_999.0);
        assert_eq!(clock.pending_timers(), 1);
        // Read the store at time zero: only the timer, not the clock check, can have emptied it.
        assert!(core.state.borrow().store.valid(0.0).is_some());
        clock.advance(1.0);
        assert_eq!(clock.pending_timers(), 0);
        assert!(core.state.borrow().store.valid(0.0).is_none());
    }

    #[test]
    fn a_new_token_or_clear_token_cancels_the_old_timer() {
        let (core, _, clock) = client(3600.0);
        block_on(core.login()).unwrap();
        block_on(core.login()).unwrap();
        assert_eq!(clock.pending_timers(), 1);
        core.clear_token();
        assert_eq!(clock.pending_timers(), 0);
        assert!(core.token_info().is_none());
    }

    #[test]
    fn concurrent_callers_share_one_login() {
        let (core, transport, _) = client(3600.0);
        transport.hold_logins();
        let mut pool = LocalPool::new();
        let tokens = spawn_token_callers(&pool, &core, 50);
        pool.run_until_stalled();
        assert_eq!(transport.logins(), 1);
        assert!(tokens.borrow().is_empty());
        transport.release_logins();
        pool.run_until_stalled();
        assert_eq!(*tokens.borrow(), vec!["token-1".to_owned(); 50]);
        assert_eq!(transport.logins(), 1);
        assert_eq!(core.stats().logins, 1);
    }

    #[test]
    fn a_failed_shared_login_fails_every_waiter_and_the_next_call_starts_afresh() {
        let (core, transport, _) = client(3600.0);
        transport.hold_logins();
        transport.script_login(Ok(Reply {
            status: 400,
            body: r#"{"code":"400","message":"down"}"#.into(),
            retry_after: None,
        }));
        let mut pool = LocalPool::new();
        let outcomes = Rc::new(RefCell::new(Vec::new()));
        for _ in 0..5 {
            let (core, outcomes) = (core.clone(), outcomes.clone());
            pool.spawner()
                .spawn_local(async move {
                    let outcome = core.access_token().await.map(|_| ());
                    outcomes.borrow_mut().push(outcome);
                })
                .unwrap();
        }
        pool.run_until_stalled();
        transport.release_logins();
        pool.run_until_stalled();
        let expected = Err(Error::LoginFailed {
            status: 400,
            api: ApiError {
                code: Some("400".into()),
                message: Some("down".into()),
            },
        });
        assert_eq!(*outcomes.borrow(), vec![expected; 5]);
        assert_eq!(transport.logins(), 1);
        assert_eq!(block_on(core.access_token()).unwrap().expose(), "token-1");
        assert_eq!(transport.logins(), 2);
    }

    #[test]
    fn login_errors_of_both_shapes_and_bad_answers() {
        let (core, transport, clock) = client(3600.0);
        transport.script_login(Ok(Reply {
            status: 401,
            body: r#"{"error":"invalid_grant","error_description":"Invalid client credentials the-secret"}"#.into(),
            retry_after: None,        }));
        let e = block_on(core.login()).unwrap_err();
        assert_eq!(
            (e.code(), e.status(), e.musement_code()),
            ("login_failed", Some(401), Some("invalid_grant"))
        );
        assert!(!e.to_string().contains("the-secret"), "{e}");
        transport.script_login(Ok(Reply {
            status: 400,
            body: r#"{"code":"2271","message":"The header 'x-musement-application' is mandatory"}"#
                .into(),
            retry_after: None,
        }));
        let e = block_on(core.login()).unwrap_err();
        assert_eq!(
            (e.code(), e.musement_code()),
            ("login_failed", Some("2271"))
        );
        transport.script_login(Ok(Reply {
            status: 200,
            body: r#"{"access_token":"x","expires_in":0,"token_type":"bearer"}"#.into(),
            retry_after: None,
        }));
        assert_eq!(
            block_on(core.login()).unwrap_err().code(),
            "invalid_response"
        );
        for _ in 0..3 {
            transport.script_login(Err(Error::NetworkError {
                detail: "connect failed: the-secret".into(),
            }));
        }
        let e = drive(&clock, {
            let core = core.clone();
            async move { core.login().await }
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "network error: connect failed: [redacted]");
        assert_eq!(core.stats().logins, 0);
        assert!(core.token_info().is_none());
    }

    #[test]
    fn a_401_costs_one_relogin_and_one_repeat() {
        let (core, transport, _) = client(3600.0);
        let request = FakeRequest::get("/activities");
        assert_eq!(block_on(core.send(&request)).unwrap().status, 200);
        transport.revoke_all();
        assert_eq!(block_on(core.send(&request)).unwrap().status, 200);
        assert_eq!(transport.logins(), 2);
        let auth: Vec<_> = transport
            .sent()
            .into_iter()
            .map(|(_, a)| a.unwrap())
            .collect();
        assert_eq!(auth, ["Bearer token-1", "Bearer token-1", "Bearer token-2"]);
    }

    #[test]
    fn concurrent_401s_share_one_relogin() {
        let (core, transport, _) = client(3600.0);
        block_on(core.login()).unwrap();
        transport.revoke_all();
        let mut pool = LocalPool::new();
        let ok = Rc::new(Cell::new(0));
        for _ in 0..10 {
            let (core, ok) = (core.clone(), ok.clone());
            pool.spawner()
                .spawn_local(async move {
                    if core
                        .send(&FakeRequest::get("/cities"))
                        .await
                        .unwrap()
                        .status
                        == 200
                    {
                        ok.set(ok.get() + 1);
                    }
                })
                .unwrap();
        }
        pool.run_until_stalled();
        assert_eq!(ok.get(), 10);
        assert_eq!(transport.logins(), 2);
    }

    #[test]
    fn a_second_401_is_unauthorized() {
        let (core, transport, _) = client(3600.0);
        transport.reject_all();
        let e = block_on(core.send(&FakeRequest::get("/activities"))).unwrap_err();
        assert_eq!(
            (e.code(), e.status(), e.musement_code()),
            ("unauthorized", Some(401), Some("1401"))
        );
        assert_eq!(transport.logins(), 2);
        assert_eq!(transport.sent().len(), 2);
        assert!(core.token_info().is_none());
    }

    #[test]
    fn a_request_that_cannot_be_replayed_is_not_repeated() {
        let (core, transport, _) = client(3600.0);
        block_on(core.login()).unwrap();
        transport.revoke_all();
        let request = FakeRequest {
            replayable: false,
            ..FakeRequest::post("/carts")
        };
        assert_eq!(
            block_on(core.send(&request)).unwrap_err().code(),
            "unauthorized"
        );
        assert_eq!(transport.sent().len(), 1);
        assert!(core.token_info().is_none());
        // The next call logs in afresh.
        assert_eq!(
            block_on(core.send(&FakeRequest::get("/cities")))
                .unwrap()
                .status,
            200
        );
        assert_eq!(transport.logins(), 2);
    }

    #[test]
    fn without_credentials_no_login_and_no_token() {
        let (core, transport, _) = client_with(
            |r| {
                r.client_id = Raw::Missing;
                r.client_secret = Raw::Missing;
            },
            3600.0,
        );
        assert_eq!(
            block_on(core.send(&FakeRequest::get("/activities")))
                .unwrap()
                .status,
            200
        );
        assert_eq!(transport.sent(), vec![("/activities".to_owned(), None)]);
        assert_eq!(transport.logins(), 0);
        assert_eq!(
            block_on(core.login()).unwrap_err().code(),
            "invalid_options"
        );
    }

    #[test]
    fn dispose_ends_the_client() {
        let (core, _, clock) = client(3600.0);
        block_on(core.login()).unwrap();
        core.dispose();
        assert_eq!(clock.pending_timers(), 0);
        assert_eq!(block_on(core.access_token()).unwrap_err(), Error::Disposed);
        assert_eq!(
            block_on(core.send(&FakeRequest::get("/x"))).unwrap_err(),
            Error::Disposed
        );
    }

    #[test]
    fn a_lost_login_is_replaced_after_its_deadline_and_slack() {
        let (core, transport, clock) = client(3600.0);
        transport.stall_next_login();
        let mut pool = LocalPool::new();
        let tokens = spawn_token_callers(&pool, &core, 3);
        pool.run_until_stalled();
        assert_eq!(transport.logins(), 1);
        clock.advance(core.login_budget_ms() - 1.0);
        pool.run_until_stalled();
        assert!(tokens.borrow().is_empty());
        clock.advance(1.0);
        pool.run_until_stalled();
        // One replacement login, shared by all three waiters.
        assert_eq!(transport.logins(), 2);
        assert_eq!(*tokens.borrow(), vec!["token-1".to_owned(); 3]);
    }

    #[test]
    fn a_login_that_stays_lost_is_a_timeout() {
        let (core, transport, clock) = client(3600.0);
        transport.stall_next_login();
        transport.stall_next_login();
        let mut pool = LocalPool::new();
        let outcome = Rc::new(RefCell::new(None));
        {
            let (core, outcome) = (core.clone(), outcome.clone());
            pool.spawner()
                .spawn_local(async move {
                    let result = core.access_token().await.map(|_| ());
                    *outcome.borrow_mut() = Some(result);
                })
                .unwrap();
        }
        pool.run_until_stalled();
        for _ in 0..2 {
            clock.advance(core.login_budget_ms());
            pool.run_until_stalled();
        }
        assert_eq!(
            *outcome.borrow(),
            Some(Err(Error::Timeout { after_ms: 10_000 }))
        );
        assert_eq!(transport.logins(), 2);
    }

    #[test]
    fn a_second_client_takes_the_cached_token_instead_of_logging_in() {
        let (first, second, transport, clock, cache) = two_isolates();
        let token = block_on(first.access_token()).unwrap();
        assert_eq!(*cache.puts.borrow(), vec![3540]);
        clock.advance(1_000.0);
        assert_eq!(block_on(second.access_token()).unwrap(), token);
        assert_eq!(transport.logins(), 1);
        assert_eq!(
            second.stats(),
            Stats {
                logins: 0,
                retries: 0,
                cache_hits: 1
            }
        );
        assert_eq!(second.token_info().unwrap().expires_at_ms, T0 + 3_600_000.0);
        // login() always performs POST /login, cache or not.
        block_on(second.login()).unwrap();
        assert_eq!(transport.logins(), 2);
    }

    #[test]
    fn a_cached_token_the_api_rejects_is_replaced_never_retried() {
        let (first, second, transport, _, cache) = two_isolates();
        block_on(first.access_token()).unwrap();
        transport.revoke_all();
        let request = FakeRequest::get("/cities");
        assert_eq!(block_on(second.send(&request)).unwrap().status, 200);
        assert_eq!(transport.logins(), 2);
        assert!(cache
            .raw(&cache::key("https://sandbox.musement.com/api/v3", "id"))
            .unwrap()
            .contains("token-2"));
        // The first client's token is stale too: it picks up the fresh one from the cache.
        assert_eq!(block_on(first.send(&request)).unwrap().status, 200);
        assert_eq!(transport.logins(), 2);
        assert_eq!(first.stats().cache_hits, 1);
        let auth: Vec<_> = transport
            .sent()
            .into_iter()
            .map(|(_, a)| a.unwrap())
            .collect();
        assert_eq!(
            auth,
            [
                "Bearer token-1",
                "Bearer token-2",
                "Bearer token-1",
                "Bearer token-2"
            ]
        );
    }

    #[test]
    fn an_expired_or_malformed_cache_entry_costs_a_login() {
        let (transport, clock, cache) = (
            FakeTransport::new(3600.0),
            FakeClock::starting_at(T0),
            FakeCache::default(),
        );
        let key = cache::key("https://sandbox.musement.com/api/v3", "id");
        cache.insert(&key, &format!(r#"{{"access_token":"old","expires_at":{},"expires_in_ms":3600000,"token_type":"bearer","scope":null}}"#, T0 + 30_000.0));
        let core = core_with(|_| {}, &transport, &clock, &cache);
        assert_eq!(block_on(core.access_token()).unwrap().expose(), "token-1");
        cache.insert(&key, "not json");
        core.clear_token();
        assert_eq!(block_on(core.access_token()).unwrap().expose(), "token-2");
        assert_eq!(core.stats().cache_hits, 0);
    }

    #[test]
    fn a_login_is_retried_on_5xx_with_backoff() {
        let (core, transport, clock) = client(3600.0);
        transport.script_login(Ok(reply(503, None)));
        transport.script_login(Ok(reply(500, None)));
        let login = {
            let core = core.clone();
            async move { core.login().await }
        };
        assert!(drive(&clock, login).is_ok());
        assert_eq!(transport.logins(), 3);
        assert_eq!(core.stats().retries, 2);
        assert_eq!(core.stats().logins, 1);
        // Backoff with the fake's jitter of one half: 150 ms, then 300 ms.
        assert_eq!(clock.now_ms(), T0 + 450.0);
        // The token counts from the attempt that got it.
        assert_eq!(
            core.token_info().unwrap().expires_at_ms,
            T0 + 450.0 + 3_600_000.0
        );
    }

    #[test]
    fn retry_after_is_honoured_and_retries_are_bounded() {
        let (core, transport, clock) = client(3600.0);
        transport.script_login(Ok(reply(429, Some("2"))));
        let login = {
            let core = core.clone();
            async move { core.login().await }
        };
        assert!(drive(&clock, login).is_ok());
        assert_eq!(clock.now_ms(), T0 + 2_000.0);

        for _ in 0..3 {
            transport.script_login(Ok(reply(503, None)));
        }
        let login = {
            let core = core.clone();
            async move { core.login().await }
        };
        let e = drive(&clock, login).unwrap_err();
        assert_eq!((e.code(), e.status()), ("login_failed", Some(503)));
        assert_eq!(transport.logins(), 2 + 3);
        assert_eq!(core.stats().retries, 1 + 2);
    }

    #[test]
    fn no_retry_for_4xx_timeouts_or_a_retry_after_beyond_the_timeout() {
        let (core, transport, clock) = client(3600.0);
        for scripted in [
            Ok(reply(401, None)),
            Ok(reply(400, None)),
            Err(Error::Timeout { after_ms: 10_000 }),
            Ok(reply(503, Some("60"))),
        ] {
            transport.script_login(scripted);
            let login = {
                let core = core.clone();
                async move { core.login().await }
            };
            assert!(drive(&clock, login).is_err());
        }
        assert_eq!(transport.logins(), 4);
        assert_eq!(core.stats().retries, 0);
        assert_eq!(clock.now_ms(), T0);
    }

    #[test]
    fn api_calls_are_retried_only_when_idempotent_and_only_on_429_503_and_network_errors() {
        let (core, transport, clock) = client(3600.0);
        let send = |request: FakeRequest| {
            let core = core.clone();
            async move { core.send(&request).await.map(|r| r.status) }
        };
        transport.script_api(Ok(FakeResponse::status(503)));
        transport.script_api(Err(Error::NetworkError {
            detail: "reset".into(),
        }));
        assert_eq!(drive(&clock, send(FakeRequest::get("/cities"))), Ok(200));
        assert_eq!(core.stats().retries, 2);

        transport.script_api(Ok(FakeResponse::status(503)));
        assert_eq!(drive(&clock, send(FakeRequest::post("/carts"))), Ok(503));
        transport.script_api(Ok(FakeResponse::status(500)));
        assert_eq!(drive(&clock, send(FakeRequest::get("/cities"))), Ok(500));
        transport.script_api(Err(Error::Timeout { after_ms: 10_000 }));
        assert_eq!(
            drive(&clock, send(FakeRequest::get("/cities"))),
            Err(Error::Timeout { after_ms: 10_000 })
        );
        assert_eq!(core.stats().retries, 2);

        let before = clock.now_ms();
        transport.script_api(Ok(FakeResponse {
            retry_after: Some("1".into()),
            ..FakeResponse::status(429)
        }));
        assert_eq!(drive(&clock, send(FakeRequest::get("/cities"))), Ok(200));
        assert_eq!(clock.now_ms() - before, 1_000.0);
        assert_eq!(core.stats().retries, 3);
        assert_eq!(transport.logins(), 1);
    }

    #[test]
    fn login_never_settles_for_a_cached_token_from_a_shared_flight() {
        let (first, second, transport, _, _) = two_isolates();
        block_on(first.access_token()).unwrap();
        let mut pool = LocalPool::new();
        let tokens = spawn_token_callers(&pool, &second, 1);
        let logged_in = Rc::new(Cell::new(false));
        {
            let (second, logged_in) = (second.clone(), logged_in.clone());
            pool.spawner()
                .spawn_local(async move {
                    second.login().await.unwrap();
                    logged_in.set(true);
                })
                .unwrap();
        }
        pool.run_until_stalled();
        assert!(logged_in.get());
        assert_eq!(*tokens.borrow(), ["token-1"]);
        assert_eq!(
            transport.logins(),
            2,
            "login() performed its own POST /login"
        );
        assert_eq!(
            second.stats(),
            Stats {
                logins: 1,
                retries: 0,
                cache_hits: 1
            }
        );
    }

    #[test]
    fn errors_are_scrubbed_of_a_token_the_store_has_dropped() {
        let (core, _, _) = client(3600.0);
        let token = block_on(core.access_token()).unwrap();
        core.clear_token();
        let body = format!(
            r#"{{"code":"9","message":"you sent {} with the-secret"}}"#,
            token.expose()
        );
        let message = core.api_error(500, &body).to_string();
        assert!(
            !message.contains(token.expose()) && !message.contains("the-secret"),
            "{message}"
        );
        let reply = Reply {
            status: 200,
            body: format!(r#"{{"access_token":"{}"}}"#, token.expose()),
            retry_after: None,
        };
        assert!(!format!("{reply:?}").contains(token.expose()));
    }
}
