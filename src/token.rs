//! The token store, the single source of truth for the current token, and the single-flight
//! login that concurrent callers share.

use crate::response::LoginAnswer;
use crate::secret::Secret;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// What may be shown about a token: everything but the token.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenInfo {
    /// When the server says the token expires, in ms since the epoch. Counted from the moment
    /// the login request was sent, so it errs early, never late.
    pub expires_at_ms: f64,
    /// The lifetime the server gave, in seconds.
    pub expires_in_s: f64,
    /// `token_type` as the server wrote it.
    pub token_type: String,
    /// `scope`, when given.
    pub scope: Option<String>,
}

/// A token and what is known about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The bearer token itself.
    pub access_token: Secret,
    /// Its expiry and type.
    pub info: TokenInfo,
}

impl Token {
    /// The token from a login answer to a request sent at `sent_at_ms`.
    pub fn from_answer(answer: LoginAnswer, sent_at_ms: f64) -> Self {
        Token {
            access_token: answer.access_token,
            info: TokenInfo {
                expires_at_ms: sent_at_ms + answer.expires_in * 1000.0,
                expires_in_s: answer.expires_in,
                token_type: answer.token_type,
                scope: answer.scope,
            },
        }
    }
}

/// Holds at most one token and says whether it may still be used.
#[derive(Debug)]
pub struct TokenStore {
    token: Option<Token>,
    margin_ms: f64,
    generation: u64,
}

impl TokenStore {
    /// An empty store; tokens stop being used `margin_ms` before they expire.
    pub fn new(margin_ms: f64) -> Self {
        TokenStore {
            token: None,
            margin_ms,
            generation: 0,
        }
    }

    /// When a token stops being used: `margin_ms` before its expiry, or half-way through its
    /// lifetime when the server gave a lifetime shorter than twice the margin (otherwise such
    /// a token would be stale on arrival and every call would log in again).
    pub fn refresh_at(&self, info: &TokenInfo) -> f64 {
        let lifetime_ms = info.expires_in_s * 1000.0;
        info.expires_at_ms - self.margin_ms.min(lifetime_ms / 2.0)
    }

    /// The token, if it is still good at `now_ms`. This clock check runs on every use.
    pub fn valid(&self, now_ms: f64) -> Option<&Token> {
        self.token
            .as_ref()
            .filter(|t| now_ms < self.refresh_at(&t.info))
    }

    /// Keeps `token`, replacing any other; returns its generation, which [`expire`](Self::expire)
    /// takes, so that a late timer never drops a newer token.
    pub fn put(&mut self, token: Token) -> u64 {
        self.generation += 1;
        self.token = Some(token);
        self.generation
    }

    /// Forgets the token.
    pub fn clear(&mut self) {
        self.token = None;
    }

    /// Forgets the token if it is `access_token`: a 401 condemns the token that was sent,
    /// not a fresher one another caller has fetched since. Returns whether it was dropped.
    pub fn clear_if(&mut self, access_token: &Secret) -> bool {
        let current = self
            .token
            .as_ref()
            .is_some_and(|t| t.access_token == *access_token);
        if current {
            self.token = None;
        }
        current
    }

    /// Forgets the token if it is still the one of `generation` (the expiry timer's call).
    pub fn expire(&mut self, generation: u64) {
        if self.generation == generation {
            self.token = None;
        }
    }
}

/// Wakes every task waiting on a flight, so whichever polls first drives it on.
#[derive(Default)]
struct WakeAll(Mutex<Vec<Waker>>);

impl WakeAll {
    fn register(&self, waker: &Waker) {
        let mut wakers = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !wakers.iter().any(|w| w.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }
}

impl Wake for WakeAll {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let wakers = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl<T: Clone> std::fmt::Debug for Flight<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flight")
            .field("done", &self.outcome.borrow().is_some())
            .finish_non_exhaustive()
    }
}

impl<T: Clone> std::fmt::Debug for Join<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Join").field(&self.0).finish()
    }
}

type Task<T> = Pin<Box<dyn Future<Output = T>>>;

/// One operation shared by every caller that joins it, like `futures::Shared` in a few lines.
///
/// The task is polled by whichever waiter runs, so it goes on when the caller that started it
/// gives up. Every waiter gets a clone of the outcome, an error included.
pub struct Flight<T: Clone> {
    task: RefCell<Option<Task<T>>>,
    outcome: RefCell<Option<T>>,
    wakers: Arc<WakeAll>,
}

impl<T: Clone> Flight<T> {
    /// A flight that will run `task`.
    pub fn new(task: impl Future<Output = T> + 'static) -> Rc<Self> {
        Rc::new(Flight {
            task: RefCell::new(Some(Box::pin(task))),
            outcome: RefCell::new(None),
            wakers: Arc::default(),
        })
    }

