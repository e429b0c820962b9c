//! The retry policy: data ([`Policy`]) and one pure function ([`decide`]) from
//! (attempts made, last fault, time spent, a random draw) to the next wait or
//! a stop. No clock, no randomness of its own: the caller passes both in.

/// First backoff: long enough for a proxy's passing 503 to clear, short
/// enough that a person waiting in a chat flow barely notices.
pub const DEFAULT_BASE_DELAY_MS: u64 = 250;
/// Longest backoff: doubling from 250 ms reaches it at the 6th retry
/// (250 · 2⁵ = 8 s). It stays below the default attempt timeout (10 s) and
/// lets several retries fit in the default 30 s deadline instead of one long
/// sleep eating the budget.
pub const DEFAULT_MAX_DELAY_MS: u64 = 8_000;

/// How one send retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    /// Attempts in all, the first included (0 behaves as 1).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles per retry.
    pub base_delay_ms: u64,
    /// Cap of the backoff (a `Retry-After` may ask for longer).
    pub max_delay_ms: u64,
    /// Budget of the whole send, attempts and waits, from its start.
    pub deadline_ms: u64,
}

impl Policy {
    /// A policy with the default backoff ([`DEFAULT_BASE_DELAY_MS`],
    /// [`DEFAULT_MAX_DELAY_MS`]).
    pub const fn new(max_attempts: u32, deadline_ms: u64) -> Self {
        Policy {
            max_attempts,
            base_delay_ms: DEFAULT_BASE_DELAY_MS,
            max_delay_ms: DEFAULT_MAX_DELAY_MS,
            deadline_ms,
        }
    }

    /// The backoff ceiling before retry number `retry` (1 = the first retry):
    /// `min(max_delay, base · 2^(retry-1))`, saturating. The actual wait is
    /// drawn in `[ceiling/2, ceiling]` ("equal jitter").
    pub fn backoff_ceiling_ms(&self, retry: u32) -> u64 {
        let exponent = retry.saturating_sub(1).min(63);
        self.base_delay_ms
            .saturating_mul(1u64 << exponent)
            .min(self.max_delay_ms)
    }
}

impl Default for Policy {
    /// The config's defaults (`config::MAX_ATTEMPTS`, `config::DEADLINE_MS`).
    fn default() -> Self {
        Policy::new(
            crate::config::MAX_ATTEMPTS.default,
            u64::from(crate::config::DEADLINE_MS.default),
        )
    }
}

/// What went wrong with the last attempt, as far as retrying cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Worth another attempt, not before `retry_after_ms` when given.
    Retryable { retry_after_ms: Option<u64> },
    /// Another attempt would get the same answer.
    Final,
}

/// The next step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Wait `after_ms`, then attempt again.
    Retry { after_ms: u64 },
    /// Give up.
    Stop(StopReason),
}

/// Why retrying stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StopReason {
    /// The fault is not retryable.
    Final,
    /// `max_attempts` attempts were made.
    AttemptsExhausted,
    /// The budget is spent, or the wait (backoff or `Retry-After`) would
    /// reach the deadline and leave no time for another attempt.
    DeadlineExceeded,
}

