//! Time: the clock the token store reads, the timers that expire tokens, and bounded waits.

use std::future::Future;

/// A source of time and timers.
///
/// The wasm implementation reads `Date.now()` and uses the global `setTimeout` (never
/// `window`), unref'd in Node so that a pending expiry never keeps a script alive. Tests use
/// [`fake::FakeClock`], which they advance by hand.
pub trait Clock {
    /// A pending timer; dropping it cancels it.
    type Timer;

    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;

    /// Calls `callback` once, `delay_ms` from now, unless the returned timer is dropped first.
    fn set_timer(&self, delay_ms: f64, callback: Box<dyn FnOnce()>) -> Self::Timer;

    /// Resolves after `ms` milliseconds.
    #[allow(async_fn_in_trait)] // single-threaded wasm: no `Send` bound is wanted
    async fn sleep(&self, ms: f64);

    /// A random number in [0, 1), to spread retries apart.
    fn jitter(&self) -> f64;

    /// Runs `future` to completion on its own and waits for it at most `limit_ms`; `None`
    /// when the limit passed first.
    ///
    /// The caller resumes in its own context. That matters in Workers, where a login started
    /// by one request and awaited by another must hand its outcome over through a promise the
    /// waiting request created: workerd then runs the waiter's continuation, and so its next
    /// `fetch`, in the waiter's own request.
    #[allow(async_fn_in_trait)] // single-threaded wasm: no `Send` bound is wanted
    async fn wait<F>(&self, future: F, limit_ms: f64) -> Option<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static;
}

/// A clock for tests: time moves only when the test advances it, and due timers fire then.
#[cfg(test)]
#[allow(missing_debug_implementations)]
pub mod fake {
    use super::Clock;
    use std::cell::{Cell, RefCell};
    use std::future::{poll_fn, Future};
    use std::pin::pin;
    use std::rc::Rc;
    use std::task::{Poll, Waker};

    type Callback = Box<dyn FnOnce()>;

    #[derive(Default)]
    struct Timers {
        next_id: u64,
        pending: Vec<(u64, f64, Callback)>,
    }

    /// A hand-driven clock.
    #[derive(Clone, Default)]
    pub struct FakeClock {
        now: Rc<Cell<f64>>,
        timers: Rc<RefCell<Timers>>,
    }

    /// A fake timer; dropping it cancels it.
    pub struct FakeTimer {
        id: u64,
        timers: Rc<RefCell<Timers>>,
    }

    impl Drop for FakeTimer {
        fn drop(&mut self) {
            if let Ok(mut timers) = self.timers.try_borrow_mut() {
                timers.pending.retain(|(id, _, _)| *id != self.id);
            }
        }
    }

    impl FakeClock {
        /// A clock that starts at `start_ms`.
        pub fn starting_at(start_ms: f64) -> Self {
            let clock = FakeClock::default();
            clock.now.set(start_ms);
            clock
        }

        /// Moves time forward, firing every timer that falls due, in order.
        pub fn advance(&self, ms: f64) {
            let target = self.now.get() + ms;
            loop {
                let due = {
                    let mut timers = self.timers.borrow_mut();
                    let next = timers
                        .pending
                        .iter()
                        .enumerate()
                        .filter(|(_, (_, at, _))| *at <= target)
                        .min_by(|a, b| a.1 .1.total_cmp(&b.1 .1))
                        .map(|(i, _)| i);
                    next.map(|i| timers.pending.remove(i))
                };
                match due {
                    Some((_, at, callback)) => {
                        self.now.set(at.max(self.now.get()));
                        callback();
                    }
                    None => break,
                }
            }
            self.now.set(target);
        }

        /// Moves time to the next pending timer and fires it; false when none is pending.
        pub fn advance_to_next_timer(&self) -> bool {
            let next = self
                .timers
                .borrow()
                .pending
                .iter()
                .map(|(_, at, _)| *at)
                .min_by(f64::total_cmp);
            match next {
                Some(at) => {
                    self.advance((at - self.now.get()).max(0.0));
                    true
                }
                None => false,
            }
        }

        /// How many timers are pending.
        pub fn pending_timers(&self) -> usize {
            self.timers.borrow().pending.len()
        }
    }

    impl Clock for FakeClock {
        type Timer = FakeTimer;

        fn now_ms(&self) -> f64 {
            self.now.get()
        }

        fn set_timer(&self, delay_ms: f64, callback: Box<dyn FnOnce()>) -> FakeTimer {
            let mut timers = self.timers.borrow_mut();
            timers.next_id += 1;
            let id = timers.next_id;
            let at = self.now.get() + delay_ms.max(0.0);
            timers.pending.push((id, at, callback));
            FakeTimer {
                id,
                timers: self.timers.clone(),
            }
        }

        async fn sleep(&self, ms: f64) {
            self.wait(std::future::pending::<()>(), ms).await;
        }

        fn jitter(&self) -> f64 {
            0.5
        }

        async fn wait<F>(&self, future: F, limit_ms: f64) -> Option<F::Output>
        where
            F: Future + 'static,
            F::Output: 'static,
        {
            let expired = Rc::new((Cell::new(false), RefCell::new(None::<Waker>)));
            let _timer = {
                let expired = expired.clone();
                self.set_timer(
                    limit_ms,
                    Box::new(move || {
                        expired.0.set(true);
                        if let Some(waker) = expired.1.borrow_mut().take() {
                            waker.wake();
                        }
                    }),
                )
            };
            let mut future = pin!(future);
            poll_fn(|cx| {
                if let Poll::Ready(output) = future.as_mut().poll(cx) {
                    return Poll::Ready(Some(output));
                }
                if expired.0.get() {
                    return Poll::Ready(None);
                }
                *expired.1.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            })
            .await
        }
    }
}