    /// A future that resolves to the flight's outcome.
    pub fn join(self: &Rc<Self>) -> Join<T> {
        Join(self.clone())
    }
}

/// Waits for a [`Flight`].
pub struct Join<T: Clone>(Rc<Flight<T>>);

impl<T: Clone> Future for Join<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let flight = &self.0;
        if let Some(outcome) = flight.outcome.borrow().as_ref() {
            return Poll::Ready(outcome.clone());
        }
        flight.wakers.register(cx.waker());
        // Already being polled further up this stack: the wake-up will come.
        let Ok(mut slot) = flight.task.try_borrow_mut() else {
            return Poll::Pending;
        };
        let Some(task) = slot.as_mut() else {
            return Poll::Pending;
        };
        let waker = Waker::from(flight.wakers.clone());
        match task.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(outcome) => {
                *slot = None;
                drop(slot);
                *flight.outcome.borrow_mut() = Some(outcome.clone());
                flight.wakers.wake_by_ref();
                Poll::Ready(outcome)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    use std::cell::Cell;

    fn token(name: &str, sent_at: f64, expires_in: f64) -> Token {
        Token::from_answer(
            LoginAnswer {
                access_token: Secret::new(name),
                expires_in,
                token_type: "bearer".into(),
                scope: None,
            },
            sent_at,
        )
    }

    #[test]
    fn a_token_expires_at_the_margin() {
        let mut store = TokenStore::new(60_000.0);
        store.put(token("a", 1_000_000.0, 3600.0));
        let refresh_at = 1_000_000.0 + 3_540_000.0;
        assert!(store.valid(refresh_at - 1.0).is_some());
        assert!(store.valid(refresh_at).is_none());
        assert_eq!(
            store.valid(0.0).unwrap().info.expires_at_ms,
            1_000_000.0 + 3_600_000.0
        );
    }

    #[test]
    fn a_short_lifetime_keeps_half_of_it() {
        let mut store = TokenStore::new(60_000.0);
        store.put(token("a", 0.0, 30.0));
        assert!(store.valid(14_999.0).is_some());
        assert!(store.valid(15_000.0).is_none());
    }

    #[test]
    fn clear_if_and_expire_spare_a_newer_token() {
        let mut store = TokenStore::new(0.0);
        let first = store.put(token("a", 0.0, 10.0));
        assert!(!store.clear_if(&Secret::new("b")));
        store.put(token("b", 0.0, 10.0));
        store.expire(first);
        assert!(store.valid(1.0).is_some());
        assert!(store.clear_if(&Secret::new("b")));
        assert!(store.valid(1.0).is_none());
    }

    /// A future that stays pending until the test opens it.
    #[derive(Clone, Default)]
    struct Gate(Rc<(Cell<bool>, RefCell<Option<Waker>>)>);
    impl Gate {
        fn open(&self) {
            self.0 .0.set(true);
            if let Some(w) = self.0 .1.borrow_mut().take() {
                w.wake();
            }
        }
        async fn wait(self) {
            std::future::poll_fn(|cx| {
                if self.0 .0.get() {
                    Poll::Ready(())
                } else {
                    *self.0 .1.borrow_mut() = Some(cx.waker().clone());
                    Poll::Pending
                }
            })
            .await
        }
    }

    #[test]
    fn a_flight_runs_once_for_every_waiter_and_survives_its_starter() {
        let runs = Rc::new(Cell::new(0));
        let gate = Gate::default();
        let flight = {
            let (runs, gate) = (runs.clone(), gate.clone());
            Flight::new(async move {
                runs.set(runs.get() + 1);
                gate.wait().await;
                Ok::<u32, String>(7)
            })
        };
        let mut pool = LocalPool::new();
        let results = Rc::new(RefCell::new(Vec::new()));
        // The first waiter drives the task, then goes away.
        let starter = pool
            .spawner()
            .spawn_local_with_handle(flight.join())
            .unwrap();
        pool.run_until_stalled();
        drop(starter);
        for _ in 0..5 {
            let (join, results) = (flight.join(), results.clone());
            pool.spawner()
                .spawn_local(async move {
                    let outcome = join.await;
                    results.borrow_mut().push(outcome);
                })
                .unwrap();
        }
        pool.run_until_stalled();
        assert!(results.borrow().is_empty());
        gate.open();
        pool.run_until_stalled();
        assert_eq!(*results.borrow(), vec![Ok(7); 5]);
        assert_eq!(runs.get(), 1);
    }
}