/// Decides what follows a failed attempt.
///
/// * `attempts_made`: attempts so far, the failed one included (≥ 1).
/// * `elapsed_ms`: time since the send started.
/// * `jitter`: a uniformly random `u64` the caller draws; the same inputs
///   always give the same decision.
///
/// In order: a final fault stops (`Final`); a spent budget stops
/// (`DeadlineExceeded`, checked before attempts so that an attempt cut short by
/// the deadline is reported as such); `max_attempts` attempts stop
/// (`AttemptsExhausted`). Otherwise the wait is the exponential backoff with
/// equal jitter — uniform in `[c/2, c]` for the ceiling `c` of
/// [`Policy::backoff_ceiling_ms`] — raised to `retry_after_ms` when that is
/// longer. Equal rather than full jitter: every retry waits at least half its
/// backoff, so an overloaded Siptel always gets some breathing room, while
/// concurrent flows still spread out. The wait must end strictly before the
/// deadline (`elapsed + wait < deadline`), else `DeadlineExceeded`: a
/// `Retry-After` is never shortened to fit.
pub fn decide(
    policy: &Policy,
    attempts_made: u32,
    fault: &Fault,
    elapsed_ms: u64,
    jitter: u64,
) -> Decision {
    let retry_after_ms = match *fault {
        Fault::Final => return Decision::Stop(StopReason::Final),
        Fault::Retryable { retry_after_ms } => retry_after_ms,
    };
    let remaining_ms = policy.deadline_ms.saturating_sub(elapsed_ms);
    if remaining_ms == 0 {
        return Decision::Stop(StopReason::DeadlineExceeded);
    }
    if attempts_made >= policy.max_attempts.max(1) {
        return Decision::Stop(StopReason::AttemptsExhausted);
    }
    let ceiling = policy.backoff_ceiling_ms(attempts_made);
    let floor = ceiling / 2;
    // ceiling - floor + 1 ≥ 1 and ≤ u64::MAX / 2 + 1: no overflow, no zero.
    let backoff = floor + jitter % (ceiling - floor + 1);
    let after_ms = backoff.max(retry_after_ms.unwrap_or(0));
    if after_ms >= remaining_ms {
        return Decision::Stop(StopReason::DeadlineExceeded);
    }
    Decision::Retry { after_ms }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RETRYABLE: Fault = Fault::Retryable {
        retry_after_ms: None,
    };

    fn retry_after(ms: u64) -> Fault {
        Fault::Retryable {
            retry_after_ms: Some(ms),
        }
    }

    #[test]
    fn defaults() {
        let p = Policy::default();
        assert_eq!(
            p,
            Policy {
                max_attempts: 3,
                base_delay_ms: 250,
                max_delay_ms: 8_000,
                deadline_ms: 30_000
            }
        );
        let ceilings: Vec<u64> = (1..=8).map(|r| p.backoff_ceiling_ms(r)).collect();
        assert_eq!(ceilings, [250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(p.backoff_ceiling_ms(0), 250);
        assert_eq!(p.backoff_ceiling_ms(u32::MAX), 8000);
    }

    #[test]
    fn final_stops_at_once() {
        let p = Policy::new(10, 30_000);
        assert_eq!(
            decide(&p, 1, &Fault::Final, 0, 0),
            Decision::Stop(StopReason::Final)
        );
        // Even with the budget spent, a final answer is reported as final.
        assert_eq!(
            decide(&p, 1, &Fault::Final, 99_999, 0),
            Decision::Stop(StopReason::Final)
        );
    }

    #[test]
    fn equal_jitter_bounds() {
        let p = Policy::new(10, 300_000);
        assert_eq!(
            decide(&p, 1, &RETRYABLE, 0, 0),
            Decision::Retry { after_ms: 125 }
        );
        assert_eq!(
            decide(&p, 1, &RETRYABLE, 0, 125),
            Decision::Retry { after_ms: 250 }
        );
        assert_eq!(
            decide(&p, 1, &RETRYABLE, 0, 126),
            Decision::Retry { after_ms: 125 }
        );
        assert_eq!(
            decide(&p, 3, &RETRYABLE, 0, u64::MAX),
            Decision::Retry {
                after_ms: 500 + u64::MAX % 501
            }
        );
        assert_eq!(
            decide(&p, 9, &RETRYABLE, 0, 4000),
            Decision::Retry { after_ms: 8000 }
        );
    }

    #[test]
    fn attempts_exhausted() {
        let p = Policy::new(3, 30_000);
        assert!(matches!(
            decide(&p, 2, &RETRYABLE, 0, 0),
            Decision::Retry { .. }
        ));
        assert_eq!(
            decide(&p, 3, &RETRYABLE, 0, 0),
            Decision::Stop(StopReason::AttemptsExhausted)
        );
        let once = Policy::new(0, 30_000);
        assert_eq!(
            decide(&once, 1, &RETRYABLE, 0, 0),
            Decision::Stop(StopReason::AttemptsExhausted)
        );
    }

    #[test]
    fn retry_after_is_honoured() {
        let p = Policy::new(3, 30_000);
        assert_eq!(
            decide(&p, 1, &retry_after(5_000), 1_000, 0),
            Decision::Retry { after_ms: 5_000 }
        );
        // A shorter Retry-After does not cut the backoff.
        assert_eq!(
            decide(&p, 1, &retry_after(10), 0, 125),
            Decision::Retry { after_ms: 250 }
        );
        // Longer than the cap is fine while within the deadline.
        assert_eq!(
            decide(&p, 1, &retry_after(20_000), 0, 0),
            Decision::Retry { after_ms: 20_000 }
        );
    }

    #[test]
    fn retry_after_beyond_deadline_stops() {
        let p = Policy::new(3, 30_000);
        assert_eq!(
            decide(&p, 1, &retry_after(29_000), 1_000, 0),
            Decision::Stop(StopReason::DeadlineExceeded)
        );
        assert_eq!(
            decide(&p, 1, &retry_after(28_999), 1_000, 0),
            Decision::Retry { after_ms: 28_999 }
        );
        assert_eq!(
            decide(&p, 1, &retry_after(u64::MAX), 0, 0),
            Decision::Stop(StopReason::DeadlineExceeded)
        );
    }

    #[test]
    fn deadline_stops() {
        let p = Policy::new(10, 1_000);
        assert_eq!(
            decide(&p, 1, &RETRYABLE, 1_000, 0),
            Decision::Stop(StopReason::DeadlineExceeded)
        );
        assert_eq!(
            decide(&p, 1, &RETRYABLE, 5_000, 0),
            Decision::Stop(StopReason::DeadlineExceeded)
        );
        // Backoff of 125..=250 ms with 100 ms left.
        assert_eq!(
            decide(&p, 1, &RETRYABLE, 900, 0),
            Decision::Stop(StopReason::DeadlineExceeded)
        );
        // Budget spent and attempts exhausted: the deadline is what is reported.
        assert_eq!(
            decide(&Policy::new(1, 1_000), 1, &RETRYABLE, 1_000, 0),
            Decision::Stop(StopReason::DeadlineExceeded)
        );
    }

    #[test]
    fn extreme_policies_do_not_overflow() {
        let p = Policy {
            max_attempts: u32::MAX,
            base_delay_ms: u64::MAX,
            max_delay_ms: u64::MAX,
            deadline_ms: u64::MAX,
        };
        for jitter in [0, 1, u64::MAX] {
            let d = decide(&p, 70, &RETRYABLE, 0, jitter);
            assert!(matches!(
                d,
                Decision::Retry { .. } | Decision::Stop(StopReason::DeadlineExceeded)
            ));
        }
        let zero = Policy {
            max_attempts: 5,
            base_delay_ms: 0,
            max_delay_ms: 0,
            deadline_ms: 10,
        };
        assert_eq!(
            decide(&zero, 1, &RETRYABLE, 0, 12345),
            Decision::Retry { after_ms: 0 }
        );
    }

    fn policies() -> impl Strategy<Value = Policy> {
        (1u32..=10, 0u64..=2_000, 0u64..=20_000, 1u64..=300_000).prop_map(
            |(max_attempts, base_delay_ms, max_delay_ms, deadline_ms)| Policy {
                max_attempts,
                base_delay_ms,
                max_delay_ms,
                deadline_ms,
            },
        )
    }

    fn faults() -> impl Strategy<Value = Fault> {
        prop_oneof![
            Just(Fault::Final),
            proptest::option::of(0u64..=400_000)
                .prop_map(|retry_after_ms| Fault::Retryable { retry_after_ms }),
        ]
    }

    proptest! {
        #[test]
        fn delay_within_bounds(
            p in policies(),
            attempts in 1u32..=12,
            elapsed in 0u64..=300_000,
            jitter: u64,
        ) {
            if let Decision::Retry { after_ms } = decide(&p, attempts, &RETRYABLE, elapsed, jitter) {
                let ceiling = p.backoff_ceiling_ms(attempts);
                prop_assert!(after_ms >= ceiling / 2);
                prop_assert!(after_ms <= ceiling);
                prop_assert!(after_ms <= p.max_delay_ms);
            }
        }

        #[test]
        fn never_beyond_deadline(
            p in policies(),
            attempts in 0u32..=12,
            fault in faults(),
            elapsed in 0u64..=400_000,
            jitter: u64,
        ) {
            match decide(&p, attempts, &fault, elapsed, jitter) {
                Decision::Retry { after_ms } => {
                    prop_assert!(elapsed + after_ms < p.deadline_ms);
                    prop_assert!(attempts < p.max_attempts);
                    prop_assert!(fault != Fault::Final);
                }
                Decision::Stop(StopReason::Final) => prop_assert_eq!(fault, Fault::Final),
                Decision::Stop(StopReason::AttemptsExhausted) => {
                    prop_assert!(attempts >= p.max_attempts)
                }
                Decision::Stop(StopReason::DeadlineExceeded) => {}
            }
        }

        #[test]
        fn retry_after_honoured(
            p in policies(),
            attempts in 1u32..=12,
            retry_after_ms in 0u64..=400_000,
            elapsed in 0u64..=300_000,
            jitter: u64,
        ) {
            let fault = Fault::Retryable { retry_after_ms: Some(retry_after_ms) };
            match decide(&p, attempts, &fault, elapsed, jitter) {
                Decision::Retry { after_ms } => prop_assert!(after_ms >= retry_after_ms),
                Decision::Stop(StopReason::DeadlineExceeded) => {
                    // When both the Retry-After and the whole backoff fit, it retries.
                    let fits = elapsed + retry_after_ms < p.deadline_ms;
                    let backoff_fits = elapsed + p.backoff_ceiling_ms(attempts) < p.deadline_ms;
                    prop_assert!(!(fits && backoff_fits));
                }
                Decision::Stop(StopReason::AttemptsExhausted) => {
                    prop_assert!(attempts >= p.max_attempts)
                }
                Decision::Stop(StopReason::Final) => prop_assert!(false),
            }
        }

        #[test]
        fn ceiling_monotone_and_capped(p in policies(), retry in 0u32..=80) {
            let now = p.backoff_ceiling_ms(retry);
            let next = p.backoff_ceiling_ms(retry.saturating_add(1));
            prop_assert!(now <= next);
            prop_assert!(next <= p.max_delay_ms);
        }

        #[test]
        fn deterministic(
            p in policies(),
            attempts in 0u32..=12,
            fault in faults(),
            elapsed in 0u64..=400_000,
            jitter: u64,
        ) {
            prop_assert_eq!(
                decide(&p, attempts, &fault, elapsed, jitter),
                decide(&p, attempts, &fault, elapsed, jitter)
            );
        }
    }
}
